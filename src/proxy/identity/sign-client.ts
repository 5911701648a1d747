// POST /v1/ca/sign: a CSR and the pod credential in, a certificate chain and roots out.

import http from 'node:http';
import { API, type SignRequest } from '../../api/index.ts';
import { IdentityError, IdentityErrors } from './errors.ts';

const MAX_RESPONSE_BYTES = 1024 * 1024;

/** The parsed JSON body of a 200 answer; its shape is checked by the caller. */
export function postSign(controlPlaneUrl: string, body: SignRequest, timeoutMs: number): Promise<unknown> {
  const url = new URL(API.sign, controlPlaneUrl);
  const payload = Buffer.from(JSON.stringify(body));
  const failed = (msg: string, cause?: unknown) =>
    new IdentityError(IdentityErrors.SIGN_FAILED, `certificate request to ${url.origin} failed: ${msg}`, cause === undefined ? undefined : { cause });
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': payload.length, accept: 'application/json' },
      timeout: timeoutMs,
    });
    req.on('timeout', () => req.destroy(failed(`no answer within ${timeoutMs} ms`)));
    req.on('error', (e) => reject(e instanceof IdentityError ? e : failed(e.message, e)));
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_RESPONSE_BYTES) req.destroy(failed(`answer larger than ${MAX_RESPONSE_BYTES} bytes`));
        else chunks.push(c);
      });
      res.on('error', (e) => reject(failed(e.message, e)));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode !== 200) {
          reject(failed(`HTTP ${res.statusCode ?? '?'}: ${errorText(text)}`));
          return;
        }
        try {
          resolve(JSON.parse(text));
        } catch (e) {
          reject(failed('the answer is not JSON', e));
        }
      });
    });
    req.end(payload);
  });
}

/** The server's error message: `{error}` / `{message}` of a JSON body, or the text, shortened. */
function errorText(text: string): string {
  try {
    const v = JSON.parse(text) as { error?: unknown; message?: unknown };
    const m = typeof v.error === 'string' ? v.error : typeof v.message === 'string' ? v.message : null;
    if (m !== null) return m.slice(0, 500);
  } catch {
    // not JSON
  }
  return text.slice(0, 500) || '(empty body)';
}
