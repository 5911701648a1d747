import assert from 'node:assert/strict';
import { test } from 'node:test';
import { shadowHost } from './mirror.ts';
import { closedPort, fwd, makeConfig, send, startTestProxy, startUpstream, table, until } from './test-support.ts';

test('shadow host names keep the port', () => {
  assert.equal(shadowHost('reviews:9080'), 'reviews-shadow:9080');
  assert.equal(shadowHost('reviews'), 'reviews-shadow');
  assert.equal(shadowHost('[::1]:80'), '[::1]-shadow:80');
});

test('mirroring: v2 gets copies with -shadow hosts, callers see only v1; a slow or dead mirror costs nothing', async (t) => {
  const v1 = await startUpstream(t, 'v1');
  const v2 = await startUpstream(t, 'v2', (req, res) => setTimeout(() => res.end('v2'), req.url === '/slow' ? 3000 : 0));
  const dead = await closedPort();
  const proxy = await startTestProxy(t, { discovery: null });
  const route = fwd('reviews', [['outbound|9080|v1|reviews', 1]]);
  route.mirrors = [{ cluster: 'outbound|9080|v2|reviews', percentage: 100 }, { cluster: 'outbound|9080|dead|reviews', percentage: 100 }];
  const cfg = makeConfig({
    routes: [table('9080', ['reviews:9080'], [route])],
    clusters: [
      { name: 'outbound|9080|v1|reviews', endpoints: [{ address: '127.0.0.1', port: v1.port }] },
      { name: 'outbound|9080|v2|reviews', endpoints: [{ address: '127.0.0.1', port: v2.port }] },
      { name: 'outbound|9080|dead|reviews', endpoints: [{ address: '127.0.0.1', port: dead }] },
    ],
  });
  assert.deepEqual(await proxy.proxy.applyConfig(cfg), { ok: true });
  for (let i = 0; i < 10; i++) {
    const r = await send(proxy.outboundPort as number, 'http://reviews:9080/reviews/0', { headers: { 'x-test': String(i) } });
    assert.equal(r.status, 200);
    assert.match(r.text, /^v1 GET \/reviews\/0/);
  }
  await until(() => v2.seen.length >= 10, 'ten mirrored copies');
  assert.ok(v2.seen.every((s) => s.headers.host === 'reviews-shadow:9080' && s.url === '/reviews/0'));
  assert.deepEqual(v2.seen.map((s) => s.headers['x-test']).sort(), ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'].sort());
  const t0 = Date.now();
  const slow = await send(proxy.outboundPort as number, 'http://reviews:9080/slow');
  assert.equal(slow.status, 200);
  assert.ok(Date.now() - t0 < 1000, 'a slow mirror does not slow the caller');
  await until(() => proxy.proxy.stats.mirrorFailures >= 10, 'the dead mirror failures counted');
});

test('mirrorPercentage: about that share of requests is copied', async (t) => {
  const v1 = await startUpstream(t, 'v1');
  const v2 = await startUpstream(t, 'v2');
  const proxy = await startTestProxy(t, { discovery: null });
  const route = fwd('r', [['a', 1]]);
  route.mirrors = [{ cluster: 'b', percentage: 25 }];
  const cfg = makeConfig({ routes: [table('80', ['svc'], [route])], clusters: [{ name: 'a', endpoints: [{ address: '127.0.0.1', port: v1.port }] }, { name: 'b', endpoints: [{ address: '127.0.0.1', port: v2.port }] }] });
  assert.deepEqual(await proxy.proxy.applyConfig(cfg), { ok: true });
  for (let i = 0; i < 200; i++) await send(proxy.outboundPort as number, 'http://svc/', { headers: { host: 'svc' } });
  await new Promise((r) => setTimeout(r, 200));
  assert.ok(v2.seen.length >= 25 && v2.seen.length <= 80, `${v2.seen.length} of 200 mirrored`);
});

test('a request body is mirrored with the request (Content-Length and chunked); a mirror that never reads does not hold up the upload', async (t) => {
  const received: { body: string; te: string | undefined }[] = [];
  const v1 = await startUpstream(t, 'v1');
  const v2 = await startUpstream(t, 'v2', (req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push({ body, te: req.headers['transfer-encoding'] });
      res.end('v2');
    });
  });
  // Accepts the connection and never reads it: the copy backs up.
  const stuck = await startUpstream(t, 'stuck', () => {});
  const proxy = await startTestProxy(t, { discovery: null });
  const route = fwd('r', [['a', 1]]);
  route.mirrors = [{ cluster: 'b', percentage: 100 }];
  const cfg = makeConfig({ routes: [table('80', ['svc'], [route])], clusters: [{ name: 'a', endpoints: [{ address: '127.0.0.1', port: v1.port }] }, { name: 'b', endpoints: [{ address: '127.0.0.1', port: v2.port }] }] });
  assert.deepEqual(await proxy.proxy.applyConfig(cfg), { ok: true });
  const port = proxy.outboundPort as number;
  assert.equal((await send(port, 'http://svc/orders', { method: 'POST', headers: { host: 'svc' }, body: 'order=42' })).status, 200);
  assert.equal((await send(port, 'http://svc/orders', { method: 'POST', headers: { host: 'svc' }, body: [Buffer.from('chunk one,'), Buffer.from('chunk two')] })).status, 200);
  await until(() => received.length >= 2, 'both bodies mirrored');
  assert.deepEqual(received.map((r) => r.body).sort(), ['chunk one,chunk two', 'order=42']);

  route.mirrors = [{ cluster: 'b', percentage: 100 }];
  const cfg2 = makeConfig({ version: 'v2', routes: [table('80', ['svc'], [route])], clusters: [{ name: 'a', endpoints: [{ address: '127.0.0.1', port: v1.port }] }, { name: 'b', endpoints: [{ address: '127.0.0.1', port: stuck.port }] }] });
  assert.deepEqual(await proxy.proxy.applyConfig(cfg2), { ok: true });
  const big = Buffer.alloc(8 * 1024 * 1024, 1);
  const r = await send(port, 'http://svc/upload', { method: 'POST', headers: { host: 'svc' }, body: big });
  assert.equal(r.status, 200);
  assert.equal(r.text, `v1 POST /upload`);
  await until(() => proxy.proxy.stats.mirrorFailures >= 1, 'the copy that fell behind was dropped');
});
