// What the four Bookinfo servers share: response helpers, a handler wrapper that turns every
// failure into a JSON answer instead of a crash, body reading with a size cap, and the process
// lifecycle (listen on HOST:PORT, stop on SIGTERM/SIGINT and exit 0).

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { listenAddress, type Env } from './_env.ts';

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => void | Promise<void>;

/** Thrown by handlers to answer with `status` and `{"error": message}`. */
export class HttpError extends Error {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  constructor(status: number, message: string, headers: Readonly<Record<string, string>> = {}) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
    this.headers = headers;
  }
}

/** Request bodies (a login form, a ratings object) are tiny; anything bigger is refused. */
const MAX_BODY_BYTES = 64 * 1024;

/** Longer than any proxy's idle timeout, so the sidecar, not the app, closes pooled connections. */
const KEEP_ALIVE_MS = 65_000;

/** How long in-flight requests get after SIGTERM before their connections are cut. */
const SHUTDOWN_GRACE_MS = 1_500;

export function send(
  res: http.ServerResponse,
  status: number,
  body: string | Buffer,
  contentType: string,
  headers: Readonly<Record<string, string | string[]>> = {},
): void {
  const buf = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  res.writeHead(status, { ...headers, 'content-type': contentType, 'content-length': String(buf.length) });
  res.end(buf);
}

export function sendJson(res: http.ServerResponse, status: number, value: unknown, headers: Readonly<Record<string, string | string[]>> = {}): void {
  send(res, status, JSON.stringify(value), 'application/json', headers);
}

export function sendText(res: http.ServerResponse, status: number, text: string): void {
  send(res, status, text, 'text/plain; charset=utf-8');
}

export function sendHtml(res: http.ServerResponse, status: number, html: string, headers: Readonly<Record<string, string | string[]>> = {}): void {
  send(res, status, html, 'text/html; charset=utf-8', headers);
}

export function redirect(res: http.ServerResponse, location: string, headers: Readonly<Record<string, string | string[]>> = {}): void {
  res.writeHead(302, { ...headers, location, 'content-length': '0' });
  res.end();
}

/** Throws 405 unless the request method is one of `allowed` (HEAD is accepted wherever GET is). */
export function allowMethods(req: http.IncomingMessage, ...allowed: string[]): void {
  const method = req.method ?? 'GET';
  if (allowed.includes(method) || (method === 'HEAD' && allowed.includes('GET'))) return;
  throw new HttpError(405, `method ${method} not allowed`, { allow: allowed.join(', ') });
}

export function readBody(req: http.IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? '0');
    if (declared > limit) {
      reject(new HttpError(413, `request body is larger than ${limit} bytes`));
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        reject(new HttpError(413, `request body is larger than ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', (err) => {
      failed = true;
      reject(err);
    });
    req.on('end', () => {
      if (!failed) resolve(Buffer.concat(chunks));
    });
  });
}

/** Writes one line to stderr: `time level component message`. */
export function log(component: string, level: 'info' | 'warn' | 'error', message: string): void {
  process.stderr.write(`${new Date().toISOString()} ${level} ${component} ${message}\n`);
}

/**
 * An http.Server running `handler`, with every thrown error answered as JSON: HttpError with its
 * status, anything else as 500 (and logged). Unparseable request targets get 400.
 */
export function createServer(component: string, handler: Handler): http.Server {
  const server = http.createServer((req, res) => {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      sendJson(res, 400, { error: 'malformed request target' });
      return;
    }
    const fail = (err: unknown): void => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (err instanceof HttpError) {
        sendJson(res, err.status, { error: err.message }, err.headers);
        return;
      }
      log(component, 'error', `${req.method ?? '?'} ${url.pathname} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      sendJson(res, 500, { error: 'internal server error' });
    };
    try {
      const done = handler(req, res, url);
      if (done instanceof Promise) done.catch(fail);
    } catch (err) {
      fail(err);
    }
  });
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  server.headersTimeout = KEEP_ALIVE_MS + 1_000;
  return server;
}

/** Listens on HOST:PORT from `env` (defaults 127.0.0.1:9080) and resolves with the bound address. */
export function listen(server: http.Server, env: Env): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const { host, port } = listenAddress(env); // a bad PORT rejects
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve(server.address() as AddressInfo);
    });
  });
}

/** Closes the server: idle connections now, busy ones after `graceMs`. Resolves once closed. */
export function shutdown(server: http.Server, graceMs = SHUTDOWN_GRACE_MS): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      server.closeAllConnections();
      resolve();
      return;
    }
    const timer = setTimeout(() => server.closeAllConnections(), graceMs);
    timer.unref();
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
    server.closeIdleConnections();
  });
}

/** The program entry: listen, log the address, stop cleanly on SIGTERM or SIGINT. */
export function main(component: string, server: http.Server, env: Env): void {
  listen(server, env).then(
    (addr) => {
      const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
      log(component, 'info', `listening on http://${host}:${addr.port}`);
    },
    (err: unknown) => {
      log(component, 'error', `cannot listen: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    },
  );
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) process.exit(0); // a second signal: stop waiting for in-flight requests
    stopping = true;
    log(component, 'info', `${signal}: shutting down`);
    void shutdown(server).then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

/** A URL path segment, percent-decoded; null when the encoding is malformed. */
export function decodeSegment(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}
