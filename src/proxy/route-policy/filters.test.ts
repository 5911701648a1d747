import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compileRoutePolicy, type RoutePolicy } from './compile.ts';
import { routePolicyFilters, type RoutePolicyOptions } from './filters.ts';
import { redirectLocation } from './redirect-filter.ts';
import { exchange, run } from './test-support.ts';
import type { FakeRequest } from '../jwt/fake-exchange.ts';

function policy(raw: Record<string, unknown>): RoutePolicy {
  const c = compileRoutePolicy(raw);
  assert.deepEqual(c.problems, []);
  return c.policy;
}

function through(raw: Record<string, unknown>, req: FakeRequest = {}, opts: Partial<RoutePolicyOptions> = {}) {
  return run(routePolicyFilters(policy(raw), { routeName: 'ns/vs#0', ...opts }), exchange(req));
}

describe('routePolicyFilters', () => {
  test('a route without policy gets no filters (the same empty list each time)', () => {
    const a = routePolicyFilters(policy({}), { routeName: 'r' });
    assert.equal(a.length, 0);
    assert.equal(a, routePolicyFilters(policy({ mirror: {} }), { routeName: 'r' }));
  });

  test('replies made by the filters carry the route name', () => {
    const ex = through({ fault: { abort: { httpStatus: 503, percentage: { value: 100 } } } });
    assert.equal(ex.routeName, 'ns/vs#0');
  });
});

describe('fault', () => {
  test('abort: httpStatus, body "fault filter abort", flag FI; the request goes no further', () => {
    const ex = through({ fault: { abort: { httpStatus: 503, percentage: { value: 100 } } } });
    assert.equal(ex.status, 503);
    assert.equal(ex.body, 'fault filter abort');
    assert.equal(ex.flags, 'FI');
    assert.equal(ex.passed, false);
  });

  test('abort: grpcStatus is HTTP 200 with application/grpc and grpc-status', () => {
    const ex = through({ fault: { abort: { grpcStatus: 'UNAVAILABLE', percentage: { value: 100 } } } });
    assert.equal(ex.status, 200);
    assert.equal(ex.body, '');
    assert.equal(ex.responseHeaders['content-type'], 'application/grpc');
    assert.equal(ex.responseHeaders['grpc-status'], '14');
    assert.equal(ex.responseHeaders['grpc-message'], 'fault filter abort');
    assert.equal(ex.flags, 'FI');
    assert.equal(ex.passed, false);
  });

  test('abort percentage: random()*100 < percentage aborts; 0% never, absent = 100%', () => {
    const p = { fault: { abort: { httpStatus: 500, percentage: { value: 25 } } } };
    assert.equal(through(p, {}, { random: () => 0.2499 }).status, 500);
    assert.equal(through(p, {}, { random: () => 0.25 }).passed, true);
    assert.equal(through({ fault: { abort: { httpStatus: 500, percentage: { value: 0 } } } }, {}, { random: () => 0 }).passed, true);
    assert.equal(through({ fault: { abort: { httpStatus: 500, percentage: { value: 100 } } } }, {}, { random: () => 0.9999 }).status, 500);
    // Over many requests with Math.random, the share is near the percentage.
    const filters = routePolicyFilters(policy({ fault: { abort: { httpStatus: 500, percentage: { value: 30 } } } }), { routeName: 'r' });
    let aborted = 0;
    for (let i = 0; i < 2000; i++) if (run(filters, exchange()).status === 500) aborted++;
    assert.ok(aborted > 450 && aborted < 750, String(aborted));
  });

  test('delay: the request waits fixedDelay, then goes on with flag DI', async () => {
    const t0 = performance.now();
    const ex = through({ fault: { delay: { fixedDelay: '50ms', percentage: { value: 100 } } } });
    assert.equal(ex.passed, false);
    assert.equal(ex.flags, 'DI');
    await ex.settled;
    assert.ok(ex.passed);
    assert.ok(performance.now() - t0 >= 45);
  });

  test('delay not drawn: no wait, no flag', () => {
    const ex = through({ fault: { delay: { fixedDelay: '10s', percentage: { value: 10 } } } }, {}, { random: () => 0.5 });
    assert.ok(ex.passed);
    assert.equal(ex.flags, '');
  });

  test('delay then abort both apply: flags DI,FI', async () => {
    const ex = through({ fault: { delay: { fixedDelay: '5ms', percentage: { value: 100 } }, abort: { httpStatus: 429, percentage: { value: 100 } } } });
    await ex.settled;
    assert.equal(ex.status, 429);
    assert.equal(ex.flags, 'DI,FI');
  });

  test('a delayed request whose client left is dropped', async () => {
    const ex = through({ fault: { delay: { fixedDelay: '5ms', percentage: { value: 100 } } } });
    ex.closed = true;
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(ex.passed, false);
    assert.equal(ex.replies, 0);
  });
});

describe('headers', () => {
  test('request: remove, then set, then add (appended to what is there)', () => {
    const ex = through(
      { headers: { request: { set: { 'x-set': 'new', 'x-both': 'a' }, add: { 'x-add': 'two', 'x-both': 'b', 'x-fresh': 'f' }, remove: ['x-gone'] } } },
      { headers: { 'x-set': 'old', 'x-add': 'one', 'x-gone': 'bye' } },
    );
    assert.ok(ex.passed);
    assert.equal(ex.upstreamHeader('x-set'), 'new');
    assert.equal(ex.upstreamHeader('x-add'), 'one,two');
    assert.equal(ex.upstreamHeader('x-both'), 'a,b');
    assert.equal(ex.upstreamHeader('x-fresh'), 'f');
    assert.equal(ex.upstreamHeader('x-gone'), undefined);
  });

  test('response: set, add and remove go to the response header operations', () => {
    const ex = through({ headers: { response: { set: { 'x-s': '1' }, add: { 'x-a': '2' }, remove: ['server'] } } });
    assert.ok(ex.passed);
    assert.deepEqual(ex.responseLines(), ['x-s: 1', 'x-a: 2']);
    assert.ok(ex.responseHeaderOps.drops('server'));
    assert.ok(ex.responseHeaderOps.drops('x-s'));
  });
});

describe('rewrite', () => {
  const prefixMatch = { path: { prefix: '/api/v1' } };

  test('uri replaces the matched prefix; the query stays', () => {
    const ex = through({ rewrite: { uri: '/v2' } }, { path: '/api/v1/users?id=3' }, { match: prefixMatch });
    assert.equal(ex.upstreamPath, '/v2/users?id=3');
    assert.equal(ex.upstreamAuthority, null);
    assert.ok(ex.passed);
  });

  test('uri with an exact or regex match replaces the whole path', () => {
    assert.equal(through({ rewrite: { uri: '/b' } }, { path: '/a?q=1' }, { match: { path: { exact: '/a' } } }).upstreamPath, '/b?q=1');
    assert.equal(through({ rewrite: { uri: '/b' } }, { path: '/a/x' }, { match: { path: { regex: '/a/.*' } } }).upstreamPath, '/b');
  });

  test('uri on a route without a path match replaces "/" (the prefix Envoy matched on)', () => {
    assert.equal(through({ rewrite: { uri: '/v2/' } }, { path: '/users' }).upstreamPath, '/v2/users');
  });

  test('authority', () => {
    const ex = through({ rewrite: { authority: 'backend.internal:8080' } }, { path: '/x' });
    assert.equal(ex.upstreamAuthority, 'backend.internal:8080');
    assert.equal(ex.upstreamPath, null);
  });

  test('uriRegexRewrite substitutes every match in the path, not the query', () => {
    const ex = through({ rewrite: { uriRegexRewrite: { match: '^/service/([^/]+)(/.*)$', rewrite: '\\2/instance/\\1' } } }, { path: '/service/foo/v1/api?service=x' });
    assert.equal(ex.upstreamPath, '/v1/api/instance/foo?service=x');
    assert.equal(through({ rewrite: { uriRegexRewrite: { match: 'a', rewrite: 'b' } } }, { path: '/aaa?a=a' }).upstreamPath, '/bbb?a=a');
    // Twice in a row: the global regex keeps no state between requests.
    assert.equal(through({ rewrite: { uriRegexRewrite: { match: 'a', rewrite: 'b' } } }, { path: '/aaa' }).upstreamPath, '/bbb');
  });
});

describe('redirect', () => {
  const view = (authority: string, path: string, scheme = 'http') => ({ method: 'GET', authority, path, pathOnly: path.split('?')[0] as string, scheme, header: () => undefined });
  const r = (o: Record<string, unknown>) => policy({ redirect: o }).redirect as NonNullable<RoutePolicy['redirect']>;

  test('uri replaces the path, the query is kept unless the new uri has one', () => {
    assert.equal(redirectLocation(r({ uri: '/new' }), view('a.example', '/old?x=1'), 80), 'http://a.example/new?x=1');
    assert.equal(redirectLocation(r({ uri: '/new?y=2' }), view('a.example', '/old?x=1'), 80), 'http://a.example/new?y=2');
    assert.equal(redirectLocation(r({}), view('a.example:8080', '/same?x'), 8080), 'http://a.example:8080/same?x');
  });

  test('authority, scheme and port', () => {
    assert.equal(redirectLocation(r({ authority: 'b.example' }), view('a.example:9080', '/p'), 9080), 'http://b.example/p');
    assert.equal(redirectLocation(r({ scheme: 'https' }), view('a.example:80', '/p'), 80), 'https://a.example/p');
    assert.equal(redirectLocation(r({ scheme: 'https', port: 8443 }), view('a.example', '/p'), 80), 'https://a.example:8443/p');
    assert.equal(redirectLocation(r({ scheme: 'https', port: 443 }), view('a.example:80', '/p'), 80), 'https://a.example/p');
    assert.equal(redirectLocation(r({ port: 9000 }), view('[::1]:8080', '/p'), 8080), 'http://[::1]:9000/p');
  });

  test('derivePort: FROM_PROTOCOL_DEFAULT drops the port, FROM_REQUEST_PORT keeps the request port', () => {
    assert.equal(redirectLocation(r({ derivePort: 'FROM_PROTOCOL_DEFAULT', authority: 'b:7000' }), view('a:9080', '/p'), 9080), 'http://b/p');
    assert.equal(redirectLocation(r({ derivePort: 'FROM_REQUEST_PORT', authority: 'b' }), view('a:9080', '/p'), 9080), 'http://b:9080/p');
    assert.equal(redirectLocation(r({ derivePort: 'FROM_REQUEST_PORT', authority: 'b' }), view('a', '/p'), 9080), 'http://b:9080/p');
  });

  test('the filter answers with the code and Location; nothing goes upstream', () => {
    const ex = through({ redirect: { uri: '/v2', redirectCode: 302 } }, { authority: 'svc.local', path: '/v1?q' });
    assert.equal(ex.status, 302);
    assert.equal(ex.replyHeader('location'), 'http://svc.local/v2?q');
    assert.equal(ex.passed, false);
  });

  test('response headers apply to the redirect; the rewrite of the same route does not run', () => {
    const ex = through({ redirect: { uri: '/x' }, rewrite: { uri: '/y' }, headers: { response: { set: { 'x-r': '1' } } } });
    assert.equal(ex.status, 301);
    assert.deepEqual(ex.responseLines(), ['x-r: 1']);
    assert.equal(ex.upstreamPath, null);
  });
});

describe('cors', () => {
  const cors = {
    corsPolicy: {
      allowOrigins: [{ exact: 'https://app.example' }],
      allowMethods: ['GET', 'POST'],
      allowHeaders: ['x-token'],
      exposeHeaders: ['x-total'],
      maxAge: '1h',
      allowCredentials: true,
    },
  };
  const preflight = (origin: string) => ({ method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST' } });

  test('a preflight from an allowed origin is answered here with the allow-* headers', () => {
    const ex = through(cors, preflight('https://app.example'));
    assert.equal(ex.passed, false);
    assert.equal(ex.status, 200);
    assert.deepEqual(Object.fromEntries(ex.replyHeaders), {
      'access-control-allow-origin': 'https://app.example',
      'access-control-allow-credentials': 'true',
      'access-control-allow-methods': 'GET,POST',
      'access-control-allow-headers': 'x-token',
      'access-control-max-age': '3600',
    });
  });

  test('a preflight from another origin is forwarded (default) or answered without CORS headers (IGNORE)', () => {
    assert.equal(through(cors, preflight('https://evil.example')).passed, true);
    const ex = through({ corsPolicy: { ...cors.corsPolicy, unmatchedPreflights: 'IGNORE' } }, preflight('https://evil.example'));
    assert.equal(ex.passed, false);
    assert.equal(ex.status, 200);
    assert.deepEqual(ex.replyHeaders, []);
  });

  test('an actual request from an allowed origin gets allow-origin, credentials and expose headers on its response', () => {
    const ex = through(cors, { method: 'POST', headers: { origin: 'https://app.example' } });
    assert.ok(ex.passed);
    assert.deepEqual(ex.responseLines(), ['access-control-allow-origin: https://app.example', 'access-control-allow-credentials: true', 'access-control-expose-headers: x-total']);
  });

  test('requests from other origins or without an Origin pass untouched', () => {
    for (const req of [{ headers: { origin: 'https://evil.example' } }, {}]) {
      const ex = through(cors, req);
      assert.ok(ex.passed);
      assert.deepEqual(ex.responseLines(), []);
    }
  });

  test('OPTIONS without Access-Control-Request-Method is an actual request, not a preflight', () => {
    const ex = through(cors, { method: 'OPTIONS', headers: { origin: 'https://app.example' } });
    assert.ok(ex.passed);
    assert.equal(ex.responseLines()[0], 'access-control-allow-origin: https://app.example');
  });

  test('CORS runs before fault: an allowed preflight is not aborted', () => {
    const ex = through({ ...cors, fault: { abort: { httpStatus: 503, percentage: { value: 100 } } } }, preflight('https://app.example'));
    assert.equal(ex.status, 200);
    assert.equal(ex.flags, '');
  });
});

describe('order', () => {
  test('fault abort comes before header edits and rewrites', () => {
    const ex = through({ fault: { abort: { httpStatus: 503, percentage: { value: 100 } } }, headers: { request: { set: { a: '1' } }, response: { set: { b: '2' } } }, rewrite: { uri: '/z' } });
    assert.equal(ex.status, 503);
    assert.equal(ex.headerEdits, null);
    assert.deepEqual(ex.responseLines(), []);
    assert.equal(ex.upstreamPath, null);
  });

  test('headers and rewrite together', () => {
    const ex = through({ headers: { request: { set: { a: '1' } } }, rewrite: { uri: '/z', authority: 'h' } }, { path: '/q' }, { match: { path: { prefix: '/q' } } });
    assert.ok(ex.passed);
    assert.equal(ex.upstreamHeader('a'), '1');
    assert.equal(ex.upstreamPath, '/z');
    assert.equal(ex.upstreamAuthority, 'h');
  });
});
