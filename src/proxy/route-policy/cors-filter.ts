// VirtualService corsPolicy, as Envoy's CORS filter applies it: a preflight (OPTIONS with Origin
// and Access-Control-Request-Method) from an allowed origin is answered here; an actual request
// from an allowed origin gets the allow-origin headers on its response.

import type { Filter } from '../filter.ts';
import type { CorsPolicy } from './compile.ts';

export function corsFilter(c: CorsPolicy): Filter {
  // The preflight answer's headers, minus the origin, built once.
  const fixed: [string, string][] = [];
  if (c.allowCredentials) fixed.push(['access-control-allow-credentials', 'true']);
  if (c.allowMethods !== null) fixed.push(['access-control-allow-methods', c.allowMethods]);
  if (c.allowHeaders !== null) fixed.push(['access-control-allow-headers', c.allowHeaders]);
  if (c.maxAge !== null) fixed.push(['access-control-max-age', c.maxAge]);
  return (next) => (ex) => {
    const origin = ex.header('origin');
    if (origin === undefined || origin === '') return next(ex);
    const allowed = c.originMatches(origin);
    if (ex.method === 'OPTIONS' && ex.header('access-control-request-method') !== undefined) {
      if (allowed) return ex.directReply(200, '', [['access-control-allow-origin', origin], ...fixed]);
      if (c.forwardUnmatchedPreflights) return next(ex);
      return ex.directReply(200, '');
    }
    if (allowed) {
      const ops = ex.responseHeaderOps;
      ops.setHeader('access-control-allow-origin', origin);
      if (c.allowCredentials) ops.setHeader('access-control-allow-credentials', 'true');
      if (c.exposeHeaders !== null) ops.setHeader('access-control-expose-headers', c.exposeHeaders);
    }
    next(ex);
  };
}
