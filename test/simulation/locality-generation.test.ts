// What the control plane generates for locality load balancing: each endpoint's locality, failover
// priorities relative to the calling proxy (default scheme, region failover, failoverPriority
// labels), `distribute` weights, and which setting applies (DestinationRule over MeshConfig,
// `enabled: false`, outlier detection required for failover). Localities follow Istio's
// locality failover task: helloworld in region1/zone1, region1/zone2, region2/zone3 and
// region3/zone4, called from a sleep pod in region1/zone1.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Cluster, Endpoint, LocalityLbSetting, ProxyConfig, ProxyNode, Resource } from '../../src/api/index.ts';
import { generateProxyConfig } from '../../src/controlplane/generate/index.ts';
import { buildSnapshot } from '../../src/model/index.ts';
import { simulate } from '../../src/proxy/index.ts';
import { parseYamlText, withDefaults } from '../support/fixtures.ts';

const NS = 'sample';
const HELLO = `outbound|5000||helloworld.${NS}.svc.cluster.local`;
const EXTERNAL = 'outbound|443||api.example.com';

let ip = 10;
function pod(name: string, labels: Record<string, string>): Resource {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, namespace: NS, labels, annotations: { 'sidecar.istio.io/status': '{}' }, creationTimestamp: '2026-01-01T01:00:00Z' },
    spec: { serviceAccountName: name.split('-')[0], containers: [{ name: 'app', ports: [{ containerPort: 5000 }] }] },
    status: { phase: 'Running', ready: true, podIP: `127.2.0.${ip++}` },
  } as Resource;
}
const topo = (region: string, zone: string, subzone?: string): Record<string, string> => ({
  'topology.kubernetes.io/region': region,
  'topology.kubernetes.io/zone': zone,
  ...(subzone !== undefined ? { 'topology.istio.io/subzone': subzone } : {}),
});

// Every way a pod says where it runs: the topology labels, Istio's one-label forms with dots.
const PODS = [
  pod('sleep-r1z1', { app: 'sleep', 'istio-locality': 'region1.zone1', 'topology.istio.io/network': 'net1', rack: 'a' }),
  pod('sleep-r2z3', { app: 'sleep', ...topo('region2', 'zone3') }),
  pod('helloworld-r1z1', { app: 'helloworld', ...topo('region1', 'zone1'), 'topology.istio.io/network': 'net1', rack: 'b' }),
  pod('helloworld-r1z1s2', { app: 'helloworld', ...topo('region1', 'zone1', 'sub2'), 'topology.istio.io/network': 'net2', rack: 'a' }),
  pod('helloworld-r1z2', { app: 'helloworld', 'topology.istio.io/locality': 'region1.zone2', 'topology.istio.io/network': 'net1', rack: 'a' }),
  pod('helloworld-r2z3', { app: 'helloworld', ...topo('region2', 'zone3'), 'topology.istio.io/network': 'net1' }),
  pod('helloworld-r3z4', { app: 'helloworld', ...topo('region3', 'zone4'), 'topology.istio.io/network': 'net2' }),
  pod('helloworld-nowhere', { app: 'helloworld' }),
];
const LOCALITY: Record<string, string | undefined> = {
  'helloworld-r1z1': 'region1/zone1',
  'helloworld-r1z1s2': 'region1/zone1/sub2',
  'helloworld-r1z2': 'region1/zone2',
  'helloworld-r2z3': 'region2/zone3',
  'helloworld-r3z4': 'region3/zone4',
  'helloworld-nowhere': undefined,
};

const BASE = `
apiVersion: v1
kind: Service
metadata: {name: helloworld, namespace: ${NS}}
spec:
  selector: {app: helloworld}
  ports: [{name: http, port: 5000}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: api, namespace: ${NS}}
spec:
  hosts: [api.example.com]
  ports: [{number: 443, name: tls, protocol: TLS}]
  resolution: STATIC
  location: MESH_EXTERNAL
  endpoints:
  - {address: 10.9.0.1, locality: region1/zone1}
  - {address: 10.9.0.2, labels: {istio-locality: region2.zone3}}
  - {address: 10.9.0.3}
`;

/** helloworld's DestinationRule with this trafficPolicy (YAML, indented for `trafficPolicy:`). */
function dr(trafficPolicy: string): string {
  return `---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: helloworld, namespace: ${NS}}
spec:
  host: helloworld.${NS}.svc.cluster.local
  trafficPolicy:
${trafficPolicy}
`;
}
const OUTLIER = '    outlierDetection: {consecutive5xxErrors: 1, interval: 1s, baseEjectionTime: 1m}';

function generate(yaml = '', mesh?: LocalityLbSetting, client = 'sleep-r1z1'): ProxyConfig {
  const resources = [...withDefaults(parseYamlText(BASE + yaml)), ...PODS];
  const snap = buildSnapshot(resources, 1, mesh !== undefined ? { localityLbSetting: mesh } : {});
  const node: ProxyNode = { id: `${client}.${NS}`, role: 'sidecar', podName: client, namespace: NS };
  return generateProxyConfig(snap, node);
}

function endpoints(cfg: ProxyConfig, cluster = HELLO): Endpoint[] {
  const e = cfg.endpoints.find((x) => x.cluster === cluster)?.endpoints;
  assert.ok(e, cluster);
  return e;
}

function clusterOf(cfg: ProxyConfig, name = HELLO): Cluster {
  const c = cfg.clusters.find((x) => x.name === name);
  assert.ok(c, name);
  return c;
}

/** pod name -> priority (undefined: not set). */
function priorities(cfg: ProxyConfig): Record<string, number | undefined> {
  return Object.fromEntries(endpoints(cfg).map((e) => [e.pod as string, e.priority]));
}

const none = Object.fromEntries(Object.keys(LOCALITY).map((p) => [p, undefined]));

test('endpoints carry their locality, from pod labels or the ServiceEntry endpoint, with or without locality load balancing', () => {
  const cfg = generate();
  assert.deepEqual(Object.fromEntries(endpoints(cfg).map((e) => [e.pod, e.locality])), LOCALITY);
  assert.deepEqual(endpoints(cfg, EXTERNAL).map((e) => [e.address, e.locality]), [
    ['10.9.0.1', 'region1/zone1'], ['10.9.0.2', 'region2/zone3'], ['10.9.0.3', undefined],
  ]);
  // Locality load balancing is on by default, but failover needs outlier detection.
  assert.deepEqual(priorities(cfg), none);
  assert.equal(clusterOf(cfg).localityWeights, undefined);
});

test('default failover: same zone (and subzone) 0, other subzone 1, other zone 2, other regions 3, renumbered without gaps', () => {
  const cfg = generate(dr(OUTLIER));
  assert.deepEqual(priorities(cfg), {
    'helloworld-r1z1': 0, 'helloworld-r1z1s2': 1, 'helloworld-r1z2': 2, 'helloworld-r2z3': 3, 'helloworld-r3z4': 3, 'helloworld-nowhere': 3,
  });
  // The proxy sends to priority 0 while it is healthy.
  const r = simulate(cfg, { authority: 'helloworld:5000', path: '/hello', method: 'GET', headers: {}, port: 5000 });
  assert.equal(r.endpoint, `${endpoints(cfg).find((e) => e.pod === 'helloworld-r1z1')?.address}:5000`);

  // Seen from region2/zone3, the same endpoints rank differently.
  assert.deepEqual(priorities(generate(dr(OUTLIER), undefined, 'sleep-r2z3')), {
    'helloworld-r1z1': 1, 'helloworld-r1z1s2': 1, 'helloworld-r1z2': 1, 'helloworld-r2z3': 0, 'helloworld-r3z4': 1, 'helloworld-nowhere': 1,
  });
});

test('failover region1 -> region2: region2 comes before the other regions (the locality failover task)', () => {
  const cfg = generate(dr(`    loadBalancer:
      simple: ROUND_ROBIN
      localityLbSetting:
        enabled: true
        failover: [{from: region1, to: region2}]
${OUTLIER}`));
  assert.deepEqual(priorities(cfg), {
    'helloworld-r1z1': 0, 'helloworld-r1z1s2': 1, 'helloworld-r1z2': 2, 'helloworld-r2z3': 3, 'helloworld-r3z4': 4, 'helloworld-nowhere': 4,
  });
  // A failover entry for another region changes nothing for this proxy.
  const other = generate(dr(`    loadBalancer:
      localityLbSetting: {failover: [{from: region2, to: region3}]}
${OUTLIER}`));
  assert.deepEqual(priorities(other), priorities(generate(dr(OUTLIER))));
});

test('failoverPriority: more leading labels in common with the proxy rank better; label=value; with failover, labels first', () => {
  const lb = (setting: string) => dr(`    loadBalancer:\n      localityLbSetting: ${setting}\n${OUTLIER}`);
  // network, then region: both match 0, network only 1, network differs 2.
  assert.deepEqual(priorities(generate(lb('{failoverPriority: [topology.istio.io/network, topology.kubernetes.io/region]}'))), {
    'helloworld-r1z1': 0, 'helloworld-r1z1s2': 2, 'helloworld-r1z2': 0, 'helloworld-r2z3': 1, 'helloworld-r3z4': 2, 'helloworld-nowhere': 2,
  });
  // The zone label comes from the istio-locality labels on both sides.
  assert.deepEqual(priorities(generate(lb('{failoverPriority: [topology.kubernetes.io/zone, rack]}'))), {
    'helloworld-r1z1': 1, 'helloworld-r1z1s2': 0, 'helloworld-r1z2': 2, 'helloworld-r2z3': 2, 'helloworld-r3z4': 2, 'helloworld-nowhere': 2,
  });
  // label=value compares endpoints with the value, not with the proxy's label.
  assert.deepEqual(priorities(generate(lb('{failoverPriority: [topology.istio.io/network=net2]}'))), {
    'helloworld-r1z1': 1, 'helloworld-r1z1s2': 0, 'helloworld-r1z2': 1, 'helloworld-r2z3': 1, 'helloworld-r3z4': 0, 'helloworld-nowhere': 1,
  });
  // With failover too: the network rank first, then the region scheme (region3 is the failover target).
  assert.deepEqual(priorities(generate(lb('{failoverPriority: [topology.istio.io/network], failover: [{from: region1, to: region3}]}'))), {
    'helloworld-r1z1': 0, // net1, same zone
    'helloworld-r1z2': 1, // net1, other zone
    'helloworld-r2z3': 2, // net1, other region, not the failover target
    'helloworld-r1z1s2': 3, // net2, other subzone
    'helloworld-r3z4': 4, // net2, the failover target region
    'helloworld-nowhere': 5, // no network, no locality
  });
});

const DISTRIBUTE = '{distribute: [{from: "region1/zone1/*", to: {"region1/zone1/*": 70, "region1/zone2/*": 20, "region3/zone4/*": 10}}]}';

test('distribute: weights per endpoint locality for a proxy the from matches, split across the localities a key matches; no priorities', () => {
  const withoutOutlier = generate(dr(`    loadBalancer:\n      localityLbSetting: ${DISTRIBUTE}`));
  // region1/zone1/* matches two localities with one endpoint each: 70 is shared between them.
  assert.deepEqual(clusterOf(withoutOutlier).localityWeights, { 'region1/zone1': 35, 'region1/zone1/sub2': 35, 'region1/zone2': 20, 'region3/zone4': 10 });
  assert.deepEqual(priorities(withoutOutlier), none);
  const withOutlier = generate(dr(`    loadBalancer:\n      localityLbSetting: ${DISTRIBUTE}\n${OUTLIER}`));
  assert.deepEqual(clusterOf(withOutlier).localityWeights, clusterOf(withoutOutlier).localityWeights);
  assert.deepEqual(priorities(withOutlier), none, 'distribute replaces failover');
  // No entry's from matches region2/zone3: no weights, and no failover either.
  const elsewhere = generate(dr(`    loadBalancer:\n      localityLbSetting: ${DISTRIBUTE}\n${OUTLIER}`), undefined, 'sleep-r2z3');
  assert.equal(clusterOf(elsewhere).localityWeights, undefined);
  assert.deepEqual(priorities(elsewhere), none);
  // A wildcard key also takes the endpoints of unknown locality; a more specific key claims first.
  const catchAll = generate(dr(`    loadBalancer:\n      localityLbSetting: {distribute: [{from: "*", to: {"region1/zone1": 50, "*": 50}}]}`));
  assert.deepEqual(clusterOf(catchAll).localityWeights, {
    '': 13, 'region1/zone1': 25, 'region1/zone1/sub2': 25, 'region1/zone2': 13, 'region2/zone3': 13, 'region3/zone4': 13,
  });
});

test('enabled: false turns locality load balancing off, distribute included', () => {
  const off = generate(dr(`    loadBalancer:\n      localityLbSetting: {enabled: false, failover: [{from: region1, to: region2}]}\n${OUTLIER}`));
  assert.deepEqual(priorities(off), none);
  const offDistribute = generate(dr(`    loadBalancer:\n      localityLbSetting: {enabled: false, distribute: [{from: "*", to: {"region1/*": 100}}]}`));
  assert.equal(clusterOf(offDistribute).localityWeights, undefined);
  // The locality stays on the endpoints for display.
  assert.equal(endpoints(off).find((e) => e.pod === 'helloworld-r2z3')?.locality, 'region2/zone3');
});

test('the MeshConfig setting applies where no DestinationRule sets one, and a DestinationRule setting replaces it entirely', () => {
  const meshFailover: LocalityLbSetting = { failover: [{ from: 'region1', to: 'region2' }] };
  assert.deepEqual(priorities(generate(dr(OUTLIER), meshFailover)), {
    'helloworld-r1z1': 0, 'helloworld-r1z1s2': 1, 'helloworld-r1z2': 2, 'helloworld-r2z3': 3, 'helloworld-r3z4': 4, 'helloworld-nowhere': 4,
  });
  // Mesh-wide off: nothing, even with outlier detection.
  assert.deepEqual(priorities(generate(dr(OUTLIER), { enabled: false })), none);
  // Mesh-wide distribute reaches clusters with no DestinationRule at all.
  const meshDistribute: LocalityLbSetting = { distribute: [{ from: 'region1/*', to: { 'region1/*': 80, 'region2/*': 20 } }] };
  assert.deepEqual(clusterOf(generate('', meshDistribute)).localityWeights, { 'region1/zone1': 27, 'region1/zone1/sub2': 27, 'region1/zone2': 27, 'region2/zone3': 20 });
  assert.deepEqual(clusterOf(generate('', meshDistribute), EXTERNAL).localityWeights, { 'region1/zone1': 80, 'region2/zone3': 20 });
  // The rule's own setting (here just enabled) replaces the mesh's: default failover, no weights.
  const overridden = generate(dr(`    loadBalancer:\n      localityLbSetting: {enabled: true}\n${OUTLIER}`), meshDistribute);
  assert.equal(clusterOf(overridden).localityWeights, undefined);
  assert.deepEqual(priorities(overridden), priorities(generate(dr(OUTLIER))));
  // A rule that is off turns the mesh setting off for its host only.
  const ruleOff = generate(dr(`    loadBalancer:\n      localityLbSetting: {enabled: false}`), meshDistribute);
  assert.equal(clusterOf(ruleOff).localityWeights, undefined);
  assert.deepEqual(clusterOf(ruleOff, EXTERNAL).localityWeights, { 'region1/zone1': 80, 'region2/zone3': 20 });
});

test('no outlier detection on the cluster: no failover priorities, even when failover is configured', () => {
  const cfg = generate(dr(`    loadBalancer:\n      localityLbSetting: {failover: [{from: region1, to: region2}]}`));
  assert.deepEqual(priorities(cfg), none);
  // Outlier detection that a subset's port-level entry drops takes failover with it.
  const subset = generate(`---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: helloworld, namespace: ${NS}}
spec:
  host: helloworld.${NS}.svc.cluster.local
  trafficPolicy:
${OUTLIER}
  subsets:
  - name: all
    labels: {app: helloworld}
    trafficPolicy:
      portLevelSettings:
      - port: {number: 5000}
        loadBalancer: {simple: RANDOM}
`);
  assert.equal(priorities(subset)['helloworld-r2z3'], 3, 'the service-wide cluster keeps outlier detection');
  const subsetEndpoints = endpoints(subset, `outbound|5000|all|helloworld.${NS}.svc.cluster.local`);
  assert.deepEqual(subsetEndpoints.map((e) => e.priority), subsetEndpoints.map(() => undefined));
});
