// VirtualService delegation: a root VirtualService's http route with `delegate: {name, namespace}`
// stands for the http routes of another VirtualService (one without hosts). Each delegate route
// is merged with the root route: its matches must narrow the root's (a delegate route whose
// match conflicts with every root match is dropped), and it keeps its own action and policy,
// taking from the root only the policy fields it leaves unset. One level only.

import type { Destination, HTTPMatchRequest, HTTPRoute, Resource, StringMatch, VirtualServiceSpec } from '../../api/index.ts';
import { resolveShortName, type MeshSnapshot } from '../../model/index.ts';

/** One delegate route, merged with the root route that reached it. */
export interface DelegatedRoute {
  /** The delegate route with the merged matches and the root's policy fields filled in; no `delegate`. */
  http: HTTPRoute;
  /** The delegate VirtualService's namespace: its destinations' short names resolve there. */
  namespace: string;
  /** `<root ns>/<root>#<root route>-><delegate ns>/<delegate>#<delegate route>`. */
  name: string;
}

/** The outcome of following a root route's `delegate`. */
export type DelegateResult =
  | { kind: 'ok'; routes: DelegatedRoute[]; dropped: { name: string; reason: string }[] }
  | { kind: 'missing' | 'not-exported'; reason: string };

// Delegates by `namespace/name`, per snapshot. Snapshots are immutable, so the index never goes stale.
const delegateIndex = new WeakMap<MeshSnapshot, Map<string, Resource<VirtualServiceSpec>>>();

function delegatesOf(snap: MeshSnapshot): Map<string, Resource<VirtualServiceSpec>> {
  let index = delegateIndex.get(snap);
  if (!index) {
    index = new Map();
    for (const vs of snap.virtualServices) {
      // Only a VirtualService without hosts is a delegate; one with hosts cannot be delegated to.
      if ((vs.spec.hosts ?? []).length > 0) continue;
      index.set(`${vs.metadata.namespace ?? 'default'}/${vs.metadata.name}`, vs);
    }
    delegateIndex.set(snap, index);
  }
  return index;
}

/** Is a VirtualService in `own` with this exportTo visible from `ns`? (Unset exports everywhere.) */
function exportedTo(exportTo: string[] | undefined, own: string, ns: string): boolean {
  if (!exportTo || exportTo.length === 0 || exportTo.includes('*')) return true;
  return exportTo.some((e) => (e === '.' ? own === ns : e === ns));
}

/** Match-level gateways as `namespace/name` (or `mesh`), so root and delegate lists compare. */
function qualifyGateways(m: HTTPMatchRequest, ns: string): HTTPMatchRequest {
  if (!m.gateways || m.gateways.length === 0) return m;
  return { ...m, gateways: m.gateways.map((g) => (g === 'mesh' || g.includes('/') ? g : `${ns}/${g}`)) };
}

function kindOf(m: StringMatch): 'exact' | 'prefix' | 'regex' | undefined {
  if (m.exact !== undefined) return 'exact';
  if (m.prefix !== undefined) return 'prefix';
  if (m.regex !== undefined) return 'regex';
  return undefined;
}

/**
 * Does a delegate's string match fail to narrow the root's? Either side unset, or a presence-only
 * match, leaves the other free. A regex on one side admits nothing on the other (whether one
 * regex contains another cannot be decided). An exact root allows only the same exact value; a
 * prefix root allows a longer prefix or an exact value under it.
 */
function stringConflict(root: StringMatch | undefined, leaf: StringMatch | undefined, foldCase = false): boolean {
  if (!root || !leaf) return false;
  const rk = kindOf(root);
  const lk = kindOf(leaf);
  if (rk === undefined || lk === undefined) return false;
  if (rk === 'regex' || lk === 'regex') return true;
  const fold = (s: string): string => (foldCase ? s.toLowerCase() : s);
  const lv = fold((lk === 'exact' ? leaf.exact : leaf.prefix) as string);
  if (rk === 'exact') return lk !== 'exact' || lv !== fold(root.exact as string);
  return !lv.startsWith(fold(root.prefix as string));
}

function mapConflict(root: Record<string, StringMatch> | undefined, leaf: Record<string, StringMatch> | undefined): boolean {
  if (!root || !leaf) return false;
  return Object.entries(leaf).some(([k, v]) => stringConflict(root[k], v));
}

/** Why a delegate match is not within a root match, or undefined when it is. Gateways already qualified. */
function matchConflict(root: HTTPMatchRequest, leaf: HTTPMatchRequest): string | undefined {
  if (root.uri && leaf.uri) {
    // A case-insensitive delegate path under a case-sensitive root would match paths the root does not.
    if (leaf.ignoreUriCase === true && root.ignoreUriCase !== true) return 'uri: ignoreUriCase under a case-sensitive root';
    if (stringConflict(root.uri, leaf.uri, root.ignoreUriCase === true)) return 'uri';
  }
  if (stringConflict(root.scheme, leaf.scheme)) return 'scheme';
  if (stringConflict(root.method, leaf.method)) return 'method';
  if (stringConflict(root.authority, leaf.authority)) return 'authority';
  if (mapConflict(root.headers, leaf.headers)) return 'headers';
  if (mapConflict(root.withoutHeaders, leaf.withoutHeaders)) return 'withoutHeaders';
  if (mapConflict(root.queryParams, leaf.queryParams)) return 'queryParams';
  if (root.port !== undefined && leaf.port !== undefined && root.port !== leaf.port) return 'port';
  if (root.sourceNamespace !== undefined && leaf.sourceNamespace !== undefined && root.sourceNamespace !== leaf.sourceNamespace) return 'sourceNamespace';
  for (const [k, v] of Object.entries(leaf.sourceLabels ?? {})) {
    const r = root.sourceLabels?.[k];
    if (r !== undefined && r !== v) return 'sourceLabels';
  }
  if (root.gateways && root.gateways.length > 0 && leaf.gateways && leaf.gateways.length > 0) {
    if (!leaf.gateways.every((g) => root.gateways?.includes(g))) return 'gateways';
  }
  return undefined;
}

function joinNames(a: string | undefined, b: string | undefined): string | undefined {
  if (a && b) return `${a}-${b}`;
  return b || a || undefined;
}

function mergeMaps<V>(root: Record<string, V> | undefined, leaf: Record<string, V> | undefined): Record<string, V> | undefined {
  if (!root) return leaf;
  if (!leaf) return root;
  return { ...root, ...leaf };
}

/** A delegate match within a root match: each condition the delegate leaves unset comes from the root. */
function mergeMatch(root: HTTPMatchRequest, leaf: HTTPMatchRequest): HTTPMatchRequest {
  const out: HTTPMatchRequest = { ...leaf };
  const name = joinNames(root.name, leaf.name);
  if (name !== undefined) out.name = name;
  else delete out.name;
  if (leaf.uri === undefined && root.uri !== undefined) {
    out.uri = root.uri;
    // The root's path comes with the root's case rule.
    if (root.ignoreUriCase !== undefined) out.ignoreUriCase = root.ignoreUriCase;
  }
  for (const k of ['scheme', 'method', 'authority'] as const) if (out[k] === undefined && root[k] !== undefined) out[k] = root[k];
  for (const k of ['headers', 'withoutHeaders', 'queryParams'] as const) {
    const m = mergeMaps(root[k], leaf[k]);
    if (m !== undefined) out[k] = m;
  }
  const labels = mergeMaps(root.sourceLabels, leaf.sourceLabels);
  if (labels !== undefined) out.sourceLabels = labels;
  if (out.port === undefined && root.port !== undefined) out.port = root.port;
  if (out.sourceNamespace === undefined && root.sourceNamespace !== undefined) out.sourceNamespace = root.sourceNamespace;
  if ((!out.gateways || out.gateways.length === 0) && root.gateways && root.gateways.length > 0) out.gateways = root.gateways;
  if (out.statPrefix === undefined && root.statPrefix !== undefined) out.statPrefix = root.statPrefix;
  return out;
}

/**
 * The matches of a delegate route under a root route. No root matches: the delegate's. No
 * delegate matches: the root's. Otherwise every (delegate, root) pair that does not conflict, in
 * delegate order; a delegate match that fits under no root match makes the whole route conflict.
 */
function mergeMatches(root: HTTPMatchRequest[], leaf: HTTPMatchRequest[]): { matches: HTTPMatchRequest[] } | { conflict: string } {
  if (root.length === 0) return { matches: leaf };
  if (leaf.length === 0) return { matches: root };
  const out: HTTPMatchRequest[] = [];
  for (const [j, l] of leaf.entries()) {
    let fits = false;
    const reasons: string[] = [];
    for (const r of root) {
      const why = matchConflict(r, l);
      if (why !== undefined) {
        reasons.push(why);
        continue;
      }
      out.push(mergeMatch(r, l));
      fits = true;
    }
    if (!fits) return { conflict: `match ${l.name ?? j} is not within the root's match (${[...new Set(reasons)].join(', ')})` };
  }
  return { matches: out };
}

/** Root route fields a delegate route inherits when it does not set them (it never inherits an action but a direct response). */
const INHERITED = ['rewrite', 'directResponse', 'timeout', 'retries', 'fault', 'mirror', 'mirrorPercent', 'mirrorPercentage', 'corsPolicy', 'mirrors', 'headers'] as const;

/** A root destination with its host resolved in the root's namespace, so it survives being resolved again in the delegate's. */
function pinHost(d: Destination, ns: string, suffix: string): Destination {
  return { ...d, host: resolveShortName(d.host, ns, suffix) };
}

function inheritFromRoot(merged: HTTPRoute, root: HTTPRoute, rootNs: string, suffix: string): void {
  for (const k of INHERITED) {
    if (merged[k] !== undefined || root[k] === undefined) continue;
    if (k === 'mirror' && root.mirror) merged.mirror = pinHost(root.mirror, rootNs, suffix);
    else if (k === 'mirrors') {
      merged.mirrors = (root.mirrors ?? []).map((m) => {
        const d = (m as { destination?: Destination } | null)?.destination;
        return d ? { ...(m as object), destination: pinHost(d, rootNs, suffix) } : m;
      });
    } else (merged as Record<string, unknown>)[k] = root[k];
  }
}

/**
 * Follows a root route's `delegate`: the delegate VirtualService's http routes merged with the
 * root route, in the delegate's order. A delegate that does not exist (or has hosts, so is not a
 * delegate) or is not exported to the root's namespace gives nothing: the root route is skipped
 * and requests fall through to the routes after it.
 */
export function expandDelegate(snap: MeshSnapshot, root: Resource<VirtualServiceSpec>, rootRoute: HTTPRoute, rootName: string): DelegateResult {
  const rootNs = root.metadata.namespace ?? 'default';
  const ref = rootRoute.delegate ?? {};
  const ns = ref.namespace || rootNs;
  const key = `${ns}/${ref.name ?? ''}`;
  const vs = delegatesOf(snap).get(key);
  if (!vs) return { kind: 'missing', reason: `delegate VirtualService ${key} not found` };
  if (!exportedTo(vs.spec.exportTo, ns, rootNs)) return { kind: 'not-exported', reason: `delegate VirtualService ${key} is not exported to namespace ${rootNs}` };

  const rootMatches = (rootRoute.match ?? []).map((m) => qualifyGateways(m, rootNs));
  const routes: DelegatedRoute[] = [];
  const dropped: { name: string; reason: string }[] = [];
  (vs.spec.http ?? []).forEach((leaf, j) => {
    const name = `${rootName}->${key}#${leaf.name ?? j}`;
    // One level only (validation rejects it too): a delegate's own delegate is not followed.
    if (leaf.delegate !== undefined) {
      dropped.push({ name, reason: 'a delegate route cannot delegate again' });
      return;
    }
    const merged = mergeMatches(rootMatches, (leaf.match ?? []).map((m) => qualifyGateways(m, ns)));
    if ('conflict' in merged) {
      dropped.push({ name, reason: merged.conflict });
      return;
    }
    const http: HTTPRoute = { ...leaf };
    delete http.delegate;
    if (merged.matches.length > 0) http.match = merged.matches;
    else delete http.match;
    const routeName = joinNames(rootRoute.name, leaf.name);
    if (routeName !== undefined) http.name = routeName;
    inheritFromRoot(http, rootRoute, rootNs, snap.domainSuffix);
    routes.push({ http, namespace: ns, name });
  });
  return { kind: 'ok', routes, dropped };
}
