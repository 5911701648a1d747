// Clusters as the request path sees them: a frozen endpoint list plus a load-balancing cursor.
// A cluster that persists across config versions keeps its round-robin cursor, so a push does
// not send the next burst of requests to the first endpoint again.
//
// Picking has a fast path (one flat endpoint list, nothing ejected, nothing warming) and a
// structured one, taken only when the config or the endpoints' health asks for it:
// - locality priorities (`Endpoint.priority`): Envoy's priority levels. Level p takes
//   min(remaining, 1.4 x its healthy share) of the traffic, so a level spills over to the next
//   as its endpoints are ejected; the loads are normalized when no level is healthy enough;
// - locality weights (`Cluster.localityWeights`, from `distribute`): within a level, a locality
//   is picked by weight (scaled down by its health the same way), then an endpoint in it;
// - warmup: an endpoint that joined an existing cluster less than `warmup.duration` ago is
//   picked less often, its share growing from minimumPercent to full (ROUND_ROBIN and
//   LEAST_REQUEST). Endpoints present when the proxy first builds the cluster do not warm up.

import type { Cluster, ClusterOutlierDetection, ConsistentHashPolicy, Endpoint, LbPolicy, UpstreamTls } from '../api/index.ts';
import type { DestinationHeaders } from './route-policy/index.ts';
import { buildHashTable, hash32, hashKey, type HashRequest, type HashTable } from './consistent-hash.ts';

/** TLS to an endpoint: mesh mTLS (ISTIO_MUTUAL, expecting one of `identities`) or origination from files. */
export interface EndpointTls {
  kind: 'mesh' | 'file';
  /** SPIFFE URIs the server may present (mesh); empty means any identity our roots sign. */
  identities: readonly string[];
  sni: string | undefined;
  upstream: UpstreamTls | undefined;
  /** Distinguishes pools to the same address with different TLS settings. */
  key: string;
}

/**
 * DestinationRule `connectionPool` settings that shape each upstream connection; null: the
 * proxy's default. Endpoints of clusters with different settings get separate pools.
 */
export interface ConnSettings {
  connectTimeoutMs: number | null;
  /** `tcpKeepalive`: SO_KEEPALIVE with this idle time before the first probe (0: the OS default). */
  keepAliveMs: number | null;
  /** `maxConnectionDuration`: a connection older than this is closed once its request is done. */
  maxConnectionDurationMs: number | null;
  /** `http.idleTimeout`: a pooled connection idle this long is closed. */
  idleTimeoutMs: number | null;
  key: string;
}

/** The connection settings of a cluster's policy, or null when it sets none. */
export function connSettingsOf(c: Cluster | undefined): ConnSettings | null {
  const cp = c?.policy?.connectionPool;
  if (cp === undefined) return null;
  const ms = (v: number | undefined) => (typeof v === 'number' && v > 0 ? v : null);
  const connectTimeoutMs = ms(cp.tcp?.connectTimeoutMs);
  const ka = cp.tcp?.tcpKeepalive;
  const keepAliveMs = ka === undefined ? null : (ka.timeMs ?? 0);
  const maxConnectionDurationMs = ms(cp.tcp?.maxConnectionDurationMs);
  const idleTimeoutMs = ms(cp.http?.idleTimeoutMs);
  if (connectTimeoutMs === null && keepAliveMs === null && maxConnectionDurationMs === null && idleTimeoutMs === null) return null;
  return { connectTimeoutMs, keepAliveMs, maxConnectionDurationMs, idleTimeoutMs, key: `conn|${connectTimeoutMs}|${keepAliveMs}|${maxConnectionDurationMs}|${idleTimeoutMs}` };
}

/** What the forwarder needs from an upstream connection pool; set by the live proxy, null in simulation. */
export interface EndpointPoolRef {
  /** Requests in flight on this endpoint (for LEAST_REQUEST). */
  readonly active: number;
}

export class EndpointRuntime {
  readonly address: string;
  readonly port: number;
  /** `address:port`, what telemetry reports. */
  readonly key: string;
  /** The connection pool's key: `address:port`, plus the TLS settings when there are any. */
  readonly poolKey: string;
  readonly pod: string | undefined;
  readonly tls: EndpointTls | null;
  /** Connection settings from the cluster's connection pool policy, or null for the defaults. */
  readonly conn: ConnSettings | null;
  /** `region/zone/subzone`, or '' when unknown. */
  readonly locality: string;
  /** Locality failover priority (0 is preferred). */
  readonly priority: number;
  /** The connection pool for this endpoint; attached after compile by the live proxy. */
  pool: EndpointPoolRef | null = null;

  constructor(e: Endpoint, tls: EndpointTls | null = null, conn: ConnSettings | null = null) {
    this.address = e.address;
    this.port = e.port;
    this.key = e.address.includes(':') ? `[${e.address}]:${e.port}` : `${e.address}:${e.port}`;
    let poolKey = tls === null ? this.key : `${this.key}|${tls.key}`;
    if (conn !== null) poolKey += `|${conn.key}`;
    this.poolKey = poolKey;
    this.conn = conn;
    this.pod = e.pod;
    this.tls = tls;
    this.locality = typeof e.locality === 'string' ? e.locality : '';
    this.priority = typeof e.priority === 'number' && Number.isInteger(e.priority) && e.priority > 0 ? e.priority : 0;
  }
}

/** DestinationRule connectionPool limits of a cluster (circuit breaking); Infinity when unset. */
export interface ClusterLimits {
  maxConnections: number;
  maxPending: number;
  maxRequests: number;
  /** 0: unlimited. */
  maxRequestsPerConnection: number;
  maxRetries: number;
}

/** A cluster's circuit-breaker counters; kept across config versions with the cluster's name. */
export class CircuitState {
  connections = 0;
  pending = 0;
  requests = 0;
  retries = 0;
  readonly waiters: (() => void)[] = [];

  /** Lets the oldest waiting request try again (a connection was freed or closed). */
  wake(): void {
    const w = this.waiters.shift();
    if (w !== undefined) w();
  }
}

/** One endpoint's passive health, kept across config versions by endpoint key. */
export class OutlierState {
  consecutive5xx = 0;
  consecutiveGateway = 0;
  consecutiveLocal = 0;
  /** Times ejected so far (each ejection lasts baseEjectionTime times this). */
  ejections = 0;
  /** `Date.now()` until which the endpoint takes no traffic; 0 when not ejected. */
  ejectedUntil = 0;
}

/** How a try ended, as outlier detection counts it. */
export type TryOutcome = { kind: 'status'; status: number } | { kind: 'local-failure' };

/** Outlier detection for one cluster: counts consecutive errors per endpoint and ejects. */
export class OutlierDetector {
  readonly cfg: ClusterOutlierDetection;
  readonly states = new Map<string, OutlierState>();
  /** Endpoints ejected, total (for stats). */
  ejectionsTotal = 0;
  /** The latest `ejectedUntil` of any endpoint: after it, nothing is ejected (a pick needs no filtering). */
  ejectedUntilMax = 0;

  constructor(cfg: ClusterOutlierDetection, previous: OutlierDetector | null) {
    this.cfg = cfg;
    if (previous !== null) {
      for (const [k, v] of previous.states) this.states.set(k, v);
      this.ejectedUntilMax = previous.ejectedUntilMax;
      this.ejectionsTotal = previous.ejectionsTotal;
    }
  }

  state(key: string): OutlierState {
    let s = this.states.get(key);
    if (s === undefined) {
      s = new OutlierState();
      this.states.set(key, s);
    }
    return s;
  }

  ejected(key: string, now: number): boolean {
    const s = this.states.get(key);
    return s !== undefined && s.ejectedUntil > now;
  }

  /** Records a try's outcome; ejects the endpoint when a consecutive-error threshold is reached. */
  report(ep: EndpointRuntime, o: TryOutcome, endpoints: readonly EndpointRuntime[]): void {
    const c = this.cfg;
    if (o.kind === 'status' && o.status < 500) {
      // The common case: a success resets the endpoint's counts, if it has any.
      const s = this.states.get(ep.key);
      if (s !== undefined) s.consecutive5xx = s.consecutiveGateway = s.consecutiveLocal = 0;
      return;
    }
    const now = Date.now();
    const s = this.state(ep.key);
    let trip = false;
    if (o.kind === 'local-failure') {
      s.consecutiveLocal++;
      if (c.splitExternalLocalOriginErrors) trip = c.consecutiveLocalOriginFailures > 0 && s.consecutiveLocal >= c.consecutiveLocalOriginFailures;
      else {
        // Without the split, a connect failure or reset counts as a 5xx (and a gateway error).
        s.consecutive5xx++;
        s.consecutiveGateway++;
        trip = (c.consecutive5xxErrors > 0 && s.consecutive5xx >= c.consecutive5xxErrors) || (c.consecutiveGatewayErrors > 0 && s.consecutiveGateway >= c.consecutiveGatewayErrors);
      }
    } else if (o.status >= 500) {
      s.consecutive5xx++;
      const gw = o.status === 502 || o.status === 503 || o.status === 504;
      s.consecutiveGateway = gw ? s.consecutiveGateway + 1 : 0;
      trip = (c.consecutive5xxErrors > 0 && s.consecutive5xx >= c.consecutive5xxErrors) || (gw && c.consecutiveGatewayErrors > 0 && s.consecutiveGateway >= c.consecutiveGatewayErrors);
    } else {
      s.consecutive5xx = 0;
      s.consecutiveGateway = 0;
      s.consecutiveLocal = 0;
    }
    if (!trip || s.ejectedUntil > now) return;
    // maxEjectionPercent bounds how many are out at once, but one host can always be ejected (as Envoy does).
    const out = endpoints.filter((e) => this.ejected(e.key, now)).length;
    const max = Math.max(1, Math.floor((endpoints.length * c.maxEjectionPercent) / 100));
    if (out >= max) return;
    s.ejections++;
    s.ejectedUntil = now + c.baseEjectionTimeMs * s.ejections;
    if (s.ejectedUntil > this.ejectedUntilMax) this.ejectedUntilMax = s.ejectedUntil;
    s.consecutive5xx = s.consecutiveGateway = s.consecutiveLocal = 0;
    this.ejectionsTotal++;
  }
}

function limitsOf(c: Cluster): ClusterLimits | null {
  const pool = c.policy?.connectionPool;
  if (pool === undefined) return null;
  const n = (v: number | undefined) => (typeof v === 'number' && v > 0 ? v : Infinity);
  return {
    maxConnections: n(pool.tcp?.maxConnections),
    maxPending: n(pool.http?.http1MaxPendingRequests),
    maxRequests: n(pool.http?.http2MaxRequests),
    maxRequestsPerConnection: pool.http?.maxRequestsPerConnection ?? 0,
    maxRetries: n(pool.http?.maxRetries),
  };
}

/** Envoy's overprovisioning factor: a level (or locality) at 1/1.4 health still takes its full share. */
const OVERPROVISION = 1.4;

/** Endpoints picked among together (a locality), with their own round-robin cursor. */
class EndpointGroup {
  readonly endpoints: EndpointRuntime[] = [];
  rr = 0;
  constructor(readonly weight: number) {}
}

/** One priority level: its endpoints and, with locality weights, its localities. */
class PriorityLevel {
  readonly endpoints: EndpointRuntime[] = [];
  rr = 0;
  /** Locality groups with a weight (`distribute`); null without locality weights. */
  groups: EndpointGroup[] | null = null;
  constructor(readonly priority: number) {}
}

interface Warmup {
  durationMs: number;
  minimumFraction: number;
  aggression: number;
  /** When each endpoint joined the cluster (`Date.now()`); 0 for endpoints there from the start. */
  joined: Map<string, number>;
  /** After this time no endpoint is warming. */
  until: number;
}

export class ClusterRuntime {
  readonly name: string;
  readonly lbPolicy: LbPolicy;
  readonly endpoints: readonly EndpointRuntime[];
  /** Next round-robin index. */
  rr = 0;
  /** Connection pool limits, or null when the DestinationRule sets none. */
  readonly limits: ClusterLimits | null;
  /** `retryBudget`: retries in flight may be at most this share of requests in flight (at least the minimum). */
  readonly retryBudget: { percent: number; minRetryConcurrency: number } | null;
  /** Whether requests and retries in flight are counted (limits or a retry budget). */
  readonly counted: boolean;
  circuit = new CircuitState();
  /** Passive health checking, when the DestinationRule asks for it. */
  outliers: OutlierDetector | null;
  /** Consistent hashing (RING_HASH, MAGLEV): the policy and its table; null otherwise. */
  readonly hash: { policy: ConsistentHashPolicy; table: HashTable | null } | null;
  /** Priority levels in order, when endpoints have more than one priority or locality weights apply; else null. */
  readonly levels: readonly PriorityLevel[] | null;
  #warmup: Warmup | null = null;
  readonly #random: () => number;

  constructor(c: Cluster, endpoints: readonly EndpointRuntime[], random: () => number = Math.random) {
    this.name = c.name;
    this.lbPolicy = c.lbPolicy;
    this.endpoints = endpoints;
    this.limits = limitsOf(c);
    this.retryBudget = c.policy?.retryBudget ?? null;
    this.counted = this.limits !== null || this.retryBudget !== null;
    this.outliers = c.policy?.outlierDetection !== undefined ? new OutlierDetector(c.policy.outlierDetection, null) : null;
    const ch = c.policy?.loadBalancer?.consistentHash;
    this.hash = ch !== undefined ? { policy: ch, table: buildHashTable(ch, endpoints) } : null;
    this.levels = buildLevels(endpoints, c.localityWeights);
    const w = c.policy?.loadBalancer?.warmup;
    if (w !== undefined && w.durationMs > 0 && (this.lbPolicy === 'ROUND_ROBIN' || this.lbPolicy === 'LEAST_REQUEST')) {
      const joined = new Map<string, number>();
      for (const e of endpoints) joined.set(e.key, 0);
      this.#warmup = { durationMs: w.durationMs, minimumFraction: Math.min(1, Math.max(0, w.minimumPercent / 100)), aggression: w.aggression > 0 ? w.aggression : 1, joined, until: 0 };
    }
    this.#random = random;
  }

  /**
   * Carries state over from the same cluster in the previous config version: the round-robin
   * cursor, circuit-breaker counters, outlier ejections, and when each endpoint joined (an
   * endpoint new in this version starts warming up now).
   */
  inherit(prev: ClusterRuntime, now: number = Date.now()): void {
    this.rr = prev.rr;
    this.circuit = prev.circuit;
    if (this.outliers !== null && prev.outliers !== null) this.outliers = new OutlierDetector(this.outliers.cfg, prev.outliers);
    const w = this.#warmup;
    if (w === null) return;
    const before = prev.#warmup?.joined ?? null;
    let until = 0;
    for (const e of this.endpoints) {
      const t = before === null ? 0 : (before.get(e.key) ?? now);
      w.joined.set(e.key, t);
      if (t > 0 && t + w.durationMs > until) until = t + w.durationMs;
    }
    w.until = until;
  }

  /** The share of its normal traffic an endpoint takes while warming up (1: not warming). */
  warmupFactor(ep: EndpointRuntime, now: number = Date.now()): number {
    const w = this.#warmup;
    if (w === null || now >= w.until) return 1;
    const t = w.joined.get(ep.key) ?? 0;
    if (t === 0 || now - t >= w.durationMs) return 1;
    const f = ((now - t) / w.durationMs) ** (1 / w.aggression);
    return Math.max(w.minimumFraction, f);
  }

  /**
   * Picks by the request's hash key when the cluster hashes (skipping ejected endpoints);
   * `key` overrides the key read from the request (a cookie the proxy is about to set).
   */
  pickFor(req: HashRequest, key?: string | null): EndpointRuntime | null {
    const h = this.hash;
    if (h === null || h.table === null) return this.pick();
    const k = key === undefined ? hashKey(h.policy, req) : key;
    if (k === null) return this.pick();
    const od = this.outliers;
    const now = Date.now();
    const eps = this.endpoints;
    const i = h.table.lookup(hash32(k), (j) => od !== null && od.ejected((eps[j] as EndpointRuntime).key, now));
    return eps[i] ?? null;
  }

  /** Whether one more retry fits the cluster's maxRetries and retry budget. */
  retryAllowed(): boolean {
    const c = this.circuit;
    if (this.limits !== null && c.retries >= this.limits.maxRetries) return false;
    const b = this.retryBudget;
    if (b !== null && c.retries >= Math.max(b.minRetryConcurrency, Math.floor((b.percent / 100) * (c.requests + c.pending)))) return false;
    return true;
  }

  /** Reports a try's outcome to outlier detection (no-op without it). */
  report(ep: EndpointRuntime, o: TryOutcome): void {
    this.outliers?.report(ep, o, this.endpoints);
  }

  /**
   * Picks an endpoint, or null when there is none. `avoid` is skipped when another exists
   * (connect retry). `skipPriorities` (bit p set: priority p) leaves out levels a retry already
   * tried (`retryRemoteLocalities`); when every level is left out, none is.
   */
  pick(avoid: EndpointRuntime | null = null, skipPriorities = 0): EndpointRuntime | null {
    const w = this.#warmup;
    if (w !== null && w.until > 0) {
      const now = Date.now();
      if (now < w.until) return this.#pickWarming(avoid, skipPriorities, now);
      w.until = 0;
    }
    return this.#pickOnce(avoid, skipPriorities);
  }

  #pickOnce(avoid: EndpointRuntime | null, skipPriorities: number): EndpointRuntime | null {
    if (this.levels !== null) return this.#pickLevels(avoid, skipPriorities);
    const od = this.outliers;
    if (od !== null && od.ejectedUntilMax > 0 && Date.now() < od.ejectedUntilMax) return this.#pickHealthy(od, avoid);
    return this.#pick(this.endpoints, avoid, this);
  }

  /** Picks as usual, then keeps a warming endpoint only with probability its warmup factor. */
  #pickWarming(avoid: EndpointRuntime | null, skipPriorities: number, now: number): EndpointRuntime | null {
    let ep: EndpointRuntime | null = null;
    for (let i = 0; i < 8; i++) {
      ep = this.#pickOnce(avoid, skipPriorities);
      if (ep === null) return null;
      const f = this.warmupFactor(ep, now);
      if (f >= 1 || this.#random() < f) return ep;
    }
    return ep;
  }

  /** Priority levels and locality weights, with ejected endpoints left out (see the file comment). */
  #pickLevels(avoid: EndpointRuntime | null, skipPriorities: number): EndpointRuntime | null {
    const levels = this.levels as readonly PriorityLevel[];
    const od = this.outliers;
    const now = Date.now();
    const filtering = od !== null && od.ejectedUntilMax > now;
    const isHealthy = (e: EndpointRuntime) => !filtering || !(od as OutlierDetector).ejected(e.key, now);
    let skip = skipPriorities;
    if (skip !== 0 && levels.every((l) => l.priority >= 31 || (skip & (1 << l.priority)) !== 0)) skip = 0;
    // Each level's load: its overprovisioned healthy share, within what the earlier levels left.
    const loads: number[] = [];
    let remaining = 1;
    let total = 0;
    for (const l of levels) {
      if (skip !== 0 && l.priority < 31 && (skip & (1 << l.priority)) !== 0) {
        loads.push(0);
        continue;
      }
      let healthy = 0;
      for (const e of l.endpoints) if (isHealthy(e)) healthy++;
      const avail = l.endpoints.length === 0 ? 0 : Math.min(1, (OVERPROVISION * healthy) / l.endpoints.length);
      const load = Math.min(remaining, avail);
      loads.push(load);
      remaining -= load;
      total += load;
    }
    let level: PriorityLevel | undefined;
    if (total <= 0) {
      // Nothing healthy anywhere (panic): the first level not skipped, every endpoint in it.
      level = levels.find((l) => (skip === 0 || l.priority >= 31 || (skip & (1 << l.priority)) === 0) && l.endpoints.length > 0);
      if (level === undefined) return null;
      return this.#pickInLevel(level, () => true, avoid);
    }
    let x = this.#random() * total;
    for (let i = 0; i < levels.length; i++) {
      const load = loads[i] as number;
      if (load <= 0) continue;
      level = levels[i];
      if (x < load) break;
      x -= load;
    }
    const l = level as PriorityLevel;
    // minHealthPercent applies per level: below it, the level's ejected endpoints are used too.
    let healthy = 0;
    for (const e of l.endpoints) if (isHealthy(e)) healthy++;
    const panic = od !== null && (healthy * 100) / l.endpoints.length < od.cfg.minHealthPercent;
    return this.#pickInLevel(l, panic ? () => true : isHealthy, avoid);
  }

  #pickInLevel(l: PriorityLevel, ok: (e: EndpointRuntime) => boolean, avoid: EndpointRuntime | null): EndpointRuntime | null {
    const groups = l.groups;
    if (groups === null) return this.#pick(l.endpoints.filter(ok), avoid, l);
    // A locality by weight, scaled by its health; then an endpoint in it.
    const eff: number[] = [];
    let total = 0;
    for (const g of groups) {
      let healthy = 0;
      for (const e of g.endpoints) if (ok(e)) healthy++;
      const w = g.endpoints.length === 0 ? 0 : g.weight * Math.min(1, (OVERPROVISION * healthy) / g.endpoints.length);
      eff.push(w);
      total += w;
    }
    if (total <= 0) return null;
    let x = this.#random() * total;
    let g = groups[0] as EndpointGroup;
    for (let i = 0; i < groups.length; i++) {
      const w = eff[i] as number;
      if (w <= 0) continue;
      g = groups[i] as EndpointGroup;
      if (x < w) break;
      x -= w;
    }
    const eps = g.endpoints.filter(ok);
    return this.#pick(eps.length > 0 ? eps : g.endpoints, avoid, g);
  }

  /**
   * Ejected endpoints take no traffic, unless fewer than minHealthPercent (or none) would be
   * left: then every endpoint is used (Envoy's panic mode).
   */
  #pickHealthy(od: OutlierDetector, avoid: EndpointRuntime | null): EndpointRuntime | null {
    const now = Date.now();
    const healthy = this.endpoints.filter((e) => !od.ejected(e.key, now));
    const pct = this.endpoints.length === 0 ? 0 : (healthy.length * 100) / this.endpoints.length;
    if (healthy.length === 0 || pct < od.cfg.minHealthPercent) return this.#pick(this.endpoints, avoid, this);
    return this.#pick(healthy, avoid, this);
  }

  #pick(eps: readonly EndpointRuntime[], avoid: EndpointRuntime | null, cursor: { rr: number }): EndpointRuntime | null {
    const n = eps.length;
    if (n === 0) return null;
    if (n === 1) {
      const only = eps[0] as EndpointRuntime;
      return only === avoid ? null : only;
    }
    let ep: EndpointRuntime;
    switch (this.lbPolicy) {
      case 'RANDOM':
        ep = eps[Math.floor(this.#random() * n)] as EndpointRuntime;
        break;
      case 'LEAST_REQUEST': {
        // Power of two choices, as Envoy's default LEAST_REQUEST.
        const a = eps[Math.floor(this.#random() * n)] as EndpointRuntime;
        const b = eps[Math.floor(this.#random() * n)] as EndpointRuntime;
        ep = this.#warmup === null
          ? ((b.pool?.active ?? 0) < (a.pool?.active ?? 0) ? b : a)
          // Warming endpoints count as busier: active requests divided by the warmup factor.
          : ((b.pool?.active ?? 0) + 1) / this.warmupFactor(b) < ((a.pool?.active ?? 0) + 1) / this.warmupFactor(a) ? b : a;
        break;
      }
      default: {
        // ROUND_ROBIN (and PASSTHROUGH, which has no endpoints of its own here; RING_HASH and MAGLEV when a request has no hash key).
        const i = cursor.rr >= n ? 0 : cursor.rr;
        cursor.rr = i + 1;
        ep = eps[i] as EndpointRuntime;
      }
    }
    if (ep === avoid) {
      const i = eps.indexOf(ep);
      ep = eps[(i + 1) % n] as EndpointRuntime;
    }
    return ep;
  }
}

/**
 * Priority levels (and locality groups within them) of a cluster's endpoints; null when there is
 * one level and no locality weights, so picking takes the flat path.
 */
function buildLevels(endpoints: readonly EndpointRuntime[], weights: Record<string, number> | undefined): PriorityLevel[] | null {
  const weighted = weights !== undefined && weights !== null && typeof weights === 'object' && Object.keys(weights).length > 0;
  if (!weighted && endpoints.every((e) => e.priority === 0)) return null;
  const byPriority = new Map<number, PriorityLevel>();
  for (const e of endpoints) {
    let l = byPriority.get(e.priority);
    if (l === undefined) byPriority.set(e.priority, (l = new PriorityLevel(e.priority)));
    l.endpoints.push(e);
  }
  const levels = [...byPriority.values()].sort((a, b) => a.priority - b.priority);
  if (weighted) {
    for (const l of levels) {
      const groups = new Map<string, EndpointGroup>();
      for (const e of l.endpoints) {
        const w = (weights as Record<string, number>)[e.locality];
        // A locality `distribute` gives no weight takes no traffic.
        if (typeof w !== 'number' || !(w > 0)) continue;
        let g = groups.get(e.locality);
        if (g === undefined) groups.set(e.locality, (g = new EndpointGroup(w)));
        g.endpoints.push(e);
      }
      l.groups = [...groups.values()];
      l.endpoints.splice(0, l.endpoints.length, ...l.groups.flatMap((g) => g.endpoints));
    }
  }
  return levels.filter((l) => l.endpoints.length > 0);
}

/** A route's weighted destinations, with cumulative weights computed once. */
export class WeightedClusters {
  readonly names: readonly string[];
  /** Resolved clusters, null where the config names an unknown cluster (503 NC). */
  readonly clusters: readonly (ClusterRuntime | null)[];
  readonly #cumulative: readonly number[];
  readonly #total: number;
  /** Per destination: its own header operations (VirtualService `route[].headers`), or null. */
  headers: readonly (DestinationHeaders | null)[] = [];

  constructor(names: readonly string[], weights: readonly number[], clusters: readonly (ClusterRuntime | null)[]) {
    this.names = names;
    this.clusters = clusters;
    const cum: number[] = [];
    let t = 0;
    for (const w of weights) cum.push((t += w));
    this.#cumulative = cum;
    this.#total = t;
  }

  /** Index of the destination for a random number in [0, 1). */
  pickIndex(r: number): number {
    const n = this.#cumulative.length;
    if (n === 1) return 0;
    const x = r * this.#total;
    const cum = this.#cumulative;
    for (let i = 0; i < n; i++) if (x < (cum[i] as number)) return i;
    return n - 1;
  }
}
