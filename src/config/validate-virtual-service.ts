// VirtualService rules: hosts and gateways, every HTTP route's action and the rules on how
// actions combine, matches, destinations and weights, retries, faults, redirects, rewrites,
// mirrors, CORS, header operations, and TCP/TLS routes.

import {
  arr,
  checkDuration,
  checkExportTo,
  checkGatewayName,
  checkHeaderName,
  checkHeaderOperations,
  checkHost,
  checkLabels,
  checkPercent,
  checkPercentObj,
  checkPort,
  checkRegex,
  checkStringMatch,
  dns1123LabelProblem,
  dns1123SubdomainProblem,
  entries,
  has,
  isCIDR,
  isHeaderToken,
  isIP,
  nonEmpty,
  num,
  obj,
  resolveShortName,
  str,
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

export const CORS_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE']);

const DIRECT_RESPONSE_MAX_BYTES = 1024 * 1024;
const DIRECT_RESPONSE_WARN_BYTES = 100 * 1024;

export function validateVirtualService(f: Findings, specValue: unknown, namespace: string): void {
  const spec = obj(specValue) ?? {};
  const base: Path = ['spec'];
  const hosts = arr(spec['hosts']);
  const gateways = arr(spec['gateways']);
  // A VirtualService without hosts is a delegate: it is only reachable from another one's `delegate`.
  const isDelegate = hosts.length === 0;

  if (!nonEmpty(spec['http']) && !nonEmpty(spec['tcp']) && !nonEmpty(spec['tls'])) {
    f.error(base, 'ISTHMUS_ERR_CONFIG_MISSING_ROUTES', 'http, tcp or tls must be provided in virtual service');
  }

  if (isDelegate) {
    if (gateways.length > 0) f.error([...base, 'gateways'], 'ISTHMUS_ERR_CONFIG_INVALID_DELEGATE', 'delegate virtual service must have no gateways specified');
    if (nonEmpty(spec['tls'])) f.error([...base, 'tls'], 'ISTHMUS_ERR_CONFIG_INVALID_DELEGATE', 'delegate virtual service must have no tls route specified');
    if (nonEmpty(spec['tcp'])) f.error([...base, 'tcp'], 'ISTHMUS_ERR_CONFIG_INVALID_DELEGATE', 'delegate virtual service must have no tcp route specified');
  }

  // Hosts: valid, `*` not with the mesh gateway, no duplicates (short names count as their FQDN).
  const boundToMesh = gateways.length === 0 || gateways.includes('mesh');
  const seen = new Map<string, string>();
  hosts.forEach((h, i) => {
    const hp = [...base, 'hosts', i];
    if (typeof h !== 'string') return;
    checkHost(f, hp, h);
    if (h === '*' && boundToMesh) {
      f.error(hp, 'ISTHMUS_ERR_CONFIG_INVALID_HOST', 'wildcard host * is not allowed for virtual services bound to the mesh gateway');
    }
    const key = resolveShortName(h, namespace);
    const first = seen.get(key);
    if (first !== undefined) f.error(hp, 'ISTHMUS_ERR_CONFIG_DUPLICATE', `duplicate hosts in virtual service: ${first} & ${h}`);
    else seen.set(key, h);
  });
  gateways.forEach((g, i) => checkGatewayName(f, [...base, 'gateways', i], g));
  checkExportTo(f, [...base, 'exportTo'], spec['exportTo'], false);

  arr(spec['http']).forEach((r, i) => validateHTTPRoute(f, [...base, 'http', i], r, isDelegate));
  arr(spec['tcp']).forEach((r, i) => validateTCPRoute(f, [...base, 'tcp', i], r));
  arr(spec['tls']).forEach((r, i) => validateTLSRoute(f, [...base, 'tls', i], r));
}

// ---- HTTP routes ---------------------------------------------------------------------------

function validateHTTPRoute(f: Findings, path: Path, value: unknown, inDelegate: boolean): void {
  const r = obj(value);
  if (r === undefined) return;
  const hasRoute = nonEmpty(r['route']);
  const hasRedirect = has(r, 'redirect');
  const hasDirect = has(r, 'directResponse');
  const hasDelegate = has(r, 'delegate');

  if (!hasRoute && !hasRedirect && !hasDirect && !hasDelegate) {
    f.error(path, 'ISTHMUS_ERR_CONFIG_INVALID_ROUTE', 'HTTP route, redirect or direct_response is required');
  }
  if (hasRoute && hasRedirect) f.error(path, 'ISTHMUS_ERR_CONFIG_INVALID_ROUTE', 'HTTP route cannot contain both route and redirect');
  if (hasRedirect && hasDirect) f.error(path, 'ISTHMUS_ERR_CONFIG_INVALID_ROUTE', 'HTTP route rule cannot contain both redirect and direct_response');
  if (hasRoute && hasDirect) f.error(path, 'ISTHMUS_ERR_CONFIG_INVALID_ROUTE', 'HTTP route cannot contain both route and direct_response');
  if (hasRedirect && has(r, 'fault')) f.error(path, 'ISTHMUS_ERR_CONFIG_INVALID_ROUTE', 'HTTP route cannot contain both fault and redirect');
  if (hasRedirect && has(r, 'rewrite')) f.error(path, 'ISTHMUS_ERR_CONFIG_INVALID_ROUTE', 'HTTP route rule cannot contain both rewrite and redirect');
  if (has(r, 'mirror') && nonEmpty(r['mirrors'])) f.error(path, 'ISTHMUS_ERR_CONFIG_INVALID_MIRROR', 'HTTP route cannot contain both mirror and mirrors');
  if (hasDelegate) {
    for (const other of ['route', 'redirect', 'directResponse'] as const) {
      if (other === 'route' ? hasRoute : has(r, other)) {
        f.error(path, 'ISTHMUS_ERR_CONFIG_INVALID_DELEGATE', `HTTP route cannot contain both delegate and ${other === 'directResponse' ? 'direct_response' : other}`);
      }
    }
    if (inDelegate) f.error([...path, 'delegate'], 'ISTHMUS_ERR_CONFIG_INVALID_DELEGATE', 'a delegate virtual service cannot delegate again');
    validateDelegate(f, [...path, 'delegate'], r['delegate']);
  }

  arr(r['match']).forEach((m, i) => validateHTTPMatch(f, [...path, 'match', i], m));
  validateRouteDestinations(f, [...path, 'route'], r['route'], true);
  if (hasRedirect) validateRedirect(f, [...path, 'redirect'], r['redirect']);
  if (hasDirect) validateDirectResponse(f, [...path, 'directResponse'], r['directResponse']);
  if (has(r, 'rewrite')) validateRewrite(f, [...path, 'rewrite'], r['rewrite']);
  checkDuration(f, [...path, 'timeout'], r['timeout']);
  if (has(r, 'retries')) validateRetries(f, [...path, 'retries'], r['retries']);
  if (has(r, 'fault')) validateFault(f, [...path, 'fault'], r['fault']);
  validateMirrors(f, path, r);
  if (has(r, 'corsPolicy')) validateCors(f, [...path, 'corsPolicy'], r['corsPolicy']);
  checkHeaderOperations(f, [...path, 'headers'], r['headers']);
}

function validateDelegate(f: Findings, path: Path, value: unknown): void {
  const d = obj(value);
  if (d === undefined) return;
  const name = str(d['name']);
  if (name === undefined || name === '') f.error([...path, 'name'], 'ISTHMUS_ERR_CONFIG_INVALID_DELEGATE', 'delegate name is required');
  else {
    const p = dns1123SubdomainProblem(name);
    if (p !== undefined) f.error([...path, 'name'], 'ISTHMUS_ERR_CONFIG_INVALID_DELEGATE', `invalid delegate name "${name}": ${p}`);
  }
  const ns = str(d['namespace']);
  if (ns !== undefined && ns !== '') {
    const p = dns1123LabelProblem(ns);
    if (p !== undefined) f.error([...path, 'namespace'], 'ISTHMUS_ERR_CONFIG_INVALID_DELEGATE', `invalid delegate namespace "${ns}": ${p}`);
  }
}

function validateHTTPMatch(f: Findings, path: Path, value: unknown): void {
  const m = obj(value);
  if (m === undefined) return;
  for (const field of ['uri', 'scheme', 'method', 'authority'] as const) {
    if (has(m, field)) checkStringMatch(f, [...path, field], m[field], field);
  }
  for (const field of ['headers', 'withoutHeaders'] as const) {
    for (const [name, sm] of entries(m[field])) {
      checkHeaderName(f, [...path, field, name], name, { lowerCase: true });
      checkStringMatch(f, [...path, field, name], sm, `${field}.${name}`, { allowEmpty: true });
    }
  }
  for (const [name, sm] of entries(m['queryParams'])) {
    if (name === '') f.error([...path, 'queryParams', name], 'ISTHMUS_ERR_CONFIG_INVALID_MATCH', 'query parameter name cannot be empty');
    checkStringMatch(f, [...path, 'queryParams', name], sm, `queryParams.${name}`, { allowEmpty: true });
  }
  checkPort(f, [...path, 'port'], m['port']);
  checkLabels(f, [...path, 'sourceLabels'], m['sourceLabels']);
  arr(m['gateways']).forEach((g, i) => checkGatewayName(f, [...path, 'gateways', i], g));
  checkNamespaceName(f, [...path, 'sourceNamespace'], m['sourceNamespace']);
}

function checkNamespaceName(f: Findings, path: Path, v: unknown): void {
  if (typeof v !== 'string' || v === '') return;
  const p = dns1123LabelProblem(v);
  if (p !== undefined) f.error(path, 'ISTHMUS_ERR_CONFIG_INVALID_NAME', `invalid namespace "${v}": ${p}`);
}

/** `destination: {host, subset, port}`; a missing host is reported at `destination.host`. */
export function validateDestination(f: Findings, path: Path, value: unknown): void {
  const d = obj(value);
  if (d === undefined) {
    if (value === undefined || value === null) f.error(path, 'ISTHMUS_ERR_CONFIG_INVALID_DESTINATION', 'destination is required');
    return;
  }
  const host = d['host'];
  if (host === undefined || host === null || host === '') {
    f.error([...path, 'host'], 'ISTHMUS_ERR_CONFIG_INVALID_DESTINATION', 'destination host is required: name the service to route to, such as `reviews` or `reviews.default.svc.cluster.local`');
  } else if (typeof host === 'string') {
    checkHost(f, [...path, 'host'], host, 'destination host');
  }
  const subset = str(d['subset']);
  if (subset !== undefined) {
    const p = subset === '' ? 'must not be empty' : dns1123LabelProblem(subset);
    if (p !== undefined) f.error([...path, 'subset'], 'ISTHMUS_ERR_CONFIG_INVALID_SUBSET', `subset name is invalid: "${subset}" ${p}`);
  }
  const port = obj(d['port']);
  if (port !== undefined) checkPort(f, [...path, 'port', 'number'], port['number']);
}

/** HTTP and TCP/TLS route destinations: destination required, weights non-negative and not all zero. */
function validateRouteDestinations(f: Findings, path: Path, value: unknown, http: boolean): void {
  const list = arr(value);
  let total = 0;
  list.forEach((item, i) => {
    const rd = obj(item);
    if (rd === undefined) return;
    validateDestination(f, [...path, i, 'destination'], rd['destination']);
    const w = num(rd['weight']);
    if (w !== undefined) {
      if (w < 0) f.error([...path, i, 'weight'], 'ISTHMUS_ERR_CONFIG_INVALID_WEIGHT', `weight ${w} < 0`);
      else total += w;
    }
    if (http) checkHeaderOperations(f, [...path, i, 'headers'], rd['headers']);
  });
  if (list.length > 1 && total === 0) {
    f.error(path, 'ISTHMUS_ERR_CONFIG_INVALID_WEIGHT', 'total destination weight = 0: give at least one destination a positive weight (weights are relative)');
  }
}

function validateRedirect(f: Findings, path: Path, value: unknown): void {
  const r = obj(value);
  if (r === undefined) return;
  if (!nonEmpty(r['uri']) && !nonEmpty(r['authority']) && !nonEmpty(r['scheme']) && !has(r, 'port') && !has(r, 'derivePort')) {
    f.error(path, 'ISTHMUS_ERR_CONFIG_INVALID_REDIRECT', 'redirect must specify URI, authority, scheme, or port');
  }
  if (has(r, 'port') && has(r, 'derivePort')) f.error(path, 'ISTHMUS_ERR_CONFIG_CONFLICT', 'redirect may set only one of port or derivePort');
  checkPort(f, [...path, 'port'], r['port'], 'redirect port');
  const code = num(r['redirectCode']);
  if (code !== undefined && code !== 0 && (code < 300 || code > 399)) {
    f.error([...path, 'redirectCode'], 'ISTHMUS_ERR_CONFIG_INVALID_REDIRECT', `${code} is not a valid redirect code, must be 3xx`);
  }
}

function validateDirectResponse(f: Findings, path: Path, value: unknown): void {
  const d = obj(value);
  if (d === undefined) return;
  const status = num(d['status']);
  if (status === undefined) {
    if (!has(d, 'status')) f.error([...path, 'status'], 'ISTHMUS_ERR_CONFIG_INVALID_DIRECT_RESPONSE', 'direct_response status is required');
  } else if (status < 200 || status > 599) {
    f.error([...path, 'status'], 'ISTHMUS_ERR_CONFIG_INVALID_DIRECT_RESPONSE', `direct_response status ${status} is not in range 200-599`);
  }
  const body = obj(d['body']);
  if (body === undefined) return;
  const s = str(body['string']);
  const b = str(body['bytes']);
  if (s !== undefined && b !== undefined) f.error([...path, 'body'], 'ISTHMUS_ERR_CONFIG_CONFLICT', 'direct_response body may set only one of string or bytes');
  if (b !== undefined && !/^[A-Za-z0-9+/]*={0,2}$/.test(b.replace(/\s/g, ''))) {
    f.error([...path, 'body', 'bytes'], 'ISTHMUS_ERR_CONFIG_INVALID_DIRECT_RESPONSE', 'direct_response body bytes must be base64');
  }
  const size = s !== undefined ? Buffer.byteLength(s) : b !== undefined ? Math.floor((b.length * 3) / 4) : 0;
  const at = [...path, 'body', s !== undefined ? 'string' : 'bytes'];
  if (size > DIRECT_RESPONSE_MAX_BYTES) {
    f.error(at, 'ISTHMUS_ERR_CONFIG_INVALID_DIRECT_RESPONSE', 'large direct_responses may impact control plane performance, must be less than 1MB');
  } else if (size > DIRECT_RESPONSE_WARN_BYTES) {
    f.warn(at, 'ISTHMUS_ERR_CONFIG_INVALID_DIRECT_RESPONSE', `large direct_responses may impact control plane performance (${size} bytes; keep bodies under 100KB)`);
  }
}

function validateRewrite(f: Findings, path: Path, value: unknown): void {
  const r = obj(value);
  if (r === undefined) return;
  const hasUri = has(r, 'uri');
  const rr = obj(r['uriRegexRewrite']);
  if (hasUri && rr !== undefined) f.error(path, 'ISTHMUS_ERR_CONFIG_INVALID_REWRITE', 'rewrite may only contain one of URI or UriRegexRewrite');
  if (!hasUri && !has(r, 'authority') && rr === undefined) {
    f.error(path, 'ISTHMUS_ERR_CONFIG_INVALID_REWRITE', 'rewrite must specify URI, authority, or UriRegexRewrite');
  }
  if (rr !== undefined) {
    const rp = [...path, 'uriRegexRewrite'];
    const match = str(rr['match']);
    if (match === undefined || match === '' || !has(rr, 'rewrite')) {
      f.error(rp, 'ISTHMUS_ERR_CONFIG_INVALID_REWRITE', 'UriRegexRewrite requires both Rewrite and Match fields to be specified');
    }
    if (match !== undefined && match !== '') checkRegex(f, [...rp, 'match'], match);
  }
}

function validateRetries(f: Findings, path: Path, value: unknown): void {
  const r = obj(value);
  if (r === undefined) return;
  // An absent `attempts` is 0, as in the API: retries disabled.
  const attempts = num(r['attempts']) ?? 0;
  if (attempts < 0) f.error([...path, 'attempts'], 'ISTHMUS_ERR_CONFIG_INVALID_RETRY', 'attempts cannot be negative');
  if (attempts === 0 && (has(r, 'perTryTimeout') || nonEmpty(r['retryOn']) || has(r, 'retryRemoteLocalities'))) {
    f.error(has(r, 'attempts') ? [...path, 'attempts'] : path, 'ISTHMUS_ERR_CONFIG_INVALID_RETRY', 'http retry policy configured when attempts are set to 0 (disabled)');
  }
  checkDuration(f, [...path, 'perTryTimeout'], r['perTryTimeout']);
  checkDuration(f, [...path, 'backoff'], r['backoff']);
  const retryOn = str(r['retryOn']);
  if (retryOn !== undefined) {
    for (const raw of retryOn.split(',')) {
      const p = raw.trim();
      if (p === '') continue;
      if (RETRY_ON_POLICIES.has(p)) continue;
      if (/^\d+$/.test(p) && KNOWN_STATUS.has(Number(p))) continue;
      f.error([...path, 'retryOn'], 'ISTHMUS_ERR_CONFIG_INVALID_RETRY', `"${p}" is not a valid retryOn policy`);
    }
  }
}

function validateFault(f: Findings, path: Path, value: unknown): void {
  const fault = obj(value);
  if (fault === undefined) return;
  const delay = obj(fault['delay']);
  const abort = obj(fault['abort']);
  if (delay === undefined && abort === undefined) {
    f.error(path, 'ISTHMUS_ERR_CONFIG_INVALID_FAULT', 'HTTP fault injection must have an abort and/or a delay');
  }
  if (delay !== undefined) {
    const dp = [...path, 'delay'];
    const fixed = has(delay, 'fixedDelay');
    const expo = has(delay, 'exponentialDelay');
    if (fixed && expo) f.error(dp, 'ISTHMUS_ERR_CONFIG_CONFLICT', 'delay may set only one of fixedDelay or exponentialDelay');
    if (!fixed && !expo) f.error([...dp, 'fixedDelay'], 'ISTHMUS_ERR_CONFIG_INVALID_FAULT', 'delay must specify fixedDelay');
    checkDuration(f, [...dp, 'fixedDelay'], delay['fixedDelay']);
    if (expo) {
      checkDuration(f, [...dp, 'exponentialDelay'], delay['exponentialDelay']);
      f.error([...dp, 'exponentialDelay'], 'ISTHMUS_ERR_CONFIG_INVALID_FAULT', 'exponentialDelay not supported yet');
    }
    if (has(delay, 'percent')) {
      f.warn([...dp, 'percent'], 'ISTHMUS_ERR_CONFIG_DEPRECATED', 'percent is deprecated, use percentage');
      checkPercent(f, [...dp, 'percent'], delay['percent']);
    }
    checkPercentObj(f, [...dp, 'percentage'], delay['percentage']);
  }
  if (abort !== undefined) {
    const ap = [...path, 'abort'];
    const kinds = (['httpStatus', 'grpcStatus', 'http2Error'] as const).filter((k) => has(abort, k));
    if (kinds.length === 0) f.error(ap, 'ISTHMUS_ERR_CONFIG_INVALID_FAULT', 'abort must specify httpStatus or grpcStatus');
    if (kinds.length > 1) f.error(ap, 'ISTHMUS_ERR_CONFIG_CONFLICT', `abort may set only one of httpStatus, grpcStatus or http2Error (it sets ${kinds.join(' and ')})`);
    const status = num(abort['httpStatus']);
    if (status !== undefined && (status < 200 || status > 599)) {
      f.error([...ap, 'httpStatus'], 'ISTHMUS_ERR_CONFIG_INVALID_FAULT', `HTTP status ${status} is not in range 200-599`);
    }
    const grpc = str(abort['grpcStatus']);
    if (grpc !== undefined && !GRPC_STATUS_NAMES.includes(grpc)) {
      f.error([...ap, 'grpcStatus'], 'ISTHMUS_ERR_CONFIG_INVALID_FAULT', `gRPC status "${grpc}" is not supported; use one of ${GRPC_STATUS_NAMES.join(', ')}`);
    }
    if (has(abort, 'http2Error')) f.error([...ap, 'http2Error'], 'ISTHMUS_ERR_CONFIG_INVALID_FAULT', 'HTTP/2 abort fault injection not supported yet');
    checkPercentObj(f, [...ap, 'percentage'], abort['percentage']);
  }
}

function validateMirrors(f: Findings, path: Path, r: Obj): void {
  if (has(r, 'mirror')) validateDestination(f, [...path, 'mirror'], r['mirror']);
  arr(r['mirrors']).forEach((m, i) => {
    const mp = obj(m);
    if (mp === undefined) return;
    validateDestination(f, [...path, 'mirrors', i, 'destination'], mp['destination']);
    checkMirrorPercentage(f, [...path, 'mirrors', i, 'percentage'], mp['percentage']);
  });
  checkMirrorPercentage(f, [...path, 'mirrorPercentage'], r['mirrorPercentage']);
  if (has(r, 'mirrorPercent')) {
    f.warn([...path, 'mirrorPercent'], 'ISTHMUS_ERR_CONFIG_DEPRECATED', 'mirrorPercent is deprecated, use mirrorPercentage');
    const v = num(r['mirrorPercent']);
    if (v !== undefined && v > 100) f.error([...path, 'mirrorPercent'], 'ISTHMUS_ERR_CONFIG_INVALID_MIRROR', `mirror_percent must have a max value of 100 (it has ${v})`);
  }
}

function checkMirrorPercentage(f: Findings, path: Path, value: unknown): void {
  const v = num(obj(value)?.['value']);
  if (v === undefined) return;
  if (v > 100) f.error([...path, 'value'], 'ISTHMUS_ERR_CONFIG_INVALID_MIRROR', `mirror_percentage must have a max value of 100 (it has ${v})`);
  if (v < 0) f.error([...path, 'value'], 'ISTHMUS_ERR_CONFIG_INVALID_MIRROR', `mirror_percentage must have a min value of 0 (it has ${v})`);
}

function validateCors(f: Findings, path: Path, value: unknown): void {
  const c = obj(value);
  if (c === undefined) return;
  if (has(c, 'allowOrigin')) f.warn([...path, 'allowOrigin'], 'ISTHMUS_ERR_CONFIG_DEPRECATED', 'allowOrigin is deprecated, use allowOrigins');
  arr(c['allowOrigins']).forEach((o, i) => checkStringMatch(f, [...path, 'allowOrigins', i], o, 'allowOrigins'));
  arr(c['allowMethods']).forEach((m, i) => {
    if (typeof m === 'string' && !CORS_METHODS.has(m)) {
      f.error([...path, 'allowMethods', i], 'ISTHMUS_ERR_CONFIG_INVALID_CORS', `"${m}" is not a supported HTTP method`);
    }
  });
  for (const field of ['allowHeaders', 'exposeHeaders'] as const) {
    arr(c[field]).forEach((h, i) => {
      if (typeof h === 'string' && h !== '*' && !isHeaderToken(h)) {
        f.error([...path, field, i], 'ISTHMUS_ERR_CONFIG_INVALID_CORS', `"${h}" is not a valid HTTP header name`);
      }
    });
  }
  const maxAge = checkDuration(f, [...path, 'maxAge'], c['maxAge']);
  if (maxAge !== undefined && maxAge % 1000 !== 0) {
    f.error([...path, 'maxAge'], 'ISTHMUS_ERR_CONFIG_INVALID_CORS', 'max_age duration is accurate only to seconds precision');
  }
}

// ---- TCP and TLS routes --------------------------------------------------------------------

function checkSubnet(f: Findings, path: Path, v: unknown): void {
  if (typeof v === 'string' && !isIP(v) && !isCIDR(v)) f.error(path, 'ISTHMUS_ERR_CONFIG_INVALID_ADDRESS', `"${v}" is not a valid IP address or CIDR range`);
}

function validateL4Match(f: Findings, path: Path, m: Obj): void {
  arr(m['destinationSubnets']).forEach((s, i) => checkSubnet(f, [...path, 'destinationSubnets', i], s));
  checkSubnet(f, [...path, 'sourceSubnet'], m['sourceSubnet']);
  checkPort(f, [...path, 'port'], m['port']);
  checkLabels(f, [...path, 'sourceLabels'], m['sourceLabels']);
  arr(m['gateways']).forEach((g, i) => checkGatewayName(f, [...path, 'gateways', i], g));
  checkNamespaceName(f, [...path, 'sourceNamespace'], m['sourceNamespace']);
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

function validateTLSRoute(f: Findings, path: Path, value: unknown): void {
  const r = obj(value);
  if (r === undefined) return;
  if (!nonEmpty(r['match'])) f.error([...path, 'match'], 'ISTHMUS_ERR_CONFIG_INVALID_ROUTE', 'TLS route must have at least one match condition');
  arr(r['match']).forEach((m, i) => {
    const mo = obj(m);
    if (mo === undefined) return;
    const mp = [...path, 'match', i];
    if (!nonEmpty(mo['sniHosts'])) f.error([...mp, 'sniHosts'], 'ISTHMUS_ERR_CONFIG_INVALID_MATCH', 'TLS match must have at least one SNI host');
    arr(mo['sniHosts']).forEach((h, j) => checkHost(f, [...mp, 'sniHosts', j], h, 'SNI host'));
    validateL4Match(f, mp, mo);
  });
  if (!nonEmpty(r['route'])) f.error([...path, 'route'], 'ISTHMUS_ERR_CONFIG_INVALID_ROUTE', 'TLS route is required');
  validateRouteDestinations(f, [...path, 'route'], r['route'], false);
}
