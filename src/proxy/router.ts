// The compiled router: route tables → virtual hosts (by authority) → routes (first match wins).
// Built once per config version; per request it is a Map lookup, a short wildcard scan and an
// array walk of precompiled predicates. The live proxy and `simulate` share this exact code.

import type { HeaderMatcher, MirrorTarget, QueryMatcher, Route, RouteMatch, RouteTable, VirtualHost } from '../api/index.ts';
import type { Handler } from './filter.ts';
import { authorityHost } from './http1-parser.ts';
import type { ClusterRuntime } from './load-balancer.ts';
import { WeightedClusters } from './load-balancer.ts';
import { compileStringMatcher } from './string-matcher.ts';
import { compileDestinationHeaders, compileRoutePolicy, EMPTY_ROUTE_POLICY, type RoutePolicy } from './route-policy/index.ts';

/** What route matching reads from a request; implemented by live exchanges and by simulation requests. */
export interface RouteRequestView {
  readonly method: string;
  /** Authority as received (Host header or absolute-form target). */
  readonly authority: string;
  /** Path with query. */
  readonly path: string;
  /** Path without query. */
  readonly pathOnly: string;
  readonly scheme: string;
  /** Value of a header (lower-case name); repeated fields joined with `,`. */
  header(name: string): string | undefined;
}

type Condition = (req: RouteRequestView) => boolean;

export class CompiledRoute {
  readonly name: string;
  readonly #conditions: readonly Condition[];
  /** Forwarding destinations, or null for a direct response. */
  readonly destinations: WeightedClusters | null;
  readonly directStatus: number;
  readonly directBody: string;
  readonly policy: Record<string, unknown> | undefined;
  /** The route's composed filter chain; set by the live proxy after compile, null in simulation. */
  handler: Handler | null = null;
  /** Mirror targets as configured (cluster names resolved by the live proxy). */
  mirrors: readonly MirrorTarget[] = [];
  /** `policy`, checked and typed (fault, rewrite, redirect, headers, CORS, timeout, retries). */
  routePolicy: RoutePolicy = EMPTY_ROUTE_POLICY;
  /** The match as configured (a `uri` rewrite replaces its path prefix). */
  match: RouteMatch | undefined = undefined;

  constructor(name: string, conditions: readonly Condition[], destinations: WeightedClusters | null, directStatus: number, directBody: string, policy: Record<string, unknown> | undefined) {
    this.name = name;
    this.#conditions = conditions;
    this.destinations = destinations;
    this.directStatus = directStatus;
    this.directBody = directBody;
    this.policy = policy;
  }

  matches(req: RouteRequestView): boolean {
    const c = this.#conditions;
    for (let i = 0; i < c.length; i++) if (!(c[i] as Condition)(req)) return false;
    return true;
  }
}

export class CompiledVirtualHost {
  readonly name: string;
  readonly routes: readonly CompiledRoute[];
  constructor(name: string, routes: readonly CompiledRoute[]) {
    this.name = name;
    this.routes = routes;
  }

  /** First matching route, or null. */
  match(req: RouteRequestView): CompiledRoute | null {
    const r = this.routes;
    for (let i = 0; i < r.length; i++) {
      const route = r[i] as CompiledRoute;
      if (route.matches(req)) return route;
    }
    return null;
  }
}

export class CompiledRouteTable {
  readonly name: string;
  readonly #exact: Map<string, CompiledVirtualHost>;
  /** `*suffix` domains, longest suffix first. */
  readonly #wildcards: readonly { suffix: string; vh: CompiledVirtualHost }[];
  readonly #star: CompiledVirtualHost | null;

  constructor(name: string, exact: Map<string, CompiledVirtualHost>, wildcards: { suffix: string; vh: CompiledVirtualHost }[], star: CompiledVirtualHost | null) {
    this.name = name;
    this.#exact = exact;
    this.#wildcards = wildcards.sort((a, b) => b.suffix.length - a.suffix.length);
    this.#star = star;
  }

  /**
   * Virtual host for an authority: exact domain (`host:port`, then `host`), then the longest
   * `*suffix` wildcard, then `*`. Null when none applies.
   */
  selectVirtualHost(authority: string): CompiledVirtualHost | null {
    const auth = authority.toLowerCase();
    const byFull = this.#exact.get(auth);
    if (byFull !== undefined) return byFull;
    const host = authorityHost(auth);
    if (host !== auth) {
      const byHost = this.#exact.get(host);
      if (byHost !== undefined) return byHost;
    }
    const w = this.#wildcards;
    for (let i = 0; i < w.length; i++) {
      const { suffix, vh } = w[i] as { suffix: string; vh: CompiledVirtualHost };
      if ((auth.length > suffix.length && auth.endsWith(suffix)) || (host.length > suffix.length && host.endsWith(suffix))) return vh;
    }
    return this.#star;
  }

  /** Every route of every virtual host (each once). */
  allRoutes(): CompiledRoute[] {
    const seen = new Set<CompiledVirtualHost>([...this.#exact.values(), ...this.#wildcards.map((w) => w.vh)]);
    if (this.#star !== null) seen.add(this.#star);
    return [...seen].flatMap((vh) => vh.routes);
  }
}

/** First value of a query parameter in `path` (undefined when absent, '' when it has no `=`). */
export function queryParam(path: string, name: string): string | undefined {
  const q = path.indexOf('?');
  if (q === -1) return undefined;
  let i = q + 1;
  const n = path.length;
  while (i <= n) {
    let amp = path.indexOf('&', i);
    if (amp === -1) amp = n;
    const eq = path.indexOf('=', i);
    const keyEnd = eq !== -1 && eq < amp ? eq : amp;
    if (keyEnd - i === name.length && path.startsWith(name, i)) return keyEnd === amp ? '' : path.slice(keyEnd + 1, amp);
    i = amp + 1;
  }
  return undefined;
}

function headerCondition(h: HeaderMatcher): Condition {
  if (typeof h.name !== 'string' || h.name === '') throw new Error('header matcher needs a name');
  const name = h.name.toLowerCase();
  const pred = h.match !== undefined ? compileStringMatcher(h.match) : null;
  const invert = h.invert === true;
  if (pred === null) return invert ? (req) => req.header(name) === undefined : (req) => req.header(name) !== undefined;
  return (req) => {
    const v = req.header(name);
    const ok = v !== undefined && pred(v);
    return invert ? !ok : ok;
  };
}

function queryCondition(q: QueryMatcher): Condition {
  if (typeof q.name !== 'string' || q.name === '') throw new Error('query matcher needs a name');
  const name = q.name;
  const pred = q.match !== undefined ? compileStringMatcher(q.match) : null;
  if (pred === null) return (req) => queryParam(req.path, name) !== undefined;
  return (req) => {
    const v = queryParam(req.path, name);
    return v !== undefined && pred(v);
  };
}

function compileMatch(m: RouteMatch): Condition[] {
  const out: Condition[] = [];
  if (m.path !== undefined) {
    const p = compileStringMatcher(m.path, m.ignoreUriCase === true);
    out.push((req) => p(req.pathOnly));
  }
  if (m.method !== undefined) {
    const p = compileStringMatcher(m.method);
    out.push((req) => p(req.method));
  }
  if (m.scheme !== undefined) {
    const p = compileStringMatcher(m.scheme);
    out.push((req) => p(req.scheme));
  }
  if (m.authority !== undefined) {
    const p = compileStringMatcher(m.authority);
    out.push((req) => p(req.authority));
  }
  for (const h of m.headers ?? []) out.push(headerCondition(h));
  for (const q of m.queryParams ?? []) out.push(queryCondition(q));
  return out;
}

/** Looks up a cluster by name for route compilation; null when unknown. */
export type ClusterLookup = (name: string) => ClusterRuntime | null;

function compileRoute(r: Route, where: string, lookup: ClusterLookup, problems: string[]): CompiledRoute | null {
  if (r === null || typeof r !== 'object') {
    problems.push(`${where}: not an object`);
    return null;
  }
  let conditions: Condition[];
  try {
    conditions = compileMatch(r.match ?? {});
  } catch (e) {
    problems.push(`${where} (${r.name}): ${(e as Error).message}`);
    return null;
  }
  const compiledPolicy = compileRoutePolicy(r.policy);
  if (compiledPolicy.problems.length > 0) {
    for (const p of compiledPolicy.problems) problems.push(`${where} (${r.name}): ${p}`);
    return null;
  }
  const route = compileAction(r, where, conditions, lookup, problems);
  if (route !== null) {
    route.routePolicy = compiledPolicy.policy;
    route.match = r.match;
  }
  return route;
}

function compileAction(r: Route, where: string, conditions: Condition[], lookup: ClusterLookup, problems: string[]): CompiledRoute | null {
  if (r.directResponse !== undefined) {
    const s = r.directResponse.status;
    if (!Number.isInteger(s) || s < 200 || s > 599) {
      problems.push(`${where} (${r.name}): directResponse status ${String(s)} is not in 200-599`);
      return null;
    }
    return new CompiledRoute(r.name, conditions, null, s, r.directResponse.body ?? '', r.policy);
  }
  const wc = r.route?.clusters ?? [];
  if (!Array.isArray(wc)) {
    problems.push(`${where} (${r.name}): route.clusters is not a list`);
    return null;
  }
  const names: string[] = [];
  const weights: number[] = [];
  const clusters: (ClusterRuntime | null)[] = [];
  for (const c of wc) {
    if (typeof c?.cluster !== 'string' || !Number.isInteger(c.weight) || c.weight < 0) {
      problems.push(`${where} (${r.name}): each destination needs a cluster name and a non-negative integer weight`);
      return null;
    }
    names.push(c.cluster);
    weights.push(c.weight);
    clusters.push(lookup(c.cluster));
  }
  // A single destination with weight 0 means "all traffic", as in Istio.
  if (weights.length === 1) weights[0] = 1;
  if (weights.length > 1 && weights.every((w) => w === 0)) {
    problems.push(`${where} (${r.name}): all destination weights are 0`);
    return null;
  }
  const dest = new WeightedClusters(names, weights, clusters);
  if (wc.some((c) => c.headers !== undefined)) {
    dest.headers = wc.map((c, i) => {
      const { headers, problems: hp } = compileDestinationHeaders(c.headers);
      for (const msg of hp) problems.push(`${where} (${r.name}): route.clusters[${i}].${msg}`);
      return headers;
    });
  }
  const route = new CompiledRoute(r.name, conditions, dest, 0, '', r.policy);
  if (Array.isArray(r.mirrors)) route.mirrors = r.mirrors.filter((m) => typeof m?.cluster === 'string' && typeof m.percentage === 'number');
  return route;
}

function compileVirtualHost(v: VirtualHost, where: string, lookup: ClusterLookup, problems: string[]): CompiledVirtualHost {
  const routes: CompiledRoute[] = [];
  (v.routes ?? []).forEach((r, i) => {
    const c = compileRoute(r, `${where}.routes[${i}]`, lookup, problems);
    if (c !== null) routes.push(c);
  });
  return new CompiledVirtualHost(v.name, routes);
}

/** Compiles one route table; appends problems (with their path) rather than throwing. */
export function compileRouteTable(t: RouteTable, where: string, lookup: ClusterLookup, problems: string[]): CompiledRouteTable {
  const exact = new Map<string, CompiledVirtualHost>();
  const wildcards: { suffix: string; vh: CompiledVirtualHost }[] = [];
  let star: CompiledVirtualHost | null = null;
  const seen = new Map<string, string>();
  (t.virtualHosts ?? []).forEach((v, i) => {
    const vwhere = `${where}.virtualHosts[${i}]`;
    const vh = compileVirtualHost(v, vwhere, lookup, problems);
    for (const raw of v.domains ?? []) {
      if (typeof raw !== 'string' || raw === '') {
        problems.push(`${vwhere} (${v.name}): empty domain`);
        continue;
      }
      const d = raw.toLowerCase();
      const prev = seen.get(d);
      if (prev !== undefined) {
        problems.push(`${vwhere} (${v.name}): domain ${JSON.stringify(d)} is also in virtual host ${JSON.stringify(prev)}`);
        continue;
      }
      seen.set(d, v.name);
      if (d === '*') star = vh;
      else if (d.startsWith('*')) wildcards.push({ suffix: d.slice(1), vh });
      else exact.set(d, vh);
    }
  });
  return new CompiledRouteTable(t.name, exact, wildcards, star);
}
