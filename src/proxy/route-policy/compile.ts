// A VirtualService http route's extra fields (`Route.policy`, JSON as written) → a typed, frozen
// RoutePolicy, once per config version. Every problem is collected as a string with the field's
// path; the request path never sees an unchecked value.

import { parseDurationMs } from './duration.ts';
import type { CompiledResponseOps } from '../exchange.ts';

/** Retries as the forwarder reads them (`policy.retries`). */
export interface RetryPolicy {
  /** Retries after the first try; 0 disables. */
  readonly attempts: number;
  readonly perTryTimeoutMs: number | null;
  /** Envoy retry-on conditions; `retriable-status-codes` is added when codes are listed. */
  readonly retryOn: readonly string[];
  readonly retriableStatusCodes: readonly number[];
  readonly retryRemoteLocalities: boolean;
  readonly retryIgnorePreviousHosts: boolean;
  readonly backoffBaseMs: number;
}

/** What Istio programs when a route says nothing about retries. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({
  attempts: 2,
  perTryTimeoutMs: null,
  retryOn: Object.freeze(['connect-failure', 'refused-stream', 'unavailable', 'cancelled', 'retriable-status-codes']),
  retriableStatusCodes: Object.freeze([503]),
  retryRemoteLocalities: false,
  retryIgnorePreviousHosts: true,
  backoffBaseMs: 25,
});

export interface FaultDelay {
  readonly ms: number;
  /** 0-100. */
  readonly percentage: number;
}

export interface FaultAbort {
  /** HTTP status to answer with, or null for a gRPC abort. */
  readonly httpStatus: number | null;
  /** gRPC status code (0-16) for a gRPC abort, else null. */
  readonly grpcStatus: number | null;
  readonly percentage: number;
}

export interface FaultPolicy {
  readonly delay: FaultDelay | null;
  readonly abort: FaultAbort | null;
}

export interface RewritePolicy {
  /** Replaces the matched prefix (or the whole path); null: path unchanged by `uri`. */
  readonly uri: string | null;
  readonly authority: string | null;
  /** Global replacement on the path without its query; `replacement` uses JS `$n` syntax. */
  readonly uriRegex: { readonly pattern: RegExp; readonly replacement: string } | null;
}

export const DerivePort = { FromProtocolDefault: 'FROM_PROTOCOL_DEFAULT', FromRequestPort: 'FROM_REQUEST_PORT' } as const;
export type DerivePort = (typeof DerivePort)[keyof typeof DerivePort];

export interface RedirectPolicy {
  readonly uri: string | null;
  readonly authority: string | null;
  readonly port: number | null;
  readonly derivePort: DerivePort | null;
  readonly scheme: string | null;
  readonly code: number;
}

export interface HeaderOperations {
  /** Lower-case names. */
  readonly set: readonly (readonly [string, string])[];
  readonly add: readonly (readonly [string, string])[];
  readonly remove: readonly string[];
  /** As request edits (name → value, null: removed), when there is no `add` (which reads the request); else null. */
  readonly requestEdits: ReadonlyMap<string, string | null> | null;
  /** As response operations, built once and shared by every response until one adds its own. */
  readonly response: CompiledResponseOps;
}


export interface CorsPolicy {
  readonly originMatches: (origin: string) => boolean;
  /** Comma-joined header values, or null when not configured. */
  readonly allowMethods: string | null;
  readonly allowHeaders: string | null;
  readonly exposeHeaders: string | null;
  /** Seconds, as `access-control-max-age` says it. */
  readonly maxAge: string | null;
  readonly allowCredentials: boolean;
  /** Preflights whose origin does not match go upstream (FORWARD, the default) or are answered without CORS headers (IGNORE). */
  readonly forwardUnmatchedPreflights: boolean;
}

export interface RoutePolicy {
  /** Route timeout (whole request, retries included); null: none. */
  readonly timeoutMs: number | null;
  readonly retries: RetryPolicy;
  readonly fault: FaultPolicy | null;
  readonly rewrite: RewritePolicy | null;
  readonly redirect: RedirectPolicy | null;
  readonly requestHeaders: HeaderOperations | null;
  readonly responseHeaders: HeaderOperations | null;
  readonly cors: CorsPolicy | null;
}

/** The policy of a route that has none: shared, so routes without one allocate nothing. */
export const EMPTY_ROUTE_POLICY: RoutePolicy = Object.freeze({
  timeoutMs: null,
  retries: DEFAULT_RETRY_POLICY,
  fault: null,
  rewrite: null,
  redirect: null,
  requestHeaders: null,
  responseHeaders: null,
  cors: null,
});

export interface CompiledRoutePolicy {
  policy: RoutePolicy;
  /** `<field path>: <what is wrong>`; empty when the policy is good. */
  problems: string[];
}

const GRPC_CODES: Readonly<Record<string, number>> = {
  OK: 0, CANCELLED: 1, UNKNOWN: 2, INVALID_ARGUMENT: 3, DEADLINE_EXCEEDED: 4, NOT_FOUND: 5, ALREADY_EXISTS: 6, PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8, FAILED_PRECONDITION: 9, ABORTED: 10, OUT_OF_RANGE: 11, UNIMPLEMENTED: 12, INTERNAL: 13, UNAVAILABLE: 14,
  DATA_LOSS: 15, UNAUTHENTICATED: 16,
};

const REDIRECT_CODES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Collects problems under a field path prefix. */
class Problems {
  readonly list: string[] = [];
  add(path: string, msg: string): null {
    this.list.push(path === '' ? `policy: ${msg}` : `policy.${path}: ${msg}`);
    return null;
  }
}

/** Compiles `Route.policy`. Absent or empty → EMPTY_ROUTE_POLICY. Never throws. */
export function compileRoutePolicy(raw: unknown): CompiledRoutePolicy {
  if (raw === undefined || raw === null) return { policy: EMPTY_ROUTE_POLICY, problems: [] };
  const p = new Problems();
  if (!isObj(raw)) {
    p.add('', 'not an object');
    return { policy: EMPTY_ROUTE_POLICY, problems: p.list };
  }
  const headers = raw['headers'] === undefined ? null : isObj(raw['headers']) ? raw['headers'] : p.add('headers', 'not an object');
  const policy: RoutePolicy = {
    timeoutMs: compileTimeout(raw['timeout'], p),
    retries: compileRetries(raw['retries'], p),
    fault: raw['fault'] === undefined ? null : compileFault(raw['fault'], p),
    rewrite: raw['rewrite'] === undefined ? null : compileRewrite(raw['rewrite'], p),
    redirect: raw['redirect'] === undefined ? null : compileRedirect(raw['redirect'], p),
    requestHeaders: headers === null || headers['request'] === undefined ? null : compileHeaderOps(headers['request'], 'headers.request', p),
    responseHeaders: headers === null || headers['response'] === undefined ? null : compileHeaderOps(headers['response'], 'headers.response', p),
    cors: raw['corsPolicy'] === undefined ? null : compileCors(raw['corsPolicy'], p),
  };
  const isEmpty = policy.timeoutMs === null && policy.retries === DEFAULT_RETRY_POLICY && policy.fault === null && policy.rewrite === null &&
    policy.redirect === null && policy.requestHeaders === null && policy.responseHeaders === null && policy.cors === null;
  return { policy: isEmpty ? EMPTY_ROUTE_POLICY : Object.freeze(policy), problems: p.list };
}

function duration(v: unknown, path: string, p: Problems): number | null {
  const ms = parseDurationMs(v);
  if (ms === null) p.add(path, `${JSON.stringify(v)} is not a duration (e.g. "1.5s", "500ms")`);
  return ms;
}

function compileTimeout(v: unknown, p: Problems): number | null {
  if (v === undefined || v === null) return null;
  const ms = duration(v, 'timeout', p);
  // A zero timeout means "disabled", as in Istio.
  return ms === null || ms === 0 ? null : ms;
}

function compileRetries(v: unknown, p: Problems): RetryPolicy {
  if (v === undefined || v === null) return DEFAULT_RETRY_POLICY;
  if (!isObj(v)) {
    p.add('retries', 'not an object');
    return DEFAULT_RETRY_POLICY;
  }
  let attempts = 0;
  if (v['attempts'] !== undefined) {
    const a = v['attempts'];
    if (typeof a !== 'number' || !Number.isInteger(a) || a < 0) p.add('retries.attempts', `${JSON.stringify(a)} is not a non-negative integer`);
    else attempts = a;
  }
  let retryOn: readonly string[] = DEFAULT_RETRY_POLICY.retryOn;
  let codes: readonly number[] = DEFAULT_RETRY_POLICY.retriableStatusCodes;
  if (v['retryOn'] !== undefined) {
    const r = v['retryOn'];
    if (typeof r !== 'string') p.add('retries.retryOn', 'not a string');
    else {
      const list = r.split(',').map((x) => x.trim()).filter((x) => x !== '');
      const conditions: string[] = [];
      const statusCodes: number[] = [];
      for (const x of list) {
        if (/^\d+$/.test(x)) {
          const n = Number(x);
          if (n < 100 || n > 599) p.add('retries.retryOn', `status code ${x} is not in 100-599`);
          else statusCodes.push(n);
        } else conditions.push(x);
      }
      // Status codes in retryOn mean `retriable-status-codes` with those codes.
      if (statusCodes.length > 0 && !conditions.includes('retriable-status-codes')) conditions.push('retriable-status-codes');
      retryOn = Object.freeze(conditions);
      codes = Object.freeze(statusCodes);
    }
  }
  const perTryTimeoutMs = v['perTryTimeout'] === undefined ? null : duration(v['perTryTimeout'], 'retries.perTryTimeout', p);
  const backoffBaseMs = v['backoff'] === undefined ? DEFAULT_RETRY_POLICY.backoffBaseMs : (duration(v['backoff'], 'retries.backoff', p) ?? DEFAULT_RETRY_POLICY.backoffBaseMs);
  const retryRemoteLocalities = bool(v['retryRemoteLocalities'], 'retries.retryRemoteLocalities', false, p);
  const retryIgnorePreviousHosts = bool(v['retryIgnorePreviousHosts'], 'retries.retryIgnorePreviousHosts', true, p);
  return Object.freeze({ attempts, perTryTimeoutMs: perTryTimeoutMs === 0 ? null : perTryTimeoutMs, retryOn, retriableStatusCodes: codes, retryRemoteLocalities, retryIgnorePreviousHosts, backoffBaseMs });
}

function bool(v: unknown, path: string, dflt: boolean, p: Problems): boolean {
  if (v === undefined || v === null) return dflt;
  if (typeof v !== 'boolean') {
    p.add(path, 'not a boolean');
    return dflt;
  }
  return v;
}

/** `percentage: {value}` (0-100 float); absent means 100. */
function percentage(o: Obj, path: string, p: Problems, deprecatedPercent = false): number {
  const v = o['percentage'];
  if (v !== undefined && v !== null) {
    const value = isObj(v) ? v['value'] : undefined;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 100) {
      p.add(`${path}.percentage`, 'needs a value between 0 and 100');
      return 0;
    }
    return value;
  }
  if (deprecatedPercent && o['percent'] !== undefined) {
    const n = o['percent'];
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 100) {
      p.add(`${path}.percent`, 'needs an integer between 0 and 100');
      return 0;
    }
    return n;
  }
  // Neither given: no request is delayed or aborted, as Istio documents (the percentage Envoy gets is 0).
  return 0;
}

function compileFault(v: unknown, p: Problems): FaultPolicy | null {
  if (!isObj(v)) return p.add('fault', 'not an object');
  let delay: FaultDelay | null = null;
  let abort: FaultAbort | null = null;
  const d = v['delay'];
  if (d !== undefined) {
    if (!isObj(d)) p.add('fault.delay', 'not an object');
    else if (d['fixedDelay'] === undefined) p.add('fault.delay', d['exponentialDelay'] !== undefined ? 'exponentialDelay is not supported' : 'needs fixedDelay');
    else {
      const ms = duration(d['fixedDelay'], 'fault.delay.fixedDelay', p);
      const pct = percentage(d, 'fault.delay', p, true);
      if (ms !== null) delay = Object.freeze({ ms, percentage: pct });
    }
  }
  const a = v['abort'];
  if (a !== undefined) {
    if (!isObj(a)) p.add('fault.abort', 'not an object');
    else {
      const pct = percentage(a, 'fault.abort', p);
      const hs = a['httpStatus'];
      const gs = a['grpcStatus'];
      if (hs !== undefined && gs !== undefined) p.add('fault.abort', 'httpStatus and grpcStatus are exclusive');
      else if (hs !== undefined) {
        if (typeof hs !== 'number' || !Number.isInteger(hs) || hs < 200 || hs > 599) p.add('fault.abort.httpStatus', `${JSON.stringify(hs)} is not an HTTP status in 200-599`);
        else abort = Object.freeze({ httpStatus: hs, grpcStatus: null, percentage: pct });
      } else if (gs !== undefined) {
        const code = typeof gs === 'string' ? (GRPC_CODES[gs.toUpperCase()] ?? (/^\d+$/.test(gs) && Number(gs) <= 16 ? Number(gs) : undefined)) : undefined;
        if (code === undefined) p.add('fault.abort.grpcStatus', `${JSON.stringify(gs)} is not a gRPC status name (e.g. "UNAVAILABLE")`);
        else abort = Object.freeze({ httpStatus: null, grpcStatus: code, percentage: pct });
      } else p.add('fault.abort', a['http2Error'] !== undefined ? 'http2Error is not supported' : 'needs httpStatus or grpcStatus');
    }
  }
  if (d === undefined && a === undefined) return p.add('fault', 'needs delay or abort');
  return delay === null && abort === null ? null : Object.freeze({ delay, abort });
}

function optString(o: Obj, key: string, path: string, p: Problems): string | null {
  const v = o[key];
  if (v === undefined || v === null || v === '') return null;
  if (typeof v !== 'string') return p.add(`${path}.${key}`, 'not a string');
  if (/[\r\n\0]/.test(v)) return p.add(`${path}.${key}`, 'contains a line break or NUL');
  return v;
}

/** RE2 replacement syntax (`\1`) → JS (`$1`); a literal `$` stays literal. */
export function re2Replacement(s: string): string {
  return s.replace(/\$/g, '$$$$').replace(/\\(\d)/g, '$$$1');
}

function compileRewrite(v: unknown, p: Problems): RewritePolicy | null {
  if (!isObj(v)) return p.add('rewrite', 'not an object');
  const uri = optString(v, 'uri', 'rewrite', p);
  const authority = optString(v, 'authority', 'rewrite', p);
  let uriRegex: RewritePolicy['uriRegex'] = null;
  const rr = v['uriRegexRewrite'];
  if (rr !== undefined) {
    if (!isObj(rr) || typeof rr['match'] !== 'string' || typeof rr['rewrite'] !== 'string') p.add('rewrite.uriRegexRewrite', 'needs match and rewrite strings');
    else if (uri !== null) p.add('rewrite', 'uri and uriRegexRewrite are exclusive');
    else {
      try {
        uriRegex = Object.freeze({ pattern: new RegExp(rr['match'], 'g'), replacement: re2Replacement(rr['rewrite']) });
      } catch (e) {
        p.add('rewrite.uriRegexRewrite.match', `invalid regex: ${(e as Error).message}`);
      }
    }
  }
  if (uri !== null && !uri.startsWith('/')) p.add('rewrite.uri', 'must start with "/"');
  if (uri === null && authority === null && uriRegex === null) return null;
  return Object.freeze({ uri, authority, uriRegex });
}

function compileRedirect(v: unknown, p: Problems): RedirectPolicy | null {
  if (!isObj(v)) return p.add('redirect', 'not an object');
  const uri = optString(v, 'uri', 'redirect', p);
  const authority = optString(v, 'authority', 'redirect', p);
  const scheme = optString(v, 'scheme', 'redirect', p);
  if (scheme !== null && !/^[a-z][a-z0-9+.-]*$/i.test(scheme)) p.add('redirect.scheme', `${JSON.stringify(scheme)} is not a URI scheme`);
  let port: number | null = null;
  let derivePort: DerivePort | null = null;
  if (v['port'] !== undefined && v['derivePort'] !== undefined) p.add('redirect', 'port and derivePort are exclusive');
  else if (v['port'] !== undefined) {
    const n = v['port'];
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 65535) p.add('redirect.port', `${JSON.stringify(n)} is not a port`);
    else port = n;
  } else if (v['derivePort'] !== undefined) {
    const d = v['derivePort'];
    if (d === DerivePort.FromProtocolDefault || d === DerivePort.FromRequestPort) derivePort = d;
    else p.add('redirect.derivePort', `${JSON.stringify(d)} is not FROM_PROTOCOL_DEFAULT or FROM_REQUEST_PORT`);
  }
  let code = 301;
  if (v['redirectCode'] !== undefined && v['redirectCode'] !== 0) {
    const c = v['redirectCode'];
    if (typeof c !== 'number' || !REDIRECT_CODES.has(c)) p.add('redirect.redirectCode', `${JSON.stringify(c)} is not one of 301, 302, 303, 307, 308`);
    else code = c;
  }
  if (uri !== null && !uri.startsWith('/')) p.add('redirect.uri', 'must start with "/"');
  return Object.freeze({ uri, authority, port, derivePort, scheme: scheme?.toLowerCase() ?? null, code });
}

/** A weighted destination's own `headers` (request and response), or null; problems as for a route. */
export function compileDestinationHeaders(raw: unknown): { headers: DestinationHeaders | null; problems: string[] } {
  if (raw === undefined || raw === null) return { headers: null, problems: [] };
  const p = new Problems();
  if (!isObj(raw)) {
    p.add('headers', 'not an object');
    return { headers: null, problems: p.list };
  }
  const request = raw['request'] === undefined ? null : compileHeaderOps(raw['request'], 'headers.request', p);
  const response = raw['response'] === undefined ? null : compileHeaderOps(raw['response'], 'headers.response', p);
  return { headers: request === null && response === null ? null : { request, response }, problems: p.list };
}

export interface DestinationHeaders {
  readonly request: HeaderOperations | null;
  readonly response: HeaderOperations | null;
}

function compileHeaderOps(v: unknown, path: string, p: Problems): HeaderOperations | null {
  if (!isObj(v)) return p.add(path, 'not an object');
  const pairs = (key: 'set' | 'add'): (readonly [string, string])[] => {
    const m = v[key];
    if (m === undefined || m === null) return [];
    if (!isObj(m)) {
      p.add(`${path}.${key}`, 'not a map of strings');
      return [];
    }
    const out: (readonly [string, string])[] = [];
    for (const [name, value] of Object.entries(m)) {
      const n = name.toLowerCase();
      if (!TOKEN.test(n)) p.add(`${path}.${key}`, `${JSON.stringify(name)} is not a header name`);
      else if (typeof value !== 'string') p.add(`${path}.${key}.${name}`, 'not a string');
      else if (/[\r\n\0]/.test(value)) p.add(`${path}.${key}.${name}`, 'contains a line break or NUL');
      else out.push([n, value]);
    }
    return out;
  };
  const set = pairs('set');
  const add = pairs('add');
  const remove: string[] = [];
  const r = v['remove'];
  if (r !== undefined && r !== null) {
    if (!Array.isArray(r)) p.add(`${path}.remove`, 'not a list');
    else for (const name of r) {
      if (typeof name !== 'string' || !TOKEN.test(name.toLowerCase())) p.add(`${path}.remove`, `${JSON.stringify(name)} is not a header name`);
      else remove.push(name.toLowerCase());
    }
  }
  if (set.length === 0 && add.length === 0 && remove.length === 0) return null;
  return headerOperations(set, add, remove);
}

/** HeaderOperations with their precompiled request and response forms. */
export function headerOperations(set: (readonly [string, string])[], add: (readonly [string, string])[], remove: string[]): HeaderOperations {
  let requestEdits: Map<string, string | null> | null = null;
  if (add.length === 0) {
    requestEdits = new Map();
    for (const name of remove) requestEdits.set(name, null);
    for (const [name, value] of set) requestEdits.set(name, value);
  }
  const rset = set.length > 0 ? new Map(set) : null;
  const radd = add.length > 0 ? Object.freeze(add.map((x) => Object.freeze([x[0], x[1]] as const))) : null;
  let lines = '';
  if (rset !== null) for (const [k, v] of rset) lines += `${k}: ${v}\r\n`;
  if (radd !== null) for (const [k, v] of radd) lines += `${k}: ${v}\r\n`;
  const response: CompiledResponseOps = Object.freeze({ set: rset, add: radd, remove: remove.length > 0 ? new Set(remove) : null, lines });
  return Object.freeze({ set: Object.freeze(set), add: Object.freeze(add), remove: Object.freeze(remove), requestEdits, response });
}

type OriginPredicate = (origin: string) => boolean;

function originMatcher(m: unknown, path: string, p: Problems): OriginPredicate | null {
  if (!isObj(m)) return p.add(path, 'not a string match');
  const keys = ['exact', 'prefix', 'regex'].filter((k) => m[k] !== undefined);
  if (keys.length !== 1) return p.add(path, 'needs exactly one of exact, prefix, regex');
  const k = keys[0] as string;
  const s = m[k];
  if (typeof s !== 'string') return p.add(`${path}.${k}`, 'not a string');
  if (k === 'exact') return s === '*' ? () => true : (o) => o === s;
  if (k === 'prefix') return (o) => o.startsWith(s);
  try {
    const re = new RegExp(`^(?:${s})$`);
    return (o) => re.test(o);
  } catch (e) {
    return p.add(`${path}.regex`, `invalid regex: ${(e as Error).message}`);
  }
}

function stringList(v: unknown, path: string, p: Problems): string | null {
  if (v === undefined || v === null) return null;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || /[\r\n\0,]/.test(x))) return p.add(path, 'not a list of strings');
  return v.length === 0 ? null : (v as string[]).join(',');
}

function compileCors(v: unknown, p: Problems): CorsPolicy | null {
  if (!isObj(v)) return p.add('corsPolicy', 'not an object');
  const preds: OriginPredicate[] = [];
  const ao = v['allowOrigins'];
  if (ao !== undefined && ao !== null) {
    if (!Array.isArray(ao)) p.add('corsPolicy.allowOrigins', 'not a list');
    else ao.forEach((m, i) => {
      const pred = originMatcher(m, `corsPolicy.allowOrigins[${i}]`, p);
      if (pred !== null) preds.push(pred);
    });
  }
  const legacy = v['allowOrigin'];
  if (legacy !== undefined && legacy !== null) {
    if (!Array.isArray(legacy) || legacy.some((x) => typeof x !== 'string')) p.add('corsPolicy.allowOrigin', 'not a list of strings');
    else for (const s of legacy as string[]) preds.push(s === '*' ? () => true : (o) => o === s);
  }
  let maxAge: string | null = null;
  if (v['maxAge'] !== undefined && v['maxAge'] !== null) {
    const ms = duration(v['maxAge'], 'corsPolicy.maxAge', p);
    if (ms !== null) maxAge = String(Math.floor(ms / 1000));
  }
  const um = v['unmatchedPreflights'];
  if (um !== undefined && um !== null && um !== 'FORWARD' && um !== 'IGNORE' && um !== 'UNSPECIFIED') p.add('corsPolicy.unmatchedPreflights', `${JSON.stringify(um)} is not FORWARD or IGNORE`);
  const originMatches: OriginPredicate = preds.length === 1 ? (preds[0] as OriginPredicate) : (o) => preds.some((f) => f(o));
  return Object.freeze({
    originMatches,
    allowMethods: stringList(v['allowMethods'], 'corsPolicy.allowMethods', p),
    allowHeaders: stringList(v['allowHeaders'], 'corsPolicy.allowHeaders', p),
    exposeHeaders: stringList(v['exposeHeaders'], 'corsPolicy.exposeHeaders', p),
    maxAge,
    allowCredentials: bool(v['allowCredentials'], 'corsPolicy.allowCredentials', false, p),
    forwardUnmatchedPreflights: um !== 'IGNORE',
  });
}
