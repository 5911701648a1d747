// Retrying requests that carry a body, through a real sidecar: the body is kept (up to
// RETRY_BUFFER_LIMIT) and sent again to the next endpoint, also when the retry starts while the
// client is still uploading; a larger body is not retried; a POST that may have been processed
// (reset after its body was sent) is not sent twice, while a PUT is.

import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';
import type { ProxyConfig } from '../api/index.ts';
import { RETRY_BUFFER_LIMIT } from './forwarder.ts';
import { fwd, makeConfig, send, startTestProxy, startUpstream, table, type Upstream } from './test-support.ts';

/** An upstream that reads the whole body and records it; `answer` decides the status (or resets with 0). */
async function recorder(t: Parameters<typeof startUpstream>[0], name: string, answer: (body: Buffer) => number, early = false): Promise<Upstream & { bodies: Buffer[] }> {
  const bodies: Buffer[] = [];
  const up = await startUpstream(t, name, (req, res) => {
    if (early) {
      // Answers at once, before the body is in; the rest of the body is read and dropped.
      res.writeHead(answer(Buffer.alloc(0)), { connection: 'close' }).end(`${name} early`);
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      bodies.push(body);
      const status = answer(body);
      if (status === 0) req.socket.destroy();
      else res.writeHead(status).end(`${name} got ${body.length}`);
    });
  });
  return Object.assign(up, { bodies });
}

async function sidecar(t: Parameters<typeof startTestProxy>[0], ports: number[], retryOn: string) {
  const proxy = await startTestProxy(t, { discovery: null });
  const route = fwd('svc', [['c', 1]]);
  route.policy = { retries: { attempts: 2, retryOn } };
  const cfg: ProxyConfig = makeConfig({ routes: [table('80', ['svc'], [route])], clusters: [{ name: 'c', endpoints: ports.map((port) => ({ address: '127.0.0.1', port })) }] });
  assert.deepEqual(await proxy.proxy.applyConfig(cfg), { ok: true });
  return proxy.outboundPort as number;
}

test('a POST answered 503 is retried on the next endpoint with the same body', async (t) => {
  const bad = await recorder(t, 'bad', () => 503);
  const good = await recorder(t, 'good', () => 200);
  const port = await sidecar(t, [bad.port, good.port], '5xx');
  const body = Buffer.from('x'.repeat(10_000) + 'end');
  const res = await send(port, 'http://svc/orders', { method: 'POST', headers: { host: 'svc' }, body });
  assert.equal(res.status, 200);
  assert.equal(res.text, `good got ${body.length}`);
  assert.deepEqual(bad.bodies, [body]);
  assert.deepEqual(good.bodies, [body]);
  // Chunked too: the framing goes again as received.
  const chunked = await send(port, 'http://svc/orders', { method: 'POST', headers: { host: 'svc' }, body: [Buffer.from('part one,'), Buffer.from('part two')] });
  assert.equal(chunked.status, 200);
  assert.equal(good.bodies.at(-1)?.toString(), 'part one,part two');
});

test('a retry that starts while the client is still uploading sends what came so far, then the rest', async (t) => {
  const early = await recorder(t, 'early', () => 503, true);
  const good = await recorder(t, 'good', () => 200);
  const port = await sidecar(t, [early.port, good.port], '5xx');
  const res = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/upload', headers: { host: 'svc', 'content-length': '12' }, agent: false }, (r) => {
      let text = '';
      r.on('data', (c: Buffer) => (text += c.toString()));
      r.on('end', () => resolve({ status: r.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.write('first-');
    setTimeout(() => req.end('second'), 300);
  });
  assert.equal(res.status, 200);
  assert.equal(good.bodies[0]?.toString(), 'first-second');
});

test(`a body over ${RETRY_BUFFER_LIMIT} bytes is not retried once it was sent`, async (t) => {
  const bad = await recorder(t, 'bad', () => 503);
  const good = await recorder(t, 'good', () => 200);
  const port = await sidecar(t, [bad.port, good.port], '5xx');
  const res = await send(port, 'http://svc/big', { method: 'POST', headers: { host: 'svc' }, body: Buffer.alloc(RETRY_BUFFER_LIMIT + 1, 7) });
  assert.equal(res.status, 503);
  assert.equal(good.bodies.length, 0);
});

test('after a reset, a POST is not sent again (it may have been processed); a PUT is', async (t) => {
  const resets = await recorder(t, 'resets', () => 0);
  const good = await recorder(t, 'good', () => 200);
  const port = await sidecar(t, [resets.port, good.port], 'reset,connect-failure');
  const post = await send(port, 'http://svc/pay', { method: 'POST', headers: { host: 'svc' }, body: 'pay 10' });
  assert.equal(post.status, 503);
  assert.match(String(post.headers['x-isthmus-reason']), /disconnect\/reset before headers/);
  assert.equal(good.bodies.length, 0, 'the POST reached one endpoint only');
  // A fresh sidecar, so round robin starts at the resetting endpoint again.
  const again = await sidecar(t, [resets.port, good.port], 'reset,connect-failure');
  const put = await send(again, 'http://svc/doc', { method: 'PUT', headers: { host: 'svc' }, body: 'v2' });
  assert.equal(put.status, 200);
  assert.deepEqual(resets.bodies.map(String), ['pay 10', 'v2'], 'the PUT reached the resetting endpoint first');
  assert.equal(good.bodies[0]?.toString(), 'v2');
});
