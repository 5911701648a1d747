// DestinationRule connectionPool settings that shape upstream connections, through a real
// sidecar: tcp.connectTimeout, tcp.tcpKeepalive (checked on the socket with `ss`),
// tcp.maxConnectionDuration and http.idleTimeout.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import net from 'node:net';
import { test } from 'node:test';
import type { ClusterPolicy, ProxyConfig, UpstreamTls } from '../api/index.ts';
import { fwd, makeConfig, send, startTestProxy, startUpstream, table } from './test-support.ts';

async function proxyTo(t: Parameters<typeof startTestProxy>[0], port: number, policy: ClusterPolicy, tls?: UpstreamTls) {
  const proxy = await startTestProxy(t, { discovery: null, timeouts: { sweepMs: 100 } });
  const cfg: ProxyConfig = makeConfig({ routes: [table('80', ['svc'], [fwd('r', [['c', 1]])])], clusters: [{ name: 'c', endpoints: [{ address: '127.0.0.1', port }] }] });
  (cfg.routes[0]?.virtualHosts[0]?.routes[0] as { policy?: unknown }).policy = { retries: { attempts: 0 } };
  const cluster = cfg.clusters[0] as { policy?: ClusterPolicy; tls?: UpstreamTls };
  cluster.policy = policy;
  if (tls !== undefined) cluster.tls = tls;
  assert.deepEqual(await proxy.proxy.applyConfig(cfg), { ok: true });
  return () => send(proxy.outboundPort as number, 'http://svc/', { headers: { host: 'svc' } });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('tcp.connectTimeout: a handshake that never completes fails with 503 UF after the configured time, not the 10 s default', async (t) => {
  // Accepts TCP, never answers the TLS ClientHello.
  const silent = net.createServer(() => {});
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
  t.after(() => silent.close());
  const sockets: net.Socket[] = [];
  silent.on('connection', (s) => sockets.push(s));
  t.after(() => sockets.forEach((s) => s.destroy()));
  const get = await proxyTo(t, (silent.address() as net.AddressInfo).port, { connectionPool: { tcp: { connectTimeoutMs: 300 } } }, { mode: 'SIMPLE', insecureSkipVerify: true });
  const t0 = Date.now();
  const res = await get();
  const took = Date.now() - t0;
  assert.equal(res.status, 503);
  assert.equal(res.headers['x-isthmus-reason'] !== undefined, true);
  assert.match(String(res.headers['x-isthmus-reason']), /upstream connect error: ETIMEDOUT/);
  assert.ok(took >= 250 && took < 5000, `answered after ${took} ms`);
});

test('tcp.tcpKeepalive: upstream sockets carry SO_KEEPALIVE with the configured time', async (t) => {
  const up = await startUpstream(t, 'up');
  const get = await proxyTo(t, up.port, { connectionPool: { tcp: { tcpKeepalive: { timeMs: 45_000, intervalMs: 5000, probes: 3 } } } });
  assert.equal((await get()).status, 200);
  // The pooled connection from the proxy to the upstream: ss shows its keepalive timer (about 45 s left).
  const out = execFileSync('ss', ['-tnoH', 'state', 'established', 'dst', `127.0.0.1:${up.port}`], { encoding: 'utf8' });
  const m = /timer:\(keepalive,(\d+)(?:min)?(\d*)/.exec(out);
  assert.ok(m !== null, `keepalive timer on the upstream socket: ${out}`);
  const bare = await startUpstream(t, 'bare');
  const plain = await proxyTo(t, bare.port, { connectionPool: { tcp: { maxConnections: 100 } } });
  assert.equal((await plain()).status, 200);
  const none = execFileSync('ss', ['-tnoH', 'state', 'established', 'dst', `127.0.0.1:${bare.port}`], { encoding: 'utf8' });
  assert.doesNotMatch(none, /keepalive/, 'no keepalive unless asked for');
});

test('tcp.maxConnectionDuration: a connection older than the limit is not reused', async (t) => {
  const up = await startUpstream(t, 'up');
  const get = await proxyTo(t, up.port, { connectionPool: { tcp: { maxConnectionDurationMs: 300 } } });
  for (let i = 0; i < 3; i++) assert.equal((await get()).status, 200);
  assert.equal(up.sockets.size, 1, 'reused while young');
  await sleep(400);
  assert.equal((await get()).status, 200);
  assert.equal(up.sockets.size, 2, 'a new connection after maxConnectionDuration');
});

test('http.idleTimeout: an idle pooled connection is closed after the timeout', async (t) => {
  const up = await startUpstream(t, 'up');
  const get = await proxyTo(t, up.port, { connectionPool: { http: { idleTimeoutMs: 300 } } });
  assert.equal((await get()).status, 200);
  const [sock] = [...up.sockets];
  assert.ok(sock !== undefined);
  const closed = new Promise<boolean>((r) => sock.once('close', () => r(true)));
  const gaveUp = new Promise<boolean>((r) => setTimeout(() => r(false), 5000).unref());
  assert.equal(await Promise.race([closed, gaveUp]), true, 'the upstream saw the idle connection closed (the default keeps it 30 s)');
  assert.equal((await get()).status, 200);
  assert.equal(up.sockets.size, 2);
});
