// Circuit breaking from a DestinationRule connection pool, as Istio's task shows it: with
// maxConnections 1 and http1MaxPendingRequests 1, concurrent callers beyond one in flight and
// one waiting get 503 at once with flag UO; the rest succeed, and nothing stays stuck.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ClusterPolicy, ProxyConfig } from '../api/index.ts';
import { fwd, makeConfig, send, startTestProxy, startUpstream, table } from './test-support.ts';

async function breaker(t: Parameters<typeof startTestProxy>[0], policy: ClusterPolicy, delayMs = 300) {
  const up = await startUpstream(t, 'httpbin', (_req, res) => setTimeout(() => res.end('ok'), delayMs));
  const proxy = await startTestProxy(t, { discovery: null });
  const cfg: ProxyConfig = makeConfig({ routes: [table('8000', ['httpbin:8000'], [fwd('r', [['outbound|8000||httpbin', 1]])])], clusters: [{ name: 'outbound|8000||httpbin', endpoints: [{ address: '127.0.0.1', port: up.port }] }] });
  (cfg.clusters[0] as { policy?: ClusterPolicy }).policy = policy;
  assert.deepEqual(await proxy.proxy.applyConfig(cfg), { ok: true });
  return { up, proxy, get: () => send(proxy.outboundPort as number, 'http://httpbin:8000/get') };
}

test('maxConnections 1, http1MaxPendingRequests 1: of five concurrent callers two succeed and three get 503 UO', async (t) => {
  const { get, up, proxy } = await breaker(t, { connectionPool: { tcp: { maxConnections: 1 }, http: { http1MaxPendingRequests: 1, maxRequestsPerConnection: 1 } } });
  const results = await Promise.all([get(), get(), get(), get(), get()]);
  const ok = results.filter((r) => r.status === 200).length;
  const overflow = results.filter((r) => r.status === 503);
  assert.equal(ok, 2, results.map((r) => r.status).join(' '));
  assert.equal(overflow.length, 3);
  for (const r of overflow) {
    assert.equal(r.headers['x-isthmus-reason'], 'UO circuit breaker open: maxConnections=1, http1MaxPendingRequests=1 on outbound|8000||httpbin');
  }
  assert.equal(proxy.proxy.stats.byFlag['UO'], 3);
  // One connection at a time reached the upstream, one request each (maxRequestsPerConnection 1).
  assert.equal(up.sockets.size, 2);
  // Nothing is left holding the breaker: sequential calls all pass.
  for (let i = 0; i < 3; i++) assert.equal((await get()).status, 200);
});

test('http2MaxRequests caps requests in flight; without a connection pool there is no limit', async (t) => {
  const capped = await breaker(t, { connectionPool: { http: { http2MaxRequests: 2 } } });
  const r = await Promise.all([capped.get(), capped.get(), capped.get(), capped.get()]);
  assert.deepEqual(r.map((x) => x.status).sort(), [200, 200, 503, 503]);
  const open = await breaker(t, {});
  const all = await Promise.all([open.get(), open.get(), open.get(), open.get(), open.get()]);
  assert.ok(all.every((x) => x.status === 200));
});
