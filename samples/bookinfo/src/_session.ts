// A signed session cookie: `<base64url(JSON)>.<base64url(HMAC-SHA256)>`. The signature stops a
// browser from claiming another user; the content is not secret.

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export const SESSION_COOKIE = 'session';

export interface Session {
  user: string;
}

export interface SessionCodec {
  encode(session: Session): string;
  /** The session in a cookie value, or null if it is missing, malformed or not signed by us. */
  decode(value: string): Session | null;
  /** The session carried by a request's `cookie` header, if any. */
  fromHeaders(headers: IncomingHttpHeaders): Session | null;
  setCookie(session: Session): string;
  clearCookie(): string;
}

/** Parses a `cookie` header into name -> value (the first occurrence of a name wins). */
export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (header === undefined) return out;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    if (!out.has(name)) out.set(name, value);
  }
  return out;
}

/** `secret` undefined: a random key for this process, so sessions end when it restarts. */
export function createSessionCodec(secret: string | undefined): SessionCodec {
  const key = secret === undefined ? randomBytes(32) : Buffer.from(secret, 'utf8');
  const sign = (payload: string): Buffer => createHmac('sha256', key).update(payload).digest();
  const attributes = 'Path=/; HttpOnly; SameSite=Lax';

  const encode = (session: Session): string => {
    const payload = Buffer.from(JSON.stringify({ user: session.user }), 'utf8').toString('base64url');
    return `${payload}.${sign(payload).toString('base64url')}`;
  };

  const decode = (value: string): Session | null => {
    const dot = value.indexOf('.');
    if (dot <= 0) return null;
    const payload = value.slice(0, dot);
    const given = Buffer.from(value.slice(dot + 1), 'base64url');
    const expected = sign(payload);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    try {
      const data: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
      const user = typeof data === 'object' && data !== null ? (data as { user?: unknown }).user : undefined;
      return typeof user === 'string' && user !== '' ? { user } : null;
    } catch {
      return null;
    }
  };

  return {
    encode,
    decode,
    fromHeaders(headers) {
      const value = parseCookies(headers.cookie).get(SESSION_COOKIE);
      return value === undefined ? null : decode(value);
    },
    setCookie: (session) => `${SESSION_COOKIE}=${encode(session)}; ${attributes}`,
    clearCookie: () => `${SESSION_COOKIE}=; ${attributes}; Max-Age=0`,
  };
}
