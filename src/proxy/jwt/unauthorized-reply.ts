// The 401 a refused token gets: Envoy's short reason as the body, and a `WWW-Authenticate`
// challenge naming the request URL as the realm (RFC 6750 §3: `error="invalid_token"`). The
// exchange's localReply takes no extra headers, so the reply goes out as a response head of its
// own through respondHead.

import { BodyKind, type Exchange } from '../exchange.ts';
import { parseResponseHead } from '../http1-parser.ts';

/** Longest request path put in the realm. */
const MAX_REALM_PATH = 256;

/** `<scheme>://<authority><path without query>`, safe inside a quoted header parameter. */
export function realmOf(ex: Exchange): string {
  const path = ex.pathOnly.length > MAX_REALM_PATH ? ex.pathOnly.slice(0, MAX_REALM_PATH) : ex.pathOnly;
  // The query is left out: it may carry the token itself (`access_token`).
  const raw = `${ex.scheme}://${ex.authority}${path}`;
  // Quoted-string: escape `"` and `\`; drop anything that is not visible ASCII or a space.
  return raw.replace(/[\\"]/g, '\\$&').replace(/[^\x20-\x7e]/g, '');
}

/** Answers 401 with `message` (one of the JwtFailure texts). Does nothing once a response started. */
export function replyUnauthorized(ex: Exchange, message: string): void {
  if (ex.responseStarted || ex.closed) return;
  const body = Buffer.from(message, 'latin1');
  const text =
    `HTTP/1.1 401 Unauthorized\r\n` +
    `www-authenticate: Bearer realm="${realmOf(ex)}", error="invalid_token"\r\n` +
    `content-type: text/plain\r\n` +
    `content-length: ${body.length}\r\n` +
    `x-isthmus-reason: - ${message}\r\n\r\n`;
  const buf = Buffer.from(text, 'latin1');
  let head;
  try {
    head = parseResponseHead(buf, 0, buf.length);
  } catch {
    // Unreachable with the sanitised realm; a plain local reply is the safe fallback.
    ex.localReply(401, '-', message);
    return;
  }
  ex.respondHead({ status: 401, head, bodyKind: BodyKind.Length, contentLength: body.length });
  ex.respondData(body, 0, body.length);
  ex.respondEnd();
}
