// VirtualService HTTP routes -> the proxy's route entries. Conditions that depend only on the
// proxy (port, sourceLabels, sourceNamespace, gateways) are decided here, per proxy, so the
// proxy's router matches only on request attributes.

import type {
  Destination, HTTPMatchRequest, HTTPRoute, HeaderMatcher, HeaderOps, MirrorTarget, PassthroughRoute, QueryMatcher, Resource, Route, RouteMatch, StringMatch,
  StringMatcher, VirtualServiceSpec, WeightedCluster,
} from '../../api/index.ts';
import { labelsMatch, resolveShortName, type MeshSnapshot, type PodModel } from '../../model/index.ts';
import { expandDelegate } from './delegate.ts';
import { outboundClusterName } from './names.ts';

export interface RouteContext {
  snap: MeshSnapshot;
  /** The proxy's pod (sidecar or gateway). */
  pod: PodModel;
  /** The port the route table serves. */
  port: number;
  /** `mesh` for sidecars; the gateway's `namespace/name` for gateways. */
  gateway: string;
  /** Every cluster a route refers to, so the cluster list can include it. */
  referenced: Map<string, { host: string; port: number; subset?: string }>;
}

function toMatcher(m: StringMatch | undefined): StringMatcher | undefined {
  if (!m) return undefined;
  if (m.exact !== undefined) return { exact: m.exact };
  if (m.prefix !== undefined) return { prefix: m.prefix };
  if (m.regex !== undefined) return { regex: m.regex };
  return undefined;
}

/** Does a match-level `gateways` list include the gateway this table is for? */
function gatewayListed(list: string[], gateway: string, vsNamespace: string): boolean {
  for (const g of list) {
    if (g === 'mesh') {
      if (gateway === 'mesh') return true;
      continue;
    }
    const full = g.includes('/') ? g : `${vsNamespace}/${g}`;
    if (full === gateway) return true;
  }
  return false;
}

function compileMatch(m: HTTPMatchRequest, ctx: RouteContext, vsNamespace: string): RouteMatch | null {
  if (m.port !== undefined && m.port !== ctx.port) return null;
  if (m.sourceLabels && !labelsMatch(m.sourceLabels, ctx.pod.labels)) return null;
  if (m.sourceNamespace !== undefined && m.sourceNamespace !== ctx.pod.namespace) return null;
  if (m.gateways && m.gateways.length > 0 && !gatewayListed(m.gateways, ctx.gateway, vsNamespace)) return null;
  const out: RouteMatch = {};
  const path = toMatcher(m.uri);
  if (path) out.path = path;
  if (m.ignoreUriCase) out.ignoreUriCase = true;
  const scheme = toMatcher(m.scheme);
  if (scheme) out.scheme = scheme;
  const method = toMatcher(m.method);
  if (method) out.method = method;
  const authority = toMatcher(m.authority);
  if (authority) out.authority = authority;
  const headers: HeaderMatcher[] = [];
  for (const [name, sm] of Object.entries(m.headers ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))) {
    const match = toMatcher(sm);
    headers.push(match ? { name: name.toLowerCase(), match } : { name: name.toLowerCase() });
  }
  for (const [name, sm] of Object.entries(m.withoutHeaders ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))) {
    const match = toMatcher(sm);
    headers.push(match ? { name: name.toLowerCase(), match, invert: true } : { name: name.toLowerCase(), invert: true });
  }
  if (headers.length) out.headers = headers;
  const query: QueryMatcher[] = [];
  for (const [name, sm] of Object.entries(m.queryParams ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))) {
    const match = toMatcher(sm);
    query.push(match ? { name, match } : { name });
  }
  if (query.length) out.queryParams = query;
  return out;
}

/** The port of a destination: explicit, else the service's only port, else the port being routed. */
function destinationPort(ctx: RouteContext, host: string, explicit: number | undefined): number {
  if (explicit !== undefined) return explicit;
  const svc = ctx.snap.serviceByHost.get(host);
  if (svc && svc.ports.length === 1 && svc.ports[0]) return svc.ports[0].port;
  return ctx.port;
}

const POLICY_KEYS = ['timeout', 'retries', 'fault', 'mirror', 'mirrors', 'mirrorPercentage', 'mirrorPercent', 'corsPolicy', 'headers', 'rewrite', 'redirect'] as const;

function policyOf(http: HTTPRoute): Record<string, unknown> | undefined {
  const p: Record<string, unknown> = {};
  for (const k of POLICY_KEYS) if (http[k] !== undefined) p[k] = http[k];
  return Object.keys(p).length ? p : undefined;
}

/** `mirror` (with `mirrorPercentage`, or the deprecated `mirrorPercent`) or `mirrors[]` as clusters, each referenced. */
function mirrorTargets(http: HTTPRoute, ns: string, ctx: RouteContext): MirrorTarget[] {
  const pct = (v: unknown, fallback: number): number => {
    const n = typeof v === 'object' && v !== null ? (v as { value?: unknown }).value : v;
    return typeof n === 'number' && n >= 0 ? Math.min(n, 100) : fallback;
  };
  const list: { destination: Destination; percentage: number }[] = [];
  if (http.mirror) list.push({ destination: http.mirror, percentage: pct(http.mirrorPercentage ?? http['mirrorPercent'], 100) });
  for (const m of (http.mirrors ?? []) as { destination?: Destination; percentage?: { value?: number } }[]) {
    if (m?.destination) list.push({ destination: m.destination, percentage: pct(m.percentage, 100) });
  }
  return list.map((m) => ({ cluster: referenceCluster(m.destination, ns, ctx), percentage: m.percentage }));
}

/** The outbound cluster of a destination, recorded as referenced so it gets generated. */
function referenceCluster(dest: Destination, ns: string, ctx: RouteContext): string {
  const host = resolveShortName(dest.host, ns, ctx.snap.domainSuffix);
  const port = destinationPort(ctx, host, dest.port?.number);
  const name = outboundClusterName(port, dest.subset, host);
  const ref: { host: string; port: number; subset?: string } = { host, port };
  if (dest.subset) ref.subset = dest.subset;
  ctx.referenced.set(name, ref);
  return name;
}

/** A route's destinations as weighted clusters, each recorded as referenced so it gets generated. */
function weightedClusters(dests: readonly { destination: Destination; weight?: number }[], ns: string, ctx: RouteContext): WeightedCluster[] {
  const clusters: WeightedCluster[] = [];
  for (const d of dests) {
    const name = referenceCluster(d.destination, ns, ctx);
    // A single destination without a weight takes all traffic; Istio treats unset weights as 0 otherwise.
    const weight = d.weight ?? (dests.length === 1 ? 100 : 0);
    if (weight <= 0) continue;
    const wc: WeightedCluster = { cluster: name, weight };
    const h = (d as { headers?: { request?: HeaderOps; response?: HeaderOps } }).headers;
    if (h !== undefined && (h.request !== undefined || h.response !== undefined)) wc.headers = h;
    clusters.push(wc);
  }
  return clusters;
}

/**
 * One VirtualService http route as route entries, one per match that applies to this proxy.
 * `ns` is the namespace its destinations' short names and match-level gateways resolve in.
 */
function routesFromHttp(http: HTTPRoute, ns: string, baseName: string, ctx: RouteContext, out: Route[]): void {
  const matches = http.match && http.match.length > 0 ? http.match : [undefined];
  const dests = http.route ?? [];
  const clusters = weightedClusters(dests, ns, ctx);
  const policy = policyOf(http);
  const mirrors = mirrorTargets(http, ns, ctx);
  matches.forEach((m, j) => {
    const match = m ? compileMatch(m, ctx, ns) : {};
    if (match === null) return;
    const route: Route = { name: `${baseName}${matches.length > 1 ? `.${m?.name ?? j}` : ''}`, match };
    if (http.directResponse) {
      const body = http.directResponse.body?.string ??
        (http.directResponse.body?.bytes !== undefined ? Buffer.from(http.directResponse.body.bytes, 'base64').toString() : undefined);
      route.directResponse = body !== undefined ? { status: http.directResponse.status, body } : { status: http.directResponse.status };
    } else if (dests.length > 0) {
      route.route = { clusters };
    } else if (!http.redirect) {
      route.route = { clusters: [] };
    }
    // Redirect routes are answered by the proxy's route filters.
    if (policy) route.policy = policy;
    if (mirrors.length > 0) route.mirrors = mirrors;
    out.push(route);
  });
}

export function routesFromVirtualService(vs: Resource<VirtualServiceSpec>, ctx: RouteContext): Route[] {
  const ns = vs.metadata.namespace ?? 'default';
  const out: Route[] = [];
  (vs.spec.http ?? []).forEach((http, i) => {
    const name = `${ns}/${vs.metadata.name}#${http.name ?? i}`;
    if (http.delegate === undefined) {
      routesFromHttp(http, ns, name, ctx, out);
      return;
    }
    // The delegate's routes take this route's place. A delegate that is missing or not exported
    // here gives none, so requests fall through to the routes after this one.
    const d = expandDelegate(ctx.snap, vs, http, name);
    if (d.kind !== 'ok') return;
    for (const r of d.routes) routesFromHttp(r.http, r.namespace, r.name, ctx, out);
  });
  return out;
}

/**
 * A VirtualService's `tls` routes for a gateway's passthrough port: each match whose port (when
 * given) is the server's and whose gateways (when given) include this one.
 */
export function passthroughRoutes(vs: Resource<VirtualServiceSpec>, ctx: RouteContext, serverPort: number): PassthroughRoute[] {
  const ns = vs.metadata.namespace ?? 'default';
  const out: PassthroughRoute[] = [];
  (vs.spec.tls ?? []).forEach((tls, i) => {
    const sni = (tls.match ?? [])
      .filter((m) => (m.port === undefined || m.port === serverPort) && (!m.gateways || m.gateways.some((g) => (g.includes('/') ? g : `${ns}/${g}`) === ctx.gateway)))
      .flatMap((m) => (m.sniHosts ?? []).map((h) => h.toLowerCase()));
    if (sni.length === 0) return;
    out.push({ name: `${ns}/${vs.metadata.name}#tls${i}`, sniHosts: [...new Set(sni)], clusters: weightedClusters(tls.route ?? [], ns, ctx) });
  });
  return out;
}

export function defaultRoute(host: string, port: number, ctx: RouteContext): Route {
  const name = outboundClusterName(port, undefined, host);
  ctx.referenced.set(name, { host, port });
  return { name: 'default', match: { path: { prefix: '/' } }, route: { clusters: [{ cluster: name, weight: 100 }] } };
}
