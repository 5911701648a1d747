// Outlier detection through a real sidecar: an endpoint returning 5xx is ejected after
// consecutive5xxErrors and gets no traffic for baseEjectionTime, then comes back; ejection time
// grows with repeated ejections; maxEjectionPercent and panic mode keep traffic flowing.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ClusterOutlierDetection, ClusterPolicy, ProxyConfig } from '../api/index.ts';
import { fwd, makeConfig, send, startTestProxy, startUpstream, table, type Upstream } from './test-support.ts';

const OD: ClusterOutlierDetection = { consecutive5xxErrors: 2, consecutiveGatewayErrors: 0, consecutiveLocalOriginFailures: 5, splitExternalLocalOriginErrors: false, intervalMs: 100, baseEjectionTimeMs: 600, maxEjectionPercent: 100, minHealthPercent: 0 };

async function setup(t: Parameters<typeof startTestProxy>[0], ups: Upstream[], od: ClusterOutlierDetection) {
  const proxy = await startTestProxy(t, { discovery: null });
  const cfg: ProxyConfig = makeConfig({ routes: [table('80', ['svc'], [fwd('r', [['c', 1]])])], clusters: [{ name: 'c', endpoints: ups.map((u) => ({ address: '127.0.0.1', port: u.port })) }] });
  // No retries: every 5xx reaches the caller, so the test sees exactly which endpoint answered.
  (cfg.routes[0]?.virtualHosts[0]?.routes[0] as { policy?: unknown }).policy = { retries: { attempts: 0 } };
  (cfg.clusters[0] as { policy?: ClusterPolicy }).policy = { outlierDetection: od };
  assert.deepEqual(await proxy.proxy.applyConfig(cfg), { ok: true });
  return { proxy, get: () => send(proxy.outboundPort as number, 'http://svc/', { headers: { host: 'svc' } }) };
}

test('a 5xx endpoint is ejected after two errors, skipped for baseEjectionTime, then returns', async (t) => {
  let failing = true;
  const bad = await startUpstream(t, 'bad', (_req, res) => (failing ? res.writeHead(500).end('boom') : res.end('bad is fine')));
  const good = await startUpstream(t, 'good');
  const { get, proxy } = await setup(t, [bad, good], OD);
  const first: number[] = [];
  for (let i = 0; i < 6; i++) first.push((await get()).status);
  // Round robin: bad, good, bad (second error: ejected), then only good.
  assert.deepEqual(first, [500, 200, 500, 200, 200, 200]);
  const seenBefore = bad.seen.length;
  for (let i = 0; i < 10; i++) assert.equal((await get()).status, 200);
  assert.equal(bad.seen.length, seenBefore, 'no traffic to the ejected endpoint');
  failing = false;
  await new Promise((r) => setTimeout(r, 700));
  for (let i = 0; i < 6; i++) assert.equal((await get()).status, 200);
  assert.ok(bad.seen.length > seenBefore, 'back after baseEjectionTime');
  assert.equal(proxy.proxy.current?.clusters.get('c')?.outliers?.ejectionsTotal, 1);
});

test('maxEjectionPercent keeps endpoints in; when every endpoint is ejected, all are used (panic)', async (t) => {
  const a = await startUpstream(t, 'a', (_req, res) => res.writeHead(503).end());
  const b = await startUpstream(t, 'b', (_req, res) => res.writeHead(503).end());
  const c = await startUpstream(t, 'c', (_req, res) => res.writeHead(503).end());
  const limited = await setup(t, [a, b, c], { ...OD, maxEjectionPercent: 34 });
  for (let i = 0; i < 30; i++) await limited.get();
  assert.equal(limited.proxy.proxy.current?.clusters.get('c')?.outliers?.ejectionsTotal, 1, 'one of three (34%) ejected at a time');
  const all = await setup(t, [a, b], { ...OD, maxEjectionPercent: 100 });
  for (let i = 0; i < 20; i++) assert.equal((await all.get()).status, 503, 'still answered with every endpoint ejected');
});
