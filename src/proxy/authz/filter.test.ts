import assert from 'node:assert/strict';
import diagnostics from 'node:diagnostics_channel';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test, type TestContext } from 'node:test';
import type { AuthzPolicyConfig, ExtAuthzProvider } from '../../api/index.ts';
import type { Logger } from '../../shared/index.ts';
import type { Exchange } from '../exchange.ts';
import { AUTHZ_CHANNEL, type AuthzEvent, createAuthzFilter } from './filter.ts';
import { type FakeExchange, fakeExchange, type FakeRequest } from './test-support.ts';

interface LogLine {
  level: string;
  msg: string;
  fields: Record<string, unknown> | undefined;
}

function recordingLog(): Logger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at = (level: string) => (msg: string, fields?: Record<string, unknown>) => void lines.push({ level, msg, fields });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** Runs one request through the filter; `passed` says whether the next handler ran. */
function run(policies: AuthzPolicyConfig[], r: FakeRequest, log = recordingLog()): { ex: FakeExchange; passed: boolean } {
  const filter = createAuthzFilter(policies, { log });
  assert.ok(filter);
  let passed = false;
  const ex = fakeExchange(r);
  filter(() => {
    passed = true;
  })(ex);
  return { ex, passed };
}

const denyAdmin: AuthzPolicyConfig = { name: 'foo/deny-admin', action: 'DENY', rules: [{ to: [{ operation: { paths: ['/admin*'] } }] }] };
const allowGet: AuthzPolicyConfig = { name: 'foo/allow-get', action: 'ALLOW', rules: [{ to: [{ operation: { methods: ['GET'] } }] }] };

describe('authorization filter (DENY / ALLOW)', () => {
  test('no policies: no filter', () => {
    assert.equal(createAuthzFilter([], { log: recordingLog() }), null);
  });

  test('allowed requests go on synchronously', () => {
    const { ex, passed } = run([denyAdmin, allowGet], { method: 'GET', path: '/productpage' });
    assert.equal(passed, true);
    assert.equal(ex.reply, null);
  });

  test('a DENY match answers 403 "RBAC: access denied" without a response flag, logged at debug with the policy', () => {
    const log = recordingLog();
    const { ex, passed } = run([denyAdmin, allowGet], { method: 'GET', path: '//admin' }, log);
    assert.equal(passed, false);
    assert.deepEqual(ex.reply, { kind: 'direct', status: 403, body: 'RBAC: access denied' });
    assert.equal(ex.flags, '');
    const line = log.lines.find((l) => l.level === 'debug');
    assert.equal(line?.fields?.['policy'], 'foo/deny-admin');
  });

  test('no ALLOW match: 403 as well', () => {
    const { ex, passed } = run([allowGet], { method: 'POST' });
    assert.equal(passed, false);
    assert.deepEqual(ex.reply, { kind: 'direct', status: 403, body: 'RBAC: access denied' });
  });

  test('allow-nothing denies the bookinfo productpage', () => {
    const { ex } = run([{ name: 'default/allow-nothing', action: 'ALLOW', rules: [] }], { path: '/productpage' });
    assert.equal(ex.reply?.status, 403);
  });

  test('dry-run results are logged and enforced nothing; AUDIT and decisions reach the diagnostics channel', (t) => {
    const events: AuthzEvent[] = [];
    const onEvent = (m: unknown) => void events.push(m as AuthzEvent);
    diagnostics.subscribe(AUTHZ_CHANNEL, onEvent);
    t.after(() => diagnostics.unsubscribe(AUTHZ_CHANNEL, onEvent));
    const log = recordingLog();
    const policies: AuthzPolicyConfig[] = [{ ...denyAdmin, dryRun: true }, { name: 'foo/audit-admin', action: 'AUDIT', rules: [{ to: [{ operation: { paths: ['/admin*'] } }] }] }];
    const { ex, passed } = run(policies, { path: '/admin' }, log);
    assert.equal(passed, true);
    assert.equal(ex.reply, null);
    assert.deepEqual(
      log.lines.filter((l) => l.level === 'info').map((l) => l.fields?.['result']),
      ['dry-run policy foo/deny-admin would deny'],
    );
    assert.deepEqual(events, [{ method: 'GET', authority: 'svc.ns.svc.cluster.local:8080', path: '/admin', allowed: true, reason: 'no-allow-policy', policy: null, audited: 'foo/audit-admin', shadow: ['dry-run policy foo/deny-admin would deny'] }]);
  });

  test('policy problems are logged as warnings when the filter is built', () => {
    const log = recordingLog();
    createAuthzFilter([{ name: 'foo/bad', action: 'ALLOW', rules: [{ from: [{ source: { ipBlocks: ['nope'] } }] }] }], { log });
    assert.equal(log.lines.filter((l) => l.level === 'warn').length, 1);
  });
});

// ---- CUSTOM ----

async function authorizer(t: TestContext, answer: (req: http.IncomingMessage, res: http.ServerResponse) => void): Promise<{ url: string; checks: string[] }> {
  const checks: string[] = [];
  const server = http.createServer((req, res) => {
    checks.push(`${req.method} ${req.url}`);
    req.resume();
    req.on('end', () => answer(req, res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, checks };
}

function provider(url: string, p: Partial<ExtAuthzProvider> = {}): ExtAuthzProvider {
  return { name: 'sample-ext-authz', url, timeoutMs: 1000, failOpen: false, includeRequestHeadersInCheck: ['x-ext-authz'], headersToUpstreamOnAllow: ['x-ext-authz-check-result'], headersToDownstreamOnDeny: ['x-ext-authz-check-result'], statusOnError: 403, ...p };
}

/** Runs one request and waits until the filter replied or passed it on, or `maxWaitMs` elapsed. */
async function runAsync(t: TestContext, policies: AuthzPolicyConfig[], r: FakeRequest, mutate?: (ex: FakeExchange) => void, maxWaitMs = 1500): Promise<{ ex: FakeExchange; passed: boolean; log: ReturnType<typeof recordingLog> }> {
  const agent = new http.Agent({ keepAlive: true });
  t.after(() => agent.destroy());
  const log = recordingLog();
  const filter = createAuthzFilter(policies, { log, agent });
  assert.ok(filter);
  const ex = fakeExchange(r);
  let passed = false;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const origDirect = ex.directReply.bind(ex);
  const origLocal = ex.localReply.bind(ex);
  ex.directReply = (s, b, h) => {
    origDirect(s, b, h);
    done();
  };
  ex.localReply = (s, f, reason) => {
    origLocal(s, f, reason);
    done();
  };
  filter((_e: Exchange) => {
    passed = true;
    done();
  })(ex);
  mutate?.(ex);
  await Promise.race([finished, new Promise((resolve) => setTimeout(resolve, maxWaitMs))]);
  return { ex, passed, log };
}

const customOn = (url: string, p: Partial<ExtAuthzProvider> = {}): AuthzPolicyConfig => ({
  name: 'foo/ext-authz',
  action: 'CUSTOM',
  rules: [{ to: [{ operation: { paths: ['/headers'] } }] }],
  provider: provider(url, p),
});

const byHeader = (req: http.IncomingMessage, res: http.ServerResponse): void => {
  if (req.headers['x-ext-authz'] === 'allow') res.writeHead(200, { 'x-ext-authz-check-result': 'allowed' }).end();
  else res.writeHead(403, { 'x-ext-authz-check-result': 'denied' }).end('denied by ext_authz for testing purpose');
};

describe('authorization filter (CUSTOM)', () => {
  test('requests no CUSTOM policy matches are decided synchronously, without asking', async (t) => {
    const az = await authorizer(t, byHeader);
    const { ex, passed } = run([customOn(az.url)], { path: '/ip' });
    assert.equal(passed, true, 'next ran before the handler returned');
    assert.equal(ex.reply, null);
    assert.deepEqual(az.checks, []);
  });

  test('allowed: the authorizer headers are set on the upstream request, then the request goes on', async (t) => {
    const az = await authorizer(t, byHeader);
    const { ex, passed } = await runAsync(t, [customOn(az.url)], { path: '/headers', headers: { 'x-ext-authz': 'allow' } });
    assert.equal(passed, true);
    assert.deepEqual(az.checks, ['GET /headers']);
    assert.deepEqual([...(ex.headerEdits ?? new Map())], [['x-ext-authz-check-result', 'allowed']]);
  });

  test('denied: the authorizer status and body, flag UAEX', async (t) => {
    const az = await authorizer(t, byHeader);
    const { ex, passed } = await runAsync(t, [customOn(az.url)], { path: '/headers', headers: { 'x-ext-authz': 'deny' } });
    assert.equal(passed, false);
    assert.deepEqual(ex.reply, { kind: 'direct', status: 403, body: 'denied by ext_authz for testing purpose', headers: [['x-ext-authz-check-result', 'denied']] });
    assert.equal(ex.flags, 'UAEX');
  });

  test('authorizer down: statusOnError with flag UAEX and a warning, or on with failOpen', async (t) => {
    const s = http.createServer();
    await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
    await new Promise<void>((resolve) => s.close(() => resolve()));
    const closed = await runAsync(t, [customOn(url, { statusOnError: 503 })], { path: '/headers' });
    assert.equal(closed.passed, false);
    assert.equal(closed.ex.reply?.kind, 'local');
    assert.equal(closed.ex.reply?.status, 503);
    assert.equal(closed.ex.reply?.flag, 'UAEX');
    assert.equal(closed.log.lines.filter((l) => l.level === 'warn').length, 1);
    const open = await runAsync(t, [customOn(url, { failOpen: true })], { path: '/headers' });
    assert.equal(open.passed, true);
  });

  test('CUSTOM runs before DENY: a DENY still applies after the authorizer allowed, and sees its headers', async (t) => {
    const az = await authorizer(t, byHeader);
    const denyChecked: AuthzPolicyConfig = { name: 'foo/deny-checked', action: 'DENY', rules: [{ when: [{ key: 'request.headers[x-ext-authz-check-result]', values: ['allowed'] }] }] };
    const { ex, passed } = await runAsync(t, [customOn(az.url), denyChecked], { path: '/headers', headers: { 'x-ext-authz': 'allow' } });
    assert.equal(passed, false);
    assert.deepEqual(ex.reply, { kind: 'direct', status: 403, body: 'RBAC: access denied' });
    assert.deepEqual(az.checks, ['GET /headers']);
  });

  test('an authorizer denial wins over a DENY policy that also matches', async (t) => {
    const az = await authorizer(t, byHeader);
    const { ex } = await runAsync(t, [customOn(az.url), denyAdmin, { ...denyAdmin, name: 'foo/deny-headers', rules: [{ to: [{ operation: { paths: ['/headers'] } }] }] }], { path: '/headers' });
    assert.equal(ex.reply?.body, 'denied by ext_authz for testing purpose');
    assert.equal(ex.flags, 'UAEX');
  });

  test('two providers are asked in turn; a denial by the second ends the request', async (t) => {
    const first = await authorizer(t, (_req, res) => res.writeHead(200).end());
    const second = await authorizer(t, (_req, res) => res.writeHead(429).end('slow down'));
    const policies: AuthzPolicyConfig[] = [
      { ...customOn(first.url), name: 'foo/first' },
      { ...customOn(second.url), name: 'foo/second', provider: { ...provider(second.url), name: 'second' } },
    ];
    const { ex, passed } = await runAsync(t, policies, { path: '/headers' });
    assert.equal(passed, false);
    assert.deepEqual([first.checks.length, second.checks.length], [1, 1]);
    assert.deepEqual(ex.reply, { kind: 'direct', status: 429, body: 'slow down' });
  });

  test('the client went away while the authorizer answered: nothing more is done', async (t) => {
    let answered = 0;
    const az = await authorizer(t, (_req, res) => setTimeout(() => res.writeHead(200).end(() => answered++), 30));
    const { ex, passed } = await runAsync(
      t,
      [customOn(az.url)],
      { path: '/headers' },
      (e) => {
        e.closed = true;
      },
      300,
    );
    assert.equal(answered, 1, 'the authorizer did answer');
    assert.equal(passed, false);
    assert.equal(ex.reply, null);
    assert.deepEqual(az.checks, ['GET /headers']);
  });

  test('a throwing next handler after the answer becomes a 500, not an unhandled rejection', async (t) => {
    const az = await authorizer(t, (_req, res) => res.writeHead(200).end());
    const agent = new http.Agent({ keepAlive: true });
    t.after(() => agent.destroy());
    const filter = createAuthzFilter([customOn(az.url)], { log: recordingLog(), agent });
    assert.ok(filter);
    const ex = fakeExchange({ path: '/headers' });
    const replied = new Promise<void>((resolve) => {
      ex.localReply = (status, flag, reason) => {
        ex.reply = { kind: 'local', status, body: reason, flag };
        resolve();
      };
    });
    filter(() => {
      throw new Error('boom');
    })(ex);
    await replied;
    assert.deepEqual(ex.reply, { kind: 'local', status: 500, body: 'internal error: boom', flag: '-' });
  });
});
