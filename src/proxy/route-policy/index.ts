export {
  compileRoutePolicy, DEFAULT_RETRY_POLICY, DerivePort, EMPTY_ROUTE_POLICY,
  type CompiledRoutePolicy, type CorsPolicy, type FaultAbort, type FaultDelay, type FaultPolicy, type HeaderOperations,
  type RedirectPolicy, type RetryPolicy, type RewritePolicy, type RoutePolicy,
} from './compile.ts';
export { compileDestinationHeaders, type DestinationHeaders } from './compile.ts';
export { applyRequestHeaders, applyResponseHeaders } from './header-filters.ts';
export { parseDurationMs } from './duration.ts';
export { routePolicyFilters, type RoutePolicyOptions } from './filters.ts';
