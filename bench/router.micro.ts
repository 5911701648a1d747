// Micro benchmark: the proxy's compiled router (src/proxy) choosing a route among 1000.
//
//   node --import tsx bench/router.micro.ts [--json]
//
// Cases, each on a config compiled once, timed through the same `routeOutbound` the live
// outbound listener calls per request:
//   - 1000 path-prefix routes in one virtual host: a hit on the first, 500th and last route, and a miss;
//   - 1000 virtual hosts with one route each: a hit on the last host by `host:port`.
// The reference, measured in the same run, is the least work a first-match scan can do: a loop
// of `startsWith` over the same 1000 prefixes in a plain array.

import { performance } from 'node:perf_hooks';
import type { ProxyConfig, Route } from '../src/api/index.ts';
import { compileConfig } from '../src/proxy/index.ts';

const N = 1000;
const CLUSTER = 'outbound|9080||svc.default.svc.cluster.local';

function config(virtualHosts: ProxyConfig['routes'][number]['virtualHosts']): ProxyConfig {
  return {
    version: 'micro',
    node: { id: 'micro.default', role: 'sidecar', podName: 'micro', namespace: 'default' },
    listeners: [],
    routes: [{ name: '9080', virtualHosts }],
    clusters: [{ name: CLUSTER, direction: 'outbound', port: 9080, lbPolicy: 'ROUND_ROBIN' }],
    endpoints: [{ cluster: CLUSTER, endpoints: [{ address: '127.0.0.1', port: 1 }] }],
  };
}

const route = (name: string, prefix: string): Route => ({ name, match: { path: { prefix } }, route: { clusters: [{ cluster: CLUSTER, weight: 100 }] } });
const prefixes = Array.from({ length: N }, (_, i) => `/svc-${i}/`);
const manyRoutes = compileConfig(config([{ name: 'svc', domains: ['svc', 'svc:9080'], routes: prefixes.map((p, i) => route(`r${i}`, p)) }]));
const manyHosts = compileConfig(
  config(Array.from({ length: N }, (_, i) => ({ name: `svc-${i}`, domains: [`svc-${i}.default.svc.cluster.local`, `svc-${i}.default.svc.cluster.local:9080`], routes: [route(`h${i}`, '/')] }))),
);

/** A request as the live listener presents it to the router (structurally a RouteRequestView). */
function request(authority: string, path: string) {
  return { method: 'GET', authority, path, pathOnly: path, scheme: 'http', header: (_name: string): string | undefined => undefined };
}

let sink = 0;
/** Median ns per call over several batches of about 50 ms each, after a warm-up. */
function time(fn: () => unknown): number {
  let batch = 0;
  const warmEnd = performance.now() + 100;
  while (performance.now() < warmEnd) {
    for (let i = 0; i < 100; i++) if (fn() !== null) sink++;
    batch += 100;
  }
  batch = Math.max(100, batch >> 1);
  const samples: number[] = [];
  for (let b = 0; b < 9; b++) {
    const t0 = performance.now();
    for (let i = 0; i < batch; i++) if (fn() !== null) sink++;
    samples.push(((performance.now() - t0) * 1e6) / batch);
  }
  samples.sort((a, b) => a - b);
  return samples[samples.length >> 1] as number;
}

/** The reference: first match over the same prefixes, nothing else. */
function scanPrefixes(path: string): number | null {
  for (let i = 0; i < prefixes.length; i++) if (path.startsWith(prefixes[i] as string)) return i;
  return null;
}

interface Case {
  name: string;
  compiledNs: number;
  referenceNs: number | null;
}

function expectRoute(got: unknown, name: string): void {
  const r = got as { name?: unknown } | string;
  if (typeof r === 'string' || r.name !== name) throw new Error(`router returned ${typeof r === 'string' ? r : String(r.name)}, expected ${name}`);
}

const cases: Case[] = [];
for (const [label, index] of [
  ['first of 1000 routes', 0],
  ['500th of 1000 routes', 499],
  ['last of 1000 routes', N - 1],
] as const) {
  const req = request('svc:9080', `/svc-${index}/items/1`);
  expectRoute(manyRoutes.routeOutbound(9080, req), `r${index}`);
  cases.push({ name: label, compiledNs: time(() => manyRoutes.routeOutbound(9080, req)), referenceNs: time(() => scanPrefixes(req.pathOnly)) });
}
{
  const req = request('svc:9080', '/nothing/here');
  if (typeof manyRoutes.routeOutbound(9080, req) !== 'string') throw new Error('a path outside every prefix matched');
  cases.push({ name: 'miss after 1000 routes', compiledNs: time(() => (typeof manyRoutes.routeOutbound(9080, req) === 'string' ? null : 1)), referenceNs: time(() => scanPrefixes(req.pathOnly)) });
}
{
  const req = request(`svc-${N - 1}.default.svc.cluster.local:9080`, '/');
  expectRoute(manyHosts.routeOutbound(9080, req), `h${N - 1}`);
  cases.push({ name: 'last of 1000 virtual hosts', compiledNs: time(() => manyHosts.routeOutbound(9080, req)), referenceNs: null });
}

const rows = [['case', 'compiled router', 'startsWith scan', 'ratio']];
for (const c of cases) {
  rows.push([c.name, `${c.compiledNs.toFixed(0)} ns`, c.referenceNs === null ? '-' : `${c.referenceNs.toFixed(0)} ns`, c.referenceNs === null ? '-' : `${(c.compiledNs / c.referenceNs).toFixed(2)}x`]);
}
const widths = (rows[0] as string[]).map((_, i) => Math.max(...rows.map((r) => (r[i] as string).length)));
const summary = rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('   ')).join('\n');

if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify({ routes: N, cases, summary: `router match (${N} routes):\n${summary}`, sink })}\n`);
else process.stdout.write(`router match (${N} routes), median ns per call:\n${summary}\n`);
