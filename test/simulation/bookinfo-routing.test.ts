// Simulation: requests pushed through the proxy's own compiled router, under the config the
// control plane generates for the Bookinfo scenarios. Asserts behaviour (route, cluster,
// endpoint, status, flags), not the shape of the config.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ProxyNode } from '../../src/api/index.ts';
import { generateProxyConfig } from '../../src/controlplane/generate/index.ts';
import { simulate } from '../../src/proxy/index.ts';
import { bookinfoSnapshot } from '../support/fixtures.ts';

const sidecar = (app: string): ProxyNode => ({ id: `${app}-5d8f9c7b6-pod0.default`, role: 'sidecar', podName: `${app}-5d8f9c7b6-pod0`, namespace: 'default' });
const gateway: ProxyNode = { id: 'istio-ingressgateway-5d8f9c7b6-gw0.istio-system', role: 'gateway', podName: 'istio-ingressgateway-5d8f9c7b6-gw0', namespace: 'istio-system' };
const REVIEWS = 'reviews.default.svc.cluster.local';

function req(authority: string, path: string, headers: Record<string, string> = {}, method = 'GET') {
  const port = Number(/:(\d+)$/.exec(authority)?.[1] ?? 80);
  return { authority, path, method, headers, port };
}

test('no VirtualService: any reviews version, by every name a client in the namespace may use', () => {
  const cfg = generateProxyConfig(bookinfoSnapshot(), sidecar('productpage-v1'));
  for (const name of ['reviews:9080', 'reviews.default:9080', 'reviews.default.svc:9080', `${REVIEWS}:9080`]) {
    const r = simulate(cfg, req(name, '/reviews/0'));
    assert.equal(r.status, 200, name);
    assert.equal(r.cluster, `outbound|9080||${REVIEWS}`);
    assert.ok(r.endpoint);
  }
});

test('with no VirtualService the reviews cluster holds all three reviews pods', () => {
  const snap = bookinfoSnapshot();
  const cfg = generateProxyConfig(snap, sidecar('productpage-v1'));
  const ips = new Set(snap.pods.filter((p) => p.labels['app'] === 'reviews').map((p) => `${p.ip}:9080`));
  const eps = cfg.endpoints.find((e) => e.cluster === `outbound|9080||${REVIEWS}`)?.endpoints.map((e) => `${e.address}:${e.port}`);
  assert.deepEqual(new Set(eps), ips);
  assert.equal(ips.size, 3);
});

test('all-v1 sends reviews to the v1 pod only', () => {
  const snap = bookinfoSnapshot(['virtual-service-all-v1.yaml']);
  const v1 = snap.pods.find((p) => p.name.startsWith('reviews-v1'));
  const r = simulate(generateProxyConfig(snap, sidecar('productpage-v1')), req('reviews:9080', '/reviews/0'));
  assert.equal(r.cluster, `outbound|9080|v1|${REVIEWS}`);
  assert.equal(r.endpoint, `${v1?.ip}:9080`);
});

test('end-user: jason goes to v2; other users and no user go to v1; header values are case-sensitive', () => {
  const cfg = generateProxyConfig(bookinfoSnapshot(['virtual-service-all-v1.yaml', 'virtual-service-reviews-test-v2.yaml']), sidecar('productpage-v1'));
  assert.equal(simulate(cfg, req('reviews:9080', '/reviews/0', { 'end-user': 'jason' })).cluster, `outbound|9080|v2|${REVIEWS}`);
  assert.equal(simulate(cfg, req('reviews:9080', '/reviews/0', { 'end-user': 'Jason' })).cluster, `outbound|9080|v1|${REVIEWS}`);
  assert.equal(simulate(cfg, req('reviews:9080', '/reviews/0')).cluster, `outbound|9080|v1|${REVIEWS}`);
});

test('50/50 and 80/20 weights pick by the draw', () => {
  const half = generateProxyConfig(bookinfoSnapshot(['virtual-service-reviews-50-v3.yaml']), sidecar('productpage-v1'));
  assert.equal(simulate(half, req('reviews:9080', '/'), { random: 0.25 }).cluster, `outbound|9080|v1|${REVIEWS}`);
  assert.equal(simulate(half, req('reviews:9080', '/'), { random: 0.75 }).cluster, `outbound|9080|v3|${REVIEWS}`);
  const eighty = generateProxyConfig(bookinfoSnapshot(['virtual-service-reviews-80-20.yaml']), sidecar('productpage-v1'));
  assert.equal(simulate(eighty, req('reviews:9080', '/'), { random: 0.79 }).cluster, `outbound|9080|v1|${REVIEWS}`);
  assert.equal(simulate(eighty, req('reviews:9080', '/'), { random: 0.81 }).cluster, `outbound|9080|v2|${REVIEWS}`);
});

test('the gateway routes the five Bookinfo paths to productpage and nothing else', () => {
  const cfg = generateProxyConfig(bookinfoSnapshot(), gateway);
  for (const [path, method] of [['/productpage', 'GET'], ['/static/bookinfo.css', 'GET'], ['/login', 'POST'], ['/logout', 'GET'], ['/api/v1/products/0', 'GET']] as const) {
    const r = simulate(cfg, { ...req('127.0.0.1:8080', path, {}, method), port: 8080 });
    assert.equal(r.cluster, 'outbound|9080||productpage.default.svc.cluster.local', path);
  }
  const miss = simulate(cfg, { ...req('127.0.0.1:8080', '/productpage/extra'), port: 8080 });
  assert.equal(miss.status, 404);
  assert.equal(miss.flags, 'NR');
});

test('an unknown host has no route (404 NR)', () => {
  const r = simulate(generateProxyConfig(bookinfoSnapshot(), sidecar('productpage-v1')), req('nowhere:9080', '/'));
  assert.equal(r.status, 404);
  assert.equal(r.flags, 'NR');
});

test('sourceLabels and sourceNamespace are decided per proxy', () => {
  const yaml = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ratings}
spec:
  hosts: [ratings]
  http:
  - match: [{sourceLabels: {app: reviews, version: v2}}]
    route: [{destination: {host: ratings, subset: v2}}]
  - match: [{sourceNamespace: other}]
    route: [{destination: {host: ratings, subset: v2-mysql}}]
  - route: [{destination: {host: ratings, subset: v1}}]
`;
  const snap = bookinfoSnapshot([], yaml);
  const fromV2 = simulate(generateProxyConfig(snap, sidecar('reviews-v2')), req('ratings:9080', '/ratings/0'));
  const fromV3 = simulate(generateProxyConfig(snap, sidecar('reviews-v3')), req('ratings:9080', '/ratings/0'));
  assert.equal(fromV2.cluster, 'outbound|9080|v2|ratings.default.svc.cluster.local');
  assert.equal(fromV3.cluster, 'outbound|9080|v1|ratings.default.svc.cluster.local');
  // A subset with no pods answers 503 UH, not a wrong version.
  assert.equal(fromV2.status, 503);
  assert.equal(fromV2.flags, 'UH');
});

test('the first matching route wins; uri prefix, regex, method and query matches', () => {
  const yaml = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: details}
spec:
  hosts: [details.default.svc.cluster.local]
  http:
  - match: [{uri: {regex: '/details/[0-9]+'}, method: {exact: POST}}]
    route: [{destination: {host: details, subset: v2}}]
  - match: [{queryParams: {debug: {exact: "1"}}}, {uri: {prefix: /health}}]
    route: [{destination: {host: details, subset: v2}}]
  - match: [{uri: {prefix: /details}}]
    route: [{destination: {host: details, subset: v1}}]
`;
  const cfg = generateProxyConfig(bookinfoSnapshot([], yaml), sidecar('productpage-v1'));
  const c = (path: string, method = 'GET') => simulate(cfg, req('details:9080', path, {}, method)).cluster ?? `${simulate(cfg, req('details:9080', path, {}, method)).status}`;
  assert.equal(c('/details/0', 'POST'), 'outbound|9080|v2|details.default.svc.cluster.local');
  assert.equal(c('/details/abc', 'POST'), 'outbound|9080|v1|details.default.svc.cluster.local');
  assert.equal(c('/details/0?debug=1'), 'outbound|9080|v2|details.default.svc.cluster.local');
  assert.equal(c('/health'), 'outbound|9080|v2|details.default.svc.cluster.local');
  assert.equal(c('/details/0'), 'outbound|9080|v1|details.default.svc.cluster.local');
  assert.equal(c('/other'), '404');
});
