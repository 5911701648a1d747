// RequestAuthentication rules as a proxy receives them: each named `<ns>/<name>#<index>` and
// carrying its JWKS (inline `jwks` wins; a `jwksUri` is answered by the resolver's lookup), or
// the reason there is none. Pure and synchronous, for the config generator.
//
// The types are structural so this file imports nothing: `JWTRule[]` from the API goes in and
// `JwtRuleConfig[]` comes out.

import type { JwksLookup } from './jwks-resolver.ts';

/** The JWTRule fields this step reads. */
export interface JwksSource {
  jwks?: string;
  jwksUri?: string;
  timeout?: string;
}

export type ResolvedJwtRule<R extends JwksSource> = R & { name: string; resolvedJwks?: string; jwksError?: string };

export type JwksLookupFn = (uri: string, timeout?: string) => JwksLookup;

export function resolveJwtRule<R extends JwksSource>(rule: R, name: string, lookup: JwksLookupFn | undefined): ResolvedJwtRule<R> {
  const out: ResolvedJwtRule<R> = { ...rule, name };
  if (rule.jwks !== undefined && rule.jwks !== '') {
    out.resolvedJwks = rule.jwks;
    return out;
  }
  const uri = rule.jwksUri;
  if (uri === undefined || uri === '') {
    // Istio would discover the key URL from the issuer's OpenID configuration; not supported here.
    out.jwksError = 'the rule has neither jwks nor jwksUri';
    return out;
  }
  const got = lookup === undefined ? undefined : rule.timeout === undefined ? lookup(uri) : lookup(uri, rule.timeout);
  if (got?.jwks !== undefined) out.resolvedJwks = got.jwks;
  else out.jwksError = got?.error ?? (got?.pending === true ? `JWKS from ${uri} not fetched yet` : `JWKS from ${uri} is not available`);
  return out;
}

/** Every rule of one RequestAuthentication (`owner` is `<namespace>/<name>`), in order. */
export function resolveJwtRules<R extends JwksSource>(rules: readonly R[] | undefined, owner: string, lookup: JwksLookupFn | undefined): ResolvedJwtRule<R>[] {
  return (rules ?? []).map((r, i) => resolveJwtRule(r, `${owner}#${i}`, lookup));
}
