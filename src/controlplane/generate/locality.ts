// Locality load balancing, relative to the proxy the config is for: failover priorities on a
// cluster's endpoints, or `distribute` weights per endpoint locality. The proxy does the picking
// (priority levels with spillover, weighted localities); this decides the numbers.
//
// Which setting applies (Istio's pilot/pkg/networking/core/loadbalancer, checked against the
// DestinationRule reference and the locality load balancing tasks):
// - A DestinationRule `loadBalancer.localityLbSetting` (after the subset/port-level merge)
//   replaces the MeshConfig one entirely, nothing merged. `enabled: false` on whichever applies
//   turns locality load balancing off for the cluster, `distribute` included. The mesh default is
//   `{enabled: true}`: the default failover scheme.
// - `distribute` (when non-empty) wins over failover and failoverPriority, and needs no outlier
//   detection: it only weights localities (Istio stopped requiring it, istio/istio#12961). When no
//   entry's `from` matches the proxy, nothing is applied at all, failover included.
// - Failover priorities need the cluster to have `outlierDetection` (any, even `{}`): without it
//   no endpoint is ever ejected, so traffic would never leave priority 0. Without it endpoints
//   get no priority at all.
//
// Priorities (Istio's scheme; levels are then renumbered 0..N with no gaps, as Envoy wants them):
// - default: same region, zone and subzone 0; same region and zone 1; same region 2; other 3.
// - `failover: [{from, to}]`: for a proxy in region `from`, other regions split into `to` (3)
//   and the rest (4). Only the first entry whose `from` is the proxy's region counts.
// - `failoverPriority: [label, ...]`: an endpoint that matches the proxy on every label is 0; one
//   whose first mismatch is label j (0-based) of n is n - j, so matching more leading labels is
//   better. `label=value` compares the endpoint with that value instead of the proxy's. Both
//   sides' labels include the topology labels derived from their localities. With `failover` as
//   well, the label rank comes first and the region scheme orders endpoints within a rank.

import type { Cluster, Endpoint, LocalityLbSetting } from '../../api/index.ts';
import { splitLocality, topologyLabels, type LocalityParts, type PodModel } from '../../model/index.ts';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : undefined);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

function boolOf(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  const o = obj(v);
  return o !== undefined && typeof o['value'] === 'boolean' ? o['value'] : undefined;
}

/** A DestinationRule's setting as written, read defensively into the typed shape. */
export function readLocalityLbSetting(written: Obj): LocalityLbSetting {
  const out: LocalityLbSetting = {};
  const enabled = boolOf(written['enabled']);
  if (enabled !== undefined) out.enabled = enabled;
  const distribute = list(written['distribute']).flatMap((d) => {
    const o = obj(d);
    if (o === undefined || typeof o['from'] !== 'string') return [];
    const to: Record<string, number> = {};
    for (const [k, w] of Object.entries(obj(o['to']) ?? {})) {
      const n = typeof w === 'number' ? w : typeof w === 'string' ? Number(w) : NaN;
      if (Number.isFinite(n) && n > 0) to[k] = n;
    }
    return [{ from: o['from'], to }];
  });
  if (distribute.length > 0) out.distribute = distribute;
  const failover = list(written['failover']).flatMap((f) => {
    const o = obj(f);
    return o !== undefined && typeof o['from'] === 'string' && typeof o['to'] === 'string' ? [{ from: o['from'], to: o['to'] }] : [];
  });
  if (failover.length > 0) out.failover = failover;
  const priority = list(written['failoverPriority']).filter((x): x is string => typeof x === 'string' && x !== '');
  if (priority.length > 0) out.failoverPriority = priority;
  return out;
}

/** The setting that applies to a cluster: the DestinationRule's over the mesh's; undefined when off. */
export function effectiveLocalitySetting(fromRule: Obj | undefined, mesh: LocalityLbSetting): LocalityLbSetting | undefined {
  const s = fromRule !== undefined ? readLocalityLbSetting(fromRule) : mesh;
  return s.enabled === false ? undefined : s;
}

/** Does a `distribute` locality pattern (`region/zone/subzone`, `*` per part, trailing parts optional) match? */
export function localityMatches(pattern: string, at: LocalityParts): boolean {
  const p = splitLocality(pattern);
  const part = (want: string, have: string, optional: boolean) => want === '*' || (optional && want === '') || want === have;
  return part(p.region, at.region, false) && part(p.zone, at.zone, true) && part(p.subzone, at.subzone, true);
}

/** How many parts of a pattern name one place (neither `*` nor left out): more specific patterns claim localities first. */
function specificity(pattern: string): number {
  const p = splitLocality(pattern);
  return [p.region, p.zone, p.subzone].filter((x) => x !== '' && x !== '*').length;
}

/**
 * `distribute` weights for a proxy: the first entry whose `from` matches the proxy's locality;
 * each `to` weight is shared by the endpoint localities it matches, in proportion to their
 * endpoint counts and rounded up (as Istio divides a locality group's weight). A locality matched
 * by several `to` keys belongs to the most specific (then the first written). Undefined when no
 * entry matches or no endpoint locality is listed.
 */
export function distributeWeights(proxy: LocalityParts, endpoints: readonly Endpoint[], distribute: NonNullable<LocalityLbSetting['distribute']>): Record<string, number> | undefined {
  const rule = distribute.find((d) => localityMatches(d.from, proxy));
  if (rule === undefined) return undefined;
  const counts = new Map<string, number>();
  for (const e of endpoints) counts.set(e.locality ?? '', (counts.get(e.locality ?? '') ?? 0) + 1);
  const targets = Object.entries(rule.to)
    .map(([pattern, weight], i) => ({ pattern, weight, i, rank: specificity(pattern) }))
    .sort((a, b) => b.rank - a.rank || a.i - b.i);
  const claimed = new Map<string, number>();
  for (const t of targets) {
    const matched = [...counts].filter(([loc]) => !claimed.has(loc) && localityMatches(t.pattern, splitLocality(loc)));
    const total = matched.reduce((n, [, c]) => n + c, 0);
    for (const [loc, c] of matched) claimed.set(loc, Math.ceil((c * t.weight) / total));
  }
  if (claimed.size === 0) return undefined;
  const out: Record<string, number> = {};
  for (const loc of [...claimed.keys()].sort()) out[loc] = claimed.get(loc) as number;
  return out;
}

/** 0..4: how far an endpoint's locality is from the proxy's, with region failover (see the file comment). */
function regionScheme(proxy: LocalityParts, endpoint: LocalityParts, failover: NonNullable<LocalityLbSetting['failover']>): number {
  if (endpoint.region === proxy.region) {
    if (endpoint.zone !== proxy.zone) return 2;
    return endpoint.subzone === proxy.subzone ? 0 : 1;
  }
  const rule = failover.find((f) => f.from === proxy.region);
  return rule === undefined || rule.to === endpoint.region ? 3 : 4;
}

/** 0..n: how many leading failoverPriority labels the endpoint shares with the proxy (0 = all). */
function labelRank(proxyLabels: Record<string, string>, endpointLabels: Record<string, string>, rules: readonly { label: string; value: string | undefined }[]): number {
  for (let j = 0; j < rules.length; j++) {
    const r = rules[j] as { label: string; value: string | undefined };
    if ((r.value ?? proxyLabels[r.label]) !== endpointLabels[r.label]) return rules.length - j;
  }
  return 0;
}

/** Renumbers keys to 0..N keeping their order. */
function compact(keys: readonly number[]): number[] {
  const levels = [...new Set(keys)].sort((a, b) => a - b);
  const index = new Map(levels.map((k, i) => [k, i] as const));
  return keys.map((k) => index.get(k) as number);
}

/** Failover priority of each endpoint relative to the proxy, in endpoint order. */
export function failoverPriorities(proxy: PodModel, endpoints: readonly Endpoint[], setting: LocalityLbSetting): number[] {
  const proxyAt = splitLocality(proxy.locality);
  const failover = setting.failover ?? [];
  const region = endpoints.map((e) => regionScheme(proxyAt, splitLocality(e.locality), failover));
  const labels = setting.failoverPriority ?? [];
  if (labels.length === 0) return compact(region);
  const rules = labels.map((l) => {
    const eq = l.indexOf('=');
    return eq < 0 ? { label: l, value: undefined } : { label: l.slice(0, eq), value: l.slice(eq + 1) };
  });
  const proxyLabels = topologyLabels(proxy.labels, proxy.locality);
  // A proxy with no labels at all has nothing to compare: every endpoint ranks 0 (as in Istio).
  const unlabelled = Object.keys(proxyLabels).length === 0;
  const ranks = endpoints.map((e) => (unlabelled ? 0 : labelRank(proxyLabels, topologyLabels(e.labels, e.locality), rules)));
  // The region scheme is at most 4, so rank * 5 + scheme orders by rank first.
  return compact(failover.length > 0 ? ranks.map((r, i) => r * 5 + (region[i] as number)) : ranks);
}

/**
 * Applies locality load balancing to one cluster for `proxy`: `localityWeights` on the cluster, or
 * `priority` on every endpoint (0 included, so the choice shows in the proxy config).
 */
export function applyLocalityLb(cluster: Cluster, endpoints: Endpoint[], proxy: PodModel, setting: LocalityLbSetting | undefined, hasOutlierDetection: boolean): void {
  if (setting === undefined) return;
  if (setting.distribute !== undefined && setting.distribute.length > 0) {
    const weights = distributeWeights(splitLocality(proxy.locality), endpoints, setting.distribute);
    if (weights !== undefined) cluster.localityWeights = weights;
    return;
  }
  if (!hasOutlierDetection) return;
  const priorities = failoverPriorities(proxy, endpoints, setting);
  endpoints.forEach((e, i) => {
    e.priority = priorities[i] as number;
  });
}
