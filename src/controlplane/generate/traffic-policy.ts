// A DestinationRule's traffic policy for one cluster: which settings apply to a subset on a port,
// and those settings as typed, defaulted values the proxy acts on.
//
// Precedence, as Istio merges it:
// - Within one level (the rule's top level, or a subset), a `portLevelSettings` entry for the
//   cluster's port replaces that level's settings whole: the entry's loadBalancer,
//   connectionPool, outlierDetection and tls apply, and a section the entry leaves out falls back
//   to its default rather than to the level's value (the API docs: "Traffic settings specified
//   at the destination-level will not be inherited when overridden by port-level settings").
//   The first entry for the port wins; entries for other ports are ignored.
// - The subset's result then overrides the top level's section by section: a section the subset
//   sets replaces the top level's as a whole (no merging inside a section). When the subset
//   matched a port-level entry, all four port-level sections come from it, set or not.
// - `retryBudget` is not a port-level field: a matching port-level entry drops its level's
//   budget, and the subset's budget replaces the top level's when the subset sets one.

import type {
  ClientTlsSpec, ClusterConnectionPool, ClusterLoadBalancer, ClusterOutlierDetection, ClusterPolicy, ClusterRetryBudget,
  ConsistentHashPolicy, DestinationRuleSpec, LbPolicy, TrafficPolicy,
} from '../../api/index.ts';
import { durationMs } from './duration.ts';

/** The sections of a traffic policy that reach a cluster, after precedence, as written. */
export interface MergedTrafficPolicy {
  loadBalancer?: unknown;
  connectionPool?: unknown;
  outlierDetection?: unknown;
  tls?: ClientTlsSpec;
  retryBudget?: unknown;
}

const PORT_SECTIONS = ['loadBalancer', 'connectionPool', 'outlierDetection', 'tls'] as const;

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : undefined);

/** One level's settings for the port, and whether a port-level entry supplied them. */
function atPort(tp: TrafficPolicy | undefined, port: number): { merged: MergedTrafficPolicy; portLevel: boolean } | undefined {
  if (tp === undefined) return undefined;
  const entry = tp.portLevelSettings?.find((s) => s.port?.number === port);
  const from: Obj = entry ?? tp;
  const merged: MergedTrafficPolicy = {};
  for (const k of PORT_SECTIONS) if (from[k] !== undefined && from[k] !== null) merged[k] = from[k] as never;
  if (entry === undefined && tp['retryBudget'] !== undefined && tp['retryBudget'] !== null) merged.retryBudget = tp['retryBudget'];
  return { merged, portLevel: entry !== undefined };
}

/** The settings that apply to `subset` (undefined: the service-wide cluster) on `port`, as written. */
export function mergeTrafficPolicy(spec: DestinationRuleSpec | undefined, subset: string | undefined, port: number): MergedTrafficPolicy | undefined {
  if (spec === undefined) return undefined;
  const top = atPort(spec.trafficPolicy, port);
  const subsetPolicy = subset !== undefined ? spec.subsets?.find((s) => s.name === subset)?.trafficPolicy : undefined;
  const sub = atPort(subsetPolicy, port);
  if (sub === undefined) return top?.merged;
  if (top === undefined) return sub.merged;
  const out: MergedTrafficPolicy = { ...top.merged };
  for (const k of PORT_SECTIONS) {
    if (sub.merged[k] !== undefined) out[k] = sub.merged[k] as never;
    else if (sub.portLevel) delete out[k];
  }
  if (sub.merged.retryBudget !== undefined) out.retryBudget = sub.merged.retryBudget;
  return out;
}

// ---- typing and defaults ----------------------------------------------------------------------

/** A number as YAML writes it, or a protobuf wrapper (`{value: n}`), or an int64 as a string. */
function num(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && /^\d+(\.\d+)?$/.test(v)) return Number(v);
  const o = obj(v);
  return o !== undefined ? num(o['value']) : undefined;
}

function bool(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  const o = obj(v);
  return o !== undefined && typeof o['value'] === 'boolean' ? o['value'] : undefined;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** Sets `key` only when the value is defined (exactOptionalPropertyTypes). */
function put<T extends object, K extends keyof T>(into: T, key: K, value: T[K] | undefined): void {
  if (value !== undefined) into[key] = value;
}

const SIMPLE: Record<string, NonNullable<ClusterLoadBalancer['simple']>> = {
  ROUND_ROBIN: 'ROUND_ROBIN', LEAST_REQUEST: 'LEAST_REQUEST', LEAST_CONN: 'LEAST_REQUEST', RANDOM: 'RANDOM', PASSTHROUGH: 'PASSTHROUGH',
};

const RING_HASH_DEFAULT_SIZE = 1024;
const MAGLEV_DEFAULT_TABLE_SIZE = 65537;

function consistentHashOf(ch: Obj): ConsistentHashPolicy {
  const out: ConsistentHashPolicy = {};
  put(out, 'httpHeaderName', str(ch['httpHeaderName']));
  const cookie = obj(ch['httpCookie']);
  if (cookie !== undefined) {
    const c: NonNullable<ConsistentHashPolicy['httpCookie']> = { name: str(cookie['name']) ?? '' };
    put(c, 'path', str(cookie['path']));
    put(c, 'ttlMs', durationMs(cookie['ttl']));
    out.httpCookie = c;
  }
  if (bool(ch['useSourceIp']) === true) out.useSourceIp = true;
  put(out, 'httpQueryParameterName', str(ch['httpQueryParameterName']));
  const maglev = obj(ch['maglev']);
  if (maglev !== undefined) out.maglev = { tableSize: num(maglev['tableSize']) || MAGLEV_DEFAULT_TABLE_SIZE };
  else {
    // Ring hash is the default algorithm; the deprecated top-level minimumRingSize sizes it.
    const ring = obj(ch['ringHash']);
    out.ringHash = { minimumRingSize: num(ring?.['minimumRingSize']) || num(ch['minimumRingSize']) || RING_HASH_DEFAULT_SIZE };
  }
  return out;
}

function loadBalancerOf(lb: Obj): ClusterLoadBalancer | undefined {
  const out: ClusterLoadBalancer = {};
  const ch = obj(lb['consistentHash']);
  if (ch !== undefined) out.consistentHash = consistentHashOf(ch);
  else put(out, 'simple', typeof lb['simple'] === 'string' ? SIMPLE[lb['simple']] : undefined);
  const locality = obj(lb['localityLbSetting']);
  if (locality !== undefined) out.localityLbSetting = locality;
  const warmup = obj(lb['warmup']);
  const warmupMs = warmup !== undefined ? durationMs(warmup['duration']) : durationMs(lb['warmupDurationSecs']);
  if (warmupMs !== undefined) {
    out.warmup = { durationMs: warmupMs, minimumPercent: num(warmup?.['minimumPercent']) ?? 10, aggression: num(warmup?.['aggression']) ?? 1 };
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function connectionPoolOf(cp: Obj): ClusterConnectionPool | undefined {
  const out: ClusterConnectionPool = {};
  const tcp = obj(cp['tcp']);
  if (tcp !== undefined) {
    const t: NonNullable<ClusterConnectionPool['tcp']> = {};
    put(t, 'maxConnections', num(tcp['maxConnections']));
    put(t, 'connectTimeoutMs', durationMs(tcp['connectTimeout']));
    const ka = obj(tcp['tcpKeepalive']);
    if (ka !== undefined) {
      const k: NonNullable<NonNullable<ClusterConnectionPool['tcp']>['tcpKeepalive']> = {};
      put(k, 'probes', num(ka['probes']));
      put(k, 'timeMs', durationMs(ka['time']));
      put(k, 'intervalMs', durationMs(ka['interval']));
      t.tcpKeepalive = k;
    }
    put(t, 'maxConnectionDurationMs', durationMs(tcp['maxConnectionDuration']));
    put(t, 'idleTimeoutMs', durationMs(tcp['idleTimeout']));
    out.tcp = t;
  }
  const http = obj(cp['http']);
  if (http !== undefined) {
    const h: NonNullable<ClusterConnectionPool['http']> = {};
    put(h, 'http1MaxPendingRequests', num(http['http1MaxPendingRequests']));
    put(h, 'http2MaxRequests', num(http['http2MaxRequests']));
    put(h, 'maxRequestsPerConnection', num(http['maxRequestsPerConnection']));
    put(h, 'maxRetries', num(http['maxRetries']));
    put(h, 'idleTimeoutMs', durationMs(http['idleTimeout']));
    const up = http['h2UpgradePolicy'];
    if (up === 'DEFAULT' || up === 'DO_NOT_UPGRADE' || up === 'UPGRADE') h.h2UpgradePolicy = up;
    put(h, 'useClientProtocol', bool(http['useClientProtocol']));
    put(h, 'maxConcurrentStreams', num(http['maxConcurrentStreams']));
    out.http = h;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function outlierDetectionOf(od: Obj): ClusterOutlierDetection {
  // The deprecated consecutiveErrors counts only gateway errors (502, 503, 504) and turns the
  // 5xx check off; the current fields, when set, override it.
  const legacy = num(od['consecutiveErrors']);
  const legacyOn = legacy !== undefined && legacy > 0;
  return {
    consecutive5xxErrors: num(od['consecutive5xxErrors']) ?? (legacyOn ? 0 : 5),
    consecutiveGatewayErrors: num(od['consecutiveGatewayErrors']) ?? (legacyOn ? legacy : 0),
    consecutiveLocalOriginFailures: num(od['consecutiveLocalOriginFailures']) ?? 5,
    splitExternalLocalOriginErrors: bool(od['splitExternalLocalOriginErrors']) ?? false,
    intervalMs: durationMs(od['interval']) ?? 10_000,
    baseEjectionTimeMs: durationMs(od['baseEjectionTime']) ?? 30_000,
    maxEjectionPercent: num(od['maxEjectionPercent']) ?? 10,
    minHealthPercent: num(od['minHealthPercent']) ?? 0,
  };
}

function retryBudgetOf(rb: Obj): ClusterRetryBudget {
  return { percent: num(rb['percent']) ?? 20, minRetryConcurrency: num(rb['minRetryConcurrency']) ?? 3 };
}

/** Typed, defaulted form of merged settings (see `ClusterPolicy` for what is filled in); undefined when nothing applies. */
export function clusterPolicyOf(merged: MergedTrafficPolicy | undefined): ClusterPolicy | undefined {
  if (merged === undefined) return undefined;
  const out: ClusterPolicy = {};
  const lb = obj(merged.loadBalancer);
  if (lb !== undefined) put(out, 'loadBalancer', loadBalancerOf(lb));
  const cp = obj(merged.connectionPool);
  if (cp !== undefined) put(out, 'connectionPool', connectionPoolOf(cp));
  const od = obj(merged.outlierDetection);
  if (od !== undefined) out.outlierDetection = outlierDetectionOf(od);
  const rb = obj(merged.retryBudget);
  if (rb !== undefined) out.retryBudget = retryBudgetOf(rb);
  return Object.keys(out).length > 0 ? out : undefined;
}

/** The traffic policy of the cluster for `subset` (undefined: the whole service) on `port`. */
export function resolveClusterPolicy(spec: DestinationRuleSpec | undefined, subset: string | undefined, port: number): ClusterPolicy | undefined {
  return clusterPolicyOf(mergeTrafficPolicy(spec, subset, port));
}

/** The cluster's `lbPolicy` for a resolved policy: consistent hashing names its algorithm. */
export function lbPolicyOf(policy: ClusterPolicy | undefined): LbPolicy {
  const lb = policy?.loadBalancer;
  if (lb?.consistentHash !== undefined) return lb.consistentHash.maglev !== undefined ? 'MAGLEV' : 'RING_HASH';
  return lb?.simple ?? 'ROUND_ROBIN';
}
