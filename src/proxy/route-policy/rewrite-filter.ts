// VirtualService rewrite: what goes upstream is a new path (the matched prefix replaced, or a
// regex substitution on the path) and/or a new authority. The request as received stays as it
// is for everything else (telemetry, later filters).

import type { RouteMatch } from '../../api/index.ts';
import type { Filter } from '../filter.ts';
import type { RouteRequestView } from '../router.ts';
import type { RewritePolicy } from './compile.ts';

/**
 * What `uri` replaces: the route's match prefix; `/` when the route has no path match (Envoy
 * matches such routes on the prefix `/`); null (the whole path) for exact and regex matches.
 */
export function rewritePrefixOf(match: RouteMatch | undefined): string | null {
  const p = match?.path;
  if (p === undefined) return '/';
  return p.prefix !== undefined ? p.prefix : null;
}

/** The upstream path for this request, or null when `r` leaves it alone. */
export function rewrittenPath(r: RewritePolicy, prefix: string | null, req: RouteRequestView): string | null {
  const path = req.path;
  if (r.uri !== null) {
    // The route matched, so a prefix route's path starts with the prefix (in some letter case).
    if (prefix !== null && req.pathOnly.length >= prefix.length) return r.uri + path.slice(prefix.length);
    const q = path.indexOf('?');
    return q === -1 ? r.uri : r.uri + path.slice(q);
  }
  if (r.uriRegex !== null) {
    const only = req.pathOnly;
    return only.replace(r.uriRegex.pattern, r.uriRegex.replacement) + path.slice(only.length);
  }
  return null;
}

export function rewriteFilter(r: RewritePolicy, match: RouteMatch | undefined): Filter {
  const prefix = rewritePrefixOf(match);
  const rewritesPath = r.uri !== null || r.uriRegex !== null;
  return (next) => (ex) => {
    if (rewritesPath) ex.upstreamPath = rewrittenPath(r, prefix, ex);
    if (r.authority !== null) ex.upstreamAuthority = r.authority;
    next(ex);
  };
}
