// End to end on real sockets: a proxy started in-process, a fake discovery server, upstream apps
// on 127.0.0.1, and clients (node's http client, raw sockets, curl).

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import diagnostics from 'node:diagnostics_channel';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import type { ProxyConfig } from '../api/index.ts';
import { REQUEST_CHANNEL, type RequestEvent } from './diagnostics.ts';
import { HOSTILE } from './hostile-requests.ts';
import {
  closedPort,
  configEvent,
  curl,
  FakeDiscovery,
  fwd,
  makeConfig,
  send,
  startTestProxy,
  startUpstream,
  table,
  type TestProxy,
  until,
} from './test-support.ts';

const ep = (port: number) => ({ address: '127.0.0.1', port });

/** Starts discovery with `cfg` and a sidecar; resolves once `cfg` is applied. */
async function sidecar(t: TestContext, cfg: ProxyConfig): Promise<{ proxy: TestProxy; disco: FakeDiscovery; out: number }> {
  const disco = await new FakeDiscovery(cfg).start(t);
  const proxy = await startTestProxy(t, { discovery: disco.url });
  await proxy.waitEvent(configEvent(cfg.version));
  return { proxy, disco, out: proxy.outboundPort as number };
}

/** Writes raw bytes, half-closes, and collects everything the proxy answers until it closes. */
function raw(port: number, data: string | Buffer, opts: { end?: boolean } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNRESET' || e.code === 'EPIPE' ? undefined : reject(e)));
    s.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    s.write(data);
    if (opts.end !== false) s.end();
  });
}

const statusLine = (text: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);

describe('sidecar outbound', () => {
  test('forward-proxy requests from node and curl reach the upstream in origin-form with the original Host', async (t) => {
    const up = await startUpstream(t, 'reviews');
    const cfg = makeConfig({ routes: [table('9080', ['reviews', 'reviews:9080'], [fwd('r', [['reviews', 1]])])], clusters: [{ name: 'reviews', endpoints: [ep(up.port)] }] });
    const { out } = await sidecar(t, cfg);

    const r = await send(out, 'http://reviews:9080/reviews/0?x=1', {
      headers: { connection: 'keep-alive, x-hop', 'x-hop': 'secret', 'keep-alive': 'timeout=5', 'proxy-authorization': 'Basic eA==', te: 'trailers', 'x-end': 'kept' },
    });
    assert.equal(r.status, 200);
    assert.equal(r.text, 'reviews GET /reviews/0?x=1');
    const seen = up.seen[0];
    assert.ok(seen);
    assert.equal(seen.url, '/reviews/0?x=1');
    assert.equal(seen.headers.host, 'reviews:9080');
    assert.match(String(seen.headers['x-request-id']), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(seen.headers['x-end'], 'kept');
    for (const h of ['x-hop', 'keep-alive', 'proxy-authorization', 'te']) assert.equal(seen.headers[h], undefined, h);

    // An x-request-id the client set is kept.
    await send(out, 'http://reviews:9080/id', { headers: { 'x-request-id': 'given-id' } });
    assert.equal(up.seen[1]?.headers['x-request-id'], 'given-id');

    // Origin-form with a Host header works too.
    const o = await send(out, '/origin', { headers: { host: 'reviews:9080' } });
    assert.equal(o.text, 'reviews GET /origin');

    const c = await curl(['-x', `http://127.0.0.1:${out}`, 'http://reviews:9080/from-curl']);
    assert.equal(c.code, 0, c.stderr);
    assert.equal(c.stdout, 'reviews GET /from-curl');
  });

  test('weighted routing splits traffic between clusters', async (t) => {
    const v1 = await startUpstream(t, 'v1');
    const v2 = await startUpstream(t, 'v2');
    const cfg = makeConfig({
      routes: [table('9080', ['reviews'], [fwd('split', [['v1', 50], ['v2', 50]])])],
      clusters: [
        { name: 'v1', endpoints: [ep(v1.port)] },
        { name: 'v2', endpoints: [ep(v2.port)] },
      ],
    });
    const { out } = await sidecar(t, cfg);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    t.after(() => agent.destroy());
    const counts: Record<string, number> = { v1: 0, v2: 0 };
    const all = await Promise.all(Array.from({ length: 200 }, () => send(out, 'http://reviews:9080/', { agent })));
    for (const r of all) counts[String(r.headers['x-upstream'])] = (counts[String(r.headers['x-upstream'])] ?? 0) + 1;
    assert.equal((counts['v1'] ?? 0) + (counts['v2'] ?? 0), 200);
    assert.ok((counts['v1'] ?? 0) >= 50 && (counts['v2'] ?? 0) >= 50, JSON.stringify(counts));
  });

  test('header routing: end-user jason goes to v2, others to v1', async (t) => {
    const v1 = await startUpstream(t, 'v1');
    const v2 = await startUpstream(t, 'v2');
    const cfg = makeConfig({
      routes: [table('9080', ['reviews'], [fwd('jason', [['v2', 1]], { headers: [{ name: 'end-user', match: { exact: 'jason' } }] }), fwd('rest', [['v1', 1]])])],
      clusters: [
        { name: 'v1', endpoints: [ep(v1.port)] },
        { name: 'v2', endpoints: [ep(v2.port)] },
      ],
    });
    const { out } = await sidecar(t, cfg);
    assert.equal((await send(out, 'http://reviews:9080/', { headers: { 'end-user': 'jason' } })).headers['x-upstream'], 'v2');
    assert.equal((await send(out, 'http://reviews:9080/', { headers: { 'end-user': 'bob' } })).headers['x-upstream'], 'v1');
    const c = await curl(['-x', `http://127.0.0.1:${out}`, '-H', 'end-user: jason', 'http://reviews:9080/']);
    assert.equal(c.stdout, 'v2 GET /');
  });

  test('404 NR, 503 UH, 503 UF, and a connect failure retried on the next endpoint', async (t) => {
    const up = await startUpstream(t, 'live');
    const dead = await closedPort();
    const cfg = makeConfig({
      routes: [
        table('9080', ['reviews'], [
          fwd('empty', [['empty', 1]], { path: { prefix: '/uh' } }),
          fwd('dead', [['dead', 1]], { path: { prefix: '/uf' } }),
          fwd('mixed', [['mixed', 1]], { path: { prefix: '/mixed' } }),
        ]),
      ],
      clusters: [
        { name: 'empty', endpoints: [] },
        { name: 'dead', endpoints: [ep(dead)] },
        { name: 'mixed', endpoints: [ep(dead), ep(up.port)] },
      ],
    });
    const { out, proxy } = await sidecar(t, cfg);

    const nr = await send(out, 'http://reviews:9080/x');
    assert.equal(nr.status, 404);
    assert.equal(nr.text, 'no route matched: host "reviews:9080" path "/x" (route table 9080)\n');
    assert.equal(nr.headers['x-isthmus-reason'], 'NR no route matched: host "reviews:9080" path "/x" (route table 9080)');
    const nvh = await curl(['-s', '-o', '/dev/null', '-w', '%{http_code}', '-x', `http://127.0.0.1:${out}`, 'http://ratings:9080/']);
    assert.equal(nvh.stdout, '404');

    const uh = await send(out, 'http://reviews:9080/uh');
    assert.equal(uh.status, 503);
    assert.match(String(uh.headers['x-isthmus-reason']), /^UH /);
    assert.match(uh.text, /no healthy upstream/);

    const uf = await send(out, 'http://reviews:9080/uf');
    assert.equal(uf.status, 503);
    assert.match(String(uf.headers['x-isthmus-reason']), /^UF,URX upstream connect error: ECONNREFUSED/);

    // A local reply to a request whose small body came with it keeps the connection.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    t.after(() => agent.destroy());
    const before = (proxy.proxy.stats.toJSON() as { downstream: { connections: number } }).downstream.connections;
    for (let i = 0; i < 2; i++) assert.equal((await send(out, 'http://nowhere:9080/', { method: 'POST', body: 'small body', agent })).status, 404);
    assert.equal((proxy.proxy.stats.toJSON() as { downstream: { connections: number } }).downstream.connections, before + 1);

    for (let i = 0; i < 4; i++) {
      const m = await send(out, 'http://reviews:9080/mixed');
      assert.equal(m.status, 200, m.text);
    }
    const stats = proxy.proxy.stats.toJSON() as { requests: { byFlag: Record<string, number> } };
    assert.equal(stats.requests.byFlag['NR'], 4);
    assert.equal(stats.requests.byFlag['UH'], 1);
    assert.equal(stats.requests.byFlag['UF'], 1);
  });

  test('upstream connections are pooled and reused across requests', async (t) => {
    const up = await startUpstream(t, 'up');
    const cfg = makeConfig({ routes: [table('9080', ['reviews'], [fwd('r', [['c', 1]])])], clusters: [{ name: 'c', endpoints: [ep(up.port)] }] });
    const { out, proxy } = await sidecar(t, cfg);
    // Separate client connections each time: reuse must come from the proxy's pool.
    for (let i = 0; i < 20; i++) assert.equal((await send(out, 'http://reviews:9080/')).status, 200);
    assert.equal(up.seen.length, 20);
    assert.equal(up.sockets.size, 1);
    assert.equal((proxy.proxy.stats.toJSON() as { upstream: { reusedRequests: number } }).upstream.reusedRequests, 19);
  });

  test('1 MB chunked and Content-Length bodies round-trip intact both ways', async (t) => {
    const echo = await startUpstream(t, 'echo', (req, res) => {
      const h = createHash('sha256');
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => {
        h.update(c);
        chunks.push(c);
      });
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        res.writeHead(200, { 'x-request-sha256': h.digest('hex'), 'x-request-te': String(req.headers['transfer-encoding'] ?? '') });
        // Several writes and no Content-Length: a chunked response.
        for (let i = 0; i < body.length; i += 65536) res.write(body.subarray(i, i + 65536));
        res.end();
      });
    });
    const cfg = makeConfig({ routes: [table('9080', ['echo'], [fwd('r', [['echo', 1]])])], clusters: [{ name: 'echo', endpoints: [ep(echo.port)] }] });
    const { out } = await sidecar(t, cfg);
    const body = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < body.length; i++) body[i] = (i * 7 + (i >> 11)) & 0xff;
    const sha = createHash('sha256').update(body).digest('hex');

    const parts: Buffer[] = [];
    for (let i = 0; i < body.length; i += 100_000) parts.push(body.subarray(i, i + 100_000));
    const chunked = await send(out, 'http://echo:9080/up', { method: 'POST', body: parts });
    assert.equal(chunked.status, 200);
    assert.equal(chunked.headers['x-request-te'], 'chunked');
    assert.equal(chunked.headers['x-request-sha256'], sha);
    assert.equal(chunked.headers['transfer-encoding'], 'chunked');
    assert.equal(createHash('sha256').update(chunked.body).digest('hex'), sha);

    const fixed = await send(out, 'http://echo:9080/up', { method: 'PUT', body });
    assert.equal(fixed.headers['x-request-sha256'], sha);
    assert.equal(createHash('sha256').update(fixed.body).digest('hex'), sha);

    // curl: a chunked upload with Expect: 100-continue, answered by the proxy itself.
    const dir = mkdtempSync(join(tmpdir(), 'isthmus-proxy-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'body'), body);
    const c = await curl([
      '-x', `http://127.0.0.1:${out}`, '-H', 'Transfer-Encoding: chunked', '-H', 'Expect: 100-continue',
      '--data-binary', `@${join(dir, 'body')}`, '-o', join(dir, 'out'), '-D', '-', 'http://echo:9080/curl',
    ]);
    assert.equal(c.code, 0, c.stderr);
    assert.match(c.stdout, /x-request-sha256: ([0-9a-f]+)/);
    assert.equal(/x-request-sha256: ([0-9a-f]+)/.exec(c.stdout)?.[1], sha);
    const sums = await curl(['-x', `http://127.0.0.1:${out}`, '--data-binary', `@${join(dir, 'body')}`, 'http://echo:9080/again', '-o', join(dir, 'out2')]);
    assert.equal(sums.code, 0);
  });

  test('HEAD, 204 and 304 have no body; HTTP/1.0 clients get a decoded, close-delimited body', async (t) => {
    const up = await startUpstream(t, 'up', (req, res) => {
      req.resume();
      if (req.url === '/204') return void res.writeHead(204).end();
      if (req.url === '/304') return void res.writeHead(304, { etag: '"x"' }).end();
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('part1-');
      res.end('part2');
    });
    const cfg = makeConfig({ routes: [table('9080', ['up'], [fwd('r', [['up', 1]])])], clusters: [{ name: 'up', endpoints: [ep(up.port)] }] });
    const { out } = await sidecar(t, cfg);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    t.after(() => agent.destroy());
    const head = await send(out, 'http://up:9080/x', { method: 'HEAD', agent });
    assert.equal(head.status, 200);
    assert.equal(head.body.length, 0);
    assert.equal((await send(out, 'http://up:9080/204', { agent })).status, 204);
    assert.equal((await send(out, 'http://up:9080/304', { agent })).status, 304);
    assert.equal((await send(out, 'http://up:9080/after', { agent })).text, 'part1-part2');

    const r10 = await raw(out, 'GET http://up:9080/x HTTP/1.0\r\n\r\n', { end: false });
    assert.equal(statusLine(r10), 200);
    assert.doesNotMatch(r10, /transfer-encoding/i);
    assert.match(r10, /connection: close/);
    assert.ok(r10.endsWith('\r\n\r\npart1-part2'), r10);
  });

  test('pipelined requests are answered in order on one connection', async (t) => {
    const up = await startUpstream(t, 'up');
    const cfg = makeConfig({ routes: [table('9080', ['up'], [fwd('r', [['up', 1]]), ])], clusters: [{ name: 'up', endpoints: [ep(up.port)] }] });
    const { out } = await sidecar(t, cfg);
    const text = await raw(
      out,
      'GET http://up:9080/1 HTTP/1.1\r\nHost: up:9080\r\n\r\n' +
        'POST http://up:9080/2 HTTP/1.1\r\nHost: up:9080\r\nContent-Length: 3\r\n\r\nabc' +
        'GET http://nothing:9080/3 HTTP/1.1\r\nHost: nothing:9080\r\n\r\n' +
        'GET http://up:9080/4 HTTP/1.1\r\nHost: up:9080\r\nConnection: close\r\n\r\n',
      { end: false },
    );
    const statuses = [...text.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => m[1]);
    assert.deepEqual(statuses, ['200', '200', '404', '200']);
    const bodies = [...text.matchAll(/up (GET|POST) \/\d/g)].map((m) => m[0]);
    assert.deepEqual(bodies, ['up GET /1', 'up POST /2', 'up GET /4']);
  });

  test('hostile requests get their 4xx/5xx on a live listener and the proxy keeps serving', async (t) => {
    const up = await startUpstream(t, 'up');
    const cfg = makeConfig({ routes: [table('80', ['a'], [fwd('r', [['up', 1]])])], clusters: [{ name: 'up', endpoints: [ep(up.port)] }] });
    const { out } = await sidecar(t, cfg);
    for (const [name, text, status] of HOSTILE) {
      const res = await raw(out, Buffer.from(text, 'latin1'));
      assert.equal(statusLine(res), status, `${name}: ${res.slice(0, 200)}`);
      assert.match(res, /x-isthmus-reason: DPE /, name);
    }
    // A head that never ends is cut off at the size limit.
    const endless = await raw(out, `GET / HTTP/1.1\r\nHost: a\r\nX: ${'b'.repeat(70_000)}`, { end: false });
    assert.equal(statusLine(endless), 431);
    // CONNECT is not supported yet.
    assert.equal(statusLine(await raw(out, 'CONNECT reviews:443 HTTP/1.1\r\nHost: reviews:443\r\n\r\n')), 405);
    // Random junk on live sockets: never a crash, always an answer or a close.
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    for (let i = 0; i < 60; i++) {
      const base = HOSTILE[i % HOSTILE.length]?.[1] ?? '';
      const b = Buffer.from(base.slice(0, 2000), 'latin1');
      for (let k = 0; k < 3; k++) b[Math.floor(rnd() * b.length)] = Math.floor(rnd() * 256);
      await raw(out, b);
    }
    assert.equal((await send(out, 'http://a/fine')).status, 200);
  });

  test('upstream failures: malformed response → 502 UPE, close before headers → 503 UC, RST → 503 UR', async (t) => {
    const servers: net.Server[] = [];
    t.after(() => {
      for (const s of servers) s.close();
    });
    const rawServer = async (onData: (s: net.Socket) => void) => {
      const s = net.createServer((sock) => {
        sock.on('error', () => {});
        sock.once('data', () => onData(sock));
      });
      servers.push(s);
      await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
      return (s.address() as net.AddressInfo).port;
    };
    const bad = await rawServer((s) => s.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n'));
    const reset = await rawServer((s) => s.destroy());
    // Reads the request, then answers with a TCP RST.
    const rst = await rawServer((s) => s.resetAndDestroy());
    const midway = await rawServer((s) => {
      s.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial');
      setImmediate(() => s.destroy());
    });
    const cfg = makeConfig({
      routes: [
        table('9080', ['x'], [
          fwd('bad', [['bad', 1]], { path: { exact: '/bad' } }),
          fwd('reset', [['reset', 1]], { path: { exact: '/reset' } }),
          fwd('midway', [['midway', 1]], { path: { exact: '/midway' } }),
          fwd('rst', [['rst', 1]], { path: { exact: '/rst' } }),
        ]),
      ],
      clusters: [
        { name: 'bad', endpoints: [ep(bad)] },
        { name: 'reset', endpoints: [ep(reset)] },
        { name: 'midway', endpoints: [ep(midway)] },
        { name: 'rst', endpoints: [ep(rst)] },
      ],
    });
    const { out, proxy } = await sidecar(t, cfg);
    const b = await send(out, 'http://x:9080/bad');
    assert.equal(b.status, 502);
    assert.match(String(b.headers['x-isthmus-reason']), /^UPE /);
    const r = await send(out, 'http://x:9080/reset');
    assert.equal(r.status, 503);
    assert.match(String(r.headers['x-isthmus-reason']), /^UC /);
    await assert.rejects(send(out, 'http://x:9080/midway'));
    assert.equal(proxy.proxy.stats.byFlag['UC'], 2);
    const rr = await send(out, 'http://x:9080/rst');
    assert.equal(rr.status, 503);
    assert.match(String(rr.headers['x-isthmus-reason']), /^UR .*ECONNRESET/);
  });

  test('a reused upstream socket that closes instead of answering: bodyless requests retried once, others 503 UC', async (t) => {
    // Answers the first request on each connection, drops the connection on the second.
    const server = net.createServer((sock) => {
      let n = 0;
      sock.on('error', () => {});
      sock.on('data', () => {
        if (++n === 1) sock.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
        else sock.destroy();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    t.after(() => server.close());
    const port = (server.address() as net.AddressInfo).port;
    const cfg = makeConfig({ routes: [table('9080', ['flaky'], [fwd('r', [['flaky', 1]])])], clusters: [{ name: 'flaky', endpoints: [ep(port)] }] });
    const { out, proxy } = await sidecar(t, cfg);
    assert.equal((await send(out, 'http://flaky:9080/1')).text, 'ok');
    assert.equal((await send(out, 'http://flaky:9080/2')).text, 'ok');
    assert.equal(proxy.proxy.stats.upstreamResetRetries, 1);
    const post = await send(out, 'http://flaky:9080/3', { method: 'POST', body: 'data' });
    assert.equal(post.status, 503);
    assert.match(String(post.headers['x-isthmus-reason']), /^UC /);
  });

  test('each request is published on the diagnostics channel with its flags', async (t) => {
    const up = await startUpstream(t, 'up');
    const cfg = makeConfig({ routes: [table('9080', ['up'], [fwd('r', [['up', 1]])])], clusters: [{ name: 'up', endpoints: [ep(up.port)] }] });
    const { out } = await sidecar(t, cfg);
    const events: RequestEvent[] = [];
    const sub = (m: unknown) => events.push(m as RequestEvent);
    diagnostics.subscribe(REQUEST_CHANNEL, sub);
    t.after(() => diagnostics.unsubscribe(REQUEST_CHANNEL, sub));
    await send(out, 'http://up:9080/ok');
    await send(out, 'http://none:9080/nr');
    await until(() => events.length === 2, 'two request events');
    const [ok, nr] = events;
    assert.ok(ok && nr);
    assert.deepEqual({ ...ok, durationMs: 0 }, {
      role: 'sidecar', listener: 'outbound', method: 'GET', authority: 'up:9080', path: '/ok', status: 200, flags: '-', route: 'r', cluster: 'up', endpoint: `127.0.0.1:${up.port}`, durationMs: 0,
    });
    assert.ok(ok.durationMs >= 0);
    assert.equal(nr.status, 404);
    assert.equal(nr.flags, 'NR');
  });
});

describe('config lifecycle', () => {
  test('before the first config: data 503, /ready 503; then ready, config_dump, stats, healthz', async (t) => {
    const up = await startUpstream(t, 'up');
    const disco = await new FakeDiscovery(null).start(t);
    const proxy = await startTestProxy(t, { discovery: disco.url });
    const out = proxy.outboundPort as number;
    const admin = proxy.adminPort;
    const early = await send(out, 'http://up:9080/');
    assert.equal(early.status, 503);
    assert.match(early.text, /no configuration received from the control plane yet/);
    assert.equal((await send(admin, '/ready')).status, 503);
    assert.equal((await send(admin, '/config_dump')).status, 503);
    assert.equal((await send(admin, '/healthz')).text, 'ok\n');

    const cfg = makeConfig({ version: 'first', routes: [table('9080', ['up'], [fwd('r', [['up', 1]])])], clusters: [{ name: 'up', endpoints: [ep(up.port)] }] });
    disco.push(cfg);
    await proxy.waitEvent(configEvent('first'));
    await disco.waitAck((a) => a.version === 'first');
    const ready = await send(admin, '/ready');
    assert.equal(ready.status, 200);
    assert.equal(ready.text, 'ready\n');
    assert.deepEqual(JSON.parse((await send(admin, '/config_dump')).text), cfg);
    assert.equal((await send(out, 'http://up:9080/')).status, 200);
    const stats = JSON.parse((await send(admin, '/stats')).text) as { requests: { byStatus: Record<string, number> }; config: { applied: number; version: string } };
    assert.equal(stats.requests.byStatus['503'], 1);
    assert.equal(stats.requests.byStatus['200'], 1);
    assert.equal(stats.config.applied, 1);
    assert.equal(stats.config.version, 'first');
    assert.deepEqual(disco.acks, [{ node: 'app-0.default', version: 'first' }]);
    const node = JSON.parse(disco.connects[0]?.node ?? '{}') as unknown;
    assert.deepEqual(node, { id: 'app-0.default', role: 'sidecar', podName: 'app-0', namespace: 'default' });
  });

  test('a push changes routing live; a bad config is NACKed and the old one keeps serving', async (t) => {
    const v1 = await startUpstream(t, 'v1');
    const v2 = await startUpstream(t, 'v2');
    const clusters = [
      { name: 'v1', endpoints: [ep(v1.port)] },
      { name: 'v2', endpoints: [ep(v2.port)] },
    ];
    const cfg1 = makeConfig({ version: 'one', routes: [table('9080', ['reviews'], [fwd('r', [['v1', 1]])])], clusters });
    const { out, disco, proxy } = await sidecar(t, cfg1);
    // A client connection held open across the push keeps working and sees the new routes.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    t.after(() => agent.destroy());
    assert.equal((await send(out, 'http://reviews:9080/', { agent })).headers['x-upstream'], 'v1');

    disco.push(makeConfig({ version: 'two', routes: [table('9080', ['reviews'], [fwd('r', [['v2', 1]])])], clusters }));
    await proxy.waitEvent(configEvent('two'));
    assert.equal((await send(out, 'http://reviews:9080/', { agent })).headers['x-upstream'], 'v2');

    const bad = makeConfig({ version: 'three', routes: [table('9080', ['reviews'], [fwd('r', [['v1', 1]], { path: { regex: '([' } })])], clusters });
    disco.push(bad);
    const ev = await proxy.waitEvent(configEvent('three', 'rejected'));
    assert.match(ev.event === 'config' && ev.status === 'rejected' ? ev.error : '', /invalid regex/);
    const nack = await disco.waitAck((a) => a.version === 'three');
    assert.match(nack.error ?? '', /invalid regex/);
    assert.equal((await send(out, 'http://reviews:9080/', { agent })).headers['x-upstream'], 'v2');
    assert.equal(proxy.proxy.current?.version, 'two');
  });

  test('the control plane dies: traffic keeps flowing; when it returns the proxy reconnects and applies a newer version', async (t) => {
    const v1 = await startUpstream(t, 'v1');
    const v2 = await startUpstream(t, 'v2');
    const clusters = [
      { name: 'v1', endpoints: [ep(v1.port)] },
      { name: 'v2', endpoints: [ep(v2.port)] },
    ];
    const { out, disco, proxy } = await sidecar(t, makeConfig({ version: 'a', routes: [table('9080', ['r'], [fwd('r', [['v1', 1]])])], clusters }));
    const port = disco.port;
    await disco.stop();
    for (let i = 0; i < 5; i++) assert.equal((await send(out, 'http://r:9080/')).headers['x-upstream'], 'v1');
    assert.equal((await send(proxy.adminPort, '/ready')).status, 200);

    const back = await new FakeDiscovery(makeConfig({ version: 'b', routes: [table('9080', ['r'], [fwd('r', [['v2', 1]])])], clusters })).start(t, port);
    await proxy.waitEvent(configEvent('b'));
    assert.equal((await send(out, 'http://r:9080/')).headers['x-upstream'], 'v2');
    // The reconnect said which version it had.
    assert.equal(back.connects[0]?.version, 'a');
  });

  test('a silent discovery stream is abandoned after the idle timeout and reopened with the applied version', async (t) => {
    const disco = await new FakeDiscovery(makeConfig({ version: 'quiet' })).start(t);
    const proxy = await startTestProxy(t, { discovery: disco.url, discoveryIdleTimeoutMs: 50 });
    await proxy.waitEvent(configEvent('quiet'));
    // Junk on the stream is logged and skipped.
    disco.pushRaw('this is not json');
    await until(() => disco.connects.length >= 3, 'two reconnects');
    assert.equal(disco.connects[0]?.version, '');
    assert.equal(disco.connects[2]?.version, 'quiet');
    // The same version is not applied again.
    assert.equal(proxy.events.filter((e) => e.event === 'config').length, 1);
  });

  test('a listener set change opens and closes listeners; a bind failure rejects the whole version', async (t) => {
    const app = await startUpstream(t, 'app');
    const busy = net.createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
    t.after(() => busy.close());
    const busyPort = (busy.address() as net.AddressInfo).port;
    const freePort = await closedPort();
    const clusters = [{ name: 'inbound|9080||', endpoints: [ep(app.port)] }];
    const withInbound = (version: string, port: number) =>
      makeConfig({ version, clusters, listeners: [{ name: `127.0.0.1_${port}`, direction: 'inbound', address: '127.0.0.1', port, protocol: 'HTTP', cluster: 'inbound|9080||' }] });
    const { disco, proxy } = await sidecar(t, withInbound('in1', freePort));
    assert.equal((await send(freePort, '/hello', { headers: { host: 'app:9080' } })).text, 'app GET /hello');
    assert.equal(app.seen[0]?.headers['x-forwarded-proto'], 'http');

    disco.push(withInbound('in2', busyPort));
    await proxy.waitEvent(configEvent('in2', 'rejected'));
    assert.equal((await send(freePort, '/still')).text, 'app GET /still');

    disco.push(makeConfig({ version: 'in3', clusters }));
    await proxy.waitEvent(configEvent('in3'));
    await assert.rejects(send(freePort, '/gone'), /ECONNREFUSED/);
  });
});

describe('inbound and gateway', () => {
  test('inbound forwards everything to the local app unchanged, adding x-forwarded-proto', async (t) => {
    const app = await startUpstream(t, 'app');
    const inPort = await closedPort();
    const cfg = makeConfig({
      clusters: [{ name: 'inbound|9080||', endpoints: [ep(app.port)] }],
      listeners: [{ name: `127.0.0.1_${inPort}`, direction: 'inbound', address: '127.0.0.1', port: inPort, protocol: 'HTTP', cluster: 'inbound|9080||' }],
    });
    await sidecar(t, cfg);
    const r = await send(inPort, '/any/path?q=1', { method: 'DELETE', headers: { host: 'reviews:9080', 'x-forwarded-proto': 'https', 'x-request-id': 'rid' } });
    assert.equal(r.text, 'app DELETE /any/path?q=1');
    const seen = app.seen[0];
    assert.equal(seen?.headers['x-forwarded-proto'], 'https');
    assert.equal(seen?.headers['x-request-id'], 'rid');
    assert.equal(seen?.headers.host, 'reviews:9080');
  });

  test('gateway binds mapped ports, routes by Host, appends x-forwarded-for', async (t) => {
    const pp = await startUpstream(t, 'productpage');
    const real = await closedPort();
    const cfg = makeConfig({
      role: 'gateway',
      version: 'gw1',
      routes: [table('http.8080', ['bookinfo.example.com', '*'], [fwd('pp', [['pp', 1]], { path: { prefix: '/productpage' } })])],
      clusters: [{ name: 'pp', endpoints: [ep(pp.port)] }],
      listeners: [{ name: '0.0.0.0_8080', direction: 'gateway', address: '0.0.0.0', port: 8080, protocol: 'HTTP', routeTable: 'http.8080' }],
    });
    const disco = await new FakeDiscovery(cfg).start(t);
    const gw = await startTestProxy(t, { discovery: disco.url, role: 'gateway', outbound: null, portMap: new Map([[8080, real]]) });
    await gw.waitEvent(configEvent('gw1'));
    assert.equal(gw.outboundPort, null);
    const r = await send(real, '/productpage', { headers: { host: 'bookinfo.example.com', 'x-forwarded-for': '10.0.0.1', 'x-forwarded-proto': 'https' } });
    assert.equal(r.text, 'productpage GET /productpage');
    assert.equal(pp.seen[0]?.headers['x-forwarded-for'], '10.0.0.1, 127.0.0.1');
    assert.equal(pp.seen[0]?.headers['x-forwarded-proto'], 'http');
    const c = await curl(['-s', '-o', '/dev/null', '-w', '%{http_code}', `http://127.0.0.1:${real}/nothing-here`]);
    assert.equal(c.stdout, '404');
  });
});

describe('connections and timeouts', () => {
  test('a started head not finished in time gets 408; an idle keep-alive connection is closed', async (t) => {
    const disco = await new FakeDiscovery(makeConfig({ version: 't1' })).start(t);
    const proxy = await startTestProxy(t, { discovery: disco.url, timeouts: { headerMs: 50, idleMs: 100, sweepMs: 20 } });
    await proxy.waitEvent(configEvent('t1'));
    const out = proxy.outboundPort as number;
    const slow = await raw(out, 'GET http://a/ HTTP/1.1\r\nHost: a\r\n', { end: false });
    assert.equal(statusLine(slow), 408);
    // Nothing sent at all: closed without a response.
    assert.equal(await raw(out, '', { end: false }), '');
  });

  test('a client that goes away mid-response is recorded as DC and the upstream socket is dropped', async (t) => {
    let upstreamClosed!: () => void;
    const closed = new Promise<void>((r) => (upstreamClosed = r));
    const up = await startUpstream(t, 'stream', (req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first part');
      req.socket.on('close', () => upstreamClosed());
    });
    const cfg = makeConfig({ routes: [table('9080', ['s'], [fwd('r', [['s', 1]])])], clusters: [{ name: 's', endpoints: [ep(up.port)] }] });
    const { out, proxy } = await sidecar(t, cfg);
    await new Promise<void>((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port: out, path: 'http://s:9080/', headers: { host: 's:9080' }, agent: false }, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', reject);
    });
    await closed;
    await until(() => (proxy.proxy.stats.toJSON() as { requests: { byFlag: Record<string, number> } }).requests.byFlag['DC'] === 1, 'the DC flag');
  });

  test('pooled sockets to an endpoint are closed when the endpoint leaves the config', async (t) => {
    const a = await startUpstream(t, 'a');
    const b = await startUpstream(t, 'b');
    const mk = (version: string, port: number) => makeConfig({ version, routes: [table('9080', ['svc'], [fwd('r', [['c', 1]])])], clusters: [{ name: 'c', endpoints: [ep(port)] }] });
    const { out, disco, proxy } = await sidecar(t, mk('e1', a.port));
    assert.equal((await send(out, 'http://svc:9080/')).text, 'a GET /');
    const count = (s: http.Server) => new Promise<number>((r) => s.getConnections((_e, n) => r(n)));
    assert.equal(await count(a.server), 1);
    disco.push(mk('e2', b.port));
    await proxy.waitEvent(configEvent('e2'));
    await until(async () => (await count(a.server)) === 0, 'the pooled socket to a to close');
    assert.equal((await send(out, 'http://svc:9080/')).text, 'b GET /');
  });

  test('an idle pooled socket the upstream closes leaves the pool; the next request opens a new one', async (t) => {
    const up = await startUpstream(t, 'up');
    up.server.keepAliveTimeout = 30;
    const cfg = makeConfig({ routes: [table('9080', ['up'], [fwd('r', [['up', 1]])])], clusters: [{ name: 'up', endpoints: [ep(up.port)] }] });
    const { out, proxy } = await sidecar(t, cfg);
    assert.equal((await send(out, 'http://up:9080/1')).status, 200);
    await until(() => proxy.proxy.pools.openSockets() === 0, 'the upstream to close the idle socket');
    assert.equal((await send(out, 'http://up:9080/2')).status, 200);
    assert.equal(up.sockets.size, 2);
    assert.equal((proxy.proxy.stats.toJSON() as { upstream: { resetRetries: number } }).upstream.resetRetries, 0);
  });

  test('POST /quitquitquit stops the proxy', async (t) => {
    const disco = await new FakeDiscovery(makeConfig({ version: 'q' })).start(t);
    let stopped!: () => void;
    const done = new Promise<void>((r) => (stopped = r));
    const proxy = await startTestProxy(t, { discovery: disco.url, onStopped: () => stopped() });
    await proxy.waitEvent(configEvent('q'));
    assert.equal((await send(proxy.adminPort, '/quitquitquit', { method: 'POST' })).status, 200);
    await done;
    await assert.rejects(send(proxy.outboundPort as number, 'http://a/'), /ECONNREFUSED/);
  });
});

test('options.reasonHeader false: the proxy\'s own responses leave out x-isthmus-reason', async (t) => {
  const proxy = await startTestProxy(t, { discovery: null });
  const cfg = makeConfig({ version: 'quiet', routes: [table('80', ['svc'], [fwd('r', [['missing', 1]])])] });
  cfg.options = { reasonHeader: false };
  assert.deepEqual(await proxy.proxy.applyConfig(cfg), { ok: true });
  const r = await send(proxy.outboundPort as number, 'http://svc/', { headers: { host: 'svc' } });
  assert.equal(r.status, 503);
  assert.equal(r.headers['x-isthmus-reason'], undefined);
  cfg.version = 'loud';
  delete cfg.options;
  assert.deepEqual(await proxy.proxy.applyConfig(cfg), { ok: true });
  const again = await send(proxy.outboundPort as number, 'http://svc/', { headers: { host: 'svc' } });
  assert.match(String(again.headers['x-isthmus-reason']), /^NC /);
});

test('a request still in flight when the proxy stops past its grace period ends with LR', async (t) => {
  const slow = await startUpstream(t, 'slow', (_req, res) => setTimeout(() => res.end('late'), 5000).unref());
  const proxy = await startTestProxy(t, { discovery: null });
  const cfg = makeConfig({ routes: [table('80', ['svc'], [fwd('r', [['c', 1]])])], clusters: [{ name: 'c', endpoints: [{ address: '127.0.0.1', port: slow.port }] }] });
  assert.deepEqual(await proxy.proxy.applyConfig(cfg), { ok: true });
  const events: RequestEvent[] = [];
  const sub = (m: unknown) => events.push(m as RequestEvent);
  diagnostics.subscribe(REQUEST_CHANNEL, sub);
  t.after(() => diagnostics.unsubscribe(REQUEST_CHANNEL, sub));
  const pending = send(proxy.outboundPort as number, 'http://svc/', { headers: { host: 'svc' } }).catch((e: Error) => e);
  await until(() => slow.seen.length === 1, 'the request reached the upstream');
  await proxy.stop(100);
  assert.ok((await pending) instanceof Error, 'the client saw the connection reset');
  await until(() => events.length > 0, 'the request event');
  assert.deepEqual(events.map((e) => e.flags), ['LR']);
});
