// The per-pod credential: the local platform gives each proxy a token that names the pod it
// serves, and the control plane's CA signs a certificate only for the identity the token names.
//
//   v1.<base64url(JSON claims)>.<base64url(HMAC-SHA256(key, "v1.<payload>"))>
//
// The key is 32 random bytes in a file only the platform's user can read (mode 0600).
// Verification never throws: anything that is not exactly a token this key made is refused with
// a reason, and the MAC is checked (in constant time) before the payload is parsed.

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdir, open, readFile, link, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { IsthmusError } from './errors.ts';

export const CredentialErrors = {
  /** The claims given to issuePodCredential are not valid Kubernetes names or times. */
  CLAIMS: 'ISTHMUS_ERR_CREDENTIAL_CLAIMS',
  /** The platform key file is unreadable or not 32 bytes. */
  KEY: 'ISTHMUS_ERR_CREDENTIAL_KEY',
} as const;

export interface PodClaims {
  namespace: string;
  pod: string;
  serviceAccount: string;
  /** When the platform issued the credential, ms since the epoch. */
  issuedAt: number;
}

/** Why a credential was refused; stable strings, safe to log. */
export type CredentialRejection = 'too-large' | 'malformed' | 'unsupported-version' | 'bad-mac' | 'bad-claims';

export type CredentialCheck = { ok: true; claims: PodClaims } | { ok: false; reason: CredentialRejection };

export const POD_CREDENTIAL_KEY_BYTES = 32;
/** Upper bound on a token's length; a real one is about 200 characters. */
export const MAX_POD_CREDENTIAL_LENGTH = 1024;

const VERSION = 'v1';
const MAC_BYTES = 32;
const B64URL = /^[A-Za-z0-9_-]+$/;
// Kubernetes naming: a namespace is a DNS-1123 label; pod and service account names are
// DNS-1123 subdomains. Checking them here also keeps '/' out of the SPIFFE path built from them.
const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/;

function claimsProblem(c: PodClaims): string | null {
  if (typeof c.namespace !== 'string' || !DNS_LABEL.test(c.namespace)) return 'namespace is not a DNS-1123 label';
  if (typeof c.pod !== 'string' || !DNS_SUBDOMAIN.test(c.pod)) return 'pod is not a DNS-1123 subdomain';
  if (typeof c.serviceAccount !== 'string' || !DNS_SUBDOMAIN.test(c.serviceAccount)) return 'serviceAccount is not a DNS-1123 subdomain';
  if (typeof c.issuedAt !== 'number' || !Number.isSafeInteger(c.issuedAt) || c.issuedAt < 0) return 'issuedAt is not a non-negative integer (ms since the epoch)';
  return null;
}

function mac(key: Uint8Array, signed: string): Buffer {
  return createHmac('sha256', key).update(signed).digest();
}

function checkKey(key: Uint8Array): void {
  if (key.length !== POD_CREDENTIAL_KEY_BYTES) throw new IsthmusError(CredentialErrors.KEY, `pod credential key must be ${POD_CREDENTIAL_KEY_BYTES} bytes, got ${key.length}`);
}

export function issuePodCredential(key: Uint8Array, claims: PodClaims): string {
  checkKey(key);
  const problem = claimsProblem(claims);
  if (problem !== null) throw new IsthmusError(CredentialErrors.CLAIMS, `cannot issue pod credential: ${problem}`);
  // Fixed field order, so the same claims always give the same token.
  const json = JSON.stringify({ namespace: claims.namespace, pod: claims.pod, serviceAccount: claims.serviceAccount, issuedAt: claims.issuedAt });
  const signed = `${VERSION}.${Buffer.from(json).toString('base64url')}`;
  return `${signed}.${mac(key, signed).toString('base64url')}`;
}

/** Decodes a base64url segment only if it is the canonical encoding (no padding, no stray bits). */
function strictB64url(s: string): Buffer | null {
  if (!B64URL.test(s)) return null;
  const b = Buffer.from(s, 'base64url');
  return b.toString('base64url') === s ? b : null;
}

function parseClaims(payload: Buffer): PodClaims | null {
  let v: unknown;
  try {
    v = JSON.parse(payload.toString('utf8'));
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return null;
  const keys = Object.keys(v).sort();
  if (keys.join(',') !== 'issuedAt,namespace,pod,serviceAccount') return null;
  const c = v as PodClaims;
  return claimsProblem(c) === null ? { namespace: c.namespace, pod: c.pod, serviceAccount: c.serviceAccount, issuedAt: c.issuedAt } : null;
}

export function verifyPodCredential(key: Uint8Array, token: unknown): CredentialCheck {
  if (key.length !== POD_CREDENTIAL_KEY_BYTES) return { ok: false, reason: 'bad-mac' };
  if (typeof token !== 'string') return { ok: false, reason: 'malformed' };
  if (token.length > MAX_POD_CREDENTIAL_LENGTH) return { ok: false, reason: 'too-large' };
  const parts = token.split('.');
  if (parts.length !== 3) return { ok: false, reason: 'malformed' };
  const [version, payloadB64, macB64] = parts as [string, string, string];
  if (version !== VERSION) return { ok: false, reason: 'unsupported-version' };
  const payload = strictB64url(payloadB64);
  const given = strictB64url(macB64);
  if (payload === null || given === null || given.length !== MAC_BYTES) return { ok: false, reason: 'malformed' };
  if (!timingSafeEqual(given, mac(key, `${version}.${payloadB64}`))) return { ok: false, reason: 'bad-mac' };
  const claims = parseClaims(payload);
  return claims === null ? { ok: false, reason: 'bad-claims' } : { ok: true, claims };
}

/**
 * The claims of a token without checking its MAC: for the proxy, which holds no key, to learn
 * which identity it was given. Never use this to decide what a caller may do.
 */
export function readPodCredentialUnverified(token: string): PodClaims | null {
  if (token.length > MAX_POD_CREDENTIAL_LENGTH) return null;
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] !== VERSION) return null;
  const payload = strictB64url(parts[1] ?? '');
  return payload === null ? null : parseClaims(payload);
}

/**
 * Reads the platform key at `path`, or creates it: 32 random bytes, mode 0600, in a directory
 * made with mode 0700. Creation is atomic (a temp file hard-linked into place), so a reader never
 * sees a partial key and two starting platforms agree on one key.
 */
export async function loadOrCreateKey(path: string): Promise<Buffer> {
  try {
    return await readKey(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const fh = await open(tmp, 'wx', 0o600);
  try {
    await fh.writeFile(randomBytes(POD_CREDENTIAL_KEY_BYTES));
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await link(tmp, path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    // Someone else created it first: theirs wins.
  } finally {
    await unlink(tmp).catch(() => {});
  }
  return readKey(path);
}

async function readKey(path: string): Promise<Buffer> {
  const key = await readFile(path).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') throw e;
    throw new IsthmusError(CredentialErrors.KEY, `cannot read pod credential key ${path}: ${e.message}`, { cause: e });
  });
  if (key.length !== POD_CREDENTIAL_KEY_BYTES) {
    throw new IsthmusError(CredentialErrors.KEY, `pod credential key ${path} must hold ${POD_CREDENTIAL_KEY_BYTES} bytes, found ${key.length}`);
  }
  return key;
}
