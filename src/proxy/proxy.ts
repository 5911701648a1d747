// The proxy: applies config versions (compile, bind new listeners, swap handlers, close what
// left) and owns the listeners, pools and counters. Sidecar and gateway are the same program;
// the role decides which listeners exist.

import { createServer, type Server } from 'node:net';
import type { ProxyConfig, ProxyRole } from '../api/index.ts';
import { createLogger, IsthmusError, type Logger } from '../shared/index.ts';
import { CompiledConfig, compileConfig, type CompiledListener, routeInTable } from './compile-config.ts';
import { ConnectionRegistry, DEFAULT_TIMEOUTS, type Timeouts } from './connection-registry.ts';
import { configChannel, type ConfigEvent } from './diagnostics.ts';
import { ProxyErrorCode } from './errors.ts';
import { compose, type Filter, type Handler } from './filter.ts';
import { createForwarder } from './forwarder.ts';
import { Http1ServerConnection, type ListenerContext } from './http1-server.ts';
import type { ListenerKind } from './exchange.ts';
import { ResponseFlag } from './response-flags.ts';
import { ProxyStats } from './stats.ts';
import { UpstreamPools } from './upstream-pool.ts';
import type { CompiledRoute } from './router.ts';
import { MeshTls, type IdentitySource } from './mesh-tls.ts';
import { securityFilters } from './security-filters.ts';
import { routePolicyFilters } from './route-policy/index.ts';
import { ListenerTls } from './tls-listener.ts';
import { createMirrorFilter } from './mirror.ts';
import { Agent } from 'node:http';
import { hostMatchesPattern } from './host-match.ts';

export interface HostPort {
  host: string;
  port: number;
}

export interface ProxyOptions {
  role: ProxyRole;
  podName: string;
  namespace: string;
  /** Sidecar: where the app sends its HTTP_PROXY traffic. */
  outbound?: HostPort | null;
  /** Gateway listeners bind here (default 127.0.0.1). */
  bindAddress?: string;
  /** Gateway: config port → port actually bound. */
  portMap?: ReadonlyMap<number, number>;
  timeouts?: Partial<Timeouts>;
  /** Where the workload certificate comes from; without one the proxy speaks plaintext only. */
  identity?: IdentitySource;
  log?: Logger;
}

export type ApplyResult = { ok: true } | { ok: false; error: string };

interface LiveListener {
  key: string;
  server: Server;
  ctx: ListenerContext;
  bindHost: string;
  bindPort: number;
  tls: ListenerTls;
  /** JSON of the gateway TLS servers last set, to rebuild contexts only when they change. */
  tlsKey: string;
}

/** Filters every forwarding route runs before its terminal, in order. Empty for now: routing and forwarding are the terminal. */
const ROUTE_FILTERS: readonly Filter[] = [];

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error) => reject(e);
    server.once('error', onError);
    server.listen({ host, port, exclusive: true }, () => {
      server.off('error', onError);
      const a = server.address();
      resolve(typeof a === 'object' && a !== null ? a.port : port);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

export class Proxy {
  readonly role: ProxyRole;
  readonly nodeId: string;
  readonly stats = new ProxyStats();
  readonly registry: ConnectionRegistry;
  readonly pools: UpstreamPools;
  readonly mesh = new MeshTls();
  /** Shared by every listener; updated when a config version is applied. */
  readonly #options = { reasonHeader: true };
  /** Keep-alive connections for mirrored copies. */
  readonly #mirrorAgent = new Agent({ keepAlive: true, maxSockets: 64 });
  readonly #opts: ProxyOptions;
  readonly #log: Logger;
  #current: CompiledConfig | null = null;
  readonly #listeners = new Map<string, LiveListener>();
  #outbound: LiveListener | null = null;
  #applying: Promise<unknown> = Promise.resolve();
  #stopped = false;

  constructor(opts: ProxyOptions) {
    this.#opts = opts;
    this.role = opts.role;
    this.nodeId = `${opts.podName}.${opts.namespace}`;
    this.#log = opts.log ?? createLogger(`proxy ${this.nodeId}`);
    this.registry = new ConnectionRegistry({ ...DEFAULT_TIMEOUTS, ...opts.timeouts });
    this.pools = new UpstreamPools(this.stats, this.registry, this.#log, this.mesh);
    if (opts.identity !== undefined) {
      this.mesh.onChange(() => {
        this.stats.certificatesReceived++;
      });
      this.mesh.attach(opts.identity);
    }
  }

  /** The applied config, or null before the first one. */
  get current(): CompiledConfig | null {
    return this.#current;
  }

  get ready(): boolean {
    return this.#current !== null;
  }

  /** The port the outbound listener is bound to, or null (gateways). */
  get outboundPort(): number | null {
    return this.#outbound?.bindPort ?? null;
  }

  /** Real ports of the config listeners, by listener name. */
  listenerPorts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const l of this.#current?.listeners ?? []) {
      const live = this.#listeners.get(this.#keyOf(l));
      if (live !== undefined) out[l.name] = live.bindPort;
    }
    return out;
  }

  /** Binds the static listeners (the sidecar's outbound one). */
  async start(): Promise<void> {
    const ob = this.#opts.outbound;
    if (this.role === 'sidecar' && ob !== null && ob !== undefined) {
      this.#outbound = await this.#open('outbound', ob.host, ob.port, 0, 'outbound');
      this.#outbound.ctx.handler = notReady;
    }
  }

  #ctx(kind: ListenerKind, configPort: number): ListenerContext {
    return { kind, role: this.role, configPort, handler: notReady, stats: this.stats, registry: this.registry, connections: new Set(), options: this.#options };
  }

  async #open(key: string, host: string, port: number, configPort: number, kind: ListenerKind): Promise<LiveListener> {
    const ctx = this.#ctx(kind, configPort);
    const tls = new ListenerTls(this.mesh, this.#log);
    tls.bind(ctx);
    const server = createServer({ allowHalfOpen: true, noDelay: true }, kind === 'outbound'
      ? (socket) => {
          new Http1ServerConnection(socket, ctx);
        }
      : (socket) => tls.accept(socket));
    const bound = await listen(server, host, port);
    server.on('error', (e) => this.#log.error('listener error', { listener: key, error: e }));
    return { key, server, ctx, bindHost: host, bindPort: bound, tls, tlsKey: '' };
  }

  #keyOf(l: CompiledListener): string {
    if (l.direction === 'gateway') {
      const host = this.#opts.bindAddress ?? '127.0.0.1';
      const port = this.#opts.portMap?.get(l.port) ?? l.port;
      return `gateway|${host}:${port}`;
    }
    return `inbound|${l.address}:${l.port}`;
  }

  /** Applies a config version whole, or leaves everything as it was and says why. Calls are serialized. */
  applyConfig(config: ProxyConfig): Promise<ApplyResult> {
    const run = this.#applying.then(() => this.#apply(config));
    this.#applying = run.catch(() => undefined);
    return run;
  }

  async #apply(config: ProxyConfig): Promise<ApplyResult> {
    const version = typeof config?.version === 'string' ? config.version : '';
    let compiled: CompiledConfig;
    try {
      if (this.#stopped) throw new IsthmusError(ProxyErrorCode.CONFIG_INVALID, 'proxy is shutting down');
      compiled = compileConfig(config, this.#current);
      if (compiled.role !== this.role) throw new IsthmusError(ProxyErrorCode.CONFIG_INVALID, `config is for a ${compiled.role}, this proxy is a ${this.role}`);
    } catch (e) {
      return this.#rejected(version, (e as Error).message);
    }

    // Endpoint pools: shared across versions by address.
    const keep = new Set<string>();
    this.mesh.setConfigRoots(compiled.security?.roots ?? []);
    this.#options.reasonHeader = config.options?.reasonHeader !== false;
    this.mesh.clearFileCache();
    for (const c of compiled.clusters.values()) {
      for (const ep of c.endpoints) {
        ep.pool = this.pools.get(ep.poolKey, ep.address, ep.port, ep.tls, ep.conn);
        keep.add(ep.poolKey);
      }
    }
    // Filter chains, once per route.
    for (const r of compiled.routes) r.handler = this.#routeHandler(r, compiled);
    let filters: Filter[];
    try {
      filters = await securityFilters(compiled.security, { mesh: this.mesh, log: this.#log });
    } catch (e) {
      return this.#rejected(version, `security policies: ${(e as Error).message}`);
    }

    // Listeners: open the new ones first; if any fails to bind, undo and reject the version.
    const wanted = new Map<string, CompiledListener>();
    for (const l of compiled.listeners) wanted.set(this.#keyOf(l), l);
    const opened: LiveListener[] = [];
    for (const [key, l] of wanted) {
      if (this.#listeners.has(key)) continue;
      const host = l.direction === 'gateway' ? (this.#opts.bindAddress ?? '127.0.0.1') : l.address;
      const port = l.direction === 'gateway' ? (this.#opts.portMap?.get(l.port) ?? l.port) : l.port;
      try {
        opened.push(await this.#open(key, host, port, l.port, l.direction));
      } catch (e) {
        for (const o of opened) o.server.close();
        return this.#rejected(version, `listener ${l.name}: cannot bind ${host}:${port}: ${(e as Error).message}`);
      }
    }
    for (const o of opened) this.#listeners.set(o.key, o);

    // Swap: from here on new requests see the new version.
    this.#current = compiled;
    for (const [key, l] of wanted) {
      const live = this.#listeners.get(key) as LiveListener;
      live.tls.mtls = l.mtls;
      live.tls.passthrough = l.passthrough;
      const tlsKey = l.tls === null ? '' : JSON.stringify(l.tls);
      if (tlsKey !== live.tlsKey) {
        live.tls.setGatewayServers(l.tls);
        live.tlsKey = tlsKey;
      }
      live.ctx.handler = compose(filters, listenerHandler(l));
    }
    if (this.#outbound !== null) this.#outbound.ctx.handler = outboundHandler(compiled);

    // Close listeners that left; their connections finish the request in flight and close.
    for (const [key, live] of this.#listeners) {
      if (wanted.has(key)) continue;
      this.#listeners.delete(key);
      live.server.close();
      for (const c of live.ctx.connections) c.drain();
    }
    this.pools.retain(keep);

    this.stats.configsApplied++;
    this.stats.configVersion = compiled.version;
    this.#log.info('config applied', { version: compiled.version, listeners: compiled.listeners.length, clusters: compiled.clusters.size });
    this.#publish({ version: compiled.version, status: 'applied' });
    return { ok: true };
  }

  #rejected(version: string, error: string): ApplyResult {
    this.stats.configsRejected++;
    this.stats.lastRejectedVersion = version;
    this.stats.lastRejectReason = error;
    this.#log.warn('config rejected', { version, error });
    this.#publish({ version, status: 'rejected', error });
    return { ok: false, error };
  }

  #publish(ev: ConfigEvent): void {
    if (configChannel.hasSubscribers) configChannel.publish(ev);
  }

  #routeHandler(r: CompiledRoute, compiled: CompiledConfig): Handler {
    // VirtualService CORS, fault, headers, redirect (terminal), rewrite; none for most routes.
    const policy = routePolicyFilters(r.routePolicy, r.match === undefined ? { routeName: r.name } : { routeName: r.name, match: r.match });
    const filters = policy.length === 0 ? ROUTE_FILTERS : [...ROUTE_FILTERS, ...policy];
    if (r.destinations !== null) {
      const mirror = r.mirrors.length === 0 ? null : createMirrorFilter(
        r.mirrors.map((m) => ({ cluster: compiled.clusters.get(m.cluster) ?? null, percentage: m.percentage })),
        { stats: this.stats, log: this.#log, agent: this.#mirrorAgent },
      );
      return compose(mirror === null ? filters : [...filters, mirror], createForwarder(r, this.stats));
    }
    const { name, directStatus, directBody } = r;
    return compose(filters, (ex) => {
      ex.routeName = name;
      ex.directReply(directStatus, directBody);
    });
  }

  /** Stops accepting, lets in-flight requests finish for up to `graceMs`, then closes everything. */
  async stop(graceMs = 2000): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    const servers = [...this.#listeners.values()];
    if (this.#outbound !== null) servers.push(this.#outbound);
    const closed = Promise.all(servers.map((l) => closeServer(l.server)));
    for (const l of servers) l.tls.closePending();
    await this.registry.drainAll(graceMs);
    for (const l of servers) l.tls.closePending();
    await closed;
    this.pools.closeAll();
    this.#mirrorAgent.destroy();
    this.registry.stop();
  }
}

/** Before the first config: nothing to route with. */
const notReady: Handler = (ex) => {
  ex.localReply(503, ResponseFlag.NoClusterFound, 'no configuration received from the control plane yet');
};

function outboundHandler(cfg: CompiledConfig): Handler {
  return (ex) => {
    const r = cfg.routeOutbound(ex.port, ex);
    if (typeof r === 'string') ex.localReply(404, ResponseFlag.NoRouteFound, r);
    else (r.handler as Handler)(ex);
  };
}

function listenerHandler(l: CompiledListener): Handler {
  if (l.inboundRoute !== null) return l.inboundRoute.handler as Handler;
  const table = l.routeTable ?? undefined;
  const name = l.routeTableName;
  const route: Handler = (ex) => {
    const r = routeInTable(table, name, ex);
    if (typeof r === 'string') ex.localReply(404, ResponseFlag.NoRouteFound, r);
    else (r.handler as Handler)(ex);
  };
  const redirect = l.httpsRedirectHosts;
  if (redirect.length === 0) return route;
  // Servers with tls.httpsRedirect: their hosts are sent to https (301), the rest routed.
  return (ex) => {
    const host = ex.authority.replace(/:\d+$/, '').toLowerCase();
    if (!redirect.some((h) => hostMatchesPattern(h, host))) return route(ex);
    ex.routeName = 'https-redirect';
    ex.directReply(301, '', [['location', `https://${host}${ex.path}`]]);
  };
}
