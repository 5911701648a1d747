// Where a rule looks for its token: headers (with an optional prefix such as `Bearer `), query
// parameters and cookies. With none configured a rule uses Istio's defaults: `Authorization:
// Bearer <token>`, then the `access_token` query parameter. Locations shared by several rules are
// compiled once, so a request is searched once per distinct location.

import type { JWTRule } from '../../api/index.ts';
import type { RouteRequestView } from '../router.ts';

export const LocationKind = { Header: 0, Param: 1, Cookie: 2 } as const;
export type LocationKind = (typeof LocationKind)[keyof typeof LocationKind];

/** One distinct place a token can be, and the rules (by index) that look there. */
export interface TokenLocation {
  readonly kind: LocationKind;
  /** Header name (lower-case), query parameter or cookie name. */
  readonly name: string;
  /** Header value prefix to strip (compared case-insensitively); '' for none. */
  readonly prefix: string;
  readonly rules: number[];
}

export const DEFAULT_HEADER = 'authorization';
export const DEFAULT_PREFIX = 'Bearer ';
export const DEFAULT_PARAM = 'access_token';

/** The distinct locations of `rules`, in first-seen order. */
export function compileLocations(rules: readonly JWTRule[]): TokenLocation[] {
  const byKey = new Map<string, TokenLocation>();
  const add = (kind: LocationKind, name: string, prefix: string, rule: number) => {
    const key = `${kind}\n${name}\n${prefix.toLowerCase()}`;
    let loc = byKey.get(key);
    if (loc === undefined) byKey.set(key, (loc = { kind, name, prefix, rules: [] }));
    if (!loc.rules.includes(rule)) loc.rules.push(rule);
  };
  rules.forEach((r, i) => {
    const headers = r.fromHeaders ?? [];
    const params = r.fromParams ?? [];
    const cookies = r.fromCookies ?? [];
    if (headers.length === 0 && params.length === 0 && cookies.length === 0) {
      add(LocationKind.Header, DEFAULT_HEADER, DEFAULT_PREFIX, i);
      add(LocationKind.Param, DEFAULT_PARAM, '', i);
      return;
    }
    for (const h of headers) if (h.name !== '') add(LocationKind.Header, h.name.toLowerCase(), h.prefix ?? '', i);
    for (const p of params) if (p !== '') add(LocationKind.Param, p, '', i);
    for (const c of cookies) if (c !== '') add(LocationKind.Cookie, c, '', i);
  });
  return [...byKey.values()];
}

/** A JWT never holds these; the token ends at the first one (`Bearer a.b.c, Basic x` yields `a.b.c`). */
const TOKEN_ENDS = [',', ' ', '\t', ';'];

function tokenEnd(s: string, from: number): number {
  // indexOf is vectorised; a charCodeAt loop over a 500-character token costs about 1.5 us.
  let end = s.length;
  for (let k = 0; k < TOKEN_ENDS.length; k++) {
    const i = s.indexOf(TOKEN_ENDS[k] as string, from);
    if (i >= 0 && i < end) end = i;
  }
  return end;
}

function startsWithIgnoreCase(v: string, p: string): boolean {
  if (v.length < p.length) return false;
  for (let i = 0; i < p.length; i++) {
    let a = v.charCodeAt(i);
    let b = p.charCodeAt(i);
    if (a >= 65 && a <= 90) a += 32;
    if (b >= 65 && b <= 90) b += 32;
    if (a !== b) return false;
  }
  return true;
}

function fromHeader(req: RouteRequestView, loc: TokenLocation): string | null {
  const v = req.header(loc.name);
  if (v === undefined) return null;
  let i = 0;
  const p = loc.prefix;
  if (p !== '') {
    if (!startsWithIgnoreCase(v, p)) return null;
    i = p.length;
  }
  while (i < v.length && (v.charCodeAt(i) === 32 || v.charCodeAt(i) === 9)) i++;
  const end = p === '' ? v.length : tokenEnd(v, i);
  const t = (i === 0 && end === v.length ? v : v.slice(i, end)).trim();
  return t === '' ? null : t;
}

function decode(s: string): string {
  if (s.indexOf('%') < 0) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function fromParam(path: string, name: string): string | null {
  const q = path.indexOf('?');
  // Cheap rejection first: most requests carry no query, or not this parameter.
  if (q < 0 || path.indexOf(name, q) < 0) return null;
  let i = q + 1;
  while (i <= path.length) {
    let amp = path.indexOf('&', i);
    if (amp < 0) amp = path.length;
    const eq = path.indexOf('=', i);
    if (eq > i && eq < amp && eq - i === name.length && path.startsWith(name, i)) {
      const v = decode(path.slice(eq + 1, amp));
      return v === '' ? null : v;
    }
    i = amp + 1;
  }
  return null;
}

function fromCookie(req: RouteRequestView, name: string): string | null {
  const v = req.header('cookie');
  if (v === undefined || v.indexOf(name) < 0) return null;
  for (const part of v.split(/[;,]/)) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    let val = part.slice(eq + 1).trim();
    if (val.length >= 2 && val.charCodeAt(0) === 34 && val.charCodeAt(val.length - 1) === 34) val = val.slice(1, -1);
    return val === '' ? null : val;
  }
  return null;
}

/** The token at `loc`, or null when there is none. */
export function extractToken(req: RouteRequestView, loc: TokenLocation): string | null {
  switch (loc.kind) {
    case LocationKind.Header:
      return fromHeader(req, loc);
    case LocationKind.Param:
      return fromParam(req.path, loc.name);
    default:
      return fromCookie(req, loc.name);
  }
}
