// The CUSTOM action's external authorizer, spoken to as an HTTP service (the `envoyExtAuthzHttp`
// provider). One check per request that a CUSTOM policy matches:
//
//   request   the original method, to <url path> + pathPrefix + the original path and query,
//             with `host: <original authority>`, `content-length: 0` and the headers the provider
//             lists in includeRequestHeadersInCheck (only `authorization` when it lists none).
//             Never the body.
//   2xx       allowed; the headersToUpstreamOnAllow the authorizer answered with are to be set
//             on the upstream request.
//   other     denied with the authorizer's status and body; headersToDownstreamOnDeny it answered
//             with go to the client.
//   failure   (timeout after timeoutMs, connection error, a broken answer) denied with
//             statusOnError (403 when unset), or allowed when failOpen.
//
// `check` never rejects and never throws: an authorizer failure is a verdict, not a crash.
// Connections are kept alive and shared through one agent.

import http from 'node:http';
import type { ExtAuthzProvider } from '../../api/index.ts';
import type { AuthzRequestView } from './request-facts.ts';

export interface ExtAuthzVerdict {
  readonly allowed: boolean;
  /** Denied: the status for the client. */
  readonly status: number;
  /** Denied: the body for the client (the authorizer's; empty after a failure). */
  readonly body: string;
  /** Allowed: headers for the upstream request. Denied: headers for the client. Lower-case names. */
  readonly headers: readonly (readonly [string, string])[];
  /** The authorizer could not give an answer (the verdict is failOpen / statusOnError). */
  readonly failed: boolean;
  /** What happened, for logs: `allowed (200)`, `denied (401)`, `timed out after 200 ms`, ... */
  readonly reason: string;
}

/** Largest authorizer body kept for the client; the rest is read and dropped. */
const MAX_BODY = 64 * 1024;

/** Request headers never copied into a check (the check sets its own framing and host). */
const NOT_FORWARDED: ReadonlySet<string> = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'keep-alive', 'proxy-connection', 'te', 'upgrade', 'trailer', 'expect']);

let sharedAgent: http.Agent | null = null;
function defaultAgent(): http.Agent {
  // Idle keep-alive sockets are unref'd by the agent, so they never hold the process open.
  return (sharedAgent ??= new http.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 32, timeout: 60_000 }));
}

export interface ExtAuthzClientOptions {
  /** Agent for the checks; default one keep-alive agent shared by every client. */
  agent?: http.Agent;
}

export class ExtAuthzClient {
  readonly provider: ExtAuthzProvider;
  readonly #agent: http.Agent;
  readonly #hostname: string;
  readonly #port: number;
  readonly #basePath: string;
  /** Why no check can be made (bad URL), or null. */
  readonly #unusable: string | null;
  readonly #checkHeaders: readonly string[];
  readonly #statusOnError: number;

  constructor(provider: ExtAuthzProvider, opts: ExtAuthzClientOptions = {}) {
    this.provider = provider;
    this.#agent = opts.agent ?? defaultAgent();
    let hostname = '';
    let port = 80;
    let basePath = '';
    let unusable: string | null = null;
    try {
      const u = new URL(provider.url);
      if (u.protocol !== 'http:') unusable = `authorizer URL ${provider.url} is not http://`;
      hostname = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
      port = u.port === '' ? 80 : Number(u.port);
      basePath = u.pathname === '/' ? '' : u.pathname.replace(/\/+$/, '');
    } catch {
      unusable = `authorizer URL ${JSON.stringify(provider.url)} is not a URL`;
    }
    this.#hostname = hostname;
    this.#port = port;
    this.#basePath = basePath + (provider.pathPrefix ?? '');
    this.#unusable = unusable;
    const listed = provider.includeRequestHeadersInCheck.length === 0 ? ['authorization'] : provider.includeRequestHeadersInCheck;
    this.#checkHeaders = [...new Set(listed.map((h) => h.toLowerCase()))].filter((h) => !h.startsWith(':') && !NOT_FORWARDED.has(h));
    this.#statusOnError = provider.statusOnError >= 100 && provider.statusOnError <= 599 ? provider.statusOnError : 403;
  }

  /** Asks the authorizer about one request. Never rejects. */
  check(req: AuthzRequestView): Promise<ExtAuthzVerdict> {
    if (this.#unusable !== null) return Promise.resolve(this.#failure(this.#unusable));
    return new Promise<ExtAuthzVerdict>((resolve) => {
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      const settle = (v: ExtAuthzVerdict): void => {
        if (settled) return;
        settled = true;
        if (timer !== undefined) clearTimeout(timer);
        resolve(v);
      };
      const headers: Record<string, string> = { host: req.authority, 'content-length': '0' };
      for (const name of this.#checkHeaders) {
        const v = req.header(name);
        if (v !== undefined) headers[name] = v;
      }
      let out: http.ClientRequest;
      try {
        out = http.request({
          agent: this.#agent,
          host: this.#hostname,
          port: this.#port,
          method: req.method,
          path: this.#basePath + req.path,
          headers,
        });
      } catch (e) {
        // Invalid method or path characters: node refuses before any I/O.
        settle(this.#failure(`cannot send the check: ${(e as Error).message}`));
        return;
      }
      timer = setTimeout(() => {
        settle(this.#failure(`timed out after ${this.provider.timeoutMs} ms`));
        out.destroy();
      }, Math.max(1, this.provider.timeoutMs));
      out.on('error', (e) => settle(this.#failure(`${(e as NodeJS.ErrnoException).code ?? 'error'}: ${e.message}`)));
      out.on('response', (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          if (size < MAX_BODY) chunks.push(size + c.length > MAX_BODY ? c.subarray(0, MAX_BODY - size) : c);
          size += c.length;
        });
        res.on('error', (e) => settle(this.#failure(`broken answer: ${e.message}`)));
        res.on('close', () => {
          if (!res.complete) settle(this.#failure('the authorizer closed the connection mid-answer'));
        });
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) {
            settle({ allowed: true, status, body: '', headers: pick(res.headers, this.provider.headersToUpstreamOnAllow), failed: false, reason: `allowed (${status})` });
          } else {
            const body = Buffer.concat(chunks).toString('utf8');
            settle({ allowed: false, status, body, headers: pick(res.headers, this.provider.headersToDownstreamOnDeny), failed: false, reason: `denied (${status})` });
          }
        });
      });
      out.end();
    });
  }

  #failure(reason: string): ExtAuthzVerdict {
    if (this.provider.failOpen) return { allowed: true, status: 0, body: '', headers: [], failed: true, reason: `${reason} (failOpen: allowed)` };
    return { allowed: false, status: this.#statusOnError, body: '', headers: [], failed: true, reason };
  }
}

/** The listed response headers that are present, as `[name, value]` (repeated ones joined with `, `). */
function pick(h: http.IncomingHttpHeaders, names: readonly string[]): [string, string][] {
  const out: [string, string][] = [];
  for (const raw of names) {
    const name = raw.toLowerCase();
    const v = h[name];
    if (v === undefined) continue;
    out.push([name, Array.isArray(v) ? v.join(', ') : v]);
  }
  return out;
}
