// Checks shared by the per-kind validators: names, hosts, labels, ports, durations, string
// matches, header names. Validators read `unknown` values defensively (a wrong type has already
// been reported by the schema, or the resource was built in memory), so every reader here
// returns undefined rather than throwing.

import type { ConfigCode } from './codes.ts';
import { formatPath, type Diagnostic, type PathSegment } from './diagnostic.ts';
import { parseDurationNanos } from './duration.ts';
import { checkRe2 } from './re2.ts';

export type Path = readonly PathSegment[];
export type Obj = Record<string, unknown>;

/** Collects the diagnostics of one resource. */
export class Findings {
  readonly diagnostics: Diagnostic[] = [];
  readonly #resource: string | undefined;

  constructor(resource?: string) {
    this.#resource = resource;
  }

  error(path: Path, code: ConfigCode, message: string): void {
    this.#add('error', path, code, message);
  }

  warn(path: Path, code: ConfigCode, message: string): void {
    this.#add('warning', path, code, message);
  }

  #add(severity: 'error' | 'warning', path: Path, code: ConfigCode, message: string): void {
    const d: Diagnostic = { severity, code, path: formatPath(path), message };
    if (this.#resource !== undefined) d.resource = this.#resource;
    this.diagnostics.push(d);
  }
}

// ---- reading unknown values ----------------------------------------------------------------

export function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export function obj(v: unknown): Obj | undefined {
  return isObj(v) ? v : undefined;
}

export function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

export function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** Present: neither undefined nor null. */
export function has(o: Obj | undefined, key: string): boolean {
  return o !== undefined && o[key] !== undefined && o[key] !== null;
}

/** Present and not an empty list or empty string. */
export function nonEmpty(v: unknown): boolean {
  if (v === undefined || v === null) return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'string') return v !== '';
  return true;
}

/** Entries of a string-keyed map value (labels, headers, ...). */
export function entries(v: unknown): [string, unknown][] {
  return isObj(v) ? Object.entries(v) : [];
}

/** 64-bit integer fields may be numbers or decimal strings. */
export function int64(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return Number(v);
  return undefined;
}

// ---- names ---------------------------------------------------------------------------------

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const RFC1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

export function isDns1123Label(s: string): boolean {
  return s.length <= 63 && DNS1123_LABEL.test(s);
}

export function isRfc1035Label(s: string): boolean {
  return s.length <= 63 && RFC1035_LABEL.test(s);
}

/** Why `s` is not a DNS-1123 label, or undefined when it is one. */
export function dns1123LabelProblem(s: string): string | undefined {
  if (s === '') return 'must not be empty';
  if (s.length > 63) return `must be no more than 63 characters (it has ${s.length})`;
  if (!DNS1123_LABEL.test(s)) return "must consist of lower case letters, digits and '-', and start and end with a letter or digit";
  return undefined;
}

/** Why `s` is not a DNS-1123 subdomain, or undefined when it is one. */
export function dns1123SubdomainProblem(s: string): string | undefined {
  if (s === '') return 'must not be empty';
  if (s.length > 253) return `must be no more than 253 characters (it has ${s.length})`;
  if (!DNS1123_SUBDOMAIN.test(s)) return "must consist of lower case letters, digits, '-' and '.', and start and end with a letter or digit";
  return undefined;
}

/** Kubernetes label/annotation key: `[prefix/]name`. */
export function qualifiedNameProblem(key: string): string | undefined {
  if (key === '') return 'key must not be empty';
  const slash = key.lastIndexOf('/');
  const prefix = slash < 0 ? undefined : key.slice(0, slash);
  const name = slash < 0 ? key : key.slice(slash + 1);
  if (prefix !== undefined) {
    if (key.indexOf('/') !== slash) return 'key may contain at most one "/"';
    const p = dns1123SubdomainProblem(prefix);
    if (p !== undefined) return `key prefix "${prefix}" ${p}`;
  }
  if (name === '') return 'key name part must not be empty';
  if (name.length > 63) return `key name part must be no more than 63 characters (it has ${name.length})`;
  if (!QUALIFIED_NAME.test(name)) return "key name part must consist of letters, digits, '-', '_' or '.', and start and end with a letter or digit";
  return undefined;
}

export function labelValueProblem(value: string): string | undefined {
  if (value.length > 63) return `value must be no more than 63 characters (it has ${value.length})`;
  if (!LABEL_VALUE.test(value)) return "value must be empty or consist of letters, digits, '-', '_' or '.', and start and end with a letter or digit";
  return undefined;
}

/** Labels (metadata, subsets, selectors, endpoint labels): valid keys and values. */
export function checkLabels(f: Findings, path: Path, v: unknown): void {
  for (const [k, val] of entries(v)) {
    const kp = qualifiedNameProblem(k);
    if (kp !== undefined) f.error([...path, k], 'ISTHMUS_ERR_CONFIG_INVALID_LABEL', `invalid label "${k}": ${kp}`);
    if (typeof val !== 'string') continue;
    const vp = labelValueProblem(val);
    if (vp !== undefined) f.error([...path, k], 'ISTHMUS_ERR_CONFIG_INVALID_LABEL', `invalid label "${k}": ${vp}`);
  }
}

/**
 * Workload selector labels (`matchLabels` / `labels`): no empty keys, no wildcards in keys or
 * values; a selector with no labels selects everything, which is most likely a mistake.
 */
export function checkSelector(f: Findings, path: Path, v: unknown, what = 'workload selector'): void {
  const labels = entries(v);
  for (const [k, val] of labels) {
    const pair = JSON.stringify(`${k}=${typeof val === 'string' ? val : ''}`);
    if (k === '') f.error([...path, k], 'ISTHMUS_ERR_CONFIG_INVALID_SELECTOR', `empty key is not supported in selector: ${pair}`);
    if (k.includes('*') || (typeof val === 'string' && val.includes('*'))) {
      f.error([...path, k], 'ISTHMUS_ERR_CONFIG_INVALID_SELECTOR', `wildcard is not supported in selector: ${pair}`);
    }
  }
  if (labels.length === 0) f.warn(path, 'ISTHMUS_ERR_CONFIG_INVALID_SELECTOR', `${what} specified without labels: it selects every workload in the namespace`);
  checkLabels(
    f,
    path,
    Object.fromEntries(labels.filter(([k, val]) => k !== '' && !k.includes('*') && !(typeof val === 'string' && val.includes('*')))),
  );
}

// ---- addresses and hosts -------------------------------------------------------------------

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function isIPv4(s: string): boolean {
  return IPV4.test(s);
}

export function isIPv6(s: string): boolean {
  if (!s.includes(':')) return false;
  let text = s;
  // An IPv4 tail (::ffff:1.2.3.4) counts as two groups.
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    if (!isIPv4(tail)) return false;
    text = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const doubles = text.split('::').length - 1;
  if (doubles > 1) return false;
  const groups = text.split(':');
  const hex = /^[0-9a-fA-F]{1,4}$/;
  if (doubles === 1) {
    const [head = '', rest = ''] = text.split('::');
    const hg = head === '' ? [] : head.split(':');
    const rg = rest === '' ? [] : rest.split(':');
    if (![...hg, ...rg].every((g) => hex.test(g))) return false;
    return hg.length + rg.length <= 7;
  }
  return groups.length === 8 && groups.every((g) => hex.test(g));
}

export function isIP(s: string): boolean {
  return isIPv4(s) || isIPv6(s);
}

export function isCIDR(s: string): boolean {
  const slash = s.indexOf('/');
  if (slash < 0) return false;
  const ip = s.slice(0, slash);
  const bits = s.slice(slash + 1);
  if (!/^\d{1,3}$/.test(bits)) return false;
  const n = Number(bits);
  if (isIPv4(ip)) return n <= 32;
  if (isIPv6(ip)) return n <= 128;
  return false;
}

const DNS_LABEL_ANY_CASE = /^[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?$/;

/** Why `name` is not a DNS name (labels of letters, digits and '-'), or undefined. */
export function dnsNameProblem(name: string): string | undefined {
  if (name === '') return 'domain name must not be empty';
  if (name.length > 255) return `domain name is too long (${name.length} > 255)`;
  for (const label of name.split('.')) {
    if (label === '') return 'domain name must not contain empty labels';
    if (label.length > 63) return `label "${label}" is longer than 63 characters`;
    if (!DNS_LABEL_ANY_CASE.test(label)) return `label "${label}" must consist of letters, digits and '-', and start and end with a letter or digit`;
  }
  return undefined;
}

/**
 * Why `host` is not a host as VirtualService, DestinationRule and ServiceEntry write them: `*`,
 * a wildcard first label (`*.example.com`, `*example.com`), a DNS name (short names such as
 * `reviews` included) or an IP address.
 */
export function wildcardHostProblem(host: string): string | undefined {
  if (host === '') return 'host must not be empty';
  if (host === '*') return undefined;
  if (isIP(host)) return undefined;
  let rest = host;
  if (rest.startsWith('*')) {
    rest = rest.slice(1);
    if (rest.startsWith('.')) rest = rest.slice(1);
    else if (rest.startsWith('-')) rest = rest.slice(1);
    if (rest === '') return 'a wildcard needs a domain after it (`*.example.com`)';
  }
  if (rest.includes('*')) return 'a wildcard is only allowed in the first label (`*.example.com`)';
  return dnsNameProblem(rest);
}

/** A fully qualified name: DNS labels only, no wildcard; a trailing dot is allowed. */
export function fqdnProblem(name: string): string | undefined {
  if (name.includes('*')) return 'a wildcard is not a fully qualified domain name';
  return dnsNameProblem(name.endsWith('.') ? name.slice(0, -1) : name);
}

/** A partial wildcard (`*foo.com`) is accepted in some places but discouraged. */
export function isPartialWildcard(host: string): boolean {
  return host.includes('*') && host !== '*' && !host.startsWith('*.');
}

/** Whether two hosts overlap: equal, or a wildcard of one covers the other. */
export function hostsOverlap(a: string, b: string): boolean {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  if (x === y) return true;
  const xw = x.startsWith('*');
  const yw = y.startsWith('*');
  if (xw && yw) return x.slice(1).endsWith(y.slice(1)) || y.slice(1).endsWith(x.slice(1));
  if (xw) return y.endsWith(x.slice(1));
  if (yw) return x.endsWith(y.slice(1));
  return false;
}

/** Whether every name `a` stands for is also covered by `b` (`a.example.com` is a subset of `*.example.com`). */
export function hostIsSubsetOf(a: string, b: string): boolean {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  if (x === y) return true;
  if (!y.startsWith('*')) return false;
  const suffix = y.slice(1);
  return x.startsWith('*') ? x.slice(1).endsWith(suffix) : x.endsWith(suffix);
}

/**
 * Gateway references in a VirtualService: `mesh`, `<namespace>/<name>` (both DNS labels) or the
 * legacy FQDN form `<name>.<namespace>.svc.cluster.local` (accepted with a warning).
 */
export function checkGatewayName(f: Findings, path: Path, v: unknown): void {
  if (typeof v !== 'string') return;
  const code = 'ISTHMUS_ERR_CONFIG_INVALID_GATEWAY';
  const slash = v.indexOf('/');
  if (slash < 0) {
    if (v.includes('.')) {
      const parts = v.split('.');
      f.warn(path, code, `using legacy gatewayName format "${v}"; prefer the <namespace>/<name> format: "${parts[1] ?? ''}/${parts[0] ?? ''}"`);
    }
    const p = fqdnProblem(v);
    if (p !== undefined) f.error(path, code, `invalid gateway name: "${v}": ${p}`);
    return;
  }
  const ns = v.slice(0, slash);
  const name = v.slice(slash + 1);
  if (ns === '' || name === '') {
    f.error(path, code, `invalid gateway name: "${v}": config namespace and gateway name cannot be empty`);
    return;
  }
  if (!isDns1123Label(ns)) f.error(path, code, `invalid gateway name: "${v}": invalid value for namespace: "${ns}"`);
  if (!isDns1123Label(name)) f.error(path, code, `invalid gateway name: "${v}": invalid value for gateway name: "${name}"`);
}

/**
 * exportTo: `.` (this namespace), `*` (everywhere), namespace names, and `~` (nowhere) on
 * ServiceEntry only. Returns the entries with `.` replaced by the namespace.
 */
export function checkExportTo(f: Findings, path: Path, v: unknown, namespace: string, isServiceEntry: boolean): Set<string> {
  const code = 'ISTHMUS_ERR_CONFIG_INVALID_EXPORT_TO';
  const list = arr(v).filter((e): e is string => typeof e === 'string');
  const set = new Set<string>();
  list.forEach((e, i) => {
    const key = e === '.' ? namespace : e;
    if (set.has(key)) {
      f.error([...path, i], code, key !== e ? `duplicate entries in exportTo: . and current namespace ${namespace}` : `duplicate entries in exportTo for entry ${e}`);
      return;
    }
    if (e === '~' && !isServiceEntry) {
      f.error([...path, i], code, 'exportTo ~ (no namespace) is only allowed on ServiceEntry');
      return;
    }
    if (e !== '*' && e !== '~' && e !== '.') {
      const p = dns1123LabelProblem(e);
      if (p !== undefined) {
        f.error([...path, i], code, `invalid exportTo namespace "${e}": ${p}`);
        return;
      }
    }
    set.add(key);
  });
  if (set.has('*') && list.length > 1) f.error(path, code, 'cannot have both public (*) and non-public exportTo values for a resource');
  if (set.has('~') && list.length > 1) f.error(path, code, 'cannot export service entry to no one (~) and someone');
  return set;
}

// ---- numbers -------------------------------------------------------------------------------

/** Ports are 1-65535 everywhere. Non-numbers are left to the schema. */
export function checkPort(f: Findings, path: Path, v: unknown, what = 'port number'): void {
  const n = num(v);
  if (n === undefined) return;
  if (!Number.isInteger(n) || n < 1 || n > 65535) f.error(path, 'ISTHMUS_ERR_CONFIG_INVALID_PORT', `${what} ${n} must be in the range 1..65535`);
}

export function checkPercent(f: Findings, path: Path, v: unknown, code: ConfigCode = 'ISTHMUS_ERR_CONFIG_INVALID_PERCENT'): void {
  const n = num(v);
  if (n === undefined) return;
  if (n < 0 || n > 100) f.error(path, code, `percentage ${n} is not in range 0..100`);
}

/** `{value: n}` percentages: 0, or 0.0001 to 100. */
export function checkPercentObj(f: Findings, path: Path, v: unknown, code: ConfigCode = 'ISTHMUS_ERR_CONFIG_INVALID_PERCENT'): void {
  const n = num(obj(v)?.['value']);
  if (n === undefined) return;
  if (n < 0 || n > 100 || (n > 0 && n < 0.0001)) f.error([...path, 'value'], code, `percentage ${n} is neither 0.0, nor in range [0.0001, 100.0]`);
}

export function checkNonNegative(f: Findings, path: Path, v: unknown, message: string, code: ConfigCode): void {
  const n = num(v);
  if (n !== undefined && n < 0) f.error(path, code, message);
}

// ---- durations -----------------------------------------------------------------------------

/**
 * A duration field: valid Go-style text, at least 1ms, whole milliseconds. Returns the
 * milliseconds when valid.
 */
export function checkDuration(f: Findings, path: Path, v: unknown, opts: { allowZero?: boolean } = {}): number | undefined {
  if (typeof v !== 'string') return undefined;
  const ns = parseDurationNanos(v);
  const code = 'ISTHMUS_ERR_CONFIG_INVALID_DURATION';
  if (ns === undefined) {
    f.error(path, code, `invalid duration "${v}": expected a number with a unit, such as 10s, 1.5s, 500ms or 1m`);
    return undefined;
  }
  if (opts.allowZero === true && ns === 0n) return 0;
  if (ns < 1_000_000n) {
    f.error(path, code, `duration "${v}" must be a valid duration greater than 1ms`);
    return undefined;
  }
  if (ns % 1_000_000n !== 0n) {
    f.error(path, code, `duration "${v}": only durations to ms precision are supported`);
    return undefined;
  }
  return Number(ns / 1_000_000n);
}

// ---- string matches and regexes ------------------------------------------------------------

export const MAX_REGEX_LENGTH = 1024;

/** Compile `re` as RE2 would; report errors and, as a warning, valid RE2 the proxy cannot run. */
export function checkRegex(f: Findings, path: Path, re: string, where: string): void {
  if (re.length > MAX_REGEX_LENGTH) {
    f.error(path, 'ISTHMUS_ERR_CONFIG_INVALID_REGEX', `"${where}": regex is too large, max length allowed is ${MAX_REGEX_LENGTH}`);
    return;
  }
  const r = checkRe2(re);
  if (r.error !== undefined) {
    const hint = r.hint === undefined ? '' : ` (${r.hint})`;
    f.error(path, 'ISTHMUS_ERR_CONFIG_INVALID_REGEX', `"${where}": ${r.error}${hint}; Istio uses RE2 style regex-based match (https://github.com/google/re2/wiki/Syntax)`);
  } else if (r.unsupported !== undefined) {
    f.warn(path, 'ISTHMUS_ERR_CONFIG_INVALID_REGEX', `"${where}": "${re}" is valid RE2 but isthmus cannot evaluate it yet: ${r.unsupported}`);
  }
}

/**
 * A StringMatch sets one of exact, prefix or regex. Setting several is an error. Setting none
 * means "present" in header, query parameter and withoutHeaders maps (`allowEmpty`); elsewhere it
 * matches anything and gets a warning. An empty prefix is refused except for `uri`.
 */
export function checkStringMatch(f: Findings, path: Path, v: unknown, where: string, opts: { allowEmpty?: boolean; allowEmptyPrefix?: boolean } = {}): void {
  const m = obj(v);
  if (m === undefined) return;
  const code = 'ISTHMUS_ERR_CONFIG_INVALID_MATCH';
  const set = (['exact', 'prefix', 'regex'] as const).filter((k) => has(m, k));
  if (set.length > 1) {
    f.error(path, code, `"${where}": string match must set exactly one of exact, prefix or regex (it sets ${set.join(' and ')})`);
  } else if (set.length === 0 && opts.allowEmpty !== true) {
    f.warn(path, code, `"${where}": string match sets none of exact, prefix or regex, so it matches any value`);
  }
  if (m['prefix'] === '' && opts.allowEmptyPrefix !== true) f.error([...path, 'prefix'], code, `"${where}": prefix string match should not be empty`);
  if (m['regex'] === '') f.error([...path, 'regex'], code, `"${where}": regex string match should not be empty`);
  else if (typeof m['regex'] === 'string') checkRegex(f, [...path, 'regex'], m['regex'], where);
}

// ---- headers

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Pseudo-headers a match may name. */
const PSEUDO_HEADERS: ReadonlySet<string> = new Set([':method', ':scheme', ':authority', ':path', ':status']);
/** Gateway routes may match on JWT claims: `@request.auth.claims.<name>`. */
export const JWT_CLAIM_PREFIX = '@request.auth.claims.';

export function isHeaderToken(s: string): boolean {
  return TOKEN.test(s);
}

/**
 * A header name in a match (`headers`, `withoutHeaders`): a token, one of the pseudo-headers, or
 * a JWT claim. Header names are matched without regard to case; upper case gets a warning.
 */
export function checkMatchHeaderName(f: Findings, path: Path, name: string): void {
  const code = 'ISTHMUS_ERR_CONFIG_INVALID_HEADER';
  if (name === '') {
    f.error(path, code, 'header name cannot be empty');
    return;
  }
  if (name.startsWith(JWT_CLAIM_PREFIX) || PSEUDO_HEADERS.has(name)) return;
  if (!isHeaderToken(name)) {
    f.error(path, code, `header name ${name} is not a valid header name`);
    return;
  }
  if (name !== name.toLowerCase()) {
    f.warn(path, code, `header name ${name} should be lower case (${name.toLowerCase()}): header names are matched without regard to case`);
  }
}

/** A header name in a CORS policy: a token, or `*`. */
export function checkCorsHeaderName(f: Findings, path: Path, name: string): void {
  if (name === '') f.error(path, 'ISTHMUS_ERR_CONFIG_INVALID_CORS', 'header name cannot be empty');
  else if (name !== '*' && !isHeaderToken(name)) f.error(path, 'ISTHMUS_ERR_CONFIG_INVALID_CORS', `header name ${name} is not a valid header name`);
}

// Control characters other than tab cannot appear in a header value.
const HEADER_VALUE = /^[^\u0000-\u0008\u000A-\u001F\u007F]*$/;

/**
 * Why `value` is not a header value the proxy can set. `%` starts an Envoy command such as
 * `%HOSTNAME%` or `%REQ(x-id)%` and must be closed; `%%` is a literal percent sign.
 */
export function headerValueProblem(value: string): string | undefined {
  if (!HEADER_VALUE.test(value)) return 'control characters are not allowed';
  let i = 0;
  while (i < value.length) {
    if (value[i] !== '%') {
      i++;
      continue;
    }
    if (value[i + 1] === '%') {
      i += 2;
      continue;
    }
    const m = /^%([A-Z][A-Z0-9_]*)/.exec(value.slice(i));
    if (m === null) return `"%" at offset ${i} does not start a command such as %HOSTNAME% (write %% for a literal percent sign)`;
    let j = i + m[0].length;
    if (value[j] === '(') {
      const close = value.indexOf(')', j);
      if (close < 0) return `unclosed "(" in %${m[1] ?? ''}(...)%`;
      j = close + 1;
    }
    const len = /^:\d+/.exec(value.slice(j));
    if (len !== null) j += len[0].length;
    if (value[j] !== '%') return `%${m[1] ?? ''} is not closed with "%"`;
    i = j + 1;
  }
  return undefined;
}

export function checkHeaderValue(f: Findings, path: Path, value: unknown): void {
  if (typeof value !== 'string') return;
  const p = headerValueProblem(value);
  if (p !== undefined) f.error(path, 'ISTHMUS_ERR_CONFIG_INVALID_HEADER', `header value configuration ${JSON.stringify(value)} is invalid: ${p}`);
}

/**
 * `headers: {request: {set, add, remove}, response: {...}}`. Pseudo-headers cannot be changed,
 * except `:authority` (or `host`) set or added on the request. Returns the values that set the
 * request authority, for the "set only once" rule.
 */
export function checkHeaderOperations(f: Findings, path: Path, v: unknown): { path: Path; value: string }[] {
  const authority: { path: Path; value: string }[] = [];
  const h = obj(v);
  if (h === undefined) return authority;
  const code = 'ISTHMUS_ERR_CONFIG_INVALID_HEADER';
  const checkName = (at: Path, name: string, mayBeAuthority: boolean) => {
    if (name === '') f.error(at, code, 'header name cannot be empty');
    else if (/[\r\n\0]/.test(name)) f.error(at, code, `header name ${JSON.stringify(name)} is not a valid header name`);
    else if (mayBeAuthority && isAuthorityHeader(name)) return;
    else if (name.toLowerCase() === 'host') f.error(at, code, `invalid header "${name}": cannot set Host header`);
    else if (name.startsWith(':')) f.error(at, code, `invalid header "${name}": header cannot have ":" prefix`);
  };
  for (const side of ['request', 'response'] as const) {
    const ops = obj(h[side]);
    if (ops === undefined) continue;
    const base = [...path, side];
    for (const op of ['set', 'add'] as const) {
      for (const [name, value] of entries(ops[op])) {
        const at = [...base, op, name];
        checkName(at, name, side === 'request');
        checkHeaderValue(f, at, value);
        if (side === 'request' && isAuthorityHeader(name) && typeof value === 'string') authority.push({ path: at, value });
      }
    }
    arr(ops['remove']).forEach((name, i) => {
      if (typeof name === 'string') checkName([...base, 'remove', i], name, false);
    });
  }
  return authority;
}

export function isAuthorityHeader(name: string): boolean {
  const n = name.toLowerCase();
  return n === ':authority' || n === 'host';
}
