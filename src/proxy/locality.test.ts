// Locality-aware picking and warmup: priority levels spill over as endpoints are ejected,
// `distribute` weights split traffic between localities, retries with retryRemoteLocalities go
// to another priority, and an endpoint joining a cluster warms up. The last test runs through a
// real sidecar with real upstreams.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Cluster, ClusterOutlierDetection, ClusterPolicy, Endpoint, ProxyConfig } from '../api/index.ts';
import { ClusterRuntime, EndpointRuntime } from './load-balancer.ts';
import { RetryState } from './retry.ts';
import { fwd, makeConfig, send, startTestProxy, startUpstream, table } from './test-support.ts';

const OD: ClusterOutlierDetection = { consecutive5xxErrors: 1, consecutiveGatewayErrors: 0, consecutiveLocalOriginFailures: 5, splitExternalLocalOriginErrors: false, intervalMs: 100, baseEjectionTimeMs: 60_000, maxEjectionPercent: 100, minHealthPercent: 0 };

function cluster(eps: Endpoint[], extra: Partial<Cluster> = {}, random: () => number = Math.random): ClusterRuntime {
  const c: Cluster = { name: 'c', direction: 'outbound', port: 80, lbPolicy: 'ROUND_ROBIN', ...extra };
  return new ClusterRuntime(c, eps.map((e) => new EndpointRuntime(e)), random);
}

const ep = (n: number, locality: string, priority?: number): Endpoint => (priority === undefined ? { address: `10.0.0.${n}`, port: 80, locality } : { address: `10.0.0.${n}`, port: 80, locality, priority });

function counts(c: ClusterRuntime, n: number, pick: () => EndpointRuntime | null = () => c.pick()): Map<string, number> {
  const m = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const e = pick();
    const k = e === null ? 'none' : e.locality;
    m.set(k, (m.get(k) ?? 0) + 1);
  }
  return m;
}

test('priorities: all traffic to priority 0 while it is healthy, spilling over as its endpoints are ejected', () => {
  const c = cluster([ep(1, 'r1/z1/', 0), ep(2, 'r1/z1/', 0), ep(3, 'r1/z2/', 1), ep(4, 'r2/z3/', 2)], { policy: { outlierDetection: OD } });
  assert.deepEqual([...counts(c, 100)], [['r1/z1/', 100]]);
  // One of two local endpoints ejected: 1.4 x 50% = 70% stays local, 30% goes to priority 1.
  c.report(c.endpoints[0] as EndpointRuntime, { kind: 'status', status: 500 });
  const half = counts(c, 4000);
  const local = (half.get('r1/z1/') ?? 0) / 4000;
  assert.ok(local > 0.65 && local < 0.75, `local share ${local}`);
  assert.equal(half.get('r2/z3/') ?? 0, 0, 'priority 2 untouched while priority 1 can take the rest');
  // Both local endpoints ejected: everything to priority 1 (the same region), none to priority 2.
  c.report(c.endpoints[1] as EndpointRuntime, { kind: 'status', status: 500 });
  assert.deepEqual([...counts(c, 200)], [['r1/z2/', 200]]);
  // And priority 1 gone too: the failover region.
  c.report(c.endpoints[2] as EndpointRuntime, { kind: 'status', status: 500 });
  assert.deepEqual([...counts(c, 200)], [['r2/z3/', 200]]);
});

test('without priorities or weights the cluster keeps the flat path', () => {
  assert.equal(cluster([ep(1, 'r1/z1/'), ep(2, 'r2/z1/')]).levels, null);
  assert.notEqual(cluster([ep(1, 'r1/z1/', 0), ep(2, 'r2/z1/', 1)]).levels, null);
});

test('distribute: localities get traffic by weight; a locality without weight gets none', () => {
  const c = cluster([ep(1, 'r1/z1/'), ep(2, 'r1/z1/'), ep(3, 'r1/z2/'), ep(4, 'r3/z4/'), ep(5, 'r9/z9/')], { localityWeights: { 'r1/z1/': 70, 'r1/z2/': 20, 'r3/z4/': 10 } });
  const m = counts(c, 10_000);
  const share = (k: string) => (m.get(k) ?? 0) / 10_000;
  assert.ok(Math.abs(share('r1/z1/') - 0.7) < 0.03, `r1/z1 ${share('r1/z1/')}`);
  assert.ok(Math.abs(share('r1/z2/') - 0.2) < 0.03, `r1/z2 ${share('r1/z2/')}`);
  assert.ok(Math.abs(share('r3/z4/') - 0.1) < 0.03, `r3/z4 ${share('r3/z4/')}`);
  assert.equal(m.get('r9/z9/'), undefined);
});

test('retryRemoteLocalities: a retry goes to a priority not tried yet; without it, it stays local', () => {
  const c = cluster([ep(1, 'r1/z1/', 0), ep(2, 'r1/z1/', 0), ep(3, 'r2/z1/', 1)]);
  const settings = { attempts: 3, perTryTimeoutMs: null, retryOn: ['5xx'], retriableStatusCodes: [], retryIgnorePreviousHosts: true, backoffBaseMs: 25 };
  const remote = new RetryState({ ...settings, retryRemoteLocalities: true });
  remote.tried(c.endpoints[0] as EndpointRuntime);
  assert.equal(remote.next(c)?.locality, 'r2/z1/');
  const local = new RetryState({ ...settings, retryRemoteLocalities: false });
  local.tried(c.endpoints[0] as EndpointRuntime);
  assert.equal(local.next(c)?.address, '10.0.0.2', 'a different host in the same locality');
  // Every priority tried: any endpoint again.
  remote.tried(c.endpoints[2] as EndpointRuntime);
  assert.notEqual(remote.next(c), null);
});

test('warmup: a new endpoint starts at minimumPercent and ramps up; endpoints from the start do not warm', () => {
  const policy: ClusterPolicy = { loadBalancer: { warmup: { durationMs: 10_000, minimumPercent: 10, aggression: 1 } } };
  const first = cluster([ep(1, 'a'), ep(2, 'b')], { policy });
  assert.deepEqual([...counts(first, 1000)].sort(), [['a', 500], ['b', 500]]);
  const now = Date.now();
  const next = cluster([ep(1, 'a'), ep(2, 'b'), ep(3, 'new')], { policy });
  next.inherit(first, now);
  const fresh = next.endpoints[2] as EndpointRuntime;
  assert.equal(next.warmupFactor(fresh, now), 0.1, 'minimumPercent at first');
  assert.equal(next.warmupFactor(fresh, now + 5000), 0.5, 'linear with aggression 1');
  assert.equal(next.warmupFactor(fresh, now + 10_000), 1, 'done after the duration');
  assert.equal(next.warmupFactor(next.endpoints[0] as EndpointRuntime, now), 1);
  const m = counts(next, 6000);
  const share = (m.get('new') ?? 0) / 6000;
  // A full share would be a third; at the start it is about a tenth of that.
  assert.ok(share > 0.01 && share < 0.12, `new endpoint share ${share}`);
  // Kept across another version: still warming from when it joined, not from the new version.
  const again = cluster([ep(1, 'a'), ep(2, 'b'), ep(3, 'new')], { policy });
  again.inherit(next, now + 5000);
  assert.equal(again.warmupFactor(again.endpoints[2] as EndpointRuntime, now + 5000), 0.5);
});

test('through a sidecar: the local endpoint is ejected after a 5xx and the next locality takes over', async (t) => {
  let failing = false;
  const local = await startUpstream(t, 'local', (_req, res) => (failing ? res.writeHead(503).end('down') : res.end('local')));
  const zone2 = await startUpstream(t, 'zone2');
  const region2 = await startUpstream(t, 'region2');
  const proxy = await startTestProxy(t, { discovery: null });
  const cfg: ProxyConfig = makeConfig({
    routes: [table('80', ['svc'], [fwd('r', [['c', 1]])])],
    clusters: [{ name: 'c', endpoints: [
      { address: '127.0.0.1', port: local.port, locality: 'region1/zone1/', priority: 0 },
      { address: '127.0.0.1', port: zone2.port, locality: 'region1/zone2/', priority: 1 },
      { address: '127.0.0.1', port: region2.port, locality: 'region2/zone3/', priority: 3 },
    ] }],
  });
  (cfg.routes[0]?.virtualHosts[0]?.routes[0] as { policy?: unknown }).policy = { retries: { attempts: 0 } };
  (cfg.clusters[0] as { policy?: ClusterPolicy }).policy = { outlierDetection: OD };
  assert.deepEqual(await proxy.proxy.applyConfig(cfg), { ok: true });
  const get = async () => (await send(proxy.outboundPort as number, 'http://svc/', { headers: { host: 'svc' } })).body.toString();
  for (let i = 0; i < 5; i++) assert.equal(await get(), 'local');
  failing = true;
  assert.equal(await get(), 'down', 'the failure the caller sees before the ejection');
  for (let i = 0; i < 5; i++) assert.match(await get(), /zone2/);
  assert.equal(region2.seen.length, 0);
});
