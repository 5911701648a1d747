// What the control plane accepts as a JWKS and sends on to proxies: a JSON object whose `keys`
// holds at least one public key. Private and symmetric key material is dropped, so a misconfigured
// endpoint that serves secrets does not spread them into every proxy's config. The result is
// re-serialised, so whitespace or member order alone never makes a config change.

/** JWK members that only private or symmetric keys have. */
const SECRET_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

export type CanonicalJwks = { jwks: string } | { error: string };

export function canonicalJwks(text: string): CanonicalJwks {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    return { error: `JWKS is not valid JSON: ${(e as Error).message}` };
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return { error: 'JWKS is not a JSON object' };
  const keys = (v as { keys?: unknown }).keys;
  if (!Array.isArray(keys)) return { error: 'JWKS has no "keys" array' };
  const kept: Record<string, unknown>[] = [];
  for (const k of keys) {
    if (typeof k !== 'object' || k === null || Array.isArray(k)) continue;
    const jwk = k as Record<string, unknown>;
    if (typeof jwk['kty'] !== 'string' || jwk['kty'] === 'oct') continue;
    if (SECRET_MEMBERS.some((m) => m in jwk)) continue;
    kept.push(jwk);
  }
  if (kept.length === 0) return { error: keys.length === 0 ? 'JWKS has no keys' : 'JWKS has no usable public keys' };
  return { jwks: JSON.stringify({ keys: kept }) };
}
