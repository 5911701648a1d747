// Checks shared by the per-kind validators: names, hosts, labels, ports, durations, string
// matches, header names. Validators read `unknown` values defensively (a wrong type has already
// been reported by the schema, or the resource was built in memory), so every reader here
// returns undefined rather than throwing.

import type { ConfigCode } from './codes.ts';
import { formatPath, type Diagnostic, type PathSegment } from './diagnostic.ts';
import { parseDuration } from './duration.ts';
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

export function isDns1123Subdomain(s: string): boolean {
  return s.length <= 253 && DNS1123_SUBDOMAIN.test(s);
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
export function checkLabels(f: Findings, path: Path, v: unknown, opts: { noWildcard?: boolean } = {}): void {
  for (const [k, val] of entries(v)) {
    const kp = qualifiedNameProblem(k);
    if (kp !== undefined) f.error([...path, k], 'ISTHMUS_ERR_CONFIG_INVALID_LABEL', `invalid label "${k}": ${kp}`);
    if (typeof val !== 'string') continue;
    if (opts.noWildcard === true && val.includes('*')) {
      f.error([...path, k], 'ISTHMUS_ERR_CONFIG_INVALID_SELECTOR', 'wildcard is not supported in selector');
      continue;
    }
    const vp = labelValueProblem(val);
    if (vp !== undefined) f.error([...path, k], 'ISTHMUS_ERR_CONFIG_INVALID_LABEL', `invalid label "${k}": ${vp}`);
  }
}

/** Workload selector labels (`matchLabels` / `labels`): no wildcards, no empty keys. */
export function checkSelector(f: Findings, path: Path, v: unknown): void {
  for (const [k] of entries(v)) {
    if (k === '') f.error([...path, k], 'ISTHMUS_ERR_CONFIG_INVALID_SELECTOR', 'key must not be empty');
    else if (k.includes('*')) f.error([...path, k], 'ISTHMUS_ERR_CONFIG_INVALID_SELECTOR', 'wildcard not allowed in label key match');
  }
  checkLabels(f, path, v, { noWildcard: true });
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
 * a wildcard prefix `*.example.com`, a DNS name (short names such as `reviews` included) or an IP.
 */
export function wildcardHostProblem(host: string): string | undefined {
  if (host === '') return 'host must not be empty';
  if (host === '*') return undefined;
  if (isIP(host)) return undefined;
  let rest = host;
  if (rest.startsWith('*')) {
    rest = rest.slice(1);
    if (rest.startsWith('.')) rest = rest.slice(1);
  }
  if (rest.includes('*')) return 'a wildcard is only allowed as the first label (`*.example.com`)';
  return dnsNameProblem(rest);
}

export function checkHost(f: Findings, path: Path, host: unknown, what = 'host'): void {
  if (typeof host !== 'string') return;
  const p = wildcardHostProblem(host);
  if (p !== undefined) f.error(path, 'ISTHMUS_ERR_CONFIG_INVALID_HOST', `invalid ${what} "${host}": ${p}`);
}

/** Short names resolve against the resource's namespace: `reviews` → `reviews.default.svc.cluster.local`. */
export function resolveShortName(host: string, namespace: string, domainSuffix = 'cluster.local'): string {
  if (host.includes('.') || host.includes('*') || isIP(host)) return host.toLowerCase();
  return `${host}.${namespace}.svc.${domainSuffix}`.toLowerCase();
}

/** `mesh`, `name`, `namespace/name` or an FQDN gateway name. */
export function checkGatewayName(f: Findings, path: Path, v: unknown): void {
  if (typeof v !== 'string') return;
  if (v === 'mesh') return;
  const parts = v.split('/');
  let ok = parts.length <= 2 && parts.every((p) => p !== '');
  if (ok && parts.length === 2) ok = isDns1123Label(parts[0] as string) && isDns1123Subdomain(parts[1] as string);
  else if (ok) ok = isDns1123Subdomain(v);
  if (!ok) f.error(path, 'ISTHMUS_ERR_CONFIG_INVALID_GATEWAY', `invalid gateway name: "${v}" (expected mesh, <name> or <namespace>/<name>)`);
}

/** exportTo: `.`, `*`, namespace names, and `~` (nowhere) where allowed. */
export function checkExportTo(f: Findings, path: Path, v: unknown, allowNone: boolean): void {
  const list = arr(v);
  const seen = new Set<string>();
  let hasPublic = false;
  let hasOther = false;
  list.forEach((e, i) => {
    if (typeof e !== 'string') return;
    if (seen.has(e)) f.error([...path, i], 'ISTHMUS_ERR_CONFIG_INVALID_EXPORT_TO', `duplicate entries in exportTo: ${e}`);
    seen.add(e);
    if (e === '*') hasPublic = true;
    else hasOther = true;
    if (e === '*' || e === '.') return;
    if (e === '~') {
      if (!allowNone) f.error([...path, i], 'ISTHMUS_ERR_CONFIG_INVALID_EXPORT_TO', 'exportTo ~ (no namespace) is only allowed on ServiceEntry');
      return;
    }
    const p = dns1123LabelProblem(e);
    if (p !== undefined) f.error([...path, i], 'ISTHMUS_ERR_CONFIG_INVALID_EXPORT_TO', `invalid exportTo namespace "${e}": ${p}`);
  });
  if (hasPublic && hasOther) f.error(path, 'ISTHMUS_ERR_CONFIG_INVALID_EXPORT_TO', 'cannot have both public (*) and non-public exportTo values for a resource');
  if (seen.has('~') && seen.size > 1) f.error(path, 'ISTHMUS_ERR_CONFIG_INVALID_EXPORT_TO', 'exportTo ~ (no namespace) cannot be combined with other values');
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

/** `{value: n}` percentages. */
export function checkPercentObj(f: Findings, path: Path, v: unknown, code: ConfigCode = 'ISTHMUS_ERR_CONFIG_INVALID_PERCENT'): void {
  const o = obj(v);
  if (o !== undefined) checkPercent(f, [...path, 'value'], o['value'], code);
}

export function checkNonNegative(f: Findings, path: Path, v: unknown, message: string, code: ConfigCode): void {
  const n = num(v);
  if (n !== undefined && n < 0) f.error(path, code, message);
}

// ---- durations -----------------------------------------------------------------------------

/** A duration field: valid Go-style text, at least 1ms. Returns the milliseconds when valid. */
export function checkDuration(f: Findings, path: Path, v: unknown, opts: { allowZero?: boolean } = {}): number | undefined {
  if (typeof v !== 'string') return undefined;
  const ms = parseDuration(v);
  if (ms === undefined) {
    f.error(path, 'ISTHMUS_ERR_CONFIG_INVALID_DURATION', `invalid duration "${v}": expected a number with a unit, such as 10s, 1.5s, 500ms or 1m`);
    return undefined;
  }
  if (opts.allowZero === true && ms === 0) return ms;
  if (ms < 1) {
    f.error(path, 'ISTHMUS_ERR_CONFIG_INVALID_DURATION', `duration "${v}" must be a valid duration greater than 1ms`);
    return undefined;
  }
  return ms;
}

// ---- string matches and regexes ------------------------------------------------------------

export const MAX_REGEX_LENGTH = 1024;

/** Compile `re` as RE2 would; report errors and, as a warning, valid RE2 the proxy cannot run. */
export function checkRegex(f: Findings, path: Path, re: string): void {
  if (re.length > MAX_REGEX_LENGTH) {
    f.error(path, 'ISTHMUS_ERR_CONFIG_INVALID_REGEX', `regex is too large, max length allowed is ${MAX_REGEX_LENGTH}`);
    return;
  }
  const r = checkRe2(re);
  if (r.error !== undefined) {
    const hint = r.hint === undefined ? '' : ` (${r.hint})`;
    f.error(path, 'ISTHMUS_ERR_CONFIG_INVALID_REGEX', `"${re}": ${r.error}${hint}; Istio uses RE2 style regex-based match (https://github.com/google/re2/wiki/Syntax)`);
  } else if (r.unsupported !== undefined) {
    f.warn(path, 'ISTHMUS_ERR_CONFIG_INVALID_REGEX', `"${re}" is valid RE2 but isthmus cannot evaluate it yet: ${r.unsupported}`);
  }
}

/**
 * A StringMatch: exactly one of exact/prefix/regex. `{}` is allowed only where it means "present"
 * (header, query parameter and withoutHeaders maps).
 */
export function checkStringMatch(f: Findings, path: Path, v: unknown, where: string, opts: { allowEmpty?: boolean } = {}): void {
  const m = obj(v);
  if (m === undefined) return;
  const set = (['exact', 'prefix', 'regex'] as const).filter((k) => has(m, k));
  if (set.length > 1) {
    f.error(path, 'ISTHMUS_ERR_CONFIG_INVALID_MATCH', `"${where}": string match must set exactly one of exact, prefix or regex (it sets ${set.join(' and ')})`);
  } else if (set.length === 0 && opts.allowEmpty !== true) {
    f.error(path, 'ISTHMUS_ERR_CONFIG_INVALID_MATCH', `"${where}": string match must set exactly one of exact, prefix or regex`);
  }
  if (m['prefix'] === '') f.error([...path, 'prefix'], 'ISTHMUS_ERR_CONFIG_INVALID_MATCH', `"${where}": prefix string match should not be empty`);
  if (m['regex'] === '') f.error([...path, 'regex'], 'ISTHMUS_ERR_CONFIG_INVALID_MATCH', `"${where}": regex string match should not be empty`);
  else if (typeof m['regex'] === 'string') checkRegex(f, [...path, 'regex'], m['regex']);
}

// ---- headers -------------------------------------------------------------------------------

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export function isHeaderToken(s: string): boolean {
  return TOKEN.test(s);
}

/**
 * A header name. In matches names must be lower case; pseudo-headers (`:path`, ...) are refused
 * unless `allowAuthority` lets `:authority` through.
 */
export function checkHeaderName(f: Findings, path: Path, name: string, opts: { lowerCase?: boolean; allowAuthority?: boolean } = {}): void {
  if (name === '') {
    f.error(path, 'ISTHMUS_ERR_CONFIG_INVALID_HEADER', 'header name cannot be empty');
    return;
  }
  if (name.startsWith(':')) {
    if (opts.allowAuthority === true && name === ':authority') return;
    f.error(path, 'ISTHMUS_ERR_CONFIG_INVALID_HEADER', `header name ${name} is not a valid header name: pseudo-headers cannot be used here`);
    return;
  }
  if (!isHeaderToken(name)) {
    f.error(path, 'ISTHMUS_ERR_CONFIG_INVALID_HEADER', `header name ${name} is not a valid header name`);
    return;
  }
  if (opts.lowerCase === true && name !== name.toLowerCase()) {
    f.error(path, 'ISTHMUS_ERR_CONFIG_INVALID_HEADER', `header name ${name} is not a valid header name: header names in matches must be lower case (${name.toLowerCase()})`);
  }
}

/** Header value set by the proxy: no CR, LF or NUL. */
export function checkHeaderValue(f: Findings, path: Path, name: string, value: unknown): void {
  if (typeof value === 'string' && /[\r\n\0]/.test(value)) {
    f.error(path, 'ISTHMUS_ERR_CONFIG_INVALID_HEADER', `header value for ${name} must not contain CR, LF or NUL`);
  }
}

/** `headers: {request: {set, add, remove}, response: {...}}`. */
export function checkHeaderOperations(f: Findings, path: Path, v: unknown): void {
  const h = obj(v);
  if (h === undefined) return;
  for (const side of ['request', 'response'] as const) {
    const ops = obj(h[side]);
    if (ops === undefined) continue;
    const base = [...path, side];
    const isReq = side === 'request';
    for (const op of ['set', 'add'] as const) {
      const names = new Set<string>();
      for (const [name, value] of entries(ops[op])) {
        checkHeaderName(f, [...base, op, name], name, { allowAuthority: isReq });
        checkHeaderValue(f, [...base, op, name], name, value);
        names.add(name.toLowerCase());
      }
      if (isReq && names.has(':authority') && names.has('host')) {
        f.error([...base, op], 'ISTHMUS_ERR_CONFIG_INVALID_HEADER', 'authority header cannot be set multiple times');
      }
    }
    arr(ops['remove']).forEach((name, i) => {
      if (typeof name === 'string') checkHeaderName(f, [...base, 'remove', i], name);
    });
  }
}
