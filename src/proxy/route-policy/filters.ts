// A route's VirtualService behaviours as filters, composed before its forwarder or direct
// response, in Envoy's order: CORS, fault, header edits, then redirect (terminal) or rewrite.
// Header edits come before the redirect so that, as in Envoy, redirects and direct responses
// carry the route's response headers while CORS preflights and fault aborts do not.

import type { RouteMatch } from '../../api/index.ts';
import type { Filter } from '../filter.ts';
import { EMPTY_ROUTE_POLICY, type RoutePolicy } from './compile.ts';
import { corsFilter } from './cors-filter.ts';
import { faultFilter } from './fault-filter.ts';
import { requestHeadersFilter, responseHeadersFilter } from './header-filters.ts';
import { redirectFilter } from './redirect-filter.ts';
import { rewriteFilter } from './rewrite-filter.ts';

export interface RoutePolicyOptions {
  /** Set on the exchange first, so replies made by these filters are attributed to the route. */
  routeName: string;
  /** The route's match: `uri` rewrites replace its path prefix. */
  match?: RouteMatch;
  /** [0, 1), as Math.random; injected by tests for fault percentages. */
  random?: () => number;
}

const NONE: readonly Filter[] = Object.freeze([]);

export function routePolicyFilters(policy: RoutePolicy, opts: RoutePolicyOptions): readonly Filter[] {
  if (policy === EMPTY_ROUTE_POLICY) return NONE;
  const out: Filter[] = [];
  if (policy.cors !== null) out.push(corsFilter(policy.cors));
  if (policy.fault !== null) out.push(faultFilter(policy.fault, opts.random === undefined ? {} : { random: opts.random }));
  if (policy.requestHeaders !== null) out.push(requestHeadersFilter(policy.requestHeaders));
  if (policy.responseHeaders !== null) out.push(responseHeadersFilter(policy.responseHeaders));
  if (policy.redirect !== null) out.push(redirectFilter(policy.redirect));
  else if (policy.rewrite !== null) out.push(rewriteFilter(policy.rewrite, opts.match));
  if (out.length === 0) return NONE;
  const name = opts.routeName;
  out.unshift((next) => (ex) => {
    ex.routeName = name;
    next(ex);
  });
  return out;
}
