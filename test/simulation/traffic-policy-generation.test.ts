// What the control plane generates for DestinationRule traffic policies on the Bookinfo fixture:
// each cluster carries the policy resolved for its subset and port (subset over top level,
// port level over its own level), typed and defaulted, and an lbPolicy that agrees with it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Cluster, ProxyConfig, ProxyNode } from '../../src/api/index.ts';
import { generateProxyConfig } from '../../src/controlplane/generate/index.ts';
import { simulate } from '../../src/proxy/index.ts';
import { bookinfoSnapshot } from '../support/fixtures.ts';

const productpage: ProxyNode = { id: 'productpage-v1-5d8f9c7b6-pod0.default', role: 'sidecar', podName: 'productpage-v1-5d8f9c7b6-pod0', namespace: 'default' };
const REVIEWS = 'reviews.default.svc.cluster.local';

// Replaces destination-rule-all.yaml's `reviews` rule (same name and namespace).
const REVIEWS_DR = `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: default}
spec:
  host: reviews
  trafficPolicy:
    loadBalancer: {simple: LEAST_REQUEST}
    connectionPool:
      tcp: {maxConnections: 100, connectTimeout: 30ms}
      http: {http1MaxPendingRequests: 1, maxRequestsPerConnection: 1}
    outlierDetection: {consecutive5xxErrors: 1, interval: 1s, baseEjectionTime: 3m, maxEjectionPercent: 100}
    retryBudget: {percent: 25}
  subsets:
  - name: v1
    labels: {version: v1}
  - name: v2
    labels: {version: v2}
    trafficPolicy:
      loadBalancer:
        consistentHash: {httpCookie: {name: user, ttl: 0s}}
  - name: v3
    labels: {version: v3}
    trafficPolicy:
      portLevelSettings:
      - port: {number: 9080}
        loadBalancer: {simple: RANDOM}
`;

function clusterOf(cfg: ProxyConfig, name: string): Cluster {
  const c = cfg.clusters.find((x) => x.name === name);
  assert.ok(c, name);
  return c;
}

const TOP = {
  loadBalancer: { simple: 'LEAST_REQUEST' },
  connectionPool: { tcp: { maxConnections: 100, connectTimeoutMs: 30 }, http: { http1MaxPendingRequests: 1, maxRequestsPerConnection: 1 } },
  outlierDetection: {
    consecutive5xxErrors: 1, consecutiveGatewayErrors: 0, consecutiveLocalOriginFailures: 5, splitExternalLocalOriginErrors: false,
    intervalMs: 1000, baseEjectionTimeMs: 180_000, maxEjectionPercent: 100, minHealthPercent: 0,
  },
  retryBudget: { percent: 25, minRetryConcurrency: 3 },
};

test('reviews clusters: the top-level policy, a subset overriding one section, a subset port-level entry replacing everything', () => {
  const cfg = generateProxyConfig(bookinfoSnapshot([], REVIEWS_DR), productpage);

  const all = clusterOf(cfg, `outbound|9080||${REVIEWS}`);
  assert.deepEqual(all.policy, TOP);
  assert.equal(all.lbPolicy, 'LEAST_REQUEST');

  const v1 = clusterOf(cfg, `outbound|9080|v1|${REVIEWS}`);
  assert.deepEqual(v1.policy, TOP, 'a subset without a policy inherits the top level');
  assert.equal(v1.lbPolicy, 'LEAST_REQUEST');

  const v2 = clusterOf(cfg, `outbound|9080|v2|${REVIEWS}`);
  assert.deepEqual(v2.policy, { ...TOP, loadBalancer: { consistentHash: { httpCookie: { name: 'user', ttlMs: 0 }, ringHash: { minimumRingSize: 1024 } } } });
  assert.equal(v2.lbPolicy, 'RING_HASH');

  // The subset's entry for 9080 replaces loadBalancer, connectionPool and outlierDetection; the
  // top level's retryBudget is not a port-level setting and stays.
  const v3 = clusterOf(cfg, `outbound|9080|v3|${REVIEWS}`);
  assert.deepEqual(v3.policy, { loadBalancer: { simple: 'RANDOM' }, retryBudget: { percent: 25, minRetryConcurrency: 3 } });
  assert.equal(v3.lbPolicy, 'RANDOM');

  // The written policy is still shown as written.
  assert.deepEqual(v3.trafficPolicy, { portLevelSettings: [{ port: { number: 9080 }, loadBalancer: { simple: 'RANDOM' } }] });
});

test('clusters of other services carry no policy when their rule has none', () => {
  const cfg = generateProxyConfig(bookinfoSnapshot([], REVIEWS_DR), productpage);
  const ratings = clusterOf(cfg, 'outbound|9080|v1|ratings.default.svc.cluster.local');
  assert.equal(ratings.policy, undefined);
  assert.equal(ratings.lbPolicy, 'ROUND_ROBIN');
});

test('the proxy accepts a consistent-hash cluster and still routes to it', () => {
  const cfg = generateProxyConfig(bookinfoSnapshot(['virtual-service-reviews-test-v2.yaml'], REVIEWS_DR), productpage);
  const r = simulate(cfg, { authority: 'reviews:9080', path: '/reviews/0', method: 'GET', headers: { 'end-user': 'jason' }, port: 9080 });
  assert.equal(r.cluster, `outbound|9080|v2|${REVIEWS}`);
  assert.equal(r.status, 200);
  assert.ok(r.endpoint);
});
