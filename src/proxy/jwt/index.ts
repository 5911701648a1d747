// RequestAuthentication (JWT) for the proxy: build the filter once per config version from
// `ProxyConfig.security.jwtRules` and put it in each inbound/gateway chain before authorization.

export { createJwtFilter, claimHeaderValue, DEFAULT_TOKEN_CACHE_SIZE, type JwtFilterOptions, type JwtFilterStats } from './jwt-filter.ts';
export { JwtFailure } from './jwt-failure.ts';
export { CLOCK_SKEW_SECONDS } from './jwt-rule.ts';
export { replyUnauthorized } from './unauthorized-reply.ts';
