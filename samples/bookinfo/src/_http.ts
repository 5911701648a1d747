// A small HTTP/1.1 client for the Bookinfo services: one fresh connection per call, a deadline
// that aborts the whole exchange, and the usual forward-proxy convention when HTTP_PROXY is set
// (connect to the proxy, send an absolute-form request target, keep Host as the real authority).

import http from 'node:http';
import type { Env } from './_env.ts';

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface RequestOptions {
  method?: string;
  headers?: Readonly<Record<string, string>>;
  body?: string | Buffer;
  /** Deadline for the whole exchange (connect, send, read the body). */
  timeoutMs: number;
}

export interface ProxySettings {
  host: string;
  port: number;
  /** Lower-cased NO_PROXY entries; `*` bypasses the proxy for every host. */
  noProxy: readonly string[];
}

export interface HttpClient {
  readonly proxy: ProxySettings | null;
  request(url: string, opts: RequestOptions): Promise<HttpResponse>;
  get(url: string, opts: Omit<RequestOptions, 'method' | 'body'>): Promise<HttpResponse>;
}

/** Answers larger than this are cut off with an error: every Bookinfo answer is a few KiB. */
const MAX_RESPONSE_BYTES = 8 * 1024 * 1024;

export class HttpClientError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'HttpClientError';
  }
}

export const HttpClientErrorCodes = {
  timeout: 'ISTHMUS_ERR_BOOKINFO_TIMEOUT',
  badUrl: 'ISTHMUS_ERR_BOOKINFO_BAD_URL',
  tooLarge: 'ISTHMUS_ERR_BOOKINFO_RESPONSE_TOO_LARGE',
} as const;

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

/** Reads HTTP_PROXY / http_proxy and NO_PROXY / no_proxy; null when no proxy is configured. */
export function proxyFromEnv(env: Env): ProxySettings | null {
  const raw = nonEmpty(env['HTTP_PROXY']) ?? nonEmpty(env['http_proxy']);
  if (raw === undefined) return null;
  let u: URL;
  try {
    u = new URL(raw.includes('://') ? raw : `http://${raw}`);
  } catch (cause) {
    throw new HttpClientError(HttpClientErrorCodes.badUrl, `cannot use HTTP_PROXY ${JSON.stringify(raw)}: not a URL`, { cause });
  }
  if (u.protocol !== 'http:') {
    throw new HttpClientError(HttpClientErrorCodes.badUrl, `cannot use HTTP_PROXY ${JSON.stringify(raw)}: only http:// proxies are supported`);
  }
  const noProxy = (nonEmpty(env['NO_PROXY']) ?? nonEmpty(env['no_proxy']) ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== '');
  return { host: stripBrackets(u.hostname), port: u.port === '' ? 80 : Number(u.port), noProxy };
}

function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/**
 * NO_PROXY entries: `*` (everything), `host`, `host:port`, `.domain` or `*.domain` (the domain
 * and its subdomains; a bare `domain` matches subdomains too, as curl does).
 */
export function bypassesProxy(noProxy: readonly string[], hostname: string, port: number): boolean {
  const host = stripBrackets(hostname).toLowerCase();
  for (const entry of noProxy) {
    if (entry === '*') return true;
    let name = entry;
    let entryPort: number | null = null;
    const m = /^(.*):(\d+)$/.exec(entry);
    if (m !== null && !m[1]!.includes(':')) {
      name = m[1]!;
      entryPort = Number(m[2]);
    }
    if (entryPort !== null && entryPort !== port) continue;
    name = name.replace(/^\*?\./, '');
    if (host === name || host.endsWith(`.${name}`)) return true;
  }
  return false;
}

export function createHttpClient(env: Env): HttpClient {
  const proxy = proxyFromEnv(env);
  const request = (url: string, opts: RequestOptions): Promise<HttpResponse> => send(proxy, url, opts);
  return {
    proxy,
    request,
    get: (url, opts) => request(url, { ...opts, method: 'GET' }),
  };
}

function send(proxy: ProxySettings | null, rawUrl: string, opts: RequestOptions): Promise<HttpResponse> {
  let target: URL;
  try {
    target = new URL(rawUrl);
  } catch (cause) {
    return Promise.reject(new HttpClientError(HttpClientErrorCodes.badUrl, `cannot request ${JSON.stringify(rawUrl)}: not a URL`, { cause }));
  }
  if (target.protocol !== 'http:') {
    return Promise.reject(new HttpClientError(HttpClientErrorCodes.badUrl, `cannot request ${rawUrl}: only http:// is supported`));
  }
  const port = target.port === '' ? 80 : Number(target.port);
  const viaProxy = proxy !== null && !bypassesProxy(proxy.noProxy, target.hostname, port);
  const headers: Record<string, string> = { ...opts.headers, host: target.host };
  if (opts.body !== undefined) headers['content-length'] = String(Buffer.byteLength(opts.body));

  return new Promise<HttpResponse>((resolve, reject) => {
    let settled = false;
    const finish = (err: Error | null, res?: HttpResponse): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err !== null) reject(err);
      else resolve(res!);
    };
    const req = http.request({
      // `agent: false`: a new connection per call, closed afterwards (no pooling between calls).
      agent: false,
      method: opts.method ?? 'GET',
      host: viaProxy ? proxy.host : stripBrackets(target.hostname),
      port: viaProxy ? proxy.port : port,
      path: viaProxy ? target.href : `${target.pathname}${target.search}`,
      headers,
    });
    const timer = setTimeout(() => {
      const err = new HttpClientError(HttpClientErrorCodes.timeout, `request to ${target.href} timed out after ${opts.timeoutMs} ms`);
      finish(err);
      req.destroy(err);
    }, opts.timeoutMs);
    req.on('error', (err) => finish(err));
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_RESPONSE_BYTES) {
          const err = new HttpClientError(HttpClientErrorCodes.tooLarge, `response from ${target.href} is larger than ${MAX_RESPONSE_BYTES} bytes`);
          finish(err);
          req.destroy(err);
          return;
        }
        chunks.push(chunk);
      });
      res.on('error', (err) => finish(err));
      res.on('end', () => {
        finish(null, { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
      });
    });
    req.end(opts.body);
  });
}

/** One GET with the proxy settings of this process's environment. */
export function httpGet(url: string, opts: Omit<RequestOptions, 'method' | 'body'>): Promise<HttpResponse> {
  return createHttpClient(process.env).get(url, opts);
}
