// Fixtures for the proxy's own tests: config builders, a fake discovery server, upstream apps and
// clients. Everything here registers its cleanup with the test context, so a failing assertion
// leaves no server or process behind.

import { execFile } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import type { TestContext } from 'node:test';
import type { Ack, Cluster, ClusterEndpoints, DiscoveryMessage, Endpoint, Listener, ProxyConfig, ProxyRole, Route, RouteTable } from '../api/index.ts';
import { createLogger, type Logger } from '../shared/index.ts';
import { type ProxyEvent, type RunningProxy, startProxy, type StartProxyOptions } from './start-proxy.ts';

const testLog = createLogger('proxy-test');
/** Warnings and errors only, unless ISTHMUS_LOG asks for more. */
export const quietLog: Logger =
  process.env['ISTHMUS_LOG'] !== undefined ? testLog : { debug() {}, info() {}, warn: testLog.warn, error: testLog.error };

export interface ConfigSpec {
  version?: string;
  role?: ProxyRole;
  routes?: RouteTable[];
  clusters?: { name: string; endpoints: Endpoint[]; lbPolicy?: Cluster['lbPolicy'] }[];
  listeners?: Listener[];
}

/** A complete ProxyConfig from the parts a test cares about. */
export function makeConfig(spec: ConfigSpec): ProxyConfig {
  const role = spec.role ?? 'sidecar';
  const clusters: Cluster[] = (spec.clusters ?? []).map((c) => ({
    name: c.name,
    direction: c.name.startsWith('inbound|') ? 'inbound' : 'outbound',
    port: c.endpoints[0]?.port ?? 80,
    lbPolicy: c.lbPolicy ?? 'ROUND_ROBIN',
  }));
  const endpoints: ClusterEndpoints[] = (spec.clusters ?? []).map((c) => ({ cluster: c.name, endpoints: c.endpoints }));
  return {
    version: spec.version ?? 'v1',
    node: { id: 'app-0.default', role, podName: 'app-0', namespace: 'default' },
    listeners: spec.listeners ?? [],
    routes: spec.routes ?? [],
    clusters,
    endpoints,
  };
}

/** A route table with one virtual host. */
export function table(name: string, domains: string[], routes: Route[]): RouteTable {
  return { name, virtualHosts: [{ name: `${domains[0] ?? 'vh'}`, domains, routes }] };
}

export function fwd(name: string, clusters: [string, number][], match: Route['match'] = {}): Route {
  return { name, match, route: { clusters: clusters.map(([cluster, weight]) => ({ cluster, weight })) } };
}

/** A control plane stand-in: serves whatever config it was given as NDJSON, records ACKs. */
export class FakeDiscovery {
  config: ProxyConfig | null;
  readonly acks: Ack[] = [];
  readonly connects: { node: string; version: string }[] = [];
  #server: http.Server | null = null;
  #streams = new Set<http.ServerResponse>();
  #ackWaiters: { pred: (a: Ack) => boolean; resolve: (a: Ack) => void }[] = [];
  port = 0;

  constructor(config: ProxyConfig | null) {
    this.config = config;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(t: TestContext, port = 0): Promise<this> {
    const server = http.createServer((req, res) => {
      const u = new URL(req.url ?? '/', 'http://x');
      if (req.method === 'POST' && u.pathname === '/v1/discovery/ack') {
        let body = '';
        req.setEncoding('utf8');
        req.on('data', (c: string) => (body += c));
        req.on('end', () => {
          const ack = JSON.parse(body) as Ack;
          this.acks.push(ack);
          res.writeHead(204).end();
          this.#ackWaiters = this.#ackWaiters.filter((w) => {
            if (!w.pred(ack)) return true;
            w.resolve(ack);
            return false;
          });
        });
        return;
      }
      if (u.pathname === '/v1/discovery') {
        this.connects.push({ node: u.searchParams.get('node') ?? '', version: u.searchParams.get('version') ?? '' });
        res.writeHead(200, { 'content-type': 'application/x-ndjson' });
        this.#streams.add(res);
        res.on('close', () => this.#streams.delete(res));
        if (this.config !== null && this.config.version !== u.searchParams.get('version')) this.#send(res, { type: 'config', config: this.config });
        else res.write(`${JSON.stringify({ type: 'ping' })}\n`);
        return;
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.#server = server;
    this.port = (server.address() as net.AddressInfo).port;
    t.after(() => this.stop());
    return this;
  }

  #send(res: http.ServerResponse, m: DiscoveryMessage): void {
    res.write(`${JSON.stringify(m)}\n`);
  }

  /** Sets the config and sends it on every open stream. */
  push(config: ProxyConfig): void {
    this.config = config;
    for (const s of this.#streams) this.#send(s, { type: 'config', config });
  }

  /** Sends a raw line (for malformed input tests). */
  pushRaw(line: string): void {
    for (const s of this.#streams) s.write(`${line}\n`);
  }

  waitAck(pred: (a: Ack) => boolean): Promise<Ack> {
    const hit = this.acks.find(pred);
    if (hit !== undefined) return Promise.resolve(hit);
    return new Promise((resolve) => this.#ackWaiters.push({ pred, resolve }));
  }

  /** Closes the server and every stream, as if the control plane was killed. */
  async stop(): Promise<void> {
    const s = this.#server;
    if (s === null) return;
    this.#server = null;
    for (const r of this.#streams) r.destroy();
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}

export interface Upstream {
  port: number;
  name: string;
  /** Requests seen: method, url, headers. */
  seen: { method: string; url: string; headers: http.IncomingHttpHeaders }[];
  /** Distinct client sockets that sent requests. */
  sockets: Set<net.Socket>;
  server: http.Server;
}

/**
 * An upstream app on 127.0.0.1 that answers `<name> <method> <url>` unless `handler` is given.
 * Registers its close with `t`.
 */
export async function startUpstream(t: TestContext, name: string, handler?: http.RequestListener): Promise<Upstream> {
  const up: Upstream = { port: 0, name, seen: [], sockets: new Set(), server: null as unknown as http.Server };
  const server = http.createServer((req, res) => {
    up.seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    up.sockets.add(req.socket);
    if (handler !== undefined) return handler(req, res);
    req.resume();
    req.on('end', () => {
      const body = `${name} ${req.method} ${req.url}`;
      res.writeHead(200, { 'content-type': 'text/plain', 'x-upstream': name });
      res.end(body);
    });
  });
  server.keepAliveTimeout = 30_000;
  up.server = server;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  up.port = (server.address() as net.AddressInfo).port;
  t.after(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return up;
}

/** A port nothing listens on (bound, then closed). */
export async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export interface Res {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  text: string;
}

/** Sends one request through a proxy listener (absolute-form when `url` is absolute). */
export function send(
  port: number,
  url: string,
  opts: { method?: string; headers?: Record<string, string>; body?: Buffer | string | Buffer[]; agent?: http.Agent | false; host?: string } = {},
): Promise<Res> {
  return new Promise((resolve, reject) => {
    const abs = /^https?:\/\//.test(url);
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (abs && headers['host'] === undefined) headers['host'] = new URL(url).host;
    const req = http.request(
      { host: opts.host ?? '127.0.0.1', port, method: opts.method ?? 'GET', path: url, headers, agent: opts.agent ?? false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text: body.toString('utf8') });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    const b = opts.body;
    if (Array.isArray(b)) {
      // Several writes without a Content-Length: node sends chunked.
      for (const part of b) req.write(part);
      req.end();
    } else req.end(b);
  });
}

/** Runs curl; resolves with stdout and the exit code. */
export function curl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('/usr/bin/curl', ['-sS', '--max-time', '10', ...args], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024, env: { PATH: process.env['PATH'] ?? '' } }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Starts a proxy in-process and stops it when the test ends. */
export interface TestProxy extends RunningProxy {
  events: ProxyEvent[];
  /** Resolves with the first event (past or future) that satisfies `pred`. */
  waitEvent(pred: (ev: ProxyEvent) => boolean): Promise<ProxyEvent>;
}

export async function startTestProxy(t: TestContext, o: Partial<StartProxyOptions> & { discovery: string | null }): Promise<TestProxy> {
  const events: ProxyEvent[] = [];
  let waiters: { pred: (ev: ProxyEvent) => boolean; resolve: (ev: ProxyEvent) => void }[] = [];
  const running = await startProxy({
    role: 'sidecar',
    podName: 'app-0',
    namespace: 'default',
    outbound: { host: '127.0.0.1', port: 0 },
    log: quietLog,
    onEvent: (ev) => {
      events.push(ev);
      waiters = waiters.filter((w) => {
        if (!w.pred(ev)) return true;
        w.resolve(ev);
        return false;
      });
    },
    ...o,
  });
  t.after(() => running.stop(0));
  return {
    ...running,
    events,
    waitEvent(pred) {
      const hit = events.find(pred);
      if (hit !== undefined) return Promise.resolve(hit);
      return new Promise((resolve) => waiters.push({ pred, resolve }));
    },
  };
}

/** Predicate for `{"event":"config","version":v,"status":s}`. */
export const configEvent =
  (version: string, status: 'applied' | 'rejected' = 'applied') =>
  (ev: ProxyEvent): boolean =>
    ev.event === 'config' && ev.version === version && ev.status === status;

/** Polls until `f` returns true; fails after `limit` tries (no timing assertion, just a bound). */
export async function until(f: () => boolean | Promise<boolean>, what: string, limit = 400): Promise<void> {
  for (let i = 0; i < limit; i++) {
    if (await f()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`gave up waiting for ${what}`);
}
