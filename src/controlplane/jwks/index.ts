// JWKS for RequestAuthentication: the resolver that fetches and refreshes `jwksUri` key sets for
// the control plane, and the pure step that puts them into the rules sent to proxies.

export {
  DEFAULT_JWKS_MAX_BYTES,
  DEFAULT_JWKS_MAX_URIS,
  DEFAULT_JWKS_REFRESH_MS,
  DEFAULT_JWKS_TIMEOUT_MS,
  JwksResolver,
  type JwksLookup,
  type JwksResolverLog,
  type JwksResolverOptions,
  type JwksUriStatus,
} from './jwks-resolver.ts';
export { resolveJwtRule, resolveJwtRules, type JwksLookupFn, type JwksSource, type ResolvedJwtRule } from './resolve-jwt-rules.ts';
export { canonicalJwks, type CanonicalJwks } from './canonical-jwks.ts';
export { parseTimeoutMs } from './parse-timeout.ts';
