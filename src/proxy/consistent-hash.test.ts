import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ClusterPolicy, ConsistentHashPolicy, ProxyConfig } from '../api/index.ts';
import { buildHashTable, hash32 } from './consistent-hash.ts';
import { EndpointRuntime } from './load-balancer.ts';
import { fwd, makeConfig, send, startTestProxy, startUpstream, table, type Upstream } from './test-support.ts';

const eps = (n: number) => Array.from({ length: n }, (_, i) => new EndpointRuntime({ address: '10.0.0.' + (i + 1), port: 80 }));

for (const [name, policy] of [['ring hash', { ringHash: { minimumRingSize: 1024 } }], ['maglev', { maglev: { tableSize: 65537 } }]] as const) {
  test(`${name}: stable for a key, spread over endpoints, and few keys move when one endpoint leaves`, () => {
    const four = buildHashTable(policy as ConsistentHashPolicy, eps(4));
    const three = buildHashTable(policy as ConsistentHashPolicy, eps(3));
    assert.ok(four && three);
    const never = () => false;
    const counts = [0, 0, 0, 0];
    let moved = 0;
    for (let k = 0; k < 4000; k++) {
      const h = hash32(`user-${k}`);
      const a: number = four.lookup(h, never);
      assert.equal(four.lookup(h, never), a);
      counts[a] = (counts[a] ?? 0) + 1;
      // Keys not on the removed endpoint (index 3) should mostly stay where they were.
      if (a !== 3 && three.lookup(h, never) !== a) moved++;
    }
    for (const c of counts) assert.ok(c > 600 && c < 1400, `spread ${counts.join(',')}`);
    assert.ok(moved < 400, `${moved} of ~3000 keys moved`);
    // A skipped (ejected) endpoint is walked past.
    const h = hash32('user-1');
    const first = four.lookup(h, never);
    assert.notEqual(four.lookup(h, (i) => i === first), first);
  });
}

async function hashed(t: Parameters<typeof startTestProxy>[0], policy: ConsistentHashPolicy): Promise<{ get: (headers?: Record<string, string>, path?: string) => ReturnType<typeof send> }> {
  const ups: Upstream[] = [];
  for (const n of ['a', 'b', 'c', 'd']) ups.push(await startUpstream(t, n));
  const proxy = await startTestProxy(t, { discovery: null });
  const cfg: ProxyConfig = makeConfig({ routes: [table('80', ['svc'], [fwd('r', [['c', 1]])])], clusters: [{ name: 'c', endpoints: ups.map((u) => ({ address: '127.0.0.1', port: u.port })), lbPolicy: 'RING_HASH' }] });
  (cfg.clusters[0] as { policy?: ClusterPolicy }).policy = { loadBalancer: { consistentHash: policy } };
  assert.deepEqual(await proxy.proxy.applyConfig(cfg), { ok: true });
  return { get: (headers = {}, path = '/') => send(proxy.outboundPort as number, `http://svc${path}`, { headers: { host: 'svc', ...headers } }) };
}

test('consistentHash by header and by query parameter: one key, one endpoint', async (t) => {
  const byHeader = await hashed(t, { httpHeaderName: 'x-user', ringHash: { minimumRingSize: 1024 } });
  const seen = new Map<string, Set<string>>();
  for (let i = 0; i < 40; i++) {
    const user = `u${i % 8}`;
    const r = await byHeader.get({ 'x-user': user });
    const who = r.headers['x-upstream'] as string;
    (seen.get(user) ?? seen.set(user, new Set()).get(user))?.add(who);
  }
  for (const [user, s] of seen) assert.equal(s.size, 1, `${user} went to ${[...s].join(',')}`);
  assert.ok(new Set([...seen.values()].map((s) => [...s][0])).size > 1, 'different users spread');
  const byQuery = await hashed(t, { httpQueryParameterName: 'id', maglev: { tableSize: 65537 } });
  const targets = new Set<string>();
  for (let i = 0; i < 10; i++) targets.add((await byQuery.get({}, '/items?id=42&x=1')).headers['x-upstream'] as string);
  assert.equal(targets.size, 1);
});

test('consistentHash by cookie with a ttl: the proxy sets the cookie, and the cookie keeps the client on one endpoint', async (t) => {
  const c = await hashed(t, { httpCookie: { name: 'user', ttlMs: 60_000 }, ringHash: { minimumRingSize: 1024 } });
  const first = await c.get();
  const setCookie = String(first.headers['set-cookie']);
  assert.match(setCookie, /^user=[0-9a-f]{16}; Path=\/; Max-Age=60; HttpOnly$/);
  const cookie = setCookie.split(';')[0] as string;
  const targets = new Set<string>();
  for (let i = 0; i < 10; i++) {
    const r = await c.get({ cookie });
    assert.equal(r.headers['set-cookie'], undefined);
    targets.add(r.headers['x-upstream'] as string);
  }
  assert.deepEqual([...targets], [first.headers['x-upstream']]);
});
