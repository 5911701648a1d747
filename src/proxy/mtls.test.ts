// Mesh mTLS between two real proxies on loopback, with certificates from a real (openssl-made)
// root: auto mTLS from a client sidecar, STRICT and PERMISSIVE inbound, XFCC, identity checks,
// openssl s_client against the inbound port, and certificate rotation under traffic.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { connect as tlsConnect } from 'node:tls';
import { test, type TestContext } from 'node:test';
import type { InboundMtlsMode, Listener, ProxyConfig } from '../api/index.ts';
import { closedPort, curl, fwd, makeConfig, send, startTestProxy, startUpstream, table, type TestProxy, type Upstream } from './test-support.ts';
import { makeTestCa, StaticIdentity, type TestCa } from './test-pki.ts';

const CLIENT_ID = 'spiffe://cluster.local/ns/foo/sa/sleep';
const SERVER_ID = 'spiffe://cluster.local/ns/foo/sa/httpbin';

interface Pair {
  ca: TestCa;
  app: Upstream;
  server: TestProxy;
  client: TestProxy;
  serverIdentity: StaticIdentity;
  podIp: string;
  port: number;
  /** Applies a new inbound mode to the server proxy. */
  setMode(mode: InboundMtlsMode): Promise<void>;
  /** Points the client at the server expecting `identity`. */
  expect(identity: string): Promise<void>;
}

let versions = 0;

function serverConfig(podIp: string, port: number, appPort: number, mode: InboundMtlsMode): ProxyConfig {
  const cluster = `inbound|${port}||`;
  const listener: Listener = { name: `${podIp}_${port}`, direction: 'inbound', address: podIp, port, protocol: 'HTTP', cluster, mtls: mode };
  return makeConfig({ version: `s${++versions}`, listeners: [listener], clusters: [{ name: cluster, endpoints: [{ address: '127.0.0.1', port: appPort }] }] });
}

function clientConfig(podIp: string, port: number, identity: string): ProxyConfig {
  const cluster = `outbound|${port}||httpbin.foo.svc.cluster.local`;
  const cfg = makeConfig({
    version: `c${++versions}`,
    routes: [table(String(port), ['httpbin', `httpbin:${port}`], [fwd('to-httpbin', [[cluster, 1]])])],
    clusters: [{ name: cluster, endpoints: [{ address: podIp, port }] }],
  });
  (cfg.endpoints[0]?.endpoints[0] as { mtls?: { identity: string } }).mtls = { identity };
  return cfg;
}

async function pair(t: TestContext, mode: InboundMtlsMode): Promise<Pair> {
  const ca = makeTestCa(t);
  const app = await startUpstream(t, 'httpbin', (req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ headers: req.headers }));
  });
  const podIp = `127.91.${1 + Math.floor(Math.random() * 200)}.${2 + Math.floor(Math.random() * 200)}`;
  const port = await closedPort();
  const serverIdentity = new StaticIdentity(ca.workload(SERVER_ID));
  const server = await startTestProxy(t, { discovery: null, podName: 'httpbin-0', namespace: 'foo', outbound: null, identity: serverIdentity });
  const client = await startTestProxy(t, { discovery: null, podName: 'sleep-0', namespace: 'foo', identity: new StaticIdentity(ca.workload(CLIENT_ID)) });
  const apply = async (p: TestProxy, cfg: ProxyConfig) => {
    const r = await p.proxy.applyConfig(cfg);
    assert.deepEqual(r, { ok: true });
  };
  await apply(server, serverConfig(podIp, port, app.port, mode));
  await apply(client, clientConfig(podIp, port, SERVER_ID));
  return {
    ca, app, server, client, serverIdentity, podIp, port,
    setMode: (m) => apply(server, serverConfig(podIp, port, app.port, m)),
    expect: (id) => apply(client, clientConfig(podIp, port, id)),
  };
}

function viaClient(p: Pair, path = '/headers', headers: Record<string, string> = {}) {
  return send(p.client.outboundPort as number, `http://httpbin:${p.port}${path}`, { headers });
}

function run(cmd: string, args: string[], input = ''): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { encoding: 'utf8', timeout: 10_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, out: `${stdout}${stderr}` });
    });
    child.stdin?.end(input);
  });
}

test('auto mTLS: the client sidecar speaks mTLS to a STRICT server; the app gets XFCC naming both identities', async (t) => {
  const p = await pair(t, 'STRICT');
  const r = await viaClient(p);
  assert.equal(r.status, 200, r.text);
  const xfcc = (JSON.parse(r.text) as { headers: Record<string, string> }).headers['x-forwarded-client-cert'] ?? '';
  assert.match(xfcc, new RegExp(`^By=${SERVER_ID};Hash=[0-9a-f]{64};Subject="";URI=${CLIENT_ID}$`));
  assert.ok(p.client.proxy.stats.upstreamTlsConnections >= 1);
  // The admin endpoint shows the TLS counters.
  const stats = JSON.parse((await send(p.client.adminPort, '/stats')).text) as { tls: { upstreamConnections: number; certificatesReceived: number } };
  assert.ok(stats.tls.upstreamConnections >= 1);
  assert.ok(stats.tls.certificatesReceived >= 1);
});

test('STRICT: a plaintext client gets a connection reset (curl exit 56); PERMISSIVE serves it without XFCC', async (t) => {
  const p = await pair(t, 'STRICT');
  const plain = await curl([`http://${p.podIp}:${p.port}/headers`]);
  assert.equal(plain.code, 56, `curl exit ${plain.code}: ${plain.stderr}`);
  assert.ok(p.server.proxy.stats.plaintextRejected >= 1);

  await p.setMode('PERMISSIVE');
  const ok = await curl(['-H', 'x-forwarded-client-cert: By=forged;URI=spiffe://cluster.local/ns/foo/sa/admin', `http://${p.podIp}:${p.port}/headers`]);
  assert.equal(ok.code, 0, ok.stderr);
  const headers = (JSON.parse(ok.stdout) as { headers: Record<string, string> }).headers;
  assert.equal(headers['x-forwarded-client-cert'], undefined, 'a forged XFCC from a plaintext client is removed');
  // mTLS still works under PERMISSIVE.
  assert.equal((await viaClient(p)).status, 200);
});

test('openssl s_client: the inbound port shows a chain to our root and the SPIFFE SAN; no client cert fails under STRICT', async (t) => {
  const p = await pair(t, 'STRICT');
  const client = p.ca.leaf('sleep', `URI:${CLIENT_ID}`);
  const withCert = await run('openssl', ['s_client', '-connect', `${p.podIp}:${p.port}`, '-CAfile', p.ca.rootFile, '-cert', client.certFile, '-key', client.keyFile, '-showcerts', '-verify_return_error', '-ign_eof'], 'GET /headers HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n');
  assert.match(withCert.out, /Verify return code: 0 \(ok\)/);
  assert.match(withCert.out, /HTTP\/1\.1 200/);
  const pem = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/.exec(withCert.out)?.[0] ?? '';
  const leaf = new X509Certificate(pem);
  assert.equal(leaf.subjectAltName, `URI:${SERVER_ID}`);
  assert.ok(leaf.checkIssued(new X509Certificate(p.ca.rootPem)));

  const noCert = await run('openssl', ['s_client', '-connect', `${p.podIp}:${p.port}`, '-CAfile', p.ca.rootFile, '-ign_eof'], 'GET /headers HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n');
  assert.doesNotMatch(noCert.out, /HTTP\/1\.1 200/);
  assert.match(noCert.out, /alert|error/i);
});

test('a client certificate from a foreign CA is refused; so is a server presenting the wrong identity', async (t) => {
  const p = await pair(t, 'STRICT');
  const foreign = makeTestCa(t, 'Foreign Root').leaf('intruder', `URI:${CLIENT_ID}`);
  const outcome = await new Promise<string>((resolve) => {
    const s = tlsConnect({ host: p.podIp, port: p.port, key: foreign.key, cert: foreign.cert, ca: p.ca.rootPem, checkServerIdentity: () => undefined }, () => {
      s.write('GET /headers HTTP/1.1\r\nhost: x\r\n\r\n');
    });
    let got = '';
    s.on('data', (d: Buffer) => (got += d.toString()));
    s.on('error', (e) => resolve(`error ${e.message}`));
    s.on('close', () => resolve(got === '' ? 'closed' : got));
  });
  assert.doesNotMatch(outcome, /200/);
  assert.ok(p.server.proxy.stats.tlsHandshakeErrors >= 1);

  await p.expect('spiffe://cluster.local/ns/foo/sa/someone-else');
  const r = await viaClient(p);
  assert.equal(r.status, 503);
  assert.match(String(r.headers['x-isthmus-reason']), /^UF,URX /);
  assert.match(String(r.headers['x-isthmus-reason']), /ERR_TLS_SAN_MISMATCH/);
});

test('certificate rotation under steady traffic drops nothing', async (t) => {
  const p = await pair(t, 'STRICT');
  let failures = 0;
  let done = 0;
  let stop = false;
  const worker = async () => {
    while (!stop) {
      // A new connection each time, so every request makes a handshake with whatever cert is current.
      const r = await send(p.client.outboundPort as number, `http://httpbin:${p.port}/ip`, { headers: { connection: 'close' } }).catch(() => null);
      if (r?.status !== 200) failures++;
      done++;
    }
  };
  const workers = [worker(), worker()];
  const serials = new Set<string>();
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setTimeout(r, 150));
    const m = p.ca.workload(SERVER_ID);
    serials.add(new X509Certificate(m.certChain).serialNumber);
    p.serverIdentity.set(m);
  }
  await new Promise((r) => setTimeout(r, 150));
  stop = true;
  await Promise.all(workers);
  assert.equal(serials.size, 3);
  assert.ok(done > 10, `only ${done} requests made`);
  assert.equal(failures, 0, `${failures} of ${done} requests failed across rotations`);
  assert.ok(p.server.proxy.stats.certificatesReceived >= 4);
});

test('DestinationRule TLS: SIMPLE and MUTUAL origination from files with SNI and SAN checks; DISABLE sends plaintext to a STRICT server', async (t) => {
  const ca = makeTestCa(t, 'External Root');
  const server = ca.leaf('api.example.com', 'DNS:api.example.com');
  const seen: { sni: string | null; clientCert: boolean }[] = [];
  const https = await import('node:https');
  const srv = https.createServer({ key: server.key, cert: server.cert, ca: ca.rootPem, requestCert: true, rejectUnauthorized: false }, (req, res) => {
    const sock = req.socket as import('node:tls').TLSSocket;
    seen.push({ sni: (sock as unknown as { servername?: string }).servername ?? null, clientCert: sock.authorized });
    res.end(`secure ${req.headers.host ?? ''}`);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  t.after(() => new Promise<void>((r) => { srv.closeAllConnections(); srv.close(() => r()); }));
  const port = (srv.address() as { port: number }).port;
  const client = await startTestProxy(t, { discovery: null, podName: 'app-0', namespace: 'foo' });
  const cluster = `outbound|${port}||api.example.com`;
  const configure = async (tls: Record<string, unknown> | null, disabled = false) => {
    const cfg = makeConfig({
      version: `dr${++versions}`,
      routes: [table(String(port), ['api.example.com', `api.example.com:${port}`], [fwd('to-api', [[cluster, 1]])])],
      clusters: [{ name: cluster, endpoints: [{ address: '127.0.0.1', port }] }],
    });
    const c = cfg.clusters[0] as unknown as Record<string, unknown>;
    if (tls !== null) c['tls'] = tls;
    if (disabled) c['tlsDisabled'] = true;
    assert.deepEqual(await client.proxy.applyConfig(cfg), { ok: true });
  };
  const get = () => send(client.outboundPort as number, `http://api.example.com:${port}/`);

  await configure({ mode: 'SIMPLE', caCertificates: ca.rootFile, sni: 'api.example.com' });
  let r = await get();
  assert.equal(r.status, 200, r.text);
  assert.match(r.text, /^secure api\.example\.com/);
  assert.deepEqual(seen.at(-1), { sni: 'api.example.com', clientCert: false });

  await configure({ mode: 'SIMPLE', caCertificates: ca.rootFile, sni: 'api.example.com', subjectAltNames: ['other.example.com'] });
  r = await get();
  assert.equal(r.status, 503);
  assert.match(String(r.headers['x-isthmus-reason']), /ERR_TLS_SAN_MISMATCH/);

  // Without caCertificates the system roots apply: our test root is not among them.
  await configure({ mode: 'SIMPLE', sni: 'api.example.com' });
  assert.equal((await get()).status, 503);

  const clientCert = ca.leaf('client', 'DNS:client.example.com');
  await configure({ mode: 'MUTUAL', caCertificates: ca.rootFile, sni: 'api.example.com', clientCertificate: clientCert.certFile, privateKey: clientCert.keyFile });
  r = await get();
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(seen.at(-1), { sni: 'api.example.com', clientCert: true });

  await configure({ mode: 'MUTUAL', caCertificates: ca.rootFile, clientCertificate: '/nonexistent/cert.pem', privateKey: clientCert.keyFile });
  r = await get();
  assert.equal(r.status, 503);
  assert.match(String(r.headers['x-isthmus-reason']), /clientCertificate: cannot read \/nonexistent\/cert\.pem/);

  // DISABLE toward a STRICT sidecar: plaintext, which the server resets.
  const p = await pair(t, 'STRICT');
  const cfg = clientConfig(p.podIp, p.port, SERVER_ID);
  (cfg.clusters[0] as unknown as Record<string, unknown>)['tlsDisabled'] = true;
  assert.deepEqual(await p.client.proxy.applyConfig(cfg), { ok: true });
  const plain = await viaClient(p);
  assert.equal(plain.status, 503);
});
