// A diagnostic is one problem found in config: where (file, line, column, field path), how bad
// (error rejects the resource, warning keeps it), a stable code, and a reason a person can act on.

export type Severity = 'error' | 'warning';

export interface Diagnostic {
  severity: Severity;
  /** A key of ConfigCodes (`ISTHMUS_ERR_CONFIG_...`). */
  code: string;
  file?: string;
  /** 1-based. */
  line?: number;
  /** 1-based. */
  column?: number;
  /** Field path inside the resource, such as `spec.http[0].match[1].uri.regex`; empty for the whole document. */
  path: string;
  message: string;
  /** `VirtualService default/reviews`, `Namespace bookinfo`. */
  resource?: string;
}

export type PathSegment = string | number;

const PLAIN_KEY = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

/** `['spec', 'http', 0, 'match']` → `spec.http[0].match`; keys that are not plain identifiers are quoted: `headers["x.y"]`. */
export function formatPath(segments: readonly PathSegment[]): string {
  let out = '';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else if (PLAIN_KEY.test(s)) out += out === '' ? s : `.${s}`;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out;
}

/** The inverse of formatPath. Returns undefined for text formatPath cannot produce. */
export function parsePath(path: string): PathSegment[] | undefined {
  const out: PathSegment[] = [];
  let i = 0;
  while (i < path.length) {
    const c = path[i];
    if (c === '.') {
      if (out.length === 0) return undefined;
      i++;
      const m = /^[A-Za-z_$][A-Za-z0-9_$-]*/.exec(path.slice(i));
      if (!m) return undefined;
      out.push(m[0]);
      i += m[0].length;
    } else if (c === '[') {
      const rest = path.slice(i);
      const num = /^\[(\d+)\]/.exec(rest);
      if (num) {
        out.push(Number(num[1]));
        i += num[0].length;
        continue;
      }
      const str = /^\["((?:[^"\\]|\\.)*)"\]/.exec(rest);
      if (!str) return undefined;
      out.push(JSON.parse(`"${str[1]}"`) as string);
      i += str[0].length;
    } else {
      if (out.length !== 0) return undefined;
      const m = /^[A-Za-z_$][A-Za-z0-9_$-]*/.exec(path);
      if (!m) return undefined;
      out.push(m[0]);
      i = m[0].length;
    }
  }
  return out;
}

/**
 * One line per diagnostic, compiler style:
 * `reviews.yaml:12:11: error: VirtualService default/reviews: spec.http[0].route[1].weight: weight -1 < 0 [ISTHMUS_ERR_CONFIG_INVALID_WEIGHT]`.
 * Parts that are unknown are left out.
 */
export function formatDiagnostic(d: Diagnostic): string {
  let where = '';
  if (d.file !== undefined) where = d.file;
  if (d.line !== undefined) {
    where += `${where === '' ? '' : ':'}${d.line}`;
    if (d.column !== undefined) where += `:${d.column}`;
  }
  const parts: string[] = [];
  if (where !== '') parts.push(where);
  parts.push(d.severity);
  if (d.resource !== undefined) parts.push(d.resource);
  if (d.path !== '') parts.push(d.path);
  return `${parts.join(': ')}: ${d.message} [${d.code}]`;
}

/** `VirtualService default/reviews`; cluster-scoped kinds have no namespace part. */
export function resourceLabel(kind: string, name: string | undefined, namespace: string | undefined): string {
  const n = name === undefined || name === '' ? '(no name)' : name;
  return namespace === undefined || namespace === '' ? `${kind} ${n}` : `${kind} ${namespace}/${n}`;
}
