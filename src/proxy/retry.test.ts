// Route timeouts and retries through a real sidecar: Istio's default policy, retryOn conditions,
// per-try timeouts, a different endpoint on each retry, URX when retries run out, and an endpoint
// dying in the middle of a load run costing the client nothing.

import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import type { ProxyConfig } from '../api/index.ts';
import { retriable, RetryState } from './retry.ts';
import { compileRoutePolicy, DEFAULT_RETRY_POLICY as DEFAULT_RETRY } from './route-policy/index.ts';
import { closedPort, fwd, makeConfig, send, startTestProxy, startUpstream, table, type Upstream } from './test-support.ts';

/** Timeout and retries as the forwarder gets them from a route's compiled policy. */
function forwardPolicyOf(raw: Record<string, unknown> | undefined) {
  const c = compileRoutePolicy(raw);
  return { timeoutMs: c.policy.timeoutMs, retry: c.policy.retries };
}

test('retryOn conditions, Istio defaults, and the policy read from a VirtualService route', () => {
  assert.equal(retriable(DEFAULT_RETRY, { kind: 'connect-failure' }), true);
  assert.equal(retriable(DEFAULT_RETRY, { kind: 'status', status: 503, grpcStatus: null }), true, 'default retriable status code 503');
  assert.equal(retriable(DEFAULT_RETRY, { kind: 'status', status: 500, grpcStatus: null }), false);
  assert.equal(retriable(DEFAULT_RETRY, { kind: 'reset' }), false);
  const p = forwardPolicyOf({ timeout: '0.5s', retries: { attempts: 3, perTryTimeout: '100ms', retryOn: 'gateway-error,409,reset' } });
  assert.equal(p.timeoutMs, 500);
  assert.equal(p.retry.attempts, 3);
  assert.equal(p.retry.perTryTimeoutMs, 100);
  assert.deepEqual(p.retry.retriableStatusCodes, [409]);
  assert.equal(retriable(p.retry, { kind: 'status', status: 502, grpcStatus: null }), true);
  assert.equal(retriable(p.retry, { kind: 'status', status: 409, grpcStatus: null }), true);
  assert.equal(retriable(p.retry, { kind: 'status', status: 500, grpcStatus: null }), false);
  assert.equal(retriable(p.retry, { kind: 'reset' }), true);
  assert.equal(forwardPolicyOf({ retries: { attempts: 0 } }).retry.attempts, 0);
  assert.equal(forwardPolicyOf(undefined).timeoutMs, null);
  const rs = new RetryState({ ...DEFAULT_RETRY, backoffBaseMs: 25 });
  rs.retries = 1;
  for (let i = 0; i < 50; i++) assert.ok(rs.backoffMs() < 25);
  rs.retries = 6;
  for (let i = 0; i < 50; i++) assert.ok(rs.backoffMs() < 250, 'capped at 10x the base');
});

async function sidecarTo(t: Parameters<typeof startTestProxy>[0], ports: number[], policy?: Record<string, unknown>): Promise<{ port: number; apply: (p?: Record<string, unknown>) => Promise<void>; proxy: Awaited<ReturnType<typeof startTestProxy>> }> {
  const proxy = await startTestProxy(t, { discovery: null });
  let v = 0;
  const apply = async (p?: Record<string, unknown>) => {
    const route = fwd('svc', [['outbound|80||svc', 1]]);
    if (p !== undefined) route.policy = p;
    const cfg: ProxyConfig = makeConfig({ version: `r${++v}`, routes: [table('80', ['svc', 'svc:80'], [route])], clusters: [{ name: 'outbound|80||svc', endpoints: ports.map((port) => ({ address: '127.0.0.1', port })) }] });
    assert.deepEqual(await proxy.proxy.applyConfig(cfg), { ok: true });
  };
  await apply(policy);
  return { port: proxy.outboundPort as number, apply, proxy };
}

const get = (port: number, path = '/') => send(port, `http://svc${path}`, { headers: { host: 'svc' } });

test('route timeout: 504 UT after the timeout, not after the slow upstream', async (t) => {
  const slow = await startUpstream(t, 'slow', (_req, res) => setTimeout(() => res.end('late'), 2000));
  const { port } = await sidecarTo(t, [slow.port], { timeout: '0.3s' });
  const t0 = Date.now();
  const r = await get(port);
  const took = Date.now() - t0;
  assert.equal(r.status, 504);
  assert.match(String(r.headers['x-isthmus-reason']), /^UT upstream request timeout/);
  assert.ok(took < 1500, `answered after ${took} ms`);
});

test('retries: a 5xx endpoint is skipped (retryOn 5xx); with Istio defaults only 503 and connect failures retry', async (t) => {
  const bad = await startUpstream(t, 'bad', (_req, res) => res.writeHead(503).end('down'));
  const broken = await startUpstream(t, 'broken', (_req, res) => res.writeHead(500).end('boom'));
  const good = await startUpstream(t, 'good');
  const { port, apply, proxy } = await sidecarTo(t, [bad.port, good.port], { retries: { attempts: 3, retryOn: '5xx' } });
  for (let i = 0; i < 20; i++) assert.equal((await get(port)).status, 200);
  assert.ok(proxy.proxy.stats.upstreamRetries >= 5);
  // Default policy: 503 is retried...
  await apply(undefined);
  for (let i = 0; i < 10; i++) assert.equal((await get(port)).status, 200);
  // ...but 500 is not.
  const s2 = await sidecarTo(t, [broken.port, good.port]);
  const statuses = new Set<number>();
  for (let i = 0; i < 10; i++) statuses.add((await get(s2.port)).status);
  assert.deepEqual([...statuses].sort(), [200, 500]);
});

test('connect failures are retried on another endpoint by default; when every try fails, 503 UF,URX', async (t) => {
  const good = await startUpstream(t, 'good');
  const dead = await closedPort();
  const { port } = await sidecarTo(t, [dead, good.port]);
  for (let i = 0; i < 10; i++) assert.equal((await get(port)).status, 200);
  const allDead = await sidecarTo(t, [dead, await closedPort()]);
  const r = await get(allDead.port);
  assert.equal(r.status, 503);
  assert.match(String(r.headers['x-isthmus-reason']), /^UF,URX upstream connect error/);
});

test('per-try timeout: a hanging endpoint is abandoned for another within the route timeout', async (t) => {
  const hang = await startUpstream(t, 'hang', () => {});
  const good = await startUpstream(t, 'good');
  const { port } = await sidecarTo(t, [hang.port, good.port], { timeout: '3s', retries: { attempts: 2, perTryTimeout: '0.2s', retryOn: '5xx' } });
  for (let i = 0; i < 4; i++) {
    const r = await get(port);
    assert.equal(r.status, 200, r.text);
    assert.match(r.text, /^good /);
  }
});

test('an endpoint dying in the middle of a load run costs the client no failed request (retries on)', async (t) => {
  const ups: Upstream[] = [];
  for (const n of ['a', 'b', 'c']) ups.push(await startUpstream(t, n));
  const { port } = await sidecarTo(t, ups.map((u) => u.port), { retries: { attempts: 3, retryOn: 'connect-failure,reset,5xx' } });
  let failures = 0;
  let done = 0;
  let stop = false;
  const worker = async () => {
    while (!stop) {
      const r = await get(port).catch(() => null);
      if (r?.status !== 200) failures++;
      done++;
    }
  };
  const workers = [worker(), worker(), worker(), worker()];
  await new Promise((r) => setTimeout(r, 300));
  // Kill b: its listening socket and every open connection go away at once.
  const b = ups[1] as Upstream;
  const bPort = (b.server.address() as AddressInfo).port;
  b.server.closeAllConnections();
  await new Promise<void>((r) => b.server.close(() => r()));
  await new Promise((r) => setTimeout(r, 500));
  stop = true;
  await Promise.all(workers);
  assert.ok(done > 50, `${done} requests`);
  assert.equal(failures, 0, `${failures} of ${done} failed after ${bPort} died`);
});

test('retry budget: with minRetryConcurrency 1 and concurrent failures, retries beyond the budget are not sent', async (t) => {
  let calls = 0;
  const flaky = await startUpstream(t, 'flaky', (_req, res) => {
    calls++;
    setTimeout(() => res.writeHead(503).end('busy'), 100);
  });
  const { port, proxy } = await sidecarTo(t, [flaky.port], { retries: { attempts: 3, retryOn: '5xx' } });
  // Apply the same route with a retry budget on the cluster.
  const cfg = makeConfig({ version: 'budget', routes: [table('80', ['svc', 'svc:80'], [{ ...fwd('svc', [['outbound|80||svc', 1]]), policy: { retries: { attempts: 3, retryOn: '5xx' } } }])], clusters: [{ name: 'outbound|80||svc', endpoints: [{ address: '127.0.0.1', port: flaky.port }] }] });
  (cfg.clusters[0] as { policy?: unknown }).policy = { retryBudget: { percent: 0, minRetryConcurrency: 1 } };
  assert.deepEqual(await proxy.proxy.applyConfig(cfg), { ok: true });
  const before = proxy.proxy.stats.upstreamRetries;
  calls = 0;
  const results = await Promise.all(Array.from({ length: 6 }, () => get(port)));
  assert.ok(results.every((r) => r.status === 503));
  const retries = proxy.proxy.stats.upstreamRetries - before;
  // Without the budget: 6 requests x 3 retries = 18 retries. With one retry at a time allowed: far fewer.
  assert.ok(retries < 18, `${retries} retries`);
  assert.equal(calls, 6 + retries);
});
