import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test, type TestContext } from 'node:test';
import { compactVerify, createLocalJWKSet, exportJWK, generateKeyPair, SignJWT, type JSONWebKeySet, type JWK } from 'jose';
import { canonicalJwks } from './canonical-jwks.ts';
import { JwksResolver, type JwksResolverOptions } from './jwks-resolver.ts';
import { parseTimeoutMs } from './parse-timeout.ts';

/** A JWKS server on 127.0.0.1 whose answer the test changes through `reply`. */
interface JwksServer {
  url: string;
  hits: number;
  reply: (req: http.IncomingMessage, res: http.ServerResponse) => void;
}

async function jwksServer(t: TestContext, body: string): Promise<JwksServer> {
  const s: JwksServer = {
    url: '',
    hits: 0,
    reply: (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(body),
  };
  const server = http.createServer((req, res) => {
    s.hits++;
    s.reply(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  s.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
  t.after(
    () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  return s;
}

async function keyPair(kid: string): Promise<{ jwk: JWK; sign: (claims: Record<string, unknown>) => Promise<string> }> {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  return {
    jwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256' },
    sign: (claims) => new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid }).sign(privateKey),
  };
}

/** A resolver that records onChange calls, closed when the test ends. */
function resolver(t: TestContext, opts: JwksResolverOptions = {}): { r: JwksResolver; changes: () => number; nextChange: () => Promise<void> } {
  let n = 0;
  let waiters: (() => void)[] = [];
  const r = new JwksResolver({
    ...opts,
    onChange: () => {
      n++;
      const w = waiters;
      waiters = [];
      for (const f of w) f();
    },
  });
  t.after(() => r.close());
  return { r, changes: () => n, nextChange: () => new Promise<void>((resolve) => waiters.push(resolve)) };
}

function kids(jwks: string | undefined): string[] {
  return (JSON.parse(jwks ?? '{"keys":[]}') as { keys: JWK[] }).keys.map((k) => k.kid ?? '');
}

describe('JwksResolver', () => {
  test('fetches a JWKS: pending first, then keys that verify tokens, with one onChange', async (t) => {
    const k = await keyPair('k1');
    const srv = await jwksServer(t, JSON.stringify({ keys: [k.jwk] }));
    const { r, changes, nextChange } = resolver(t);
    const changed = nextChange();
    assert.deepEqual(r.lookup(srv.url), { pending: true });
    await changed;
    const got = r.lookup(srv.url);
    assert.equal(got.error, undefined);
    assert.deepEqual(kids(got.jwks), ['k1']);
    const keys = createLocalJWKSet(JSON.parse(got.jwks ?? '') as JSONWebKeySet);
    await compactVerify(await k.sign({ sub: 'x' }), keys);
    assert.equal(changes(), 1);
    assert.equal(r.lookup(srv.url), got, 'an unchanged answer is the same object');
    assert.equal(srv.hits, 1);
  });

  test('a refresh picks up a rotated key and fires onChange; an identical refresh does not', async (t) => {
    const k1 = await keyPair('k1');
    const k2 = await keyPair('k2');
    const srv = await jwksServer(t, JSON.stringify({ keys: [k1.jwk] }));
    const { r, changes, nextChange } = resolver(t, { refreshMs: 60 });
    r.lookup(srv.url);
    await nextChange();
    // Same content, reformatted: fetched again, no change.
    srv.reply = (_q, res) => res.end(JSON.stringify({ keys: [k1.jwk] }, null, 2));
    const before = srv.hits;
    while (srv.hits < before + 2) await new Promise((res) => setTimeout(res, 20));
    assert.equal(changes(), 1);
    srv.reply = (_q, res) => res.end(JSON.stringify({ keys: [k1.jwk, k2.jwk] }));
    await nextChange();
    assert.deepEqual(kids(r.lookup(srv.url).jwks), ['k1', 'k2']);
    assert.equal(changes(), 2);
  });

  test('a failed refresh keeps the last good copy and reports nothing', async (t) => {
    const k = await keyPair('k1');
    const srv = await jwksServer(t, JSON.stringify({ keys: [k.jwk] }));
    const { r, changes, nextChange } = resolver(t);
    r.lookup(srv.url);
    await nextChange();
    const good = r.lookup(srv.url);
    srv.reply = (_q, res) => res.writeHead(503).end('unavailable');
    await r.refresh(srv.url);
    assert.equal(r.lookup(srv.url), good);
    assert.equal(changes(), 1);
    const st = r.status()[0];
    assert.equal(st?.ok, true);
    assert.equal(st?.lastError, 'HTTP 503');
  });

  test('with no good copy a failure is an error, retried with backoff until it works', async (t) => {
    const k = await keyPair('k1');
    const srv = await jwksServer(t, '');
    srv.reply = (_q, res) => res.writeHead(500).end();
    const { r, nextChange } = resolver(t, { retryMs: 20 });
    const changed = nextChange();
    r.lookup(srv.url);
    await changed;
    assert.deepEqual(r.lookup(srv.url), { error: `cannot fetch JWKS from ${srv.url}: HTTP 500` });
    srv.reply = (_q, res) => res.end(JSON.stringify({ keys: [k.jwk] }));
    await nextChange();
    assert.deepEqual(kids(r.lookup(srv.url).jwks), ['k1']);
  });

  test('a server that does not answer times out after the rule timeout', async (t) => {
    const srv = await jwksServer(t, '');
    srv.reply = () => {}; // never answers; closed with the server
    const { r } = resolver(t, { retryMs: 60_000 });
    r.lookup(srv.url, '100ms');
    await r.settled();
    assert.deepEqual(r.lookup(srv.url), { error: `cannot fetch JWKS from ${srv.url}: timed out after 100 ms` });
  });

  test('a body that stalls half way also times out', async (t) => {
    const srv = await jwksServer(t, '');
    srv.reply = (_q, res) => {
      res.writeHead(200);
      res.write('{"keys": [');
    };
    const { r } = resolver(t, { retryMs: 60_000, timeoutMs: 100 });
    r.lookup(srv.url);
    await r.settled();
    assert.match(r.lookup(srv.url).error ?? '', /timed out after 100 ms$/);
  });

  test('oversized bodies are refused, declared or streamed', async (t) => {
    const big = JSON.stringify({ keys: [{ kty: 'EC', x: 'a'.repeat(5000) }] });
    const srv = await jwksServer(t, big);
    const { r } = resolver(t, { maxBytes: 1000, retryMs: 60_000 });
    r.lookup(srv.url);
    await r.settled();
    assert.match(r.lookup(srv.url).error ?? '', /larger than the 1000 byte limit/);
    srv.reply = (_q, res) => {
      res.writeHead(200); // chunked: no length up front
      for (let i = 0; i < 10; i++) res.write('x'.repeat(500));
      res.end();
    };
    const chunked = `${srv.url}?chunked`;
    r.lookup(chunked);
    await r.settled();
    assert.match(r.lookup(chunked).error ?? '', /body is larger than the 1000 byte limit/);
  });

  test('invalid JSON and JSON that is not a key set are errors', async (t) => {
    const srv = await jwksServer(t, '{"keys": [');
    const { r } = resolver(t, { retryMs: 60_000 });
    r.lookup(srv.url);
    await r.settled();
    assert.match(r.lookup(srv.url).error ?? '', /JWKS is not valid JSON/);
    srv.reply = (_q, res) => res.end('{"issuer": "x"}');
    const u2 = `${srv.url}?2`;
    r.lookup(u2);
    await r.settled();
    assert.match(r.lookup(u2).error ?? '', /JWKS has no "keys" array/);
  });

  test('connection refused is an error, not an exception', async (t) => {
    // A port that was just free: bound, then closed.
    const probe = http.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const { r } = resolver(t, { retryMs: 60_000 });
    const dead = `http://127.0.0.1:${port}/jwks.json`;
    r.lookup(dead);
    await r.settled();
    assert.deepEqual(r.lookup(dead), { error: `cannot fetch JWKS from ${dead}: fetch failed: ECONNREFUSED` });
  });

  test('bounded: non-http URIs and URIs beyond the limit are errors', async (t) => {
    const srv = await jwksServer(t, JSON.stringify({ keys: [(await keyPair('k')).jwk] }));
    const { r } = resolver(t, { maxUris: 2 });
    assert.match(r.lookup('file:///etc/passwd').error ?? '', /must use http or https/);
    assert.match(r.lookup('not a url').error ?? '', /is not a URL/);
    r.lookup(`${srv.url}?a`);
    r.lookup(`${srv.url}?b`);
    assert.match(r.lookup(`${srv.url}?c`).error ?? '', /too many jwksUri values \(limit 2\)/);
    await r.settled();
    assert.equal(r.status().length, 2);
    // Releasing one makes room.
    r.retain([`${srv.url}?a`]);
    assert.deepEqual(r.lookup(`${srv.url}?c`), { pending: true });
    await r.settled();
  });

  test('close stops refreshing', async (t) => {
    const srv = await jwksServer(t, JSON.stringify({ keys: [(await keyPair('k')).jwk] }));
    const { r, nextChange } = resolver(t, { refreshMs: 20 });
    r.lookup(srv.url);
    await nextChange();
    r.close();
    const hits = srv.hits;
    await new Promise((res) => setTimeout(res, 100));
    assert.equal(srv.hits, hits);
    assert.ok(r.lookup(srv.url).jwks !== undefined, 'lookups still answer what is known');
  });

  test('a throwing onChange is contained', async (t) => {
    const srv = await jwksServer(t, JSON.stringify({ keys: [(await keyPair('k')).jwk] }));
    const warned: string[] = [];
    const r = new JwksResolver({
      onChange: () => {
        throw new Error('push failed');
      },
      log: { info() {}, warn: (m) => warned.push(m) },
    });
    t.after(() => r.close());
    r.lookup(srv.url);
    await r.settled();
    await new Promise((res) => setImmediate(res));
    assert.deepEqual(warned, ['JWKS onChange callback failed']);
  });
});

describe('canonicalJwks', () => {
  test('drops private and symmetric keys, and re-serialises', () => {
    const pub = { kty: 'RSA', n: 'abc', e: 'AQAB', kid: 'a' };
    const out = canonicalJwks(JSON.stringify({ keys: [pub, { ...pub, kid: 'b', d: 'secret' }, { kty: 'oct', k: 'c2VjcmV0' }, 'junk'], extra: 1 }, null, 2));
    assert.deepEqual(out, { jwks: JSON.stringify({ keys: [pub] }) });
    assert.deepEqual(canonicalJwks('{"keys": []}'), { error: 'JWKS has no keys' });
    assert.deepEqual(canonicalJwks('{"keys": [{"kty": "oct", "k": "x"}]}'), { error: 'JWKS has no usable public keys' });
    assert.deepEqual(canonicalJwks('[1]'), { error: 'JWKS is not a JSON object' });
  });
});

describe('parseTimeoutMs', () => {
  test('durations as Istio writes them', () => {
    assert.equal(parseTimeoutMs('5s', 1), 5000);
    assert.equal(parseTimeoutMs('1.5s', 1), 1500);
    assert.equal(parseTimeoutMs('500ms', 1), 500);
    assert.equal(parseTimeoutMs('1m30s', 1), 90_000);
    assert.equal(parseTimeoutMs(250, 1), 250);
    assert.equal(parseTimeoutMs(undefined, 5000), 5000);
    assert.equal(parseTimeoutMs('soon', 5000), 5000);
    assert.equal(parseTimeoutMs('5', 5000), 5000);
    assert.equal(parseTimeoutMs('0s', 5000), 5000);
  });
});
