// MeshConfig YAML -> MeshConfig, with diagnostics that name the file, line and field.

import { isMap, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { DEFAULT_MESH_CONFIG, type LocalityLbSetting, type MeshConfig, type MeshExtAuthzProvider } from '../api/index.ts';
import { formatPath, parsePath, type Diagnostic } from './diagnostic.ts';
import { parseDuration } from './duration.ts';
import { Findings } from './validate-common.ts';
import { validateLocalityLbSetting } from './validate-destination-rule.ts';

const CODE = 'ISTHMUS_ERR_CONFIG_INVALID_MESH_CONFIG';
const DNS_LABELS = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;

export interface MeshConfigResult {
  config: MeshConfig;
  diagnostics: Diagnostic[];
}

type Fail = (path: (string | number)[], message: string, severity?: 'error' | 'warning') => void;
const isMapping = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * `localityLbSetting`: each field's type, then the rules a DestinationRule's setting follows
 * (weights summing to 100, well-formed and non-overlapping localities, failover between two
 * different regions, ...). Returns the setting when it has no errors.
 */
function parseLocalityLbSetting(v: unknown, at: (string | number)[], fail: Fail): LocalityLbSetting | undefined {
  if (!isMapping(v)) {
    fail(at, 'localityLbSetting must be a mapping');
    return undefined;
  }
  let ok = true;
  const bad = (path: (string | number)[], message: string) => {
    fail(path, message);
    ok = false;
  };
  /** Reports a bad entry and drops it. */
  const drop = (path: (string | number)[], message: string): [] => {
    bad(path, message);
    return [];
  };
  const out: LocalityLbSetting = {};
  for (const k of Object.keys(v)) {
    if (!['enabled', 'distribute', 'failover', 'failoverPriority'].includes(k)) fail([...at, k], `field ${k} is not a localityLbSetting field and is ignored`, 'warning');
  }
  if (v['enabled'] !== undefined) {
    if (typeof v['enabled'] !== 'boolean') bad([...at, 'enabled'], `enabled must be true or false, got ${JSON.stringify(v['enabled'])}`);
    else out.enabled = v['enabled'];
  }
  const listOf = (key: string): unknown[] => {
    const x = v[key];
    if (x === undefined || x === null) return [];
    if (!Array.isArray(x)) {
      bad([...at, key], `${key} must be a list`);
      return [];
    }
    return x;
  };
  const distribute = listOf('distribute').flatMap((d, i) => {
    const p = [...at, 'distribute', i];
    if (!isMapping(d)) return drop(p, 'a distribute entry must be a mapping with from and to');
    if (typeof d['from'] !== 'string' || d['from'] === '') return drop([...p, 'from'], 'from is required: the locality of the proxies this entry applies to');
    if (!isMapping(d['to'])) return drop([...p, 'to'], 'to must be a mapping from locality to weight');
    const to: Record<string, number> = {};
    for (const [loc, w] of Object.entries(d['to'])) {
      if (typeof w !== 'number' || !Number.isInteger(w)) bad([...p, 'to', loc], `weight for ${loc} must be an integer, got ${JSON.stringify(w)}`);
      else to[loc] = w;
    }
    return [{ from: d['from'], to }];
  });
  const failover = listOf('failover').flatMap((f, i) => {
    const p = [...at, 'failover', i];
    if (!isMapping(f)) return drop(p, 'a failover entry must be a mapping with from and to');
    if (typeof f['from'] !== 'string' || f['from'] === '') return drop([...p, 'from'], 'from is required: a region');
    if (typeof f['to'] !== 'string' || f['to'] === '') return drop([...p, 'to'], 'to is required: a region');
    return [{ from: f['from'], to: f['to'] }];
  });
  const failoverPriority = listOf('failoverPriority').flatMap((l, i) => {
    if (typeof l !== 'string' || l === '') return drop([...at, 'failoverPriority', i], `a failoverPriority entry must be a label name, got ${JSON.stringify(l)}`);
    return [l];
  });
  if (distribute.length > 0) out.distribute = distribute;
  if (failover.length > 0) out.failover = failover;
  if (failoverPriority.length > 0) out.failoverPriority = failoverPriority;
  // The mesh setting applies to every cluster, so the outlier detection warning (a per-rule
  // matter) is left to the DestinationRules.
  const f = new Findings();
  validateLocalityLbSetting(f, at, v, true);
  for (const d of f.diagnostics) {
    fail(parsePath(d.path) ?? at, d.message, d.severity);
    if (d.severity === 'error') ok = false;
  }
  return ok ? out : undefined;
}

function strings(v: unknown): string[] | undefined {
  return Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : undefined;
}

/** Parses a MeshConfig document; the `mesh:` wrapper of istio's ConfigMap data is accepted too. */
export function parseMeshConfig(text: string, file: string): MeshConfigResult {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false });
  const diagnostics: Diagnostic[] = [];
  const lineOf = (path: (string | number)[]): { line: number; column: number } => {
    let node: unknown = doc.contents;
    let at: Node | null = (node as Node | null) ?? null;
    for (const seg of path) {
      if (isMap(node) || isSeq(node)) {
        const next = (node as { get(k: unknown, keep: boolean): unknown }).get(seg, true);
        if (next === undefined) break;
        node = next;
        if (next && typeof next === 'object' && 'range' in (next as object)) at = next as Node;
      } else break;
    }
    const r = at?.range;
    const pos = r ? lc.linePos(r[0]) : { line: 1, col: 1 };
    return { line: pos.line, column: pos.col };
  };
  const fail = (path: (string | number)[], message: string, severity: 'error' | 'warning' = 'error') => {
    const { line, column } = lineOf(path);
    diagnostics.push({ severity, code: CODE, message, file, line, column, path: formatPath(path), resource: 'MeshConfig' });
  };
  for (const e of doc.errors) {
    const pos = lc.linePos(e.pos[0]);
    diagnostics.push({ severity: 'error', code: CODE, message: e.message.split('\n')[0] ?? 'invalid YAML', file, line: pos.line, column: pos.col, path: '', resource: 'MeshConfig' });
  }
  const config: MeshConfig = { ...DEFAULT_MESH_CONFIG, extensionProviders: [] };
  if (diagnostics.length > 0) return { config, diagnostics };
  let root = doc.toJS() as Record<string, unknown> | null;
  const prefix: string[] = [];
  if (root && typeof root === 'object' && typeof root['mesh'] === 'object' && root['mesh'] !== null) {
    root = root['mesh'] as Record<string, unknown>;
    prefix.push('mesh');
  }
  if (root === null || root === undefined) return { config, diagnostics };
  if (typeof root !== 'object' || Array.isArray(root)) {
    fail([], 'a MeshConfig must be a mapping');
    return { config, diagnostics };
  }
  const known = new Set(['trustDomain', 'rootNamespace', 'extensionProviders', 'defaultConfig', 'localityLbSetting']);
  for (const k of Object.keys(root)) if (!known.has(k)) fail([...prefix, k], `field ${k} has no effect in Isthmus and is ignored`, 'warning');
  if (root['trustDomain'] !== undefined) {
    const td = root['trustDomain'];
    if (typeof td !== 'string' || !DNS_LABELS.test(td)) fail([...prefix, 'trustDomain'], `trustDomain must be a lower-case DNS name, got ${JSON.stringify(td)}`);
    else config.trustDomain = td;
  }
  if (root['rootNamespace'] !== undefined) {
    const ns = root['rootNamespace'];
    if (typeof ns !== 'string' || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(ns)) fail([...prefix, 'rootNamespace'], `rootNamespace must be a namespace name, got ${JSON.stringify(ns)}`);
    else config.rootNamespace = ns;
  }
  const ntp = (root['defaultConfig'] as { gatewayTopology?: Record<string, unknown> } | undefined)?.gatewayTopology?.['numTrustedProxies'];
  if (ntp !== undefined) {
    if (typeof ntp !== 'number' || !Number.isInteger(ntp) || ntp < 0 || ntp > 64) fail([...prefix, 'defaultConfig', 'gatewayTopology', 'numTrustedProxies'], `numTrustedProxies must be an integer in 0..64, got ${JSON.stringify(ntp)}`);
    else config.numTrustedProxies = ntp;
  }
  const rh = (root['defaultConfig'] as { proxyMetadata?: Record<string, unknown> } | undefined)?.proxyMetadata?.['ISTHMUS_REASON_HEADER'];
  if (rh !== undefined) {
    if (rh !== 'true' && rh !== 'false' && typeof rh !== 'boolean') fail([...prefix, 'defaultConfig', 'proxyMetadata', 'ISTHMUS_REASON_HEADER'], `ISTHMUS_REASON_HEADER must be "true" or "false", got ${JSON.stringify(rh)}`);
    else config.reasonHeader = rh === true || rh === 'true';
  }
  const ttl = (root['defaultConfig'] as { proxyMetadata?: Record<string, unknown> } | undefined)?.proxyMetadata?.['SECRET_TTL'];
  if (ttl !== undefined) {
    const ms = typeof ttl === 'string' ? parseDuration(ttl) : undefined;
    if (ms === undefined || ms < 1000) fail([...prefix, 'defaultConfig', 'proxyMetadata', 'SECRET_TTL'], `SECRET_TTL must be a duration of at least 1s, got ${JSON.stringify(ttl)}`);
    else config.workloadCertTtlMs = ms;
  }
  if (root['localityLbSetting'] !== undefined && root['localityLbSetting'] !== null) {
    const setting = parseLocalityLbSetting(root['localityLbSetting'], [...prefix, 'localityLbSetting'], fail);
    if (setting !== undefined) config.localityLbSetting = setting;
  }
  const eps = root['extensionProviders'];
  if (eps !== undefined) {
    if (!Array.isArray(eps)) fail([...prefix, 'extensionProviders'], 'extensionProviders must be a list');
    else {
      const names = new Set<string>();
      eps.forEach((ep: unknown, i: number) => {
        const at = [...prefix, 'extensionProviders', i];
        const e = (ep ?? {}) as Record<string, unknown>;
        const name = e['name'];
        if (typeof name !== 'string' || name === '') return fail([...at, 'name'], 'name is required');
        if (names.has(name)) return fail([...at, 'name'], `duplicate extension provider name ${name}`);
        names.add(name);
        const http = e['envoyExtAuthzHttp'] as Record<string, unknown> | undefined;
        if (http === undefined) {
          fail(at, `extension provider ${name}: only envoyExtAuthzHttp providers are supported; others are ignored`, 'warning');
          return;
        }
        const service = http['service'];
        const port = http['port'];
        if (typeof service !== 'string' || service === '') return fail([...at, 'envoyExtAuthzHttp', 'service'], 'service is required');
        if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) return fail([...at, 'envoyExtAuthzHttp', 'port'], 'port must be in 1..65535');
        let timeoutMs = 600;
        if (http['timeout'] !== undefined) {
          const ms = typeof http['timeout'] === 'string' ? parseDuration(http['timeout']) : undefined;
          if (ms === undefined || ms <= 0) return fail([...at, 'envoyExtAuthzHttp', 'timeout'], 'timeout must be a positive duration');
          timeoutMs = ms;
        }
        let statusOnError = 403;
        if (http['statusOnError'] !== undefined) {
          const n = Number(http['statusOnError']);
          if (!Number.isInteger(n) || n < 200 || n > 599) return fail([...at, 'envoyExtAuthzHttp', 'statusOnError'], 'statusOnError must be an HTTP status code');
          statusOnError = n;
        }
        const p: MeshExtAuthzProvider = {
          name, service, port, timeoutMs, statusOnError,
          failOpen: http['failOpen'] === true,
          includeRequestHeadersInCheck: (strings(http['includeRequestHeadersInCheck']) ?? []).map((h) => h.toLowerCase()),
          headersToUpstreamOnAllow: (strings(http['headersToUpstreamOnAllow']) ?? []).map((h) => h.toLowerCase()),
          headersToDownstreamOnDeny: (strings(http['headersToDownstreamOnDeny']) ?? []).map((h) => h.toLowerCase()),
        };
        if (typeof http['pathPrefix'] === 'string') p.pathPrefix = http['pathPrefix'];
        config.extensionProviders.push(p);
      });
    }
  }
  return { config, diagnostics };
}
