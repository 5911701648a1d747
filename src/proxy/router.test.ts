import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Route, RouteMatch } from '../api/index.ts';
import { compileConfig, type RouteRequest } from './compile-config.ts';
import { ProxyConfigError } from './errors.ts';
import { queryParam } from './router.ts';
import { simulate } from './simulate.ts';
import { fwd, makeConfig, table } from './test-support.ts';

const EP = [{ address: '127.0.0.1', port: 1 }];

function rq(authority: string, path = '/', extra: Partial<RouteRequest> = {}): RouteRequest {
  return { authority, path, method: 'GET', headers: {}, port: 9080, ...extra };
}

function clusterOf(cfg: ReturnType<typeof compileConfig>, r: RouteRequest): string {
  const res = cfg.route(r);
  if (res.kind === 'forward') return res.cluster;
  if (res.kind === 'noRoute') return 'NR';
  return `direct ${res.status}`;
}

describe('virtual host selection', () => {
  const cfg = compileConfig(
    makeConfig({
      routes: [
        {
          name: '9080',
          virtualHosts: [
            { name: 'exact', domains: ['reviews', 'reviews:9080'], routes: [fwd('r1', [['exact', 1]])] },
            { name: 'short', domains: ['*.com'], routes: [fwd('r2', [['short', 1]])] },
            { name: 'long', domains: ['*.example.com'], routes: [fwd('r3', [['long', 1]])] },
            { name: 'apex', domains: ['api.example.com'], routes: [fwd('r4', [['apex', 1]])] },
            { name: 'any', domains: ['*'], routes: [fwd('r5', [['any', 1]])] },
          ],
        },
        table('80', ['only'], [fwd('r6', [['p80', 1]])]),
      ],
      clusters: ['exact', 'short', 'long', 'apex', 'any', 'p80'].map((name) => ({ name, endpoints: EP })),
    }),
  );

  test('exact domain, with or without port, case-insensitive', () => {
    assert.equal(clusterOf(cfg, rq('reviews:9080')), 'exact');
    assert.equal(clusterOf(cfg, rq('reviews')), 'exact');
    assert.equal(clusterOf(cfg, rq('REVIEWS:9080')), 'exact');
  });

  test('exact beats wildcard; longest wildcard suffix wins; * last', () => {
    assert.equal(clusterOf(cfg, rq('api.example.com')), 'apex');
    assert.equal(clusterOf(cfg, rq('www.example.com:9080')), 'long');
    assert.equal(clusterOf(cfg, rq('foo.com')), 'short');
    assert.equal(clusterOf(cfg, rq('example.com')), 'short');
    assert.equal(clusterOf(cfg, rq('ratings')), 'any');
  });

  test('the request port picks the route table; missing table or host is a miss', () => {
    assert.equal(clusterOf(cfg, rq('only', '/', { port: 80 })), 'p80');
    assert.equal(clusterOf(cfg, rq('other', '/', { port: 80 })), 'NR');
    const miss = cfg.route(rq('reviews', '/', { port: 1234 }));
    assert.equal(miss.kind, 'noRoute');
    assert.match(miss.kind === 'noRoute' ? miss.reason : '', /route table "1234"/);
  });
});

describe('route matching', () => {
  const m = (match: RouteMatch, name: string): Route => fwd(name, [[name, 1]], match);
  const routes: Route[] = [
    m({ path: { exact: '/exact' } }, 'path-exact'),
    m({ path: { prefix: '/Pre' }, ignoreUriCase: true }, 'path-prefix-icase'),
    m({ path: { regex: '/re/[0-9]+' } }, 'path-regex'),
    m({ path: { prefix: '/m' }, method: { exact: 'POST' } }, 'method'),
    m({ path: { prefix: '/s' }, scheme: { exact: 'https' } }, 'scheme'),
    m({ path: { prefix: '/auth' }, authority: { regex: 'reviews(:9080)?' } }, 'authority'),
    m({ headers: [{ name: 'end-user', match: { exact: 'jason' } }] }, 'hdr-exact'),
    m({ headers: [{ name: 'x-prefix', match: { prefix: 'ab' } }] }, 'hdr-prefix'),
    m({ headers: [{ name: 'x-regex', match: { regex: 'v[12]' } }] }, 'hdr-regex'),
    m({ headers: [{ name: 'x-present' }] }, 'hdr-present'),
    m({ path: { prefix: '/inv' }, headers: [{ name: 'x-block', match: { exact: 'yes' }, invert: true }] }, 'hdr-invert'),
    m({ path: { prefix: '/noh' }, headers: [{ name: 'x-none', invert: true }] }, 'hdr-absent'),
    m({ queryParams: [{ name: 'q', match: { exact: 'one' } }] }, 'q-exact'),
    m({ queryParams: [{ name: 'qp', match: { prefix: 'ab' } }] }, 'q-prefix'),
    m({ queryParams: [{ name: 'qr', match: { regex: '[0-9]+' } }] }, 'q-regex'),
    m({ queryParams: [{ name: 'flag' }] }, 'q-present'),
    m({ path: { prefix: '/and' }, method: { exact: 'PUT' }, headers: [{ name: 'x-and' }] }, 'and'),
    m({ path: { prefix: '/first' } }, 'first'),
    m({ path: { prefix: '/first/second' } }, 'second'),
    { name: 'direct', match: { path: { exact: '/teapot' } }, directResponse: { status: 418, body: 'short and stout' } },
  ];
  const cfg = compileConfig(makeConfig({ routes: [table('9080', ['reviews', 'reviews:9080'], routes)], clusters: routes.map((r) => ({ name: r.name, endpoints: EP })) }));
  const c = (path: string, extra: Partial<RouteRequest> = {}) => clusterOf(cfg, rq('reviews:9080', path, extra));

  test('path exact ignores the query, and is exact', () => {
    assert.equal(c('/exact'), 'path-exact');
    assert.equal(c('/exact?x=1'), 'path-exact');
    assert.equal(c('/exact/more'), 'NR');
  });
  test('prefix with ignoreUriCase', () => {
    assert.equal(c('/prefix/x'), 'path-prefix-icase');
    assert.equal(c('/PREFIX'), 'path-prefix-icase');
  });
  test('regex is anchored (full-string match)', () => {
    assert.equal(c('/re/42'), 'path-regex');
    assert.equal(c('/re/42x'), 'NR');
    assert.equal(c('/x/re/42'), 'NR');
  });
  test('method, scheme, authority', () => {
    assert.equal(c('/m', { method: 'POST' }), 'method');
    assert.equal(c('/m', { method: 'GET' }), 'NR');
    assert.equal(c('/s', { scheme: 'https' }), 'scheme');
    assert.equal(c('/s'), 'NR');
    assert.equal(c('/auth'), 'authority');
    assert.equal(clusterOf(cfg, rq('reviews', '/auth')), 'authority');
    assert.equal(clusterOf(cfg, rq('reviews:1', '/auth')), 'NR');
  });
  test('headers: exact, prefix, regex, present, names case-insensitive', () => {
    assert.equal(c('/h', { headers: { 'end-user': 'jason' } }), 'hdr-exact');
    assert.equal(c('/h', { headers: { 'End-User': 'jason' } }), 'hdr-exact');
    assert.equal(c('/h', { headers: { 'end-user': 'jasonx' } }), 'NR');
    assert.equal(c('/h', { headers: { 'x-prefix': 'abc' } }), 'hdr-prefix');
    assert.equal(c('/h', { headers: { 'x-regex': 'v2' } }), 'hdr-regex');
    assert.equal(c('/h', { headers: { 'x-regex': 'v22' } }), 'NR');
    assert.equal(c('/h', { headers: { 'x-present': '' } }), 'hdr-present');
  });
  test('headers: invert (withoutHeaders)', () => {
    assert.equal(c('/inv'), 'hdr-invert');
    assert.equal(c('/inv', { headers: { 'x-block': 'no' } }), 'hdr-invert');
    assert.equal(c('/inv', { headers: { 'x-block': 'yes' } }), 'NR');
    assert.equal(c('/noh'), 'hdr-absent');
    assert.equal(c('/noh', { headers: { 'x-none': '1' } }), 'NR');
  });
  test('query parameters', () => {
    assert.equal(c('/q?q=one'), 'q-exact');
    assert.equal(c('/q?a=1&q=one&b'), 'q-exact');
    assert.equal(c('/q?q=onex'), 'NR');
    assert.equal(c('/q?qp=abz'), 'q-prefix');
    assert.equal(c('/q?qr=123'), 'q-regex');
    assert.equal(c('/q?qr=12a'), 'NR');
    assert.equal(c('/q?flag'), 'q-present');
    assert.equal(c('/q?x=1&flag=0'), 'q-present');
  });
  test('every field must match (AND)', () => {
    assert.equal(c('/and', { method: 'PUT', headers: { 'x-and': '1' } }), 'and');
    assert.equal(c('/and', { method: 'PUT' }), 'NR');
    assert.equal(c('/and', { headers: { 'x-and': '1' } }), 'NR');
  });
  test('first match wins', () => {
    assert.equal(c('/first/second'), 'first');
  });
  test('direct response', () => {
    assert.deepEqual(cfg.route(rq('reviews', '/teapot')), { kind: 'direct', status: 418, routeName: 'direct' });
  });
  test('queryParam helper', () => {
    assert.equal(queryParam('/p?a=1&b=2', 'b'), '2');
    assert.equal(queryParam('/p?a', 'a'), '');
    assert.equal(queryParam('/p?ab=1', 'a'), undefined);
    assert.equal(queryParam('/p', 'a'), undefined);
    assert.equal(queryParam('/p?a=1&a=2', 'a'), '1');
  });
});

describe('weighted destinations', () => {
  test('1000 picks of 50/50 land between 40% and 60%', () => {
    const cfg = compileConfig(
      makeConfig({
        routes: [table('9080', ['reviews'], [fwd('split', [['v1', 50], ['v2', 50]])])],
        clusters: [
          { name: 'v1', endpoints: EP },
          { name: 'v2', endpoints: EP },
        ],
      }),
    );
    let v1 = 0;
    for (let i = 0; i < 1000; i++) if (clusterOf(cfg, rq('reviews')) === 'v1') v1++;
    assert.ok(v1 >= 400 && v1 <= 600, `v1 got ${v1} of 1000`);
  });

  test('zero weights are never picked; a lone weight 0 means all traffic', () => {
    const cfg = compileConfig(
      makeConfig({
        routes: [table('9080', ['a'], [fwd('z', [['v1', 0], ['v2', 100]]), fwd('lone', [['v1', 0]], { path: { prefix: '/lone' } })]), table('80', ['a'], [fwd('lone', [['v1', 0]])])],
        clusters: [
          { name: 'v1', endpoints: EP },
          { name: 'v2', endpoints: EP },
        ],
      }),
    );
    for (const r of [0, 0.3, 0.999]) assert.deepEqual(cfg.route(rq('a'), () => r), { kind: 'forward', cluster: 'v2', routeName: 'z' });
    assert.equal(clusterOf(cfg, rq('a', '/', { port: 80 })), 'v1');
  });
});

describe('compile errors', () => {
  test('every problem is collected, with where it is', () => {
    const cfg = makeConfig({
      routes: [
        table('9080', ['a'], [fwd('bad-re', [['c', 1]], { path: { regex: '(' } }), fwd('bad-w', [['c', -1]])]),
        { name: '80', virtualHosts: [{ name: 'x', domains: ['dup'], routes: [] }, { name: 'y', domains: ['dup'], routes: [] }] },
      ],
      clusters: [{ name: 'c', endpoints: EP }],
      listeners: [{ name: 'in', direction: 'inbound', address: '127.0.0.2', port: 9080, protocol: 'HTTP', cluster: 'missing' }],
    });
    try {
      compileConfig(cfg);
      assert.fail('should not compile');
    } catch (e) {
      assert.ok(e instanceof ProxyConfigError);
      assert.equal(e.code, 'ISTHMUS_ERR_PROXY_CONFIG_INVALID');
      const all = e.problems.join('\n');
      assert.match(all, /routes\[0\]\.virtualHosts\[0\]\.routes\[0\] \(bad-re\): invalid regex/);
      assert.match(all, /bad-w.*non-negative integer weight/);
      assert.match(all, /domain "dup" is also in virtual host "x"/);
      assert.match(all, /cluster "missing" is not defined/);
    }
  });

  test('a config that is not a config', () => {
    assert.throws(() => compileConfig({} as never), ProxyConfigError);
    assert.throws(() => compileConfig(null as never), ProxyConfigError);
  });
});

describe('simulate and load balancing', () => {
  const base = makeConfig({
    routes: [table('9080', ['reviews', 'reviews:1'], [fwd('nc', [['ghost', 1]], { path: { prefix: '/ghost' } }), fwd('r', [['c', 1]])]), table('80', ['empty'], [fwd('e', [['none', 1]])])],
    clusters: [
      {
        name: 'c',
        endpoints: [
          { address: '127.0.0.1', port: 1 },
          { address: '127.0.0.1', port: 2 },
        ],
      },
      { name: 'none', endpoints: [] },
    ],
    listeners: [
      { name: 'gw', direction: 'gateway', address: '0.0.0.0', port: 8080, protocol: 'HTTP', routeTable: '9080' },
      { name: 'in', direction: 'inbound', address: '127.0.0.5', port: 9080, protocol: 'HTTP', cluster: 'c' },
    ],
  });

  test('route, cluster, endpoint, flags, status', () => {
    assert.deepEqual(simulate(base, rq('reviews:9080', '/x')), { route: 'r', cluster: 'c', endpoint: '127.0.0.1:1', flags: '', status: 200 });
    assert.equal(simulate(base, rq('nope:9080')).flags, 'NR');
    assert.equal(simulate(base, rq('nope:9080')).status, 404);
    assert.deepEqual(simulate(base, rq('empty', '/', { port: 80 })), { route: 'e', cluster: 'none', endpoint: null, flags: 'UH', status: 503, reason: 'no healthy upstream' });
    assert.equal(simulate(base, rq('reviews', '/ghost')).flags, 'NC');
  });

  test('gateway and inbound listeners', () => {
    assert.equal(simulate(base, rq('reviews', '/', { port: 8080, listener: 'gateway' })).route, 'r');
    assert.equal(simulate(base, rq('whatever', '/', { port: 9080, listener: 'inbound' })).route, 'default');
    assert.equal(simulate(base, rq('whatever', '/', { port: 9999, listener: 'inbound' })).status, 404);
  });

  test('round robin cycles and keeps its cursor across versions', () => {
    const v1 = compileConfig(base);
    const c1 = v1.clusters.get('c');
    assert.ok(c1);
    assert.equal(c1.pick()?.port, 1);
    const v2 = compileConfig({ ...base, version: 'v2' }, v1);
    assert.equal(v2.clusters.get('c')?.pick()?.port, 2);
    assert.equal(v2.clusters.get('c')?.pick()?.port, 1);
  });

  test('random and least-request pick only known endpoints; avoid skips the failed one', () => {
    for (const lbPolicy of ['RANDOM', 'LEAST_REQUEST'] as const) {
      const cfg = compileConfig(makeConfig({ clusters: [{ name: 'c', lbPolicy, endpoints: [{ address: '127.0.0.1', port: 1 }, { address: '127.0.0.1', port: 2 }] }] }));
      const c = cfg.clusters.get('c');
      assert.ok(c);
      const seen = new Set<number>();
      for (let i = 0; i < 100; i++) seen.add(c.pick()?.port ?? 0);
      assert.deepEqual([...seen].sort(), [1, 2]);
      const first = c.endpoints[0] ?? null;
      for (let i = 0; i < 20; i++) assert.equal(c.pick(first)?.port, 2);
    }
  });
});
