// httpbin: an HTTP request-and-response echo service with httpbin.org's JSON shapes, for trying out
// what the mesh does to a request on its way (headers added by sidecars, client certificates in
// X-Forwarded-Client-Cert, status codes and delays for fault and timeout rules).
//
// Every answer is built from the request alone; nothing is kept between requests.

import type http from 'node:http';
import { allowMethods, createServer, HttpError, readBody, send, sendJson } from '../../bookinfo/src/_server.ts';

/** Request bodies echoed back are capped; anything larger is answered 413. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** `/delay/<n>` waits at most this long, whatever n says. */
export const MAX_DELAY_SECONDS = 10;

const BODY_METHODS = ['POST', 'PUT', 'PATCH', 'DELETE'] as const;

const INDEX = `httpbin: an HTTP request and response service

GET  /                     this page
GET  /ip                   {"origin"}: the client address
GET  /headers              {"headers"}: the request headers
GET  /get                  {"args", "headers", "origin", "url"}
POST /post                 {"args", "data", "files", "form", "headers", "json", "origin", "url"}
PUT  /put                  as /post
PATCH /patch               as /post
DELETE /delete             as /post
ANY  /status/<code>        answers <code> with an empty body
ANY  /delay/<seconds>      answers like /get after <seconds> (at most ${MAX_DELAY_SECONDS})
ANY  /anything[/<path>]    echoes the method, args, data, form, headers, json, origin and url
`;

type Fields = Record<string, string | string[]>;

/**
 * A header name in canonical case: the first letter and every letter after a hyphen upper case,
 * the rest lower case (`x-forwarded-client-cert` -> `X-Forwarded-Client-Cert`).
 */
export function canonicalHeaderName(name: string): string {
  let out = '';
  let upper = true;
  for (const ch of name) {
    out += upper ? ch.toUpperCase() : ch.toLowerCase();
    upper = ch === '-';
  }
  return out;
}

/** The request headers by canonical name; repeated headers are joined with commas. */
export function headersOf(req: http.IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = canonicalHeaderName(raw[i]!);
    const value = raw[i + 1]!;
    out[name] = Object.hasOwn(out, name) ? `${out[name]},${value}` : value;
  }
  return out;
}

/** Query or form fields: one value as a string, a repeated name as an array of its values. */
function fieldsOf(params: URLSearchParams): Fields {
  const out: Fields = {};
  for (const [k, v] of params) {
    const prev = Object.hasOwn(out, k) ? out[k] : undefined;
    if (prev === undefined) out[k] = v;
    else if (Array.isArray(prev)) prev.push(v);
    else out[k] = [prev, v];
  }
  return out;
}

/** The client: X-Forwarded-For when a proxy in front set it, else the peer address. */
function originOf(req: http.IncomingMessage): string {
  const xff = req.headers['x-forwarded-for'];
  const forwarded = Array.isArray(xff) ? xff.join(', ') : xff;
  if (forwarded !== undefined && forwarded.trim() !== '') return forwarded.trim();
  const peer = req.socket.remoteAddress ?? '';
  return peer.startsWith('::ffff:') ? peer.slice('::ffff:'.length) : peer;
}

/** The URL the client asked for, with the scheme a proxy in front reports. */
function urlOf(req: http.IncomingMessage, url: URL): string {
  const proto = String(req.headers['x-forwarded-proto'] ?? '').split(',')[0]?.trim().toLowerCase();
  const scheme = proto === 'https' ? 'https' : 'http';
  const host = req.headers.host ?? url.host;
  return `${scheme}://${host}${url.pathname}${url.search}`;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The body as text, or as a base64 `data:` URL when it is not UTF-8. */
function dataOf(body: Buffer): string {
  try {
    return utf8.decode(body);
  } catch {
    return `data:application/octet-stream;base64,${body.toString('base64')}`;
  }
}

/**
 * The body read as JSON, whatever the content type says; null when it is empty or not JSON, or
 * nested too deeply to be written back out.
 */
export function jsonOf(text: string): unknown {
  if (text.trim() === '') return null;
  try {
    const value: unknown = JSON.parse(text);
    JSON.stringify(value);
    return value;
  } catch {
    return null;
  }
}

function isForm(req: http.IncomingMessage): boolean {
  const type = String(req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  return type === 'application/x-www-form-urlencoded';
}

interface Echo {
  args: Fields;
  data: string;
  files: Record<string, never>;
  form: Fields;
  headers: Record<string, string>;
  json: unknown;
  origin: string;
  url: string;
}

/** Everything about a request, body included (read up to MAX_BODY_BYTES). */
async function echo(req: http.IncomingMessage, url: URL): Promise<Echo> {
  const body = await readBody(req, MAX_BODY_BYTES);
  const form = isForm(req);
  const text = dataOf(body);
  return {
    args: fieldsOf(url.searchParams),
    data: form ? '' : text,
    files: {},
    form: form ? fieldsOf(new URLSearchParams(body.toString('utf8'))) : {},
    headers: headersOf(req),
    json: form ? null : jsonOf(text),
    origin: originOf(req),
    url: urlOf(req, url),
  };
}

/** `/status/<code>`: a final status code a server may send, else null. */
export function parseStatus(segment: string): number | null {
  if (!/^\d{3}$/.test(segment)) return null;
  const code = Number(segment);
  return code >= 200 && code <= 599 ? code : null;
}

/** `/delay/<n>`: seconds, fractions allowed, capped at MAX_DELAY_SECONDS; null when not a number. */
export function parseDelay(segment: string): number | null {
  if (!/^\d+(\.\d+)?$/.test(segment)) return null;
  return Math.min(Number(segment), MAX_DELAY_SECONDS);
}

/** Resolves after `ms`, or at once when the client goes away first. */
function wait(res: http.ServerResponse, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      res.off('close', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    res.on('close', done);
  });
}

export function createHttpbinApp(): http.Server {
  return createServer('httpbin', async (req, res, url) => {
    const path = url.pathname;
    const method = req.method ?? 'GET';

    if (path === '/') {
      allowMethods(req, 'GET');
      send(res, 200, INDEX, 'text/plain; charset=utf-8');
      return;
    }
    if (path === '/ip') {
      allowMethods(req, 'GET');
      sendJson(res, 200, { origin: originOf(req) });
      return;
    }
    if (path === '/headers') {
      allowMethods(req, 'GET');
      sendJson(res, 200, { headers: headersOf(req) });
      return;
    }
    if (path === '/get') {
      allowMethods(req, 'GET');
      sendJson(res, 200, { args: fieldsOf(url.searchParams), headers: headersOf(req), origin: originOf(req), url: urlOf(req, url) });
      return;
    }
    const bodyMethod = BODY_METHODS.find((m) => path === `/${m.toLowerCase()}`);
    if (bodyMethod !== undefined) {
      allowMethods(req, bodyMethod);
      sendJson(res, 200, await echo(req, url));
      return;
    }
    if (path.startsWith('/status/')) {
      const code = parseStatus(path.slice('/status/'.length));
      if (code === null) throw new HttpError(400, 'status code must be a number from 200 to 599');
      res.writeHead(code, { 'content-length': '0' });
      res.end();
      return;
    }
    if (path.startsWith('/delay/')) {
      const seconds = parseDelay(path.slice('/delay/'.length));
      if (seconds === null) throw new HttpError(400, 'delay must be a number of seconds');
      const e = await echo(req, url);
      await wait(res, seconds * 1000);
      if (res.destroyed) return;
      sendJson(res, 200, { args: e.args, data: e.data, files: e.files, form: e.form, headers: e.headers, origin: e.origin, url: e.url });
      return;
    }
    if (path === '/anything' || path.startsWith('/anything/')) {
      const e = await echo(req, url);
      sendJson(res, 200, { args: e.args, data: e.data, files: e.files, form: e.form, headers: e.headers, json: e.json, method, origin: e.origin, url: e.url });
      return;
    }
    throw new HttpError(404, `no route for ${path}`);
  });
}
