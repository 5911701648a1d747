// AuthorizationPolicy enforcement in the proxy: the compiled policy engine, the HTTP filter and
// the CUSTOM action's external authorizer client.

export { compileAuthz, compileForTcp, CompiledAuthz, AuthzReason, type AuthzDecision, type CompileAuthzOptions, type CustomGroup } from './compile.ts';
export { createAuthzFilter, AUTHZ_CHANNEL, RBAC_DENIED_BODY, UAEX, type AuthzEvent, type AuthzFilterOptions } from './filter.ts';
export { ExtAuthzClient, type ExtAuthzVerdict, type ExtAuthzClientOptions } from './ext-authz.ts';
export { normalizePath } from './normalize-path.ts';
export type { AuthzConnectionView, AuthzRequestView } from './request-facts.ts';
