// ProxyConfig → CompiledConfig, once per version. Compilation checks everything the request path
// relies on and collects every problem (the version is NACKed with all of them); the result is
// frozen route tables, resolved clusters and listeners. `route()` is the same lookup the live
// listeners run, offered to simulation tests.

import type { Cluster, GatewayTlsServer, InboundMtlsMode, Listener, ProxyConfig, ProxyRole, ProxySecurity, RouteTable } from '../api/index.ts';
import { ProxyConfigError } from './errors.ts';
import { authorityPort } from './http1-parser.ts';
import { ClusterRuntime, connSettingsOf, EndpointRuntime, type EndpointTls, WeightedClusters } from './load-balancer.ts';
import { CompiledRoute, type CompiledRouteTable, compileRouteTable, type RouteRequestView } from './router.ts';

const LB_POLICIES = new Set(['ROUND_ROBIN', 'LEAST_REQUEST', 'RANDOM', 'PASSTHROUGH', 'RING_HASH', 'MAGLEV']);

export interface CompiledListener {
  readonly name: string;
  readonly direction: 'inbound' | 'gateway';
  readonly address: string;
  /** Port as configured (gateways may bind a mapped port). */
  readonly port: number;
  /** Gateway: the route table; inbound: a table-less single route to the local app. */
  readonly routeTable: CompiledRouteTable | null;
  readonly routeTableName: string;
  /** Inbound: the one route, forwarding to the listener's cluster. */
  readonly inboundRoute: CompiledRoute | null;
  /** Inbound: PeerAuthentication mode (PERMISSIVE when the config says nothing). */
  readonly mtls: InboundMtlsMode | null;
  /** Gateway: TLS servers terminated on this port. */
  readonly tls: readonly GatewayTlsServer[] | null;
  /** Gateway: hosts whose requests get a redirect to https (empty: none). */
  readonly httpsRedirectHosts: readonly string[];
  /** Gateway: TLS passthrough routes by SNI, in order; null when the port has none. */
  readonly passthrough: readonly CompiledPassthrough[] | null;
}

export interface CompiledPassthrough {
  readonly name: string;
  readonly sniHosts: readonly string[];
  readonly destinations: WeightedClusters;
}

const MTLS_MODES = new Set(['DISABLE', 'PERMISSIVE', 'STRICT']);

/** How a cluster's endpoint is reached: DestinationRule TLS wins; otherwise auto mTLS per endpoint. */
function endpointTls(c: Cluster | undefined, mtls: { identity: string } | undefined): EndpointTls | null {
  if (c?.tls !== undefined) {
    if (c.tls.mode === 'ISTIO_MUTUAL') {
      const ids = c.tls.subjectAltNames ?? (mtls !== undefined ? [mtls.identity] : []);
      return { kind: 'mesh', identities: ids, sni: c.tls.sni, upstream: c.tls, key: `mesh|${ids.join(',')}|${c.tls.sni ?? ''}` };
    }
    // Settings in the key: a changed DestinationRule gets new connections, not pooled old ones.
    return { kind: 'file', identities: [], sni: c.tls.sni, upstream: c.tls, key: `file|${JSON.stringify(c.tls)}` };
  }
  if (c?.tlsDisabled === true || mtls === undefined) return null;
  return { kind: 'mesh', identities: [mtls.identity], sni: undefined, upstream: undefined, key: `mesh|${mtls.identity}|` };
}

/** What simulation and tests pass to `route()`. */
export interface RouteRequest {
  authority: string;
  path: string;
  method: string;
  headers: Record<string, string>;
  scheme?: string;
  /** The port the request addresses: selects the outbound route table, or the gateway/inbound listener. */
  port: number;
  /** Which listener receives it; defaults to `outbound` for sidecars and `gateway` for gateways. */
  listener?: 'outbound' | 'inbound' | 'gateway';
}

export type RouteResult =
  | { kind: 'forward'; cluster: string; routeName: string }
  | { kind: 'direct'; status: number; routeName: string; reason?: string }
  | { kind: 'noRoute'; reason: string };

class RecordRequestView implements RouteRequestView {
  readonly method: string;
  readonly authority: string;
  readonly path: string;
  readonly pathOnly: string;
  readonly scheme: string;
  readonly #headers: Map<string, string>;
  constructor(r: RouteRequest) {
    this.method = r.method;
    this.authority = r.authority;
    this.path = r.path;
    const q = r.path.indexOf('?');
    this.pathOnly = q === -1 ? r.path : r.path.slice(0, q);
    this.scheme = r.scheme ?? 'http';
    this.#headers = new Map(Object.entries(r.headers).map(([k, v]) => [k.toLowerCase(), v]));
  }
  header(name: string): string | undefined {
    return this.#headers.get(name);
  }
}

/**
 * Finds the route for a request in a route table: the route, or a miss reason (the text of the
 * 404 body). Shared by the live listeners and `route()`.
 */
export function routeInTable(table: CompiledRouteTable | undefined, tableName: string, req: RouteRequestView): CompiledRoute | string {
  if (table === undefined) return `no route table ${JSON.stringify(tableName)} for this port`;
  const vh = table.selectVirtualHost(req.authority);
  if (vh === null) return `no virtual host for host ${JSON.stringify(req.authority)} (route table ${tableName})`;
  const r = vh.match(req);
  if (r === null) return `no route matched: host ${JSON.stringify(req.authority)} path ${JSON.stringify(req.pathOnly)} (route table ${tableName})`;
  return r;
}

export class CompiledConfig {
  readonly version: string;
  readonly role: ProxyRole;
  /** The config as received, for /config_dump. */
  readonly config: ProxyConfig;
  readonly clusters: ReadonlyMap<string, ClusterRuntime>;
  readonly routeTables: ReadonlyMap<string, CompiledRouteTable>;
  /** Inbound and gateway listeners (the sidecar outbound listener comes from the command line). */
  readonly listeners: readonly CompiledListener[];
  /** Every compiled route, for attaching filter chains. */
  readonly routes: readonly CompiledRoute[];
  /** Identity, trust roots and request policies; null when the config carries none. */
  readonly security: ProxySecurity | null;

  constructor(init: {
    config: ProxyConfig;
    clusters: Map<string, ClusterRuntime>;
    routeTables: Map<string, CompiledRouteTable>;
    listeners: CompiledListener[];
    routes: CompiledRoute[];
  }) {
    this.version = init.config.version;
    this.role = init.config.node.role;
    this.config = init.config;
    this.clusters = init.clusters;
    this.routeTables = init.routeTables;
    this.listeners = init.listeners;
    this.routes = init.routes;
    this.security = init.config.security ?? null;
  }

  /** The route for an outbound request on the sidecar: route table `<port>`. */
  routeOutbound(port: number, req: RouteRequestView): CompiledRoute | string {
    const name = String(port);
    return routeInTable(this.routeTables.get(name), name, req);
  }

  /** The compiled route decision for a request, using the live matcher code. */
  route(req: RouteRequest, random: () => number = Math.random): RouteResult {
    const r = this.resolve(req);
    if (typeof r === 'string') return { kind: 'noRoute', reason: r };
    const d = r.destinations;
    if (d === null) return { kind: 'direct', status: r.directStatus, routeName: r.name };
    if (d.names.length === 0) return { kind: 'direct', status: 503, routeName: r.name, reason: 'route has no destination' };
    const i = d.pickIndex(random());
    return { kind: 'forward', cluster: d.names[i] as string, routeName: r.name };
  }

  /** Resolves a RouteRequest to a compiled route or a miss reason. */
  resolve(req: RouteRequest): CompiledRoute | string {
    const view = new RecordRequestView(req);
    const kind = req.listener ?? (this.role === 'gateway' ? 'gateway' : 'outbound');
    const port = req.port > 0 ? req.port : authorityPort(req.authority, 80);
    if (kind === 'outbound') return this.routeOutbound(port, view);
    const l = this.listeners.find((x) => x.direction === kind && x.port === port);
    if (l === undefined) return `no ${kind} listener on port ${port}`;
    if (l.inboundRoute !== null) return l.inboundRoute;
    return routeInTable(l.routeTable ?? undefined, l.routeTableName, view);
  }
}

function isObj(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function validPort(p: unknown): p is number {
  return typeof p === 'number' && Number.isInteger(p) && p > 0 && p < 65536;
}

/**
 * Compiles a config. Throws ProxyConfigError listing every problem. `previous` carries state that
 * outlives a version (round-robin cursors of clusters that persist).
 */
export function compileConfig(config: ProxyConfig, previous: CompiledConfig | null = null): CompiledConfig {
  const problems: string[] = [];
  if (!isObj(config)) throw new ProxyConfigError(['config is not an object']);
  if (typeof config.version !== 'string' || config.version === '') problems.push('version: missing');
  if (!isObj(config.node) || (config.node.role !== 'sidecar' && config.node.role !== 'gateway')) problems.push('node: missing or bad role');
  for (const k of ['listeners', 'routes', 'clusters', 'endpoints'] as const) {
    if (!Array.isArray(config[k])) problems.push(`${k}: not a list`);
  }
  if (problems.length > 0) throw new ProxyConfigError(problems);

  // Endpoints by cluster.
  const clusterSpecs = new Map<string, Cluster>();
  for (const c of config.clusters) if (isObj(c) && typeof c.name === 'string') clusterSpecs.set(c.name, c);
  const endpointsByCluster = new Map<string, EndpointRuntime[]>();
  config.endpoints.forEach((ce, i) => {
    if (!isObj(ce) || typeof ce.cluster !== 'string' || !Array.isArray(ce.endpoints)) {
      problems.push(`endpoints[${i}]: needs cluster and endpoints`);
      return;
    }
    const list: EndpointRuntime[] = endpointsByCluster.get(ce.cluster) ?? [];
    ce.endpoints.forEach((e, j) => {
      if (!isObj(e) || typeof e.address !== 'string' || e.address === '' || !validPort(e.port)) {
        problems.push(`endpoints[${i}].endpoints[${j}] (${ce.cluster}): needs an address and a port in 1-65535`);
        return;
      }
      const spec = clusterSpecs.get(ce.cluster);
      list.push(new EndpointRuntime(e, endpointTls(spec, isObj(e.mtls) && typeof e.mtls.identity === 'string' ? e.mtls : undefined), connSettingsOf(spec)));
    });
    endpointsByCluster.set(ce.cluster, list);
  });

  // Clusters.
  const clusters = new Map<string, ClusterRuntime>();
  config.clusters.forEach((c: Cluster, i) => {
    if (!isObj(c) || typeof c.name !== 'string' || c.name === '') {
      problems.push(`clusters[${i}]: needs a name`);
      return;
    }
    if (clusters.has(c.name)) {
      problems.push(`clusters[${i}]: duplicate cluster ${JSON.stringify(c.name)}`);
      return;
    }
    if (!LB_POLICIES.has(c.lbPolicy)) problems.push(`clusters[${i}] (${c.name}): unknown lbPolicy ${JSON.stringify(c.lbPolicy)}`);
    const rt = new ClusterRuntime(c, endpointsByCluster.get(c.name) ?? []);
    const prev = previous?.clusters.get(c.name);
    // Cursor, circuit counters, ejections and warmup survive a new config version.
    if (prev !== undefined) rt.inherit(prev);
    clusters.set(c.name, rt);
  });
  const lookup = (name: string) => clusters.get(name) ?? null;

  // Route tables.
  const routeTables = new Map<string, CompiledRouteTable>();
  config.routes.forEach((t: RouteTable, i) => {
    if (!isObj(t) || typeof t.name !== 'string' || !Array.isArray(t.virtualHosts)) {
      problems.push(`routes[${i}]: needs a name and virtualHosts`);
      return;
    }
    if (routeTables.has(t.name)) {
      problems.push(`routes[${i}]: duplicate route table ${JSON.stringify(t.name)}`);
      return;
    }
    routeTables.set(t.name, compileRouteTable(t, `routes[${i}]`, lookup, problems));
  });

  // Listeners.
  const listeners: CompiledListener[] = [];
  const inboundRoutes: CompiledRoute[] = [];
  const names = new Set<string>();
  const binds = new Set<string>();
  config.listeners.forEach((l: Listener, i) => {
    const where = `listeners[${i}]${isObj(l) && typeof l.name === 'string' ? ` (${l.name})` : ''}`;
    if (!isObj(l) || typeof l.name !== 'string') {
      problems.push(`${where}: needs a name`);
      return;
    }
    // The sidecar's outbound listener is the one given on the command line; config entries for it are informational.
    if (l.direction === 'outbound') return;
    if (l.direction !== 'inbound' && l.direction !== 'gateway') {
      problems.push(`${where}: unknown direction ${JSON.stringify(l.direction)}`);
      return;
    }
    if (l.protocol !== 'HTTP') problems.push(`${where}: protocol ${JSON.stringify(l.protocol)} is not supported`);
    if (typeof l.address !== 'string' || l.address === '') problems.push(`${where}: needs an address`);
    if (!validPort(l.port)) problems.push(`${where}: port ${String(l.port)} is not in 1-65535`);
    if (names.has(l.name)) problems.push(`${where}: duplicate listener name`);
    names.add(l.name);
    const bind = `${l.direction === 'gateway' ? 'gateway' : l.address}:${l.port}`;
    if (binds.has(bind)) problems.push(`${where}: another listener already uses ${l.address}:${l.port}`);
    binds.add(bind);
    if (l.direction === 'inbound') {
      if (typeof l.cluster !== 'string') {
        problems.push(`${where}: an inbound listener needs a cluster`);
        return;
      }
      const cl = clusters.get(l.cluster);
      if (cl === undefined) problems.push(`${where}: cluster ${JSON.stringify(l.cluster)} is not defined`);
      const route = new CompiledRoute('default', [], new WeightedClusters([l.cluster], [1], [cl ?? null]), 0, '', undefined);
      inboundRoutes.push(route);
      if (l.mtls !== undefined && !MTLS_MODES.has(l.mtls)) problems.push(`${where}: unknown mtls mode ${JSON.stringify(l.mtls)}`);
      listeners.push({
        name: l.name, direction: 'inbound', address: l.address, port: l.port, routeTable: null, routeTableName: '', inboundRoute: route,
        mtls: l.mtls ?? 'PERMISSIVE', tls: null, httpsRedirectHosts: [], passthrough: null,
      });
    } else {
      if (typeof l.routeTable !== 'string') {
        problems.push(`${where}: a gateway listener needs a routeTable`);
        return;
      }
      const table = routeTables.get(l.routeTable);
      if (table === undefined) problems.push(`${where}: route table ${JSON.stringify(l.routeTable)} is not defined`);
      if (l.tls !== undefined && !Array.isArray(l.tls)) problems.push(`${where}: tls must be a list`);
      listeners.push({
        name: l.name, direction: 'gateway', address: l.address, port: l.port, routeTable: table ?? null, routeTableName: l.routeTable, inboundRoute: null,
        mtls: null, tls: Array.isArray(l.tls) && l.tls.length > 0 ? l.tls : null,
        httpsRedirectHosts: Array.isArray(l.httpsRedirectHosts) ? l.httpsRedirectHosts.filter((h): h is string => typeof h === 'string') : [],
        passthrough: Array.isArray(l.passthrough)
          ? l.passthrough.map((r) => ({
              name: r.name,
              sniHosts: r.sniHosts,
              destinations: new WeightedClusters(r.clusters.map((c) => c.cluster), r.clusters.map((c) => c.weight), r.clusters.map((c) => lookup(c.cluster))),
            }))
          : null,
      });
    }
  });

  if (problems.length > 0) throw new ProxyConfigError(problems);

  const routes: CompiledRoute[] = [...inboundRoutes];
  for (const t of config.routes) {
    const ct = routeTables.get(t.name);
    if (ct !== undefined) routes.push(...ct.allRoutes());
  }
  return new CompiledConfig({ config, clusters, routeTables, listeners, routes });
}
