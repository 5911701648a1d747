// The value forms AuthorizationPolicy strings use, compiled once per config version.
//
//   `*`        any value, but the attribute must be present
//   `*suffix`  ends with suffix (checked before `prefix*`, so `*a*` is the suffix `a*`)
//   `prefix*`  starts with prefix
//   otherwise  exact
//
// Paths add URI templates: `{*}` is exactly one non-empty segment, `{**}` the rest of the path
// (zero or more segments; only as the last segment), e.g. `/api/{*}/items`, `/static/{**}`.

export const PatternKind = { Any: 0, Exact: 1, Prefix: 2, Suffix: 3, Template: 4 } as const;
export type PatternKind = (typeof PatternKind)[keyof typeof PatternKind];

export interface StrPattern {
  readonly kind: PatternKind;
  readonly text: string;
  /** Exact/Prefix: the char code at text's last index; Suffix: at its first. A cheap reject. */
  readonly edge: number;
}

export function strPattern(value: string, lowerCase = false): StrPattern {
  const v = lowerCase ? value.toLowerCase() : value;
  if (v === '*') return { kind: PatternKind.Any, text: '', edge: 0 };
  if (v.startsWith('*')) return { kind: PatternKind.Suffix, text: v.slice(1), edge: v.charCodeAt(1) };
  if (v.endsWith('*')) return { kind: PatternKind.Prefix, text: v.slice(0, -1), edge: v.charCodeAt(v.length - 2) };
  return { kind: PatternKind.Exact, text: v, edge: v.charCodeAt(v.length - 1) };
}

/** The same pattern with `head` put before its text (Exact and Prefix only). */
export function withHead(p: StrPattern, head: string): StrPattern {
  if (p.kind !== PatternKind.Exact && p.kind !== PatternKind.Prefix) return p;
  return { kind: p.kind, text: head + p.text, edge: p.edge };
}

/**
 * Whether `s` matches the pattern. Prefix and suffix checks first reject on length and one char
 * code, then compare a slice: on Node 20 that is several times cheaper than `startsWith`.
 */
export function matches(p: StrPattern, s: string): boolean {
  const t = p.text;
  const n = t.length;
  switch (p.kind) {
    case PatternKind.Any:
      return true;
    case PatternKind.Exact:
      return s === t;
    case PatternKind.Prefix:
      return s.length >= n && (n === 0 || s.charCodeAt(n - 1) === p.edge) && s.slice(0, n) === t;
    case PatternKind.Suffix:
      return s.length >= n && (n === 0 || s.charCodeAt(s.length - n) === p.edge) && s.slice(s.length - n) === t;
    default:
      return false;
  }
}

export function anyMatch(list: readonly StrPattern[], s: string): boolean {
  for (let i = 0; i < list.length; i++) if (matches(list[i] as StrPattern, s)) return true;
  return false;
}

// ---- paths ----

const SEG_LITERAL = 0;
const SEG_ONE = 1;
const SEG_REST = 2;

interface TemplateSegment {
  readonly kind: typeof SEG_LITERAL | typeof SEG_ONE | typeof SEG_REST;
  readonly text: string;
}

export interface PathPattern extends StrPattern {
  /** Template: the segments after the leading `/`. */
  readonly segments: readonly TemplateSegment[];
}

const NO_SEGMENTS: readonly TemplateSegment[] = [];

/** Compiles a `paths` value; throws an Error saying why when it is not a valid template. */
export function pathPattern(value: string): PathPattern {
  if (!value.includes('{*}') && !value.includes('{**}')) return { ...strPattern(value), segments: NO_SEGMENTS };
  if (!value.startsWith('/')) throw new Error(`path template ${JSON.stringify(value)} must start with /`);
  const parts = value.slice(1).split('/');
  const segments: TemplateSegment[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string;
    if (part === '{*}') segments.push({ kind: SEG_ONE, text: '' });
    else if (part === '{**}') {
      if (i !== parts.length - 1) throw new Error(`path template ${JSON.stringify(value)}: {**} must be the last segment`);
      segments.push({ kind: SEG_REST, text: '' });
    } else if (part.includes('{') || part.includes('}') || part.includes('*')) {
      throw new Error(`path template ${JSON.stringify(value)}: {*} and {**} must be whole segments, and * is not allowed beside them`);
    } else segments.push({ kind: SEG_LITERAL, text: part });
  }
  return { kind: PatternKind.Template, text: value, edge: 0, segments };
}

function matchTemplate(segs: readonly TemplateSegment[], path: string): boolean {
  if (path.charCodeAt(0) !== 47) return false;
  let pos = 1;
  const n = segs.length;
  for (let k = 0; k < n; k++) {
    const seg = segs[k] as TemplateSegment;
    if (seg.kind === SEG_REST) return true;
    let end = path.indexOf('/', pos);
    if (end < 0) end = path.length;
    if (seg.kind === SEG_ONE) {
      if (end === pos) return false;
    } else if (end - pos !== seg.text.length || !path.startsWith(seg.text, pos)) return false;
    if (k === n - 1) return end === path.length;
    if (end === path.length) return false;
    pos = end + 1;
  }
  return false;
}

export function pathMatches(p: PathPattern, path: string): boolean {
  return p.kind === PatternKind.Template ? matchTemplate(p.segments, path) : matches(p, path);
}

export function anyPathMatches(list: readonly PathPattern[], path: string): boolean {
  for (let i = 0; i < list.length; i++) if (pathMatches(list[i] as PathPattern, path)) return true;
  return false;
}

// ---- hosts ----

/** The host part of an authority (`host`, `host:port`, `[v6]:port`); the authority itself when it has no port. */
export function hostOf(authority: string): string {
  let end: number;
  if (authority.charCodeAt(0) === 91) {
    const close = authority.indexOf(']');
    end = close < 0 ? authority.length : close + 1;
  } else {
    const colon = authority.indexOf(':');
    end = colon < 0 ? authority.length : colon;
  }
  return end === authority.length ? authority : authority.slice(0, end);
}

/**
 * Whether a lower-cased authority matches a host pattern, with or without its port: `example.com`
 * matches `example.com` and `example.com:8080`; `example.com:8080` matches only that port.
 */
export function anyHostMatches(list: readonly StrPattern[], authority: string, host: string): boolean {
  for (let i = 0; i < list.length; i++) {
    const p = list[i] as StrPattern;
    if (matches(p, authority) || (host !== authority && matches(p, host))) return true;
  }
  return false;
}
