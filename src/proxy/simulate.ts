// Simulation: what the proxy would do with a request under a config, without sockets. Uses the
// proxy's own compiled router and load balancer, so a simulation test checks the real matcher.
// Deterministic: weighted destinations use a fixed draw (default 0, i.e. the first destination
// with a non-zero weight) and round-robin starts at the first endpoint.

import type { ProxyConfig } from '../api/index.ts';
import { CompiledConfig, compileConfig, type RouteRequest } from './compile-config.ts';
import { ResponseFlag } from './response-flags.ts';

export interface SimulationResult {
  /** Route name, or null when none matched. */
  route: string | null;
  cluster: string | null;
  /** `address:port` of the endpoint that would be picked, or null. */
  endpoint: string | null;
  /** Envoy response flags ('' when none). */
  flags: string;
  /** Status the proxy would answer with (200 stands for "forwarded to the upstream"). */
  status: number;
  /** Why the proxy answered by itself, when it did. */
  reason?: string;
}

export interface SimulateOptions {
  /** The weighted-destination draw in [0, 1). */
  random?: number;
}

export function simulate(config: ProxyConfig | CompiledConfig, request: RouteRequest, opts: SimulateOptions = {}): SimulationResult {
  // A fresh compile per call keeps round-robin cursors at their start.
  const compiled = compileConfig(config instanceof CompiledConfig ? config.config : config);
  const r = compiled.resolve(request);
  if (typeof r === 'string') return { route: null, cluster: null, endpoint: null, flags: ResponseFlag.NoRouteFound, status: 404, reason: r };
  const d = r.destinations;
  if (d === null) return { route: r.name, cluster: null, endpoint: null, flags: '', status: r.directStatus };
  if (d.names.length === 0) return { route: r.name, cluster: null, endpoint: null, flags: ResponseFlag.NoClusterFound, status: 503, reason: 'route has no destination' };
  const i = d.pickIndex(opts.random ?? 0);
  const name = d.names[i] as string;
  const cluster = d.clusters[i] ?? null;
  if (cluster === null) return { route: r.name, cluster: name, endpoint: null, flags: ResponseFlag.NoClusterFound, status: 503, reason: `cluster ${JSON.stringify(name)} not found` };
  const ep = cluster.pick();
  if (ep === null) return { route: r.name, cluster: name, endpoint: null, flags: ResponseFlag.NoHealthyUpstream, status: 503, reason: 'no healthy upstream' };
  return { route: r.name, cluster: name, endpoint: ep.key, flags: '', status: 200 };
}
