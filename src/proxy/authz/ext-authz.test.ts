import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test, type TestContext } from 'node:test';
import type { ExtAuthzProvider } from '../../api/index.ts';
import { ExtAuthzClient } from './ext-authz.ts';
import { fakeRequest } from './test-support.ts';

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  remotePort: number;
}

/** An authorizer on 127.0.0.1 that records each check and answers with `answer`; closed after the test. */
async function authorizer(t: TestContext, answer: (req: http.IncomingMessage, res: http.ServerResponse) => void): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, remotePort: req.socket.remotePort ?? 0 });
      answer(req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

/** A client with its own agent, destroyed after the test so no socket outlives it. */
function client(t: TestContext, p: Partial<ExtAuthzProvider> & { url: string }): ExtAuthzClient {
  const agent = new http.Agent({ keepAlive: true });
  t.after(() => agent.destroy());
  const provider: ExtAuthzProvider = {
    name: 'ext',
    timeoutMs: 2000,
    failOpen: false,
    includeRequestHeadersInCheck: [],
    headersToUpstreamOnAllow: [],
    headersToDownstreamOnDeny: [],
    statusOnError: 403,
    ...p,
  };
  return new ExtAuthzClient(provider, { agent });
}

async function freePort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

const request = fakeRequest({
  method: 'POST',
  authority: 'httpbin.foo:8000',
  path: '/anything/x?y=1',
  headers: { authorization: 'Bearer t0k', 'x-ext-authz': 'allow', cookie: 'secret=1', 'content-type': 'application/json' },
});

describe('ExtAuthzClient against a local authorizer', () => {
  test('allow: the check carries method, prefixed path with query, host and the listed headers only, no body', async (t) => {
    const az = await authorizer(t, (_req, res) => {
      res.writeHead(200, { 'x-user': 'alice', 'x-internal': 'nope', 'x-multi': ['a', 'b'] });
      res.end('ok');
    });
    const c = client(t, { url: `${az.url}/base/`, pathPrefix: '/check', includeRequestHeadersInCheck: ['x-ext-authz', 'Authorization', 'x-absent', ':authority', 'host'], headersToUpstreamOnAllow: ['x-user', 'x-multi', 'x-missing'] });
    const v = await c.check(request);
    assert.deepEqual(v, { allowed: true, status: 200, body: '', headers: [['x-user', 'alice'], ['x-multi', 'a, b']], failed: false, reason: 'allowed (200)' });
    assert.equal(az.seen.length, 1);
    const s = az.seen[0] as Seen;
    assert.equal(s.method, 'POST');
    assert.equal(s.url, '/base/check/anything/x?y=1');
    assert.equal(s.body, '');
    assert.equal(s.headers['host'], 'httpbin.foo:8000');
    assert.equal(s.headers['content-length'], '0');
    assert.equal(s.headers['x-ext-authz'], 'allow');
    assert.equal(s.headers['authorization'], 'Bearer t0k');
    assert.equal(s.headers['cookie'], undefined, 'unlisted headers are not sent');
    assert.equal(s.headers['content-type'], undefined);
    assert.equal(s.headers['x-absent'], undefined);
  });

  test('with no headers listed, only authorization is sent', async (t) => {
    const az = await authorizer(t, (_req, res) => res.writeHead(204).end());
    const v = await client(t, { url: az.url }).check(request);
    assert.equal(v.allowed, true);
    assert.equal(v.reason, 'allowed (204)');
    const h = (az.seen[0] as Seen).headers;
    assert.equal(h['authorization'], 'Bearer t0k');
    assert.equal(h['x-ext-authz'], undefined);
    assert.equal((az.seen[0] as Seen).url, '/anything/x?y=1');
  });

  test('deny: the authorizer status, body and the listed headers', async (t) => {
    const az = await authorizer(t, (_req, res) => {
      res.writeHead(401, { 'www-authenticate': 'Bearer realm="x"', 'x-reason': 'no', 'x-secret': 's' });
      res.end('denied by ext_authz for testing purpose');
    });
    const v = await client(t, { url: az.url, headersToDownstreamOnDeny: ['www-authenticate', 'x-reason'] }).check(request);
    assert.deepEqual(v, {
      allowed: false,
      status: 401,
      body: 'denied by ext_authz for testing purpose',
      headers: [
        ['www-authenticate', 'Bearer realm="x"'],
        ['x-reason', 'no'],
      ],
      failed: false,
      reason: 'denied (401)',
    });
  });

  test('a 3xx or 5xx answer is a denial with that status, not a failure', async (t) => {
    const az = await authorizer(t, (req, res) => {
      if (req.url === '/login') res.writeHead(302, { location: '/sso' }).end();
      else res.writeHead(503).end('busy');
    });
    const c = client(t, { url: az.url, headersToDownstreamOnDeny: ['location'] });
    const redirect = await c.check(fakeRequest({ path: '/login' }));
    assert.equal(redirect.allowed, false);
    assert.equal(redirect.status, 302);
    assert.deepEqual(redirect.headers, [['location', '/sso']]);
    const busy = await c.check(fakeRequest({ path: '/x' }));
    assert.deepEqual([busy.allowed, busy.status, busy.body, busy.failed], [false, 503, 'busy', false]);
  });

  test('checks reuse a kept-alive connection', async (t) => {
    const az = await authorizer(t, (_req, res) => res.writeHead(200).end());
    const c = client(t, { url: az.url });
    await c.check(request);
    await c.check(request);
    assert.equal(az.seen.length, 2);
    assert.equal((az.seen[0] as Seen).remotePort, (az.seen[1] as Seen).remotePort);
  });

  test('timeout: denied with statusOnError, or allowed with failOpen', async (t) => {
    const az = await authorizer(t, () => {
      /* never answers */
    });
    const started = Date.now();
    const denied = await client(t, { url: az.url, timeoutMs: 100, statusOnError: 503 }).check(request);
    assert.deepEqual(denied, { allowed: false, status: 503, body: '', headers: [], failed: true, reason: 'timed out after 100 ms' });
    assert.ok(Date.now() - started < 1500, 'the timeout cut the check short');
    const open = await client(t, { url: az.url, timeoutMs: 100, failOpen: true }).check(request);
    assert.deepEqual([open.allowed, open.failed, open.reason], [true, true, 'timed out after 100 ms (failOpen: allowed)']);
  });

  test('connection refused: denied with statusOnError (403 when unset), or allowed with failOpen', async (t) => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const denied = await client(t, { url, statusOnError: 0 }).check(request);
    assert.equal(denied.allowed, false);
    assert.equal(denied.status, 403);
    assert.equal(denied.failed, true);
    assert.match(denied.reason, /^ECONNREFUSED/);
    const open = await client(t, { url, failOpen: true }).check(request);
    assert.equal(open.allowed, true);
    assert.equal(open.failed, true);
    assert.match(open.reason, /^ECONNREFUSED.*\(failOpen: allowed\)$/);
  });

  test('the authorizer dropping the connection mid-answer is a failure', async (t) => {
    const az = await authorizer(t, (_req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('partial');
      setTimeout(() => res.socket?.destroy(), 10);
    });
    const v = await client(t, { url: az.url }).check(request);
    assert.deepEqual([v.allowed, v.status, v.failed], [false, 403, true]);
  });

  test('an unusable URL fails every check without I/O', async (t) => {
    const bad = await client(t, { url: 'not a url' }).check(request);
    assert.deepEqual([bad.allowed, bad.failed, bad.reason], [false, true, 'authorizer URL "not a url" is not a URL']);
    const https = await client(t, { url: 'https://127.0.0.1:1', failOpen: true }).check(request);
    assert.deepEqual([https.allowed, https.failed], [true, true]);
  });
});
