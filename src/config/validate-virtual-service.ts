// VirtualService rules: hosts and gateways, every HTTP route's action and the rules on how
// actions combine, matches, destinations and weights, retries, faults, redirects, rewrites,
// mirrors, CORS, header operations, TCP/TLS routes, and rules that can never match.

import { stableStringify } from '../shared/index.ts';
import {
  arr,
  checkCorsHeaderName,
  checkDuration,
  checkExportTo,
  checkGatewayName,
  checkHeaderOperations,
  checkLabels,
  checkMatchHeaderName,
  checkPercent,
  checkPercentObj,
  checkPort,
  checkRegex,
  checkStringMatch,
  dns1123LabelProblem,
  dns1123SubdomainProblem,
  entries,
  has,
  hostIsSubsetOf,
  hostsOverlap,
  isCIDR,
  isIP,
  JWT_CLAIM_PREFIX,
  nonEmpty,
  num,
  obj,
  str,
  wildcardHostProblem,
  type Findings,
  type Obj,
  type Path,
} from './validate-common.ts';

/** Retry conditions Envoy understands in `x-envoy-retry-on` / `x-envoy-retry-grpc-on`. */
export const RETRY_ON_POLICIES: ReadonlySet<string> = new Set([
  '5xx',
  'gateway-error',
  'reset',
  'reset-before-request',
  'connect-failure',
  'retriable-4xx',
  'refused-stream',
  'retriable-status-codes',
  'retriable-headers',
  'envoy-ratelimited',
  'http3-post-connect-failure',
  'cancelled',
  'deadline-exceeded',
  'internal',
  'resource-exhausted',
  'unavailable',
]);

/** HTTP status codes with a registered reason phrase; any of them may appear in retryOn. */
const KNOWN_STATUS = new Set([
  100, 101, 102, 103, 200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 307, 308, 400, 401, 402, 403, 404, 405, 406,
  407, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417, 418, 421, 422, 423, 424, 425, 426, 428, 429, 431, 451, 500, 501, 502, 503, 504, 505, 506,
  507, 508, 510, 511,
]);

export const GRPC_STATUS_NAMES: readonly string[] = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
];

export const CORS_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', '*']);

const KB = 1024;
const MB = 1024 * KB;

export function validateVirtualService(f: Findings, specValue: unknown, namespace: string): void {
  const spec = obj(specValue) ?? {};
  const base: Path = ['spec'];
  const hosts = arr(spec['hosts']);
  const gateways = arr(spec['gateways']);
  // A VirtualService without hosts is a delegate: only another one's `delegate` reaches it.
  const isDelegate = hosts.length === 0;

  if (isDelegate) {
    if (gateways.length > 0) f.error([...base, 'gateways'], 'ISTHMUS_ERR_CONFIG_INVALID_DELEGATE', 'delegate virtual service must have no gateways specified');
    if (nonEmpty(spec['tls'])) f.error([...base, 'tls'], 'ISTHMUS_ERR_CONFIG_INVALID_DELEGATE', 'delegate virtual service must have no tls route specified');
    if (nonEmpty(spec['tcp'])) f.error([...base, 'tcp'], 'ISTHMUS_ERR_CONFIG_INVALID_DELEGATE', 'delegate virtual service must have no tcp route specified');
  }

  // Bound to sidecars (`mesh`, the default) or only to gateways.
  const boundToGateway = gateways.length > 0 && !gateways.includes('mesh');
  gateways.forEach((g, i) => checkGatewayName(f, [...base, 'gateways', i], g));

  if (!boundToGateway) {
    // JWT claims are only known at gateways, where the token is checked.
    arr(spec['http']).forEach((r, i) => {
      arr(obj(r)?.['match']).forEach((m, j) => {
        for (const field of ['headers', 'withoutHeaders'] as const) {
          for (const [name] of entries(obj(m)?.[field])) {
            if (name.startsWith(JWT_CLAIM_PREFIX)) {
              f.error([...base, 'http', i, 'match', j, field, name], 'ISTHMUS_ERR_CONFIG_INVALID_HEADER', `JWT claim based routing (key: ${name}) is only supported for gateway, found no gateways: [${gateways.join(' ')}]`);
            }
          }
        }
      });
    });
  }

  // Hosts: valid, `*` not with the mesh gateway, no two that overlap.
  let allHostsValid = true;
  hosts.forEach((h, i) => {
    if (typeof h !== 'string') return;
    const hp = [...base, 'hosts', i];
    const p = wildcardHostProblem(h);
    if (p !== undefined) {
      f.error(hp, 'ISTHMUS_ERR_CONFIG_INVALID_HOST', `invalid host "${h}": ${p}`);
      allHostsValid = false;
    } else if (h === '*' && !boundToGateway) {
      f.error(hp, 'ISTHMUS_ERR_CONFIG_INVALID_HOST', 'wildcard host * is not allowed for virtual services bound to the mesh gateway');
      allHostsValid = false;
    }
  });
  if (allHostsValid) {
    const names = hosts.filter((h): h is string => typeof h === 'string');
    for (let i = 0; i < names.length; i++) {
      for (let j = i + 1; j < names.length; j++) {
        const a = names[i] as string;
        const b = names[j] as string;
        if (hostsOverlap(a, b)) f.error([...base, 'hosts', j], 'ISTHMUS_ERR_CONFIG_DUPLICATE', `duplicate hosts in virtual service: ${a} & ${b}`);
      }
    }
  }

  if (!nonEmpty(spec['http']) && !nonEmpty(spec['tcp']) && !nonEmpty(spec['tls'])) {
    f.error(base, 'ISTHMUS_ERR_CONFIG_MISSING_ROUTES', 'http, tcp or tls must be provided in virtual service');
  }
  arr(spec['http']).forEach((r, i) => validateHTTPRoute(f, [...base, 'http', i], r, isDelegate));
  arr(spec['tls']).forEach((r, i) => validateTLSRoute(f, [...base, 'tls', i], r, hosts));
  arr(spec['tcp']).forEach((r, i) => validateTCPRoute(f, [...base, 'tcp', i], r));
  checkExportTo(f, [...base, 'exportTo'], spec['exportTo'], namespace, false);

  warnUnreachable(f, [...base, 'http'], arr(spec['http']));
  warnUnreachable(f, [...base, 'tcp'], arr(spec['tcp']));
  warnUnreachable(f, [...base, 'tls'], arr(spec['tls']));
}

// ---- HTTP routes ---------------------------------------------------------------------------

function validateHTTPRoute(f: Findings, path: Path, value: unknown, inDelegate: boolean): void {
  const r = obj(value);
  if (r === undefined) return;
  validateRouteActions(f, path, r, inDelegate);

  arr(r['match']).forEach((m, i) => validateHTTPMatch(f, [...path, 'match', i], m));
  const authority = checkHeaderOperations(f, [...path, 'headers'], r['headers']);
  // The request authority may be rewritten in one place only.
  const rewriteAuthority = str(obj(r['rewrite'])?.['authority']);
  let current = rewriteAuthority !== undefined && rewriteAuthority !== '' ? rewriteAuthority : undefined;
  for (const a of authority) {
    if (current !== undefined) {
      f.error(a.path, 'ISTHMUS_ERR_CONFIG_INVALID_HEADER', `authority header cannot be set multiple times: have "${current}", attempting to set "${a.value}"`);
    } else current = a.value;
  }
  if (has(r, 'corsPolicy')) validateCors(f, [...path, 'corsPolicy'], r['corsPolicy']);
  if (has(r, 'fault')) validateFault(f, [...path, 'fault'], r['fault']);
  validateMirrors(f, path, r);
  if (has(r, 'redirect')) validateRedirect(f, [...path, 'redirect'], r['redirect']);
  if (has(r, 'directResponse')) validateDirectResponse(f, [...path, 'directResponse'], r['directResponse']);
  if (has(r, 'retries')) validateRetries(f, [...path, 'retries'], r['retries']);
  if (has(r, 'rewrite')) validateRewrite(f, [...path, 'rewrite'], r['rewrite']);
  if (has(r, 'delegate')) validateDelegate(f, [...path, 'delegate'], r['delegate']);
  validateRouteDestinations(f, [...path, 'route'], r['route'], true);
  checkDuration(f, [...path, 'timeout'], r['timeout']);
}

/** Which actions a route may combine: route, redirect, direct response or delegate. */
function validateRouteActions(f: Findings, path: Path, r: Obj, inDelegate: boolean): void {
  const code = 'ISTHMUS_ERR_CONFIG_INVALID_ROUTE';
  const hasRoute = nonEmpty(r['route']);
  const name = str(r['name']);
  const label = name === undefined || name === '' ? 'HTTP route' : `HTTP route ${name}`;

  if (has(r, 'delegate') && !inDelegate) {
    // A root route only hands over to the delegate.
    if (has(r, 'redirect')) f.error(path, 'ISTHMUS_ERR_CONFIG_INVALID_DELEGATE', `root ${label} must not specify redirect`);
    if (has(r, 'route')) f.error(path, 'ISTHMUS_ERR_CONFIG_INVALID_DELEGATE', `root ${label} must not specify route`);
    return;
  }
  if (inDelegate && has(r, 'delegate')) f.error([...path, 'delegate'], 'ISTHMUS_ERR_CONFIG_INVALID_DELEGATE', 'delegate HTTP route cannot contain delegate');

  if (has(r, 'redirect')) {
    if (hasRoute) f.error(path, code, 'HTTP route cannot contain both route and redirect');
    if (has(r, 'fault')) f.error(path, code, 'HTTP route cannot contain both fault and redirect');
    if (has(r, 'rewrite')) f.error(path, code, 'HTTP route rule cannot contain both rewrite and redirect');
    if (has(r, 'directResponse')) f.error(path, code, 'HTTP route rule cannot contain both redirect and direct_response');
  } else if (has(r, 'directResponse')) {
    if (hasRoute) f.error(path, code, 'HTTP route cannot contain both route and direct_response');
    if (has(r, 'fault')) f.error(path, code, 'HTTP route cannot contain both fault and direct_response');
    if (has(r, 'rewrite')) f.error(path, code, 'HTTP route rule cannot contain both rewrite and direct_response');
  } else if (!hasRoute && !has(r, 'delegate')) {
    f.error(path, code, 'HTTP route, redirect or direct_response is required');
  }
  if (has(r, 'mirror') && nonEmpty(r['mirrors'])) f.error(path, 'ISTHMUS_ERR_CONFIG_INVALID_MIRROR', 'HTTP route cannot contain both mirror and mirrors');
}

function validateDelegate(f: Findings, path: Path, value: unknown): void {
  const d = obj(value);
  if (d === undefined) return;
  const code = 'ISTHMUS_ERR_CONFIG_INVALID_DELEGATE';
  const name = str(d['name']);
  if (name === undefined || name === '') f.error([...path, 'name'], code, 'delegate name is required');
  else {
    const p = dns1123SubdomainProblem(name);
    if (p !== undefined) f.error([...path, 'name'], code, `invalid delegate name "${name}": ${p}`);
  }
  const ns = str(d['namespace']);
  if (ns !== undefined && ns !== '') {
    const p = dns1123LabelProblem(ns);
    if (p !== undefined) f.error([...path, 'namespace'], code, `invalid delegate namespace "${ns}": ${p}`);
  }
}

function validateHTTPMatch(f: Findings, path: Path, value: unknown): void {
  const m = obj(value);
  if (m === undefined) return;
  for (const [name, sm] of entries(m['headers'])) {
    checkMatchHeaderName(f, [...path, 'headers', name], name);
    checkStringMatch(f, [...path, 'headers', name], sm, 'headers', { allowEmpty: true });
  }
  for (const [name, sm] of entries(m['withoutHeaders'])) {
    checkMatchHeaderName(f, [...path, 'withoutHeaders', name], name);
    // `regex: "*"` is not a regex here: it means "the header is present".
    if (obj(sm)?.['regex'] !== '*') checkStringMatch(f, [...path, 'withoutHeaders', name], sm, 'withoutHeaders', { allowEmpty: true });
  }
  // An empty uri prefix is allowed (it matches everything); the others need a value.
  if (has(m, 'uri')) checkStringMatch(f, [...path, 'uri'], m['uri'], 'uri', { allowEmptyPrefix: true });
  for (const field of ['scheme', 'method', 'authority'] as const) {
    if (has(m, field)) checkStringMatch(f, [...path, field], m[field], field);
  }
  for (const [name, sm] of entries(m['queryParams'])) {
    if (name === '') f.error([...path, 'queryParams', name], 'ISTHMUS_ERR_CONFIG_INVALID_MATCH', 'query parameter name cannot be empty');
    checkStringMatch(f, [...path, 'queryParams', name], sm, 'queryParams', { allowEmpty: true });
  }
  // Port 0 means "any port".
  if (m['port'] !== 0) checkPort(f, [...path, 'port'], m['port']);
  checkLabels(f, [...path, 'sourceLabels'], m['sourceLabels']);
  arr(m['gateways']).forEach((g, i) => checkGatewayName(f, [...path, 'gateways', i], g));
  const sns = str(m['sourceNamespace']);
  if (sns !== undefined && sns !== '' && dns1123LabelProblem(sns) !== undefined) {
    f.error([...path, 'sourceNamespace'], 'ISTHMUS_ERR_CONFIG_INVALID_NAME', `sourceNamespace match ${sns} is invalid: ${dns1123LabelProblem(sns) ?? ''}`);
  }
}

/** `destination: {host, subset, port}`; a missing host is reported at `destination.host`. */
export function validateDestination(f: Findings, path: Path, value: unknown, missing = 'destination is required'): void {
  const d = obj(value);
  const code = 'ISTHMUS_ERR_CONFIG_INVALID_DESTINATION';
  if (d === undefined) {
    if (value === undefined || value === null) f.error(path, code, missing);
    return;
  }
  const host = d['host'];
  if (host === undefined || host === null || host === '') {
    f.error([...path, 'host'], code, 'destination host is required: name the service to route to, such as `reviews` or `reviews.default.svc.cluster.local`');
  } else if (host === '*') {
    f.error([...path, 'host'], 'ISTHMUS_ERR_CONFIG_INVALID_HOST', 'invalid destination host *');
  } else if (typeof host === 'string') {
    const p = wildcardHostProblem(host);
    if (p !== undefined) f.error([...path, 'host'], 'ISTHMUS_ERR_CONFIG_INVALID_HOST', `invalid destination host "${host}": ${p}`);
  }
  const subset = str(d['subset']);
  if (subset !== undefined && subset !== '') {
    const p = dns1123LabelProblem(subset);
    if (p !== undefined) f.error([...path, 'subset'], 'ISTHMUS_ERR_CONFIG_INVALID_SUBSET', `subset name is invalid: ${subset} (${p})`);
  }
  const port = obj(d['port']);
  if (port !== undefined) checkPort(f, [...path, 'port', 'number'], port['number'] ?? 0);
}

/** HTTP and TCP/TLS route destinations: destination required, weights non-negative and not all zero. */
function validateRouteDestinations(f: Findings, path: Path, value: unknown, http: boolean): void {
  const list = arr(value);
  let total = 0;
  list.forEach((item, i) => {
    const rd = obj(item);
    if (rd === undefined) return;
    validateDestination(f, [...path, i, 'destination'], rd['destination']);
    if (http) checkHeaderOperations(f, [...path, i, 'headers'], rd['headers']);
    const w = num(rd['weight']);
    if (w !== undefined) {
      if (w < 0) f.error([...path, i, 'weight'], 'ISTHMUS_ERR_CONFIG_INVALID_WEIGHT', `weight ${w} < 0`);
      total += w;
    }
  });
  if (list.length > 1 && total === 0) {
    f.error(path, 'ISTHMUS_ERR_CONFIG_INVALID_WEIGHT', 'total destination weight = 0: give at least one destination a positive weight (weights are relative)');
  }
}

function validateRedirect(f: Findings, path: Path, value: unknown): void {
  const r = obj(value);
  if (r === undefined) return;
  const code = 'ISTHMUS_ERR_CONFIG_INVALID_REDIRECT';
  if (!nonEmpty(r['uri']) && !nonEmpty(r['authority']) && !nonEmpty(r['scheme']) && !has(r, 'port') && !has(r, 'derivePort')) {
    f.error(path, code, 'redirect must specify URI, authority, scheme, or port');
  }
  if (has(r, 'port') && has(r, 'derivePort')) f.error(path, 'ISTHMUS_ERR_CONFIG_CONFLICT', 'redirect may set only one of port or derivePort');
  const redirectCode = num(r['redirectCode']);
  if (redirectCode !== undefined && redirectCode !== 0 && (redirectCode < 300 || redirectCode > 399)) {
    f.error([...path, 'redirectCode'], code, `${redirectCode} is not a valid redirect code, must be 3xx`);
  }
  const scheme = str(r['scheme']);
  if (scheme !== undefined && scheme !== '' && scheme !== 'http' && scheme !== 'https') {
    f.error([...path, 'scheme'], code, 'invalid redirect scheme, must be "http" or "https"');
  }
  const port = num(r['port']);
  if (port !== undefined && port > 0) checkPort(f, [...path, 'port'], port);
}

function httpStatusProblem(status: number): string | undefined {
  return status < 200 || status > 600 ? `HTTP status ${status} is not in range 200-599` : undefined;
}

function validateDirectResponse(f: Findings, path: Path, value: unknown): void {
  const d = obj(value);
  if (d === undefined) return;
  const code = 'ISTHMUS_ERR_CONFIG_INVALID_DIRECT_RESPONSE';
  const status = num(d['status']);
  if (!has(d, 'status')) f.error([...path, 'status'], code, 'direct_response status is required');
  else if (status !== undefined) {
    const p = httpStatusProblem(status);
    if (p !== undefined) f.error([...path, 'status'], code, p);
  }
  const body = obj(d['body']);
  if (body === undefined) return;
  const s = str(body['string']);
  const b = str(body['bytes']);
  if (s !== undefined && b !== undefined) f.error([...path, 'body'], 'ISTHMUS_ERR_CONFIG_CONFLICT', 'direct_response body may set only one of string or bytes');
  if (b !== undefined && !/^[A-Za-z0-9+/]*={0,2}$/.test(b.replace(/\s/g, ''))) {
    f.error([...path, 'body', 'bytes'], code, 'direct_response body bytes must be base64');
  }
  const size = s !== undefined ? Buffer.byteLength(s) : b !== undefined ? Buffer.from(b, 'base64').length : 0;
  const at = [...path, 'body', s !== undefined ? 'string' : 'bytes'];
  if (size > MB) f.error(at, code, 'large direct_responses may impact control plane performance, must be less than 1MB');
  else if (size > 100 * KB) f.warn(at, code, 'large direct_responses may impact control plane performance');
}

function validateRewrite(f: Findings, path: Path, value: unknown): void {
  const r = obj(value);
  if (r === undefined) return;
  const code = 'ISTHMUS_ERR_CONFIG_INVALID_REWRITE';
  const uri = nonEmpty(r['uri']);
  const rr = obj(r['uriRegexRewrite']);
  if (uri && rr !== undefined) {
    f.error(path, code, 'rewrite may only contain one of URI or UriRegexRewrite');
    return;
  }
  if (!uri && rr === undefined && !nonEmpty(r['authority'])) {
    f.error(path, code, 'rewrite must specify at least one of URI, UriRegexRewrite, or authority. Only one of URI or UriRegexRewrite may be specified');
    return;
  }
  if (rr !== undefined) {
    const match = str(rr['match']);
    if (!nonEmpty(rr['match']) || !nonEmpty(rr['rewrite'])) {
      f.error([...path, 'uriRegexRewrite'], code, 'UriRegexRewrite requires both Rewrite and Match fields to be specified');
    } else if (match !== undefined) {
      checkRegex(f, [...path, 'uriRegexRewrite', 'match'], match, 'HTTPRewrite.UriRegexRewrite.Match');
    }
  }
}

function validateRetries(f: Findings, path: Path, value: unknown): void {
  const r = obj(value);
  if (r === undefined) return;
  const code = 'ISTHMUS_ERR_CONFIG_INVALID_RETRY';
  // An absent `attempts` is 0, as in the API: retries disabled.
  const attempts = num(r['attempts']) ?? 0;
  if (attempts < 0) f.error([...path, 'attempts'], code, 'attempts cannot be negative');
  if (attempts === 0 && (has(r, 'perTryTimeout') || nonEmpty(r['retryOn']) || has(r, 'retryRemoteLocalities'))) {
    f.error(has(r, 'attempts') ? [...path, 'attempts'] : path, code, 'http retry policy configured when attempts are set to 0 (disabled)');
  }
  checkDuration(f, [...path, 'perTryTimeout'], r['perTryTimeout']);
  const retryOn = str(r['retryOn']);
  if (retryOn !== undefined && retryOn !== '') {
    // Entries are taken as written: a space after a comma is part of the next entry.
    for (const p of retryOn.split(',')) {
      if (RETRY_ON_POLICIES.has(p)) continue;
      if (/^\d+$/.test(p) && KNOWN_STATUS.has(Number(p))) continue;
      f.error([...path, 'retryOn'], code, `"${p}" is not a valid retryOn policy`);
    }
  }
  checkDuration(f, [...path, 'backoff'], r['backoff']);
}

function validateFault(f: Findings, path: Path, value: unknown): void {
  const fault = obj(value);
  if (fault === undefined) return;
  const code = 'ISTHMUS_ERR_CONFIG_INVALID_FAULT';
  const delay = obj(fault['delay']);
  const abort = obj(fault['abort']);
  if (delay === undefined && abort === undefined) f.error(path, code, 'HTTP fault injection must have an abort and/or a delay');
  if (abort !== undefined) {
    const ap = [...path, 'abort'];
    checkPercentObj(f, [...ap, 'percentage'], abort['percentage']);
    const kinds = (['httpStatus', 'grpcStatus', 'http2Error'] as const).filter((k) => has(abort, k));
    if (kinds.length > 1) f.error(ap, 'ISTHMUS_ERR_CONFIG_CONFLICT', `abort may set only one of httpStatus, grpcStatus or http2Error (it sets ${kinds.join(' and ')})`);
    if (kinds.length === 0) f.warn(ap, code, 'abort configured, but error type not set');
    const status = num(abort['httpStatus']);
    if (status !== undefined) {
      const p = httpStatusProblem(status);
      if (p !== undefined) f.error([...ap, 'httpStatus'], code, p);
    }
    const grpc = str(abort['grpcStatus']);
    if (grpc !== undefined && !GRPC_STATUS_NAMES.includes(grpc)) {
      f.error([...ap, 'grpcStatus'], code, `gRPC status "${grpc}" is not supported. See https://github.com/grpc/grpc/blob/master/doc/statuscodes.md for a list of supported codes, for example 'NOT_FOUND'`);
    }
    if (has(abort, 'http2Error')) f.error([...ap, 'http2Error'], code, 'HTTP/2 abort fault injection not supported yet');
  }
  if (delay !== undefined) {
    const dp = [...path, 'delay'];
    checkPercentObj(f, [...dp, 'percentage'], delay['percentage']);
    const fixed = has(delay, 'fixedDelay');
    const expo = has(delay, 'exponentialDelay');
    if (fixed && expo) f.error(dp, 'ISTHMUS_ERR_CONFIG_CONFLICT', 'delay may set only one of fixedDelay or exponentialDelay');
    if (!fixed && !expo) f.warn(dp, code, 'delay configured, but neither fixedDelay nor exponentialDelay is set: nothing is delayed');
    checkDuration(f, [...dp, 'fixedDelay'], delay['fixedDelay']);
    if (expo) {
      checkDuration(f, [...dp, 'exponentialDelay'], delay['exponentialDelay']);
      f.error([...dp, 'exponentialDelay'], code, 'exponentialDelay not supported yet');
    }
    if (has(delay, 'percent')) {
      f.warn([...dp, 'percent'], 'ISTHMUS_ERR_CONFIG_DEPRECATED', 'percent is deprecated, use percentage');
      checkPercent(f, [...dp, 'percent'], delay['percent']);
    }
  }
}

function validateMirrors(f: Findings, path: Path, r: Obj): void {
  const code = 'ISTHMUS_ERR_CONFIG_INVALID_MIRROR';
  if (has(r, 'mirrorPercent')) {
    const v = num(r['mirrorPercent']);
    if (v !== undefined && v > 100) f.error([...path, 'mirrorPercent'], code, `mirror_percent must have a max value of 100 (it has ${v})`);
    f.warn([...path, 'mirrorPercent'], 'ISTHMUS_ERR_CONFIG_DEPRECATED', 'using deprecated setting "mirrorPercent", use "mirrorPercentage" instead');
  }
  const mp = num(obj(r['mirrorPercentage'])?.['value']);
  if (mp !== undefined) {
    const at = [...path, 'mirrorPercentage', 'value'];
    if (mp > 100) f.error(at, code, `mirror_percentage must have a max value of 100 (it has ${mp.toFixed(6)})`);
    if (mp < 0) f.error(at, code, `mirror_percentage must have a min value of 0 (it has ${mp.toFixed(6)})`);
  }
  if (has(r, 'mirror')) validateDestination(f, [...path, 'mirror'], r['mirror']);
  arr(r['mirrors']).forEach((m, i) => {
    const mo = obj(m);
    if (mo === undefined) return;
    const at = [...path, 'mirrors', i];
    validateDestination(f, [...at, 'destination'], mo['destination'], 'destination is required for mirrors');
    const v = num(obj(mo['percentage'])?.['value']);
    if (v !== undefined && v > 100) f.error([...at, 'percentage', 'value'], code, `mirror percentage must have a max value of 100 (it has ${v.toFixed(6)})`);
    if (v !== undefined && v < 0) f.error([...at, 'percentage', 'value'], code, `mirror percentage must have a min value of 0 (it has ${v.toFixed(6)})`);
  });
}

function validateCors(f: Findings, path: Path, value: unknown): void {
  const c = obj(value);
  if (c === undefined) return;
  const code = 'ISTHMUS_ERR_CONFIG_INVALID_CORS';
  if (has(c, 'allowOrigin')) f.warn([...path, 'allowOrigin'], 'ISTHMUS_ERR_CONFIG_DEPRECATED', 'allowOrigin is deprecated, use allowOrigins');
  arr(c['allowOrigins']).forEach((o, i) => {
    const at = [...path, 'allowOrigins', i];
    const m = obj(o);
    if (m === undefined) return;
    const value = str(m['exact']) ?? str(m['prefix']) ?? str(m['regex']) ?? '';
    if (value === '') f.error(at, code, `'' is not a valid match type for CORS allow origins`);
    else checkStringMatch(f, at, m, 'corsPolicy.allowOrigins');
  });
  arr(c['allowMethods']).forEach((m, i) => {
    if (typeof m === 'string' && !CORS_METHODS.has(m)) f.error([...path, 'allowMethods', i], code, `"${m}" is not a supported HTTP method`);
  });
  for (const field of ['allowHeaders', 'exposeHeaders'] as const) {
    arr(c[field]).forEach((h, i) => {
      if (typeof h === 'string') checkCorsHeaderName(f, [...path, field, i], h);
    });
  }
  const maxAge = checkDuration(f, [...path, 'maxAge'], c['maxAge']);
  if (maxAge !== undefined && maxAge % 1000 !== 0) f.error([...path, 'maxAge'], code, 'max_age duration is accurate only to seconds precision');
}

// ---- TCP and TLS routes --------------------------------------------------------------------

function checkSubnet(f: Findings, path: Path, v: unknown): void {
  if (typeof v !== 'string') return;
  if (v.includes('/') ? !isCIDR(v) : !isIP(v)) f.error(path, 'ISTHMUS_ERR_CONFIG_INVALID_ADDRESS', `${v} is not a valid ${v.includes('/') ? 'CIDR block' : 'IP'}`);
}

function validateL4Match(f: Findings, path: Path, m: Obj): void {
  arr(m['destinationSubnets']).forEach((s, i) => checkSubnet(f, [...path, 'destinationSubnets', i], s));
  if (nonEmpty(m['sourceSubnet'])) checkSubnet(f, [...path, 'sourceSubnet'], m['sourceSubnet']);
  if (m['port'] !== 0) checkPort(f, [...path, 'port'], m['port']);
  checkLabels(f, [...path, 'sourceLabels'], m['sourceLabels']);
  arr(m['gateways']).forEach((g, i) => checkGatewayName(f, [...path, 'gateways', i], g));
  const sns = str(m['sourceNamespace']);
  if (sns !== undefined && sns !== '' && dns1123LabelProblem(sns) !== undefined) {
    f.error([...path, 'sourceNamespace'], 'ISTHMUS_ERR_CONFIG_INVALID_NAME', `sourceNamespace match ${sns} is invalid`);
  }
}

function validateTCPRoute(f: Findings, path: Path, value: unknown): void {
  const r = obj(value);
  if (r === undefined) return;
  arr(r['match']).forEach((m, i) => {
    const mo = obj(m);
    if (mo !== undefined) validateL4Match(f, [...path, 'match', i], mo);
  });
  if (!nonEmpty(r['route'])) f.error([...path, 'route'], 'ISTHMUS_ERR_CONFIG_INVALID_ROUTE', 'TCP route is required');
  validateRouteDestinations(f, [...path, 'route'], r['route'], false);
}

function validateTLSRoute(f: Findings, path: Path, value: unknown, vsHosts: unknown[]): void {
  const r = obj(value);
  if (r === undefined) return;
  if (!nonEmpty(r['match'])) f.error([...path, 'match'], 'ISTHMUS_ERR_CONFIG_INVALID_ROUTE', 'TLS route must have at least one match condition');
  const hosts = vsHosts.filter((h): h is string => typeof h === 'string');
  arr(r['match']).forEach((m, i) => {
    const mo = obj(m);
    if (mo === undefined) return;
    const mp = [...path, 'match', i];
    if (!nonEmpty(mo['sniHosts'])) f.error([...mp, 'sniHosts'], 'ISTHMUS_ERR_CONFIG_INVALID_MATCH', 'TLS match must have at least one SNI host');
    arr(mo['sniHosts']).forEach((h, j) => {
      if (typeof h !== 'string') return;
      const at = [...mp, 'sniHosts', j];
      if (isIP(h)) {
        f.warn(at, 'ISTHMUS_ERR_CONFIG_INVALID_HOST', `using an IP address ("${h}") goes against SNI spec and most clients do not support this`);
        return;
      }
      const p = wildcardHostProblem(h);
      if (p !== undefined) f.error(at, 'ISTHMUS_ERR_CONFIG_INVALID_HOST', `invalid SNI host "${h}": ${p}`);
      else if (!hosts.some((vh) => hostIsSubsetOf(h, vh))) {
        f.error(at, 'ISTHMUS_ERR_CONFIG_INVALID_HOST', `SNI host "${h}" is not a compatible subset of any of the virtual service hosts: [${hosts.join(', ')}]`);
      }
    });
    validateL4Match(f, mp, mo);
  });
  if (!nonEmpty(r['route'])) f.error([...path, 'route'], 'ISTHMUS_ERR_CONFIG_INVALID_ROUTE', 'TLS route is required');
  validateRouteDestinations(f, [...path, 'route'], r['route'], false);
}

// ---- rules that can never match ------------------------------------------------------------

/**
 * Routes are tried in order and the first match wins, so a rule after a catch-all (a rule with
 * no match), or whose matches all repeat earlier ones, is never used. Reported as warnings.
 */
function warnUnreachable(f: Findings, path: Path, routes: unknown[]): void {
  const code = 'ISTHMUS_ERR_CONFIG_INVALID_ROUTE';
  const seen = new Map<string, number>();
  let catchAll = -1;
  const ruleName = (r: Obj | undefined, i: number) => {
    const n = str(r?.['name']);
    return n !== undefined && n !== '' ? `"${n}"` : `#${i}`;
  };
  routes.forEach((value, i) => {
    const r = obj(value);
    if (r === undefined) return;
    const matches = arr(r['match']);
    if (matches.length === 0) {
      if (catchAll >= 0) f.warn([...path, i], code, `virtualService rule ${ruleName(r, i)} not used (only the last rule can have no matches)`);
      catchAll = i;
      return;
    }
    let repeated = 0;
    matches.forEach((m, j) => {
      if (catchAll >= 0) {
        f.warn([...path, i, 'match', j], code, `virtualService rule ${ruleName(r, i)} not used (route without matches defined before)`);
        return;
      }
      const { name: _name, ...rest } = obj(m) ?? {};
      const key = stableStringify(rest);
      const earlier = seen.get(key);
      if (earlier !== undefined) {
        const mo = obj(m);
        const mn = str(mo?.['name']);
        f.warn([...path, i, 'match', j], code, `virtualService rule ${ruleName(r, i)} match ${mn !== undefined && mn !== '' ? `"${mn}"` : `#${j}`} is not used (duplicate/overlapping match in rule ${ruleName(obj(routes[earlier]), earlier)})`);
        repeated++;
      } else seen.set(key, i);
    });
    if (repeated === matches.length && catchAll < 0) f.warn([...path, i], code, `virtualService rule ${ruleName(r, i)} not used (all matches used by prior rules)`);
  });
}
