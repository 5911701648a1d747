import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';
import { bypassesProxy, createHttpClient, HttpClientErrorCodes, proxyFromEnv } from './_http.ts';
import { closedPort, fakeServer, forwardProxy, serve } from './_testing.ts';

test('proxyFromEnv: HTTP_PROXY or http_proxy, with or without a scheme; NO_PROXY list', () => {
  assert.equal(proxyFromEnv({}), null);
  assert.equal(proxyFromEnv({ HTTP_PROXY: '  ' }), null);
  assert.deepEqual(proxyFromEnv({ HTTP_PROXY: 'http://127.0.0.1:15001' }), { host: '127.0.0.1', port: 15001, noProxy: [] });
  assert.deepEqual(proxyFromEnv({ http_proxy: 'proxy.local:3128', no_proxy: 'a, .B.example ,' }), { host: 'proxy.local', port: 3128, noProxy: ['a', '.b.example'] });
  assert.deepEqual(proxyFromEnv({ HTTP_PROXY: 'http://p' })?.port, 80);
  assert.throws(() => proxyFromEnv({ HTTP_PROXY: 'https://p:1' }), { code: HttpClientErrorCodes.badUrl });
});

test('bypassesProxy: *, exact host, host:port, domain suffixes', () => {
  assert.equal(bypassesProxy(['*'], 'reviews', 9080), true);
  assert.equal(bypassesProxy(['reviews'], 'reviews', 9080), true);
  assert.equal(bypassesProxy(['reviews'], 'ratings', 9080), false);
  assert.equal(bypassesProxy(['reviews:9080'], 'reviews', 9080), true);
  assert.equal(bypassesProxy(['reviews:9081'], 'reviews', 9080), false);
  assert.equal(bypassesProxy(['.svc.cluster.local'], 'reviews.default.svc.cluster.local', 9080), true);
  assert.equal(bypassesProxy(['*.example.com'], 'a.example.com', 80), true);
  assert.equal(bypassesProxy(['example.com'], 'notexample.com', 80), false);
  assert.equal(bypassesProxy([], 'reviews', 9080), false);
});

test('client: direct GET and POST carry headers, body and Host', async (t) => {
  const upstream = await fakeServer(t, () => ({ status: 201, body: { ok: true } }));
  const client = createHttpClient({});
  const got = await client.get(`${upstream.url}/a?b=1`, { headers: { 'x-request-id': 'r1' }, timeoutMs: 5_000 });
  assert.equal(got.status, 201);
  assert.equal(got.body, '{"ok":true}');
  const posted = await client.request(`${upstream.url}/p`, { method: 'POST', body: 'hello', timeoutMs: 5_000 });
  assert.equal(posted.status, 201);
  assert.equal(upstream.seen[0]!.url, '/a?b=1');
  assert.equal(upstream.seen[0]!.headers['x-request-id'], 'r1');
  assert.equal(upstream.seen[0]!.headers.host, `127.0.0.1:${upstream.port}`);
  assert.equal(upstream.seen[1]!.method, 'POST');
  assert.equal(upstream.seen[1]!.headers['content-length'], '5');
});

test('client: HTTP_PROXY sends absolute-form targets to the proxy; NO_PROXY goes direct', async (t) => {
  const upstream = await fakeServer(t, () => ({ status: 200, body: 'hi' }));
  const proxy = await forwardProxy(t, { 'reviews:9080': `127.0.0.1:${upstream.port}` });
  const viaProxy = createHttpClient({ HTTP_PROXY: proxy.url });
  const res = await viaProxy.get('http://reviews:9080/reviews/0', { headers: { 'x-request-id': 'r2' }, timeoutMs: 5_000 });
  assert.equal(res.status, 200);
  assert.equal(res.body, 'hi');
  assert.deepEqual(proxy.seen, [{ target: 'http://reviews:9080/reviews/0', host: 'reviews:9080' }]);
  assert.equal(upstream.seen[0]!.url, '/reviews/0');
  assert.equal(upstream.seen[0]!.headers['x-request-id'], 'r2');

  const bypass = createHttpClient({ http_proxy: proxy.url, NO_PROXY: '127.0.0.1' });
  assert.equal((await bypass.get(`${upstream.url}/direct`, { timeoutMs: 5_000 })).status, 200);
  assert.equal(proxy.seen.length, 1);
  assert.equal(upstream.seen[1]!.url, '/direct');
});

test('client: a request past its deadline is aborted with a timeout error', async (t) => {
  const held: http.ServerResponse[] = [];
  let arrived!: () => void;
  const arrival = new Promise<void>((resolve) => (arrived = resolve));
  const server = http.createServer((_req, res) => {
    held.push(res); // never answered
    arrived();
  });
  const { url } = await serve(t, server);
  const pending = createHttpClient({}).get(`${url}/slow`, { timeoutMs: 50 });
  await arrival;
  await assert.rejects(pending, { code: HttpClientErrorCodes.timeout });
  assert.equal(held.length, 1);
});

test('client: a refused connection rejects', async () => {
  const port = await closedPort();
  await assert.rejects(createHttpClient({}).get(`http://127.0.0.1:${port}/`, { timeoutMs: 5_000 }), { code: 'ECONNREFUSED' });
});
