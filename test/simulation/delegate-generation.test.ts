// VirtualService delegation: a root route's `delegate` is replaced, in place, by the delegate
// VirtualService's routes merged with it. Checks the generated routes (names, merged matches,
// policy, clusters) and what the proxy's own router does with requests under them.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ProxyConfig, ProxyNode, Route } from '../../src/api/index.ts';
import { generateProxyConfig } from '../../src/controlplane/generate/index.ts';
import { simulate } from '../../src/proxy/index.ts';
import { bookinfoSnapshot } from '../support/fixtures.ts';

const sidecar = (app: string): ProxyNode => ({ id: `${app}-5d8f9c7b6-pod0.default`, role: 'sidecar', podName: `${app}-5d8f9c7b6-pod0`, namespace: 'default' });
const productpage = sidecar('productpage-v1');
const gateway: ProxyNode = { id: 'istio-ingressgateway-5d8f9c7b6-gw0.istio-system', role: 'gateway', podName: 'istio-ingressgateway-5d8f9c7b6-gw0', namespace: 'istio-system' };
const REVIEWS = 'reviews.default.svc.cluster.local';
const PRODUCTPAGE = 'productpage.default.svc.cluster.local';
const cluster = (subset: string, host = REVIEWS, port = 9080) => `outbound|${port}|${subset}|${host}`;

function reviewsRoutes(cfg: ProxyConfig): Route[] {
  return cfg.routes.find((t) => t.name === '9080')?.virtualHosts.find((v) => v.name === `${REVIEWS}:9080`)?.routes ?? [];
}

function req(authority: string, path: string, headers: Record<string, string> = {}) {
  return { authority, path, method: 'GET', headers, port: Number(/:(\d+)$/.exec(authority)?.[1] ?? 80) };
}

const via = (cfg: ProxyConfig, path: string, headers: Record<string, string> = {}): string => {
  const r = simulate(cfg, req('reviews:9080', path, headers));
  return r.cluster ?? `${r.status} ${r.flags}`;
};

/** A root VirtualService for reviews whose routes are given as YAML flow items. */
const rootVs = (routes: string[], name = 'reviews') => `---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ${name}, namespace: default}
spec:
  hosts: [reviews]
  http:
${routes.map((r) => `  - ${r}`).join('\n')}
`;

/** A delegate VirtualService (no hosts). */
const delegateVs = (name: string, namespace: string, routes: string[], extra = '') => `---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ${name}, namespace: ${namespace}}
spec:
${extra}  http:
${routes.map((r) => `  - ${r}`).join('\n')}
`;

/** A `reviews` service with one pod in namespace `team`, to tell it apart from default's. */
const teamReviews = `---
apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: team}
spec:
  ports: [{port: 9080, name: http}]
  selector: {app: reviews}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: reviews-team, namespace: team}
spec:
  replicas: 1
  selector: {matchLabels: {app: reviews}}
  template:
    metadata: {labels: {app: reviews, version: team}}
    spec:
      containers: [{name: reviews, image: reviews, ports: [{containerPort: 9080}]}]
`;

test('gateway: a root prefix is narrowed by the delegate; GET /productpage/v1 goes to v1', () => {
  // Replaces the sample's `bookinfo` VirtualService (same name) with a delegating one.
  const yaml = `---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bookinfo, namespace: default}
spec:
  hosts: ["*"]
  gateways: [bookinfo-gateway]
  http:
  - name: pp
    match: [{uri: {prefix: /productpage}}]
    timeout: 10s
    delegate: {name: productpage-routes}
${delegateVs('productpage-routes', 'default', [
  '{name: v1, match: [{uri: {prefix: /productpage/v1}}], route: [{destination: {host: productpage, subset: v1}}]}',
  '{name: rest, route: [{destination: {host: productpage}}]}',
])}`;
  const cfg = generateProxyConfig(bookinfoSnapshot([], yaml), gateway);
  const routes = cfg.routes.find((t) => t.name === 'http.8080')?.virtualHosts.flatMap((v) => v.routes) ?? [];
  assert.deepEqual(routes.map((r) => [r.name, r.match]), [
    ['default/bookinfo#pp->default/productpage-routes#v1', { path: { prefix: '/productpage/v1' } }],
    ['default/bookinfo#pp->default/productpage-routes#rest', { path: { prefix: '/productpage' } }],
  ]);
  assert.deepEqual(routes.map((r) => r.policy), [{ timeout: '10s' }, { timeout: '10s' }]);
  const at = (path: string) => simulate(cfg, { ...req('127.0.0.1:8080', path), port: 8080 });
  assert.equal(at('/productpage/v1').cluster, cluster('v1', PRODUCTPAGE));
  assert.equal(at('/productpage/v1').route, 'default/bookinfo#pp->default/productpage-routes#v1');
  assert.equal(at('/productpage').cluster, cluster('', PRODUCTPAGE));
  assert.equal(at('/static/x.css').status, 404);
  assert.equal(at('/static/x.css').flags, 'NR');
});

test('a delegate route without a match inherits the root match; one without a root match keeps its own', () => {
  const cfg = generateProxyConfig(bookinfoSnapshot([], rootVs([
    '{match: [{uri: {prefix: /reviews}, method: {exact: GET}}], delegate: {name: d1}}',
    '{delegate: {name: d2}}',
  ]) + delegateVs('d1', 'default', ['{route: [{destination: {host: reviews, subset: v2}}]}'])
    + delegateVs('d2', 'default', ['{match: [{uri: {exact: /health}}], route: [{destination: {host: reviews, subset: v3}}]}'])), productpage);
  assert.deepEqual(reviewsRoutes(cfg).map((r) => [r.name, r.match]), [
    ['default/reviews#0->default/d1#0', { path: { prefix: '/reviews' }, method: { exact: 'GET' } }],
    ['default/reviews#1->default/d2#0', { path: { exact: '/health' } }],
  ]);
  assert.equal(via(cfg, '/reviews/0'), cluster('v2'));
  assert.equal(via(cfg, '/health'), cluster('v3'));
  assert.equal(via(cfg, '/other'), '404 NR');
});

test('a delegate match that conflicts with the root drops that delegate route only', () => {
  const cfg = generateProxyConfig(bookinfoSnapshot([], rootVs([
    '{match: [{uri: {prefix: /reviews}}], delegate: {name: d}}',
    '{match: [{uri: {exact: /exact}}], delegate: {name: e}}',
  ]) + delegateVs('d', 'default', [
    // Outside the root's prefix: dropped.
    '{name: other, match: [{uri: {prefix: /ratings}}], route: [{destination: {host: reviews, subset: v3}}]}',
    // A regex cannot be shown to lie within a prefix: dropped.
    '{name: regex, match: [{uri: {regex: "/reviews/[0-9]+"}}], route: [{destination: {host: reviews, subset: v3}}]}',
    // One match of the two fits, the other does not: the whole route is dropped.
    '{name: half, match: [{uri: {prefix: /reviews/a}}, {uri: {prefix: /b}}], route: [{destination: {host: reviews, subset: v3}}]}',
    '{name: ok, match: [{uri: {exact: /reviews/0}}], route: [{destination: {host: reviews, subset: v2}}]}',
  ]) + delegateVs('e', 'default', [
    '{name: same, match: [{uri: {exact: /exact}}], route: [{destination: {host: reviews, subset: v2}}]}',
    '{name: different, match: [{uri: {exact: /other}}], route: [{destination: {host: reviews, subset: v3}}]}',
    '{name: prefix, match: [{uri: {prefix: /exact}}], route: [{destination: {host: reviews, subset: v3}}]}',
  ])), productpage);
  assert.deepEqual(reviewsRoutes(cfg).map((r) => r.name), ['default/reviews#0->default/d#ok', 'default/reviews#1->default/e#same']);
  assert.equal(via(cfg, '/reviews/0'), cluster('v2'));
  assert.equal(via(cfg, '/ratings/0'), '404 NR');
  assert.equal(via(cfg, '/reviews/a'), '404 NR');
});

test('headers and query params merge; the same header must narrow the root\'s', () => {
  const cfg = generateProxyConfig(bookinfoSnapshot([], rootVs([
    '{match: [{uri: {prefix: /}, headers: {end-user: {prefix: ja}}, queryParams: {v: {exact: "1"}}}], delegate: {name: d}}',
  ]) + delegateVs('d', 'default', [
    '{name: canary, match: [{headers: {x-canary: {exact: "yes"}}}], route: [{destination: {host: reviews, subset: v3}}]}',
    '{name: jason, match: [{headers: {end-user: {exact: jason}}}], route: [{destination: {host: reviews, subset: v2}}]}',
    '{name: bob, match: [{headers: {end-user: {exact: bob}}}], route: [{destination: {host: reviews, subset: v3}}]}',
    '{name: rest, route: [{destination: {host: reviews, subset: v1}}]}',
  ])), productpage);
  const routes = reviewsRoutes(cfg);
  assert.deepEqual(routes.map((r) => r.name), ['default/reviews#0->default/d#canary', 'default/reviews#0->default/d#jason', 'default/reviews#0->default/d#rest']);
  assert.deepEqual(routes[0]?.match, {
    path: { prefix: '/' },
    headers: [{ name: 'end-user', match: { prefix: 'ja' } }, { name: 'x-canary', match: { exact: 'yes' } }],
    queryParams: [{ name: 'v', match: { exact: '1' } }],
  });
  assert.deepEqual(routes[1]?.match.headers, [{ name: 'end-user', match: { exact: 'jason' } }]);
  assert.equal(via(cfg, '/?v=1', { 'end-user': 'jane', 'x-canary': 'yes' }), cluster('v3'));
  assert.equal(via(cfg, '/?v=1', { 'end-user': 'jason' }), cluster('v2'));
  assert.equal(via(cfg, '/?v=1', { 'end-user': 'jane' }), cluster('v1'));
  assert.equal(via(cfg, '/?v=1', { 'end-user': 'bob' }), '404 NR');
  assert.equal(via(cfg, '/', { 'end-user': 'jason' }), '404 NR');
});

test('several root matches times several delegate matches: every pair that fits, in delegate order', () => {
  const cfg = generateProxyConfig(bookinfoSnapshot([], rootVs([
    '{match: [{name: a, uri: {prefix: /a}}, {name: b, uri: {prefix: /b}}], delegate: {name: d}}',
  ]) + delegateVs('d', 'default', [
    '{match: [{name: get, method: {exact: GET}}, {name: a1, uri: {prefix: /a/1}}], route: [{destination: {host: reviews, subset: v2}}]}',
  ])), productpage);
  assert.deepEqual(reviewsRoutes(cfg).map((r) => [r.name, r.match]), [
    ['default/reviews#0->default/d#0.a-get', { path: { prefix: '/a' }, method: { exact: 'GET' } }],
    ['default/reviews#0->default/d#0.b-get', { path: { prefix: '/b' }, method: { exact: 'GET' } }],
    ['default/reviews#0->default/d#0.a-a1', { path: { prefix: '/a/1' } }],
  ]);
});

test('root-only conditions (sourceLabels, port) stay with the merged match and are decided per proxy', () => {
  const yaml = rootVs([
    '{match: [{sourceLabels: {app: productpage}, port: 9080}], delegate: {name: d}}',
    '{route: [{destination: {host: reviews, subset: v1}}]}',
  ]) + delegateVs('d', 'default', ['{match: [{uri: {prefix: /r}}], route: [{destination: {host: reviews, subset: v2}}]}']);
  const snap = bookinfoSnapshot([], yaml);
  assert.equal(via(generateProxyConfig(snap, productpage), '/r'), cluster('v2'));
  const fromDetails = generateProxyConfig(snap, sidecar('details-v1'));
  assert.deepEqual(reviewsRoutes(fromDetails).map((r) => r.name), ['default/reviews#1']);
  assert.equal(via(fromDetails, '/r'), cluster('v1'));
});

test('a delegate in another namespace; its short names resolve there, the root\'s in the root\'s', () => {
  const yaml = teamReviews + rootVs([
    '{match: [{uri: {prefix: /team}}], mirror: {host: reviews, subset: v3}, delegate: {name: team-routes, namespace: team}}',
    '{route: [{destination: {host: reviews, subset: v1}}]}',
  ]) + delegateVs('team-routes', 'team', ['{route: [{destination: {host: reviews}}]}']);
  const cfg = generateProxyConfig(bookinfoSnapshot([], yaml), productpage);
  const [first] = reviewsRoutes(cfg);
  assert.equal(first?.name, 'default/reviews#0->team/team-routes#0');
  assert.deepEqual(first?.route?.clusters, [{ cluster: cluster('', 'reviews.team.svc.cluster.local'), weight: 100 }]);
  // The mirror comes from the root route, so `reviews` there means default's.
  assert.deepEqual(first?.mirrors, [{ cluster: cluster('v3'), percentage: 100 }]);
  assert.ok(cfg.clusters.some((c) => c.name === cluster('', 'reviews.team.svc.cluster.local')));
  const r = simulate(cfg, req('reviews:9080', '/team/x'));
  assert.equal(r.cluster, cluster('', 'reviews.team.svc.cluster.local'));
  assert.equal(r.status, 200);
  assert.equal(via(cfg, '/other'), cluster('v1'));
});

test('a missing delegate, a VirtualService with hosts, or one not exported to the root: the root route is skipped', () => {
  const yaml = teamReviews + rootVs([
    '{match: [{uri: {prefix: /missing}}], delegate: {name: nowhere}}',
    '{match: [{uri: {prefix: /hosted}}], delegate: {name: details}}',
    '{match: [{uri: {prefix: /private}}], delegate: {name: private, namespace: team}}',
    '{match: [{uri: {prefix: /shared}}], delegate: {name: shared, namespace: team}}',
    '{route: [{destination: {host: reviews, subset: v1}}]}',
  ]) + `---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: details, namespace: default}
spec:
  hosts: [details]
  http: [{route: [{destination: {host: details}}]}]
` + delegateVs('private', 'team', ['{route: [{destination: {host: reviews}}]}'], '  exportTo: ["."]\n')
    + delegateVs('shared', 'team', ['{route: [{destination: {host: reviews}}]}'], '  exportTo: [default]\n');
  const cfg = generateProxyConfig(bookinfoSnapshot([], yaml), productpage);
  assert.deepEqual(reviewsRoutes(cfg).map((r) => r.name), ['default/reviews#3->team/shared#0', 'default/reviews#4']);
  for (const path of ['/missing', '/hosted', '/private']) assert.equal(via(cfg, path), cluster('v1'), path);
  assert.equal(via(cfg, '/shared'), cluster('', 'reviews.team.svc.cluster.local'));
});

test('the delegate route\'s timeout, retries, fault and headers are the route policy; unset ones come from the root', () => {
  const cfg = generateProxyConfig(bookinfoSnapshot([], rootVs([
    '{match: [{uri: {prefix: /}}], timeout: 9s, retries: {attempts: 1}, headers: {request: {set: {x-root: "1"}}}, delegate: {name: d}}',
  ]) + delegateVs('d', 'default', [
    '{name: own, match: [{uri: {prefix: /own}}], timeout: 2s, retries: {attempts: 3, perTryTimeout: 1s, retryOn: 5xx}, fault: {abort: {httpStatus: 418, percentage: {value: 100}}}, route: [{destination: {host: reviews, subset: v2}}]}',
    '{name: inherit, route: [{destination: {host: reviews, subset: v1}}]}',
  ])), productpage);
  const [own, inherit] = reviewsRoutes(cfg);
  assert.deepEqual(own?.policy, {
    timeout: '2s',
    retries: { attempts: 3, perTryTimeout: '1s', retryOn: '5xx' },
    fault: { abort: { httpStatus: 418, percentage: { value: 100 } } },
    headers: { request: { set: { 'x-root': '1' } } },
  });
  assert.deepEqual(inherit?.policy, { timeout: '9s', retries: { attempts: 1 }, headers: { request: { set: { 'x-root': '1' } } } });
  // The proxy accepts the merged policies (compiling a config with a bad route policy throws).
  assert.equal(simulate(cfg, req('reviews:9080', '/own')).route, 'default/reviews#0->default/d#own');
  assert.equal(simulate(cfg, req('reviews:9080', '/')).route, 'default/reviews#0->default/d#inherit');
});

test('delegated routes take the root route\'s place among its other routes', () => {
  const cfg = generateProxyConfig(bookinfoSnapshot([], rootVs([
    '{name: first, match: [{uri: {prefix: /a}}], route: [{destination: {host: reviews, subset: v1}}]}',
    '{name: mid, match: [{uri: {prefix: /b}}], delegate: {name: d}}',
    '{name: last, route: [{destination: {host: reviews, subset: v3}}]}',
  ]) + delegateVs('d', 'default', [
    '{name: x, match: [{uri: {prefix: /b/x}}], route: [{destination: {host: reviews, subset: v2}}]}',
    '{name: y, route: [{destination: {host: reviews, subset: v1}}]}',
  ])), productpage);
  assert.deepEqual(reviewsRoutes(cfg).map((r) => r.name), [
    'default/reviews#first', 'default/reviews#mid->default/d#x', 'default/reviews#mid->default/d#y', 'default/reviews#last',
  ]);
  assert.equal(via(cfg, '/b/x'), cluster('v2'));
  assert.equal(via(cfg, '/b/z'), cluster('v1'));
  assert.equal(via(cfg, '/c'), cluster('v3'));
});

test('a delegate that delegates again is not followed', () => {
  // Validation rejects this; generation ignores the nested route if it gets here anyway.
  const snap = bookinfoSnapshot([], rootVs(['{delegate: {name: d}}']) + delegateVs('d', 'default', ['{route: [{destination: {host: reviews, subset: v2}}]}']));
  const d = snap.virtualServices.find((v) => v.metadata.name === 'd');
  assert.ok(d);
  (d.spec.http as unknown[]).unshift({ delegate: { name: 'further' } });
  assert.deepEqual(reviewsRoutes(generateProxyConfig(snap, productpage)).map((r) => r.name), ['default/reviews#0->default/d#1']);
});

test('changing only the delegate changes the root\'s generated routes', () => {
  const root = rootVs(['{delegate: {name: d}}']);
  const before = generateProxyConfig(bookinfoSnapshot([], root + delegateVs('d', 'default', ['{route: [{destination: {host: reviews, subset: v2}}]}'])), productpage);
  const after = generateProxyConfig(bookinfoSnapshot([], root + delegateVs('d', 'default', ['{route: [{destination: {host: reviews, subset: v3}}]}'])), productpage);
  assert.equal(via(before, '/'), cluster('v2'));
  assert.equal(via(after, '/'), cluster('v3'));
  assert.notEqual(before.version, after.version);
});

test('ignoreUriCase: a case-insensitive root admits a case-sensitive delegate path, not the reverse', () => {
  const cfg = generateProxyConfig(bookinfoSnapshot([], rootVs([
    '{match: [{uri: {prefix: /Reviews}, ignoreUriCase: true}], delegate: {name: d}}',
    '{match: [{uri: {prefix: /strict}}], delegate: {name: e}}',
  ]) + delegateVs('d', 'default', [
    '{name: narrow, match: [{uri: {prefix: /reviews/x}}], route: [{destination: {host: reviews, subset: v2}}]}',
    '{name: rest, route: [{destination: {host: reviews, subset: v1}}]}',
  ]) + delegateVs('e', 'default', [
    '{name: loose, match: [{uri: {prefix: /strict/a}, ignoreUriCase: true}], route: [{destination: {host: reviews, subset: v3}}]}',
  ])), productpage);
  assert.deepEqual(reviewsRoutes(cfg).map((r) => [r.name, r.match]), [
    ['default/reviews#0->default/d#narrow', { path: { prefix: '/reviews/x' } }],
    ['default/reviews#0->default/d#rest', { path: { prefix: '/Reviews' }, ignoreUriCase: true }],
  ]);
  assert.equal(via(cfg, '/REVIEWS/0'), cluster('v1'));
  assert.equal(via(cfg, '/reviews/x'), cluster('v2'));
  assert.equal(via(cfg, '/strict/a'), '404 NR');
});
