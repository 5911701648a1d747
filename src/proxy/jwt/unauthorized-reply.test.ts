// The 401 on a real HTTP/1.1 connection: its head is built by the filter, so check what a client
// receives, and that the connection stays usable afterwards.

import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { test } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { compose } from '../filter.ts';
import { ConnectionRegistry } from '../connection-registry.ts';
import { Http1ServerConnection, type ListenerContext } from '../http1-server.ts';
import { ProxyStats } from '../stats.ts';
import { quietLog } from '../test-support.ts';
import { createJwtFilter } from './jwt-filter.ts';
import { JwtFailure } from './jwt-failure.ts';

function get(agent: http.Agent, port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string; socket: net.Socket }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, headers, agent }, (res) => {
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, socket: req.socket as net.Socket }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('a refused token gets 401 with WWW-Authenticate over the wire, and the connection is kept', async (t) => {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k' }] });
  const filter = createJwtFilter([{ name: 'ns/ra#0', issuer: 'iss', resolvedJwks: jwks }], { log: quietLog });
  assert.ok(filter !== null);
  const registry = new ConnectionRegistry();
  t.after(() => registry.stop());
  const ctx: ListenerContext = {
    kind: 'inbound',
    role: 'sidecar',
    configPort: 0,
    handler: compose([filter], (ex) => ex.directReply(200, `hello ${ex.jwt?.principal ?? 'anonymous'}`)),
    stats: new ProxyStats(),
    registry,
    connections: new Set(),
    options: { reasonHeader: true },
  };
  const server = net.createServer((s) => new Http1ServerConnection(s, ctx));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as net.AddressInfo).port;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  t.after(async () => {
    agent.destroy();
    for (const c of ctx.connections) c.socket.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });

  const bad = await get(agent, port, '/headers?access_token=deadbeef');
  assert.equal(bad.status, 401);
  assert.equal(bad.body, JwtFailure.BadFormat);
  assert.equal(bad.headers['www-authenticate'], `Bearer realm="http://127.0.0.1:${port}/headers", error="invalid_token"`);
  assert.equal(bad.headers['content-type'], 'text/plain');

  const token = await new SignJWT({ iss: 'iss', sub: 'me' }).setProtectedHeader({ alg: 'ES256', kid: 'k' }).sign(privateKey);
  const good = await get(agent, port, '/headers', { authorization: `Bearer ${token}` });
  assert.equal(good.status, 200);
  assert.equal(good.body, 'hello iss/me');
  assert.equal(good.socket, bad.socket, 'the 401 kept the connection open');

  const none = await get(agent, port, '/headers');
  assert.equal(none.body, 'hello anonymous');
  assert.equal(ctx.stats.byStatus[401], 1);
});
