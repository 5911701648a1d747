// Decodes a compact JWS without trusting it: enough to pick the rule whose issuer matches and to
// check the claims before spending a signature verification. Every malformed input becomes one of
// the JwtFailure texts; nothing here throws.

import { JwtFailure } from './jwt-failure.ts';

/** Algorithms a rule's JWKS can verify (asymmetric only: a JWKS carries public keys). */
export const JWT_ALGORITHMS: readonly string[] = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];
const ALGS = new Set(JWT_ALGORITHMS);

/**
 * Longest token looked at. Request heads are capped well below this; the bound is for what a
 * cookie or query string could still carry, and keeps JSON parsing of hostile input small.
 */
export const MAX_TOKEN_LENGTH = 32 * 1024;

const B64URL = /^[A-Za-z0-9_-]*$/;

export interface ParsedJwt {
  readonly token: string;
  readonly alg: string;
  /** The base64url payload segment as received (what `outputPayloadToHeader` forwards). */
  readonly payloadSegment: string;
  /** The payload object (null prototype, so claim lookups by arbitrary names find only claims). */
  readonly claims: Record<string, unknown>;
  readonly iss: string | undefined;
  readonly sub: string | undefined;
  /** `aud` as a list (a single string becomes one element). */
  readonly aud: readonly string[];
  /** Seconds since the epoch, when present. */
  readonly exp: number | undefined;
  readonly nbf: number | undefined;
}

function isB64url(s: string): boolean {
  // Length 4n+1 cannot come from base64 without padding.
  return s.length % 4 !== 1 && B64URL.test(s);
}

function decodeObject(seg: string): Record<string, unknown> | null {
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(seg, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return null;
  return v as Record<string, unknown>;
}

function isTime(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0;
}

export function parseJwt(token: string): ParsedJwt | JwtFailure {
  if (token.length > MAX_TOKEN_LENGTH) return JwtFailure.VerificationFails;
  const d1 = token.indexOf('.');
  const d2 = d1 < 0 ? -1 : token.indexOf('.', d1 + 1);
  if (d2 < 0 || token.indexOf('.', d2 + 1) >= 0) return JwtFailure.BadFormat;

  const headerSeg = token.slice(0, d1);
  if (!isB64url(headerSeg)) return JwtFailure.HeaderBadBase64;
  const header = decodeObject(headerSeg);
  if (header === null) return JwtFailure.HeaderBadJson;
  const alg = header['alg'];
  if (typeof alg !== 'string') return JwtFailure.HeaderBadAlg;
  if (!ALGS.has(alg)) return JwtFailure.AlgNotSupported;
  if (header['kid'] !== undefined && typeof header['kid'] !== 'string') return JwtFailure.HeaderBadKid;

  const payloadSegment = token.slice(d1 + 1, d2);
  if (!isB64url(payloadSegment)) return JwtFailure.PayloadBadBase64;
  const claims = decodeObject(payloadSegment);
  if (claims === null) return JwtFailure.PayloadBadJson;
  Object.setPrototypeOf(claims, null);

  const iss = claims['iss'];
  if (iss !== undefined && typeof iss !== 'string') return JwtFailure.IssNotString;
  const sub = claims['sub'];
  if (sub !== undefined && typeof sub !== 'string') return JwtFailure.SubNotString;
  const rawAud = claims['aud'];
  let aud: readonly string[];
  if (rawAud === undefined) aud = [];
  else if (typeof rawAud === 'string') aud = [rawAud];
  else if (Array.isArray(rawAud) && rawAud.every((a) => typeof a === 'string')) aud = rawAud as string[];
  else return JwtFailure.AudNotString;
  const exp = claims['exp'];
  if (exp !== undefined && !isTime(exp)) return JwtFailure.ExpNotInteger;
  const nbf = claims['nbf'];
  if (nbf !== undefined && !isTime(nbf)) return JwtFailure.NbfNotInteger;

  if (!isB64url(token.slice(d2 + 1))) return JwtFailure.SignatureBadBase64;
  return { token, alg, payloadSegment, claims, iss, sub, aud, exp, nbf };
}
