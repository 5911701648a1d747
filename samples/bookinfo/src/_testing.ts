// Test fixtures for the Bookinfo programs: servers on ephemeral ports that are always closed
// when the test ends (pass or fail), fakes that record what they received, a forward proxy.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';
import { createHttpClient, type HttpResponse } from './_http.ts';
import { listen, shutdown } from './_server.ts';

/** Starts `server` on 127.0.0.1:<ephemeral>, closed after the test; returns its base URL. */
export async function serve(t: TestContext, server: http.Server): Promise<{ url: string; port: number }> {
  const addr = await listen(server, { HOST: '127.0.0.1', PORT: '0' });
  t.after(() => shutdown(server, 0));
  return { url: `http://127.0.0.1:${addr.port}`, port: addr.port };
}

/** Env entries pointing a Bookinfo program at `service` on 127.0.0.1:`port`. */
export function serviceEnv(service: 'details' | 'reviews' | 'ratings', port: number): Record<string, string> {
  const upper = service.toUpperCase();
  return { [`${upper}_HOSTNAME`]: '127.0.0.1', [`${upper}_SERVICE_PORT`]: String(port) };
}

/** A port nothing listens on (bound, then released), so connections to it are refused. */
export async function closedPort(): Promise<number> {
  const s = http.createServer();
  const addr = await new Promise<AddressInfo>((resolve) => s.listen(0, '127.0.0.1', () => resolve(s.address() as AddressInfo)));
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return addr.port;
}

export interface Recorded {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
}

/** A server answering every request with `reply`, recording each request it saw. */
export async function fakeServer(
  t: TestContext,
  reply: (req: http.IncomingMessage) => { status: number; body: unknown },
): Promise<{ url: string; port: number; seen: Recorded[] }> {
  const seen: Recorded[] = [];
  const server = http.createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    const { status, body } = reply(req);
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(text);
  });
  const { url, port } = await serve(t, server);
  return { url, port, seen };
}

/**
 * A forward proxy: records each request target and Host header, then forwards the request to
 * `routes[authority]` (host:port) or, when absent, to the authority itself.
 */
export async function forwardProxy(
  t: TestContext,
  routes: Readonly<Record<string, string>>,
): Promise<{ url: string; seen: { target: string; host: string | undefined }[] }> {
  const seen: { target: string; host: string | undefined }[] = [];
  const server = http.createServer((req, res) => {
    const target = req.url ?? '';
    seen.push({ target, host: req.headers.host });
    let dest: URL;
    try {
      dest = new URL(target);
    } catch {
      res.writeHead(400).end('not an absolute-form request target');
      return;
    }
    const [host = '', port = '80'] = (routes[dest.host] ?? dest.host).split(':');
    const upstream = http.request({ agent: false, host, port: Number(port), method: req.method ?? 'GET', path: `${dest.pathname}${dest.search}`, headers: req.headers }, (ur) => {
      res.writeHead(ur.statusCode ?? 502, ur.headers);
      ur.pipe(res);
    });
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
  const { url } = await serve(t, server);
  return { url, seen };
}

const client = createHttpClient({});

export function get(url: string, headers: Record<string, string> = {}): Promise<HttpResponse> {
  return client.get(url, { headers, timeoutMs: 10_000 });
}

export function post(url: string, body: string, headers: Record<string, string> = {}): Promise<HttpResponse> {
  return client.request(url, { method: 'POST', body, headers, timeoutMs: 10_000 });
}

export function json(res: HttpResponse): unknown {
  return JSON.parse(res.body);
}

/** How many times `needle` occurs in `haystack`. */
export function count(haystack: string, needle: string): number {
  return haystack.split(needle).length - 1;
}
