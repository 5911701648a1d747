// Golden files for the config the control plane generates in the Bookinfo scenarios.
// Refresh with UPDATE_GOLDEN=1 after an intended change, and review the diff.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ProxyNode } from '../../src/api/index.ts';
import { generateProxyConfig } from '../../src/controlplane/generate/index.ts';
import { buildSnapshot } from '../../src/model/index.ts';
import { bookinfoSnapshot } from '../support/fixtures.ts';

const DIR = join(import.meta.dirname, 'testdata');
const productpage: ProxyNode = { id: 'productpage-v1-5d8f9c7b6-pod0.default', role: 'sidecar', podName: 'productpage-v1-5d8f9c7b6-pod0', namespace: 'default' };
const gateway: ProxyNode = { id: 'istio-ingressgateway-5d8f9c7b6-gw0.istio-system', role: 'gateway', podName: 'istio-ingressgateway-5d8f9c7b6-gw0', namespace: 'istio-system' };

const SCENARIOS: [string, string[]][] = [
  ['default', []],
  ['all-v1', ['virtual-service-all-v1.yaml']],
  ['reviews-test-v2', ['virtual-service-all-v1.yaml', 'virtual-service-reviews-test-v2.yaml']],
  ['reviews-50-v3', ['virtual-service-all-v1.yaml', 'virtual-service-reviews-50-v3.yaml']],
  ['reviews-80-20', ['virtual-service-all-v1.yaml', 'virtual-service-reviews-80-20.yaml']],
];

function golden(name: string, value: unknown): void {
  const file = join(DIR, `${name}.json`);
  const text = JSON.stringify(value, null, 2) + '\n';
  if (process.env['UPDATE_GOLDEN'] === '1' || !existsSync(file)) {
    mkdirSync(DIR, { recursive: true });
    writeFileSync(file, text);
    if (process.env['UPDATE_GOLDEN'] !== '1') assert.fail(`golden file ${file} was missing and has been written; review it and run again`);
    return;
  }
  assert.equal(text, readFileSync(file, 'utf8'), `generated config differs from ${file} (UPDATE_GOLDEN=1 to refresh)`);
}

for (const [name, files] of SCENARIOS) {
  test(`golden: productpage sidecar, ${name}`, () => {
    golden(`productpage-sidecar.${name}`, generateProxyConfig(bookinfoSnapshot(files), productpage));
  });
}

// The reviews rule with a traffic policy at each level: top level, a subset section, a subset port-level entry.
const REVIEWS_TRAFFIC_POLICY = `
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
    outlierDetection: {consecutive5xxErrors: 1, interval: 1s, baseEjectionTime: 3m}
  subsets:
  - name: v1
    labels: {version: v1}
  - name: v2
    labels: {version: v2}
    trafficPolicy:
      loadBalancer:
        consistentHash: {httpHeaderName: end-user, maglev: {tableSize: 1031}}
  - name: v3
    labels: {version: v3}
    trafficPolicy:
      portLevelSettings:
      - port: {number: 9080}
        loadBalancer: {simple: RANDOM}
`;

test('golden: productpage sidecar, reviews traffic policy', () => {
  golden('productpage-sidecar.reviews-traffic-policy', generateProxyConfig(bookinfoSnapshot(['virtual-service-all-v1.yaml'], REVIEWS_TRAFFIC_POLICY), productpage));
});

test('golden: ingress gateway with the bookinfo gateway', () => {
  golden('ingressgateway.bookinfo', generateProxyConfig(bookinfoSnapshot([]), gateway));
});

test('generation is deterministic: input order does not change the output or its version', () => {
  const snap = bookinfoSnapshot(['virtual-service-reviews-80-20.yaml']);
  const shuffled = buildSnapshot([...snap.resources].reverse(), 2);
  assert.deepEqual(generateProxyConfig(shuffled, productpage), generateProxyConfig(snap, productpage));
});

test('a routing change changes the config version', () => {
  const a = generateProxyConfig(bookinfoSnapshot(['virtual-service-all-v1.yaml']), productpage);
  const b = generateProxyConfig(bookinfoSnapshot(['virtual-service-all-v1.yaml', 'virtual-service-reviews-50-v3.yaml']), productpage);
  assert.notEqual(a.version, b.version);
});
