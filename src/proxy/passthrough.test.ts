// TLS passthrough at a gateway: the ClientHello's SNI picks a route and the encrypted bytes go
// to the backend untouched (curl verifies the backend's own certificate); SNI that no route
// names goes to the port's terminating servers, or is closed when there are none.

import assert from 'node:assert/strict';
import { createServer as createHttpsServer } from 'node:https';
import { test, type TestContext } from 'node:test';
import type { Listener } from '../api/index.ts';
import { closedPort, curl, makeConfig, startTestProxy } from './test-support.ts';
import { makeTestCa } from './test-pki.ts';

async function backend(t: TestContext, name: string, cert: { key: string; cert: string }): Promise<number> {
  const srv = createHttpsServer({ key: cert.key, cert: cert.cert }, (_req, res) => res.end(`${name} over its own TLS\n`));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  t.after(() => new Promise<void>((r) => { srv.closeAllConnections(); srv.close(() => r()); }));
  return (srv.address() as { port: number }).port;
}

test('gateway PASSTHROUGH: SNI routes encrypted connections to their backends; other names are terminated or closed', async (t) => {
  const ca = makeTestCa(t, 'Backend Root');
  const nginx = ca.leaf('nginx', 'DNS:nginx.example.com');
  const api = ca.leaf('api', 'DNS:api.example.com');
  const term = ca.leaf('site', 'DNS:site.example.com');
  const nginxPort = await backend(t, 'nginx', nginx);
  const apiPort = await backend(t, 'api', api);
  const hostPort = await closedPort();
  const gw = await startTestProxy(t, { discovery: null, role: 'gateway', podName: 'gw-0', namespace: 'istio-system', outbound: null, bindAddress: '127.0.0.1', portMap: new Map([[8443, hostPort]]) });
  const listener: Listener = {
    name: '0.0.0.0_8443', direction: 'gateway', address: '0.0.0.0', port: 8443, protocol: 'HTTP', routeTable: 'http.8443',
    passthrough: [
      { name: 'default/nginx#tls0', sniHosts: ['nginx.example.com'], clusters: [{ cluster: 'outbound|443||nginx', weight: 100 }] },
      { name: 'default/api#tls0', sniHosts: ['*.api.example.com', 'api.example.com'], clusters: [{ cluster: 'outbound|443||api', weight: 100 }] },
    ],
  };
  const cfg = makeConfig({
    role: 'gateway',
    listeners: [listener],
    routes: [{ name: 'http.8443', virtualHosts: [{ name: 'site', domains: ['*'], routes: [{ name: 'site', match: {}, directResponse: { status: 200, body: 'terminated at the gateway\n' } }] }] }],
    clusters: [{ name: 'outbound|443||nginx', endpoints: [{ address: '127.0.0.1', port: nginxPort }] }, { name: 'outbound|443||api', endpoints: [{ address: '127.0.0.1', port: apiPort }] }],
  });
  assert.deepEqual(await gw.proxy.applyConfig(cfg), { ok: true });
  const https = (host: string) => curl(['--cacert', ca.rootFile, '--resolve', `${host}:${hostPort}:127.0.0.1`, `https://${host}:${hostPort}/`]);

  let r = await https('nginx.example.com');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'nginx over its own TLS\n');
  r = await https('api.example.com');
  assert.equal(r.stdout, 'api over its own TLS\n');
  // No route and no terminating server on the port: the connection is closed.
  r = await https('other.example.com');
  assert.notEqual(r.code, 0);

  // With a terminating server on the same port, names without a passthrough route are terminated there.
  (cfg.listeners[0] as Listener).tls = [{ hosts: ['site.example.com'], mode: 'SIMPLE', serverCertificate: term.certFile, privateKey: term.keyFile, source: 'test' }];
  cfg.version = 'v2';
  assert.deepEqual(await gw.proxy.applyConfig(cfg), { ok: true });
  r = await https('site.example.com');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'terminated at the gateway\n');
  r = await https('nginx.example.com');
  assert.equal(r.stdout, 'nginx over its own TLS\n');
  // Plain HTTP on a TLS port is not a ClientHello: closed.
  r = await curl([`http://127.0.0.1:${hostPort}/`]);
  assert.notEqual(r.code, 0);
});
