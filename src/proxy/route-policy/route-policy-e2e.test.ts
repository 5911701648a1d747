// VirtualService route policy end to end: real HTTP through an in-process sidecar's outbound
// listener to an upstream on 127.0.0.1.

import assert from 'node:assert/strict';
import http from 'node:http';
import { describe, test, type TestContext } from 'node:test';
import type { ProxyConfig, Route } from '../../api/index.ts';
import { configEvent, FakeDiscovery, fwd, makeConfig, send, startTestProxy, startUpstream, table, type Upstream } from '../test-support.ts';

const SVC = 'http://svc:9080';

function routes(): Route[] {
  const to = (name: string, prefix: string, policy: Record<string, unknown>): Route => ({ ...fwd(name, [['svc', 1]], { path: { prefix } }), policy });
  return [
    to('abort', '/abort', { fault: { abort: { httpStatus: 503, percentage: { value: 100 } } } }),
    to('half', '/half', { fault: { abort: { httpStatus: 500, percentage: { value: 50 } } } }),
    to('grpc', '/grpc', { fault: { abort: { grpcStatus: 'UNAVAILABLE', percentage: { value: 100 } } } }),
    to('delay', '/delay', { fault: { delay: { fixedDelay: '200ms', percentage: { value: 100 } } } }),
    to('rewrite', '/api/v1', { rewrite: { uri: '/v2', authority: 'backend.internal' } }),
    to('regex', '/service', { rewrite: { uriRegexRewrite: { match: '^/service/([^/]+)(/.*)$', rewrite: '\\2/instance/\\1' } } }),
    { name: 'moved', match: { path: { prefix: '/old' } }, policy: { redirect: { uri: '/new', authority: 'other', derivePort: 'FROM_REQUEST_PORT', redirectCode: 302 } } },
    { name: 'secure', match: { path: { prefix: '/login' } }, policy: { redirect: { scheme: 'https', derivePort: 'FROM_PROTOCOL_DEFAULT' } } },
    to('headers', '/headers', {
      headers: {
        request: { set: { 'x-set': 'new' }, add: { 'x-add': 'two' }, remove: ['x-gone'] },
        response: { set: { 'x-resp-set': 'yes' }, add: { 'x-resp-add': 'a' }, remove: ['x-upstream'] },
      },
    }),
    to('cors', '/cors', { corsPolicy: { allowOrigins: [{ exact: 'https://app.example' }], allowMethods: ['GET', 'PUT'], allowHeaders: ['x-token'], exposeHeaders: ['x-total'], maxAge: '10m' } }),
    { name: 'direct', match: { path: { prefix: '/direct' } }, directResponse: { status: 200, body: 'direct' }, policy: { headers: { response: { set: { 'x-direct': '1' } } } } },
  ];
}

async function sidecar(t: TestContext): Promise<{ up: Upstream; out: number }> {
  const up = await startUpstream(t, 'svc');
  const cfg: ProxyConfig = makeConfig({ routes: [table('9080', ['svc', 'svc:9080'], routes())], clusters: [{ name: 'svc', endpoints: [{ address: '127.0.0.1', port: up.port }] }] });
  const disco = await new FakeDiscovery(cfg).start(t);
  const proxy = await startTestProxy(t, { discovery: disco.url });
  await proxy.waitEvent(configEvent(cfg.version));
  return { up, out: proxy.outboundPort as number };
}

describe('route policy through a sidecar', () => {
  test('fault abort: 100% answers 503 "fault filter abort" without reaching the upstream; 50% aborts about half', async (t) => {
    const { up, out } = await sidecar(t);
    const r = await send(out, `${SVC}/abort`);
    assert.equal(r.status, 503);
    assert.equal(r.text, 'fault filter abort\n');
    assert.match(String(r.headers['x-isthmus-reason']), /^FI /);
    assert.equal(up.seen.length, 0);

    const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
    t.after(() => agent.destroy());
    const all = await Promise.all(Array.from({ length: 200 }, () => send(out, `${SVC}/half`, { agent })));
    const aborted = all.filter((x) => x.status === 500).length;
    assert.equal(aborted + all.filter((x) => x.status === 200).length, 200);
    // Binomial(200, 0.5): outside 60-140 has probability ~1e-8.
    assert.ok(aborted > 60 && aborted < 140, `aborted ${aborted} of 200`);
    assert.equal(up.seen.length, 200 - aborted);
  });

  test('fault abort with grpcStatus: HTTP 200, grpc-status 14', async (t) => {
    const { out } = await sidecar(t);
    const r = await send(out, `${SVC}/grpc`);
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'application/grpc');
    assert.equal(r.headers['grpc-status'], '14');
    assert.equal(r.body.length, 0);
  });

  test('fault delay: the request reaches the upstream after the delay', async (t) => {
    const { up, out } = await sidecar(t);
    const t0 = performance.now();
    const r = await send(out, `${SVC}/delay`);
    assert.equal(r.status, 200);
    assert.ok(performance.now() - t0 >= 190);
    assert.equal(up.seen[0]?.url, '/delay');
  });

  test('rewrite: the upstream sees the new prefix and host; the query is kept', async (t) => {
    const { up, out } = await sidecar(t);
    const r = await send(out, `${SVC}/api/v1/users?id=7`);
    assert.equal(r.status, 200);
    assert.equal(up.seen[0]?.url, '/v2/users?id=7');
    assert.equal(up.seen[0]?.headers.host, 'backend.internal');
  });

  test('rewrite: uriRegexRewrite', async (t) => {
    const { up, out } = await sidecar(t);
    await send(out, `${SVC}/service/foo/v1/api?x=1`);
    assert.equal(up.seen[0]?.url, '/v1/api/instance/foo?x=1');
    assert.equal(up.seen[0]?.headers.host, 'svc:9080');
  });

  test('redirect: 302 with derivePort FROM_REQUEST_PORT, 301 to https with FROM_PROTOCOL_DEFAULT; nothing goes upstream', async (t) => {
    const { up, out } = await sidecar(t);
    const a = await send(out, `${SVC}/old/page?q=1`);
    assert.equal(a.status, 302);
    assert.equal(a.headers.location, 'http://other:9080/new?q=1');
    const b = await send(out, `${SVC}/login`);
    assert.equal(b.status, 301);
    assert.equal(b.headers.location, 'https://svc/login');
    assert.equal(up.seen.length, 0);
  });

  test('headers: set/add/remove on the request the upstream sees and on the response the client sees', async (t) => {
    const { up, out } = await sidecar(t);
    const r = await send(out, `${SVC}/headers`, { headers: { 'x-set': 'old', 'x-add': 'one', 'x-gone': 'bye' } });
    assert.equal(r.status, 200);
    const h = up.seen[0]?.headers ?? {};
    assert.equal(h['x-set'], 'new');
    assert.equal(h['x-add'], 'one,two');
    assert.equal(h['x-gone'], undefined);
    assert.equal(r.headers['x-resp-set'], 'yes');
    assert.equal(r.headers['x-resp-add'], 'a');
    assert.equal(r.headers['x-upstream'], undefined);
  });

  test('headers: response headers apply to a direct response', async (t) => {
    const { out } = await sidecar(t);
    const r = await send(out, `${SVC}/direct`);
    assert.equal(r.text, 'direct');
    assert.equal(r.headers['x-direct'], '1');
  });

  test('CORS: an allowed preflight is answered by the proxy; an actual request gets allow-origin; others are forwarded untouched', async (t) => {
    const { up, out } = await sidecar(t);
    const pre = await send(out, `${SVC}/cors`, { method: 'OPTIONS', headers: { origin: 'https://app.example', 'access-control-request-method': 'PUT' } });
    assert.equal(pre.status, 200);
    assert.equal(pre.headers['access-control-allow-origin'], 'https://app.example');
    assert.equal(pre.headers['access-control-allow-methods'], 'GET,PUT');
    assert.equal(pre.headers['access-control-allow-headers'], 'x-token');
    assert.equal(pre.headers['access-control-max-age'], '600');
    assert.equal(up.seen.length, 0);

    const actual = await send(out, `${SVC}/cors`, { headers: { origin: 'https://app.example' } });
    assert.equal(actual.status, 200);
    assert.equal(actual.headers['access-control-allow-origin'], 'https://app.example');
    assert.equal(actual.headers['access-control-expose-headers'], 'x-total');

    const other = await send(out, `${SVC}/cors`, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'PUT' } });
    assert.equal(other.status, 200);
    assert.equal(other.headers['access-control-allow-origin'], undefined);
    assert.equal(up.seen.length, 2);
    assert.equal(up.seen[1]?.method, 'OPTIONS');
  });

  test('a policy with a bad value rejects the config version', async (t) => {
    const cfg = makeConfig({ version: 'bad', routes: [table('9080', ['svc'], [{ ...fwd('r', [['svc', 1]]), policy: { fault: { abort: { httpStatus: 42, percentage: { value: 100 } } } } }])], clusters: [{ name: 'svc', endpoints: [{ address: '127.0.0.1', port: 1 }] }] });
    const disco = await new FakeDiscovery(cfg).start(t);
    const proxy = await startTestProxy(t, { discovery: disco.url });
    const ev = await proxy.waitEvent(configEvent('bad', 'rejected'));
    assert.match(JSON.stringify(ev), /policy\.fault\.abort\.httpStatus: 42 is not an HTTP status/);
  });
});

test('destination headers: each weighted destination applies its own request and response headers when it is picked', async (t) => {
  const v1 = await startUpstream(t, 'v1', (req, res) => res.writeHead(200, { 'x-from': 'v1' }).end(`v1 ${String(req.headers['x-dest'])}`));
  const v2 = await startUpstream(t, 'v2', (req, res) => res.writeHead(200, { 'x-from': 'v2' }).end(`v2 ${String(req.headers['x-dest'])}`));
  const proxy = await startTestProxy(t, { discovery: null });
  const cfg = makeConfig({
    version: 'dh',
    routes: [table('80', ['svc'], [{ name: 'r', match: {}, route: { clusters: [
      { cluster: 'v1', weight: 50, headers: { request: { set: { 'x-dest': 'one' } }, response: { add: { 'x-picked': 'v1' } } } },
      { cluster: 'v2', weight: 50, headers: { request: { set: { 'x-dest': 'two' } }, response: { remove: ['x-from'] } } },
    ] } }])],
    clusters: [{ name: 'v1', endpoints: [{ address: '127.0.0.1', port: v1.port }] }, { name: 'v2', endpoints: [{ address: '127.0.0.1', port: v2.port }] }],
  });
  assert.deepEqual(await proxy.proxy.applyConfig(cfg), { ok: true });
  const seen = new Set<string>();
  for (let i = 0; i < 30; i++) {
    const r = await send(proxy.outboundPort as number, 'http://svc/', { headers: { host: 'svc' } });
    if (r.text.startsWith('v1')) {
      assert.equal(r.text, 'v1 one');
      assert.equal(r.headers['x-picked'], 'v1');
      assert.equal(r.headers['x-from'], 'v1');
    } else {
      assert.equal(r.text, 'v2 two');
      assert.equal(r.headers['x-picked'], undefined);
      assert.equal(r.headers['x-from'], undefined);
    }
    seen.add(r.text.slice(0, 2));
  }
  assert.equal(seen.size, 2);
});
