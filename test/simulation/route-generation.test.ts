// VirtualService http route fields that generation turns into route structure: per-destination
// headers and mirror clusters (referenced so they are generated).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ProxyNode } from '../../src/api/index.ts';
import { generateProxyConfig } from '../../src/controlplane/generate/index.ts';
import { bookinfoSnapshot } from '../support/fixtures.ts';

const productpage: ProxyNode = { id: 'productpage-v1-5d8f9c7b6-pod0.default', role: 'sidecar', podName: 'productpage-v1-5d8f9c7b6-pod0', namespace: 'default' };

test('destination headers and mirrors reach the route; the mirror cluster is generated', () => {
  const yaml = `---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews, subset: v1}
      weight: 90
      headers: {request: {set: {x-version: v1}}}
    - destination: {host: reviews, subset: v2}
      weight: 10
    mirror: {host: reviews, subset: v3}
    mirrorPercentage: {value: 25}
`;
  const cfg = generateProxyConfig(bookinfoSnapshot([], yaml), productpage);
  const route = cfg.routes.find((t) => t.name === '9080')?.virtualHosts.find((v) => v.name.startsWith('reviews.'))?.routes[0];
  assert.ok(route);
  assert.deepEqual(route.route?.clusters, [
    { cluster: 'outbound|9080|v1|reviews.default.svc.cluster.local', weight: 90, headers: { request: { set: { 'x-version': 'v1' } } } },
    { cluster: 'outbound|9080|v2|reviews.default.svc.cluster.local', weight: 10 },
  ]);
  assert.deepEqual(route.mirrors, [{ cluster: 'outbound|9080|v3|reviews.default.svc.cluster.local', percentage: 25 }]);
  assert.ok(cfg.clusters.some((c) => c.name === 'outbound|9080|v3|reviews.default.svc.cluster.local'));
});
