// One RequestAuthentication JWT rule, compiled once per config version: its issuer, audiences,
// key set and outputs. Claims are checked synchronously (cheap, and done before the signature as
// Envoy does); the signature check is jose's and asynchronous.

import { compactVerify, createLocalJWKSet, type CryptoKey, type JSONWebKeySet } from 'jose';
import type { JwtRuleConfig } from '../../api/index.ts';
import type { Logger } from '../../shared/index.ts';
import { JwtFailure } from './jwt-failure.ts';
import { JWT_ALGORITHMS, type ParsedJwt } from './parse-jwt.ts';

/** Seconds of clock difference tolerated on `exp` and `nbf` (Envoy's default). */
export const CLOCK_SKEW_SECONDS = 60;

type KeySet = ReturnType<typeof createLocalJWKSet>;

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9a-z-]+$/;

/**
 * Audiences compare without an `http://` or `https://` scheme and a trailing slash, so
 * `https://api.example.com/` in a token matches `api.example.com` in the rule.
 */
export function normalizeAudience(a: string): string {
  let s = a;
  if (s.startsWith('http://')) s = s.slice(7);
  else if (s.startsWith('https://')) s = s.slice(8);
  if (s.endsWith('/')) s = s.slice(0, -1);
  return s;
}

export class CompiledJwtRule {
  readonly index: number;
  readonly name: string;
  /** '' accepts any issuer the keys verify. */
  readonly issuer: string;
  /** Normalized allowed audiences, or null when the rule lists none (any audience). */
  readonly audiences: ReadonlySet<string> | null;
  readonly forwardOriginalToken: boolean;
  readonly payloadHeader: string | null;
  readonly claimHeaders: readonly { header: string; claim: string }[];
  readonly #keys: KeySet | null;
  /** Why no token can verify against this rule's keys, or null when it has keys. */
  readonly keyFailure: JwtFailure | null;

  constructor(rule: JwtRuleConfig, index: number, log: Logger) {
    this.index = index;
    this.name = rule.name;
    this.issuer = rule.issuer ?? '';
    const auds = (rule.audiences ?? []).filter((a) => a !== '');
    this.audiences = auds.length > 0 ? new Set(auds.map(normalizeAudience)) : null;
    this.forwardOriginalToken = rule.forwardOriginalToken === true;
    const header = (name: string | undefined, what: string): string | null => {
      if (name === undefined || name === '') return null;
      const n = name.toLowerCase();
      if (HEADER_NAME.test(n)) return n;
      log.warn('jwt rule output header ignored: not a valid header name', { rule: rule.name, [what]: name });
      return null;
    };
    this.payloadHeader = header(rule.outputPayloadToHeader, 'outputPayloadToHeader');
    const claims: { header: string; claim: string }[] = [];
    for (const c of rule.outputClaimToHeaders ?? []) {
      const h = header(c.header, 'outputClaimToHeaders');
      if (h !== null && c.claim !== '') claims.push({ header: h, claim: c.claim });
    }
    this.claimHeaders = claims;

    let keys: KeySet | null = null;
    let failure: JwtFailure | null = null;
    if (rule.jwksError !== undefined || rule.resolvedJwks === undefined) {
      failure = JwtFailure.JwksFetchFailed;
      log.warn('jwt rule has no JWKS; its tokens are refused', { rule: rule.name, error: rule.jwksError ?? 'no JWKS was resolved' });
    } else {
      let parsed: unknown;
      try {
        parsed = JSON.parse(rule.resolvedJwks);
      } catch {
        failure = JwtFailure.JwksBadJson;
      }
      if (failure === null) {
        try {
          keys = createLocalJWKSet(parsed as JSONWebKeySet);
        } catch {
          failure = JwtFailure.JwksNoValidKeys;
        }
      }
      if (failure !== null) log.warn('jwt rule JWKS is unusable; its tokens are refused', { rule: rule.name, error: failure });
    }
    this.#keys = keys;
    this.keyFailure = failure;
  }

  /** Whether a token with this `iss` belongs to the rule. */
  acceptsIssuer(iss: string | undefined): boolean {
    return this.issuer === '' || this.issuer === iss;
  }

  /** Time and audience checks; null when they pass. */
  checkClaims(p: ParsedJwt, nowSeconds: number): JwtFailure | null {
    if (p.exp !== undefined && nowSeconds > p.exp + CLOCK_SKEW_SECONDS) return JwtFailure.Expired;
    if (p.nbf !== undefined && nowSeconds + CLOCK_SKEW_SECONDS < p.nbf) return JwtFailure.NotYetValid;
    const allowed = this.audiences;
    if (allowed !== null) {
      let ok = false;
      for (const a of p.aud) {
        if (allowed.has(normalizeAudience(a))) {
          ok = true;
          break;
        }
      }
      if (!ok) return JwtFailure.AudienceNotAllowed;
    }
    return this.keyFailure;
  }

  /** Verifies the signature with the rule's keys; resolves null on success. Never rejects. */
  async verifySignature(token: string): Promise<JwtFailure | null> {
    const keys = this.#keys;
    if (keys === null) return this.keyFailure ?? JwtFailure.VerificationFails;
    const options = { algorithms: JWT_ALGORITHMS as string[] };
    try {
      await compactVerify(token, keys, options);
      return null;
    } catch (e) {
      const code = (e as { code?: unknown } | null)?.code;
      if (code === 'ERR_JWKS_NO_MATCHING_KEY') return JwtFailure.JwksNoMatchingKey;
      if (code === 'ERR_JWKS_MULTIPLE_MATCHING_KEYS') {
        // No `kid` to choose by: try each key that fits the algorithm, as Envoy does.
        try {
          for await (const key of e as AsyncIterable<CryptoKey>) {
            try {
              await compactVerify(token, key, options);
              return null;
            } catch {
              // Next key.
            }
          }
        } catch {
          // Fall through to the failure.
        }
      }
      return JwtFailure.VerificationFails;
    }
  }
}
