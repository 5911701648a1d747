// The path authorization matches against: the request path without its query, normalized so
// that spellings of one resource cannot slip past a rule written for another (`/./admin`,
// `//admin`, `/a/../admin`, `/%61dmin` are all `/admin`).
//
//   1. percent-encoded unreserved characters (ALPHA, DIGIT, `-`, `.`, `_`, `~`) are decoded, and
//      the hex digits of every other escape are upper-cased (`%2f` -> `%2F`); an encoded slash
//      stays encoded, so `/a%2Fb` is one segment, as it is for most backends;
//   2. runs of `/` are merged into one;
//   3. `.` and `..` segments are resolved (RFC 3986 section 5.2.4); `..` never climbs above `/`.
//
// Only this decision uses the normalized form; the request is forwarded as received.

/** Whether `path` may change under normalization (one scan, no allocation). */
function needsNormalization(path: string): boolean {
  let prev = 0;
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c === 37) return true; // %
    if (prev === 47 && (c === 47 || c === 46)) return true; // `//` or `/.`
    prev = c;
  }
  return false;
}

function isUnreserved(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45 || c === 46 || c === 95 || c === 126;
}

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

function decodeUnreserved(path: string): string {
  if (path.indexOf('%') < 0) return path;
  let out = '';
  let from = 0;
  for (let i = 0; i < path.length; i++) {
    if (path.charCodeAt(i) !== 37 || i + 2 >= path.length) continue;
    const hi = hexVal(path.charCodeAt(i + 1));
    const lo = hexVal(path.charCodeAt(i + 2));
    if (hi < 0 || lo < 0) continue;
    const c = hi * 16 + lo;
    out += path.slice(from, i) + (isUnreserved(c) ? String.fromCharCode(c) : `%${path[i + 1]}${path[i + 2]}`.toUpperCase());
    from = i + 3;
    i += 2;
  }
  return out + path.slice(from);
}

/** The normalized form of a path without query; returns `path` itself when nothing changes. */
export function normalizePath(path: string): string {
  // Only origin-form paths are normalized (`*` of `OPTIONS *` is left alone).
  if (path.charCodeAt(0) !== 47 || !needsNormalization(path)) return path;
  const decoded = decodeUnreserved(path);
  const segments = decoded.split('/');
  const out: string[] = [];
  const last = segments.length - 1;
  let trailingSlash = false;
  for (let i = 1; i <= last; i++) {
    const seg = segments[i] as string;
    trailingSlash = false;
    if (seg === '' || seg === '.') {
      trailingSlash = true;
      continue;
    }
    if (seg === '..') {
      out.pop();
      trailingSlash = true;
      continue;
    }
    out.push(seg);
  }
  if (out.length === 0) return '/';
  return `/${out.join('/')}${trailingSlash ? '/' : ''}`;
}
