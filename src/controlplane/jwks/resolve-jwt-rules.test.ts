import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { JwtRuleConfig, JWTRule } from '../../api/index.ts';
import type { JwksLookup } from './jwks-resolver.ts';
import { resolveJwtRules } from './resolve-jwt-rules.ts';

const table: Record<string, JwksLookup> = {
  'https://ok/jwks': { jwks: '{"keys":[{"kty":"EC"}]}' },
  'https://down/jwks': { error: 'cannot fetch JWKS from https://down/jwks: HTTP 503' },
  'https://new/jwks': { pending: true },
};

test('inline jwks wins; jwksUri is looked up; pending and errors become jwksError', () => {
  const seen: [string, string | undefined][] = [];
  const lookup = (uri: string, timeout?: string): JwksLookup => {
    seen.push([uri, timeout]);
    return table[uri] ?? {};
  };
  const rules: JWTRule[] = [
    { issuer: 'a', jwks: '{"keys":[]}', jwksUri: 'https://ok/jwks' },
    { issuer: 'b', jwksUri: 'https://ok/jwks', timeout: '2s', audiences: ['x'] },
    { issuer: 'c', jwksUri: 'https://down/jwks' },
    { issuer: 'd', jwksUri: 'https://new/jwks' },
    { issuer: 'e' },
  ];
  // The structural types line up with the API's: JWTRule in, JwtRuleConfig out.
  const out: JwtRuleConfig[] = resolveJwtRules(rules, 'istio-system/jwt-example', lookup);
  assert.deepEqual(out, [
    { issuer: 'a', jwks: '{"keys":[]}', jwksUri: 'https://ok/jwks', name: 'istio-system/jwt-example#0', resolvedJwks: '{"keys":[]}' },
    { issuer: 'b', jwksUri: 'https://ok/jwks', timeout: '2s', audiences: ['x'], name: 'istio-system/jwt-example#1', resolvedJwks: '{"keys":[{"kty":"EC"}]}' },
    { issuer: 'c', jwksUri: 'https://down/jwks', name: 'istio-system/jwt-example#2', jwksError: 'cannot fetch JWKS from https://down/jwks: HTTP 503' },
    { issuer: 'd', jwksUri: 'https://new/jwks', name: 'istio-system/jwt-example#3', jwksError: 'JWKS from https://new/jwks not fetched yet' },
    { issuer: 'e', name: 'istio-system/jwt-example#4', jwksError: 'the rule has neither jwks nor jwksUri' },
  ]);
  assert.deepEqual(seen, [['https://ok/jwks', '2s'], ['https://down/jwks', undefined], ['https://new/jwks', undefined]]);
  assert.deepEqual(resolveJwtRules(undefined, 'x/y', lookup), []);
  assert.equal(resolveJwtRules([{ jwksUri: 'https://ok/jwks' }], 'x/y', undefined)[0]?.jwksError, 'JWKS from https://ok/jwks is not available');
});
