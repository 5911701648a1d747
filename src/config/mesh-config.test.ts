import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMeshConfig } from './mesh-config.ts';
import { formatDiagnostic } from './diagnostic.ts';

test('a MeshConfig in Istio shape: trust domain, root namespace, SECRET_TTL, numTrustedProxies, an ext_authz provider', () => {
  const r = parseMeshConfig(`mesh:
  trustDomain: example.org
  rootNamespace: mesh-root
  defaultConfig:
    proxyMetadata: {SECRET_TTL: 6s}
    gatewayTopology: {numTrustedProxies: 2}
  extensionProviders:
  - name: sample-ext-authz-http
    envoyExtAuthzHttp:
      service: ext-authz.foo.svc.cluster.local
      port: 8000
      timeout: 250ms
      includeRequestHeadersInCheck: ["X-Ext-Authz"]
      headersToUpstreamOnAllow: ["x-ext-authz-check-result"]
      headersToDownstreamOnDeny: ["x-ext-authz-check-result"]
`, 'mesh.yaml');
  assert.deepEqual(r.diagnostics, []);
  assert.equal(r.config.trustDomain, 'example.org');
  assert.equal(r.config.rootNamespace, 'mesh-root');
  assert.equal(r.config.workloadCertTtlMs, 6000);
  assert.equal(r.config.numTrustedProxies, 2);
  assert.deepEqual(r.config.extensionProviders, [{
    name: 'sample-ext-authz-http', service: 'ext-authz.foo.svc.cluster.local', port: 8000, timeoutMs: 250, statusOnError: 403, failOpen: false,
    includeRequestHeadersInCheck: ['x-ext-authz'], headersToUpstreamOnAllow: ['x-ext-authz-check-result'], headersToDownstreamOnDeny: ['x-ext-authz-check-result'],
  }]);
});

test('mistakes name the file, line, field and reason; unknown fields warn', () => {
  const r = parseMeshConfig(`trustDomain: Not_A_Domain
defaultConfig:
  proxyMetadata: {SECRET_TTL: soon}
extensionProviders:
- name: a
  envoyExtAuthzHttp: {service: x, port: 70000}
- name: a
  envoyExtAuthzHttp: {service: y, port: 80}
enableTracing: true
`, 'mesh.yaml');
  const lines = r.diagnostics.map(formatDiagnostic);
  assert.ok(lines.some((l) => /^mesh\.yaml:1:\d+: error: MeshConfig: trustDomain: trustDomain must be a lower-case DNS name/.test(l)), lines.join('\n'));
  assert.ok(lines.some((l) => /^mesh\.yaml:3:\d+: error: .*SECRET_TTL must be a duration/.test(l)), lines.join('\n'));
  assert.ok(lines.some((l) => /extensionProviders\[0\]\.envoyExtAuthzHttp\.port: port must be in 1\.\.65535/.test(l)), lines.join('\n'));
  assert.ok(lines.some((l) => /duplicate extension provider name a/.test(l)), lines.join('\n'));
  assert.ok(lines.some((l) => /warning: .*enableTracing has no effect/.test(l)), lines.join('\n'));
  const bad = parseMeshConfig('trustDomain: [unclosed', 'm.yaml');
  assert.equal(bad.diagnostics[0]?.severity, 'error');
  assert.equal(bad.diagnostics[0]?.file, 'm.yaml');
});

test('localityLbSetting: read as written; absent, it is the default {enabled: true}', () => {
  const r = parseMeshConfig(`mesh:
  localityLbSetting:
    enabled: true
    failover:
    - {from: us-east, to: us-west}
    failoverPriority: [topology.istio.io/network]
`, 'mesh.yaml');
  assert.deepEqual(r.diagnostics, []);
  assert.deepEqual(r.config.localityLbSetting, { enabled: true, failover: [{ from: 'us-east', to: 'us-west' }], failoverPriority: ['topology.istio.io/network'] });
  const d = parseMeshConfig(`localityLbSetting:
  distribute:
  - from: us-east/*
    to: {"us-east/*": 80, "us-west/*": 20}
`, 'mesh.yaml');
  assert.deepEqual(d.diagnostics, []);
  assert.deepEqual(d.config.localityLbSetting, { distribute: [{ from: 'us-east/*', to: { 'us-east/*': 80, 'us-west/*': 20 } }] });
  assert.deepEqual(parseMeshConfig('trustDomain: example.org\n', 'mesh.yaml').config.localityLbSetting, { enabled: true });
  assert.deepEqual(parseMeshConfig('localityLbSetting: {enabled: false}\n', 'mesh.yaml').config.localityLbSetting, { enabled: false });
});

test('localityLbSetting mistakes name the field and line; a setting with errors is not used', () => {
  const r = parseMeshConfig(`localityLbSetting:
  enabled: "yes"
  distribute:
  - from: us-east/*
    to: {"us-east/*": 70, "us-east/zone-a": 20}
  - to: {"us-west/*": 100}
  failover:
  - {from: us-east, to: us-east}
  failoverPriorty: [a]
`, 'mesh.yaml');
  const lines = r.diagnostics.map(formatDiagnostic);
  const has = (re: RegExp) => assert.ok(lines.some((l) => re.test(l)), `${re}\n${lines.join('\n')}`);
  has(/^mesh\.yaml:2:\d+: error: MeshConfig: localityLbSetting\.enabled: enabled must be true or false/);
  has(/^mesh\.yaml:6:\d+: error: .*localityLbSetting\.distribute\[1\]\.from: from is required/);
  has(/^mesh\.yaml:\d+:\d+: error: .*localityLbSetting: can not simultaneously specify 'distribute' and 'failover'/);
  has(/warning: .*localityLbSetting\.failoverPriorty: field failoverPriorty is not a localityLbSetting field/);
  assert.deepEqual(r.config.localityLbSetting, { enabled: true }, 'the default stays');
  const w = parseMeshConfig(`localityLbSetting:
  distribute:
  - from: us-east/*
    to: {"us-east/*": 70, "us-east/zone-a": 20}
`, 'mesh.yaml').diagnostics.map(formatDiagnostic);
  assert.ok(w.some((l) => /^mesh\.yaml:4:\d+: error: .*localityLbSetting\.distribute\[0\]\.to: total locality weight 90 != 100/.test(l)), w.join('\n'));
  assert.ok(w.some((l) => /^mesh\.yaml:4:\d+: error: .*distribute\[0\]\.to\["us-east\/zone-a"\]: locality us-east\/zone-a overlaps us-east\/\*, listed before it/.test(l)), w.join('\n'));
  const f = parseMeshConfig(`localityLbSetting:
  failover:
  - {from: us-east, to: us-east}
  - {from: us-west/a, to: us-east}
`, 'mesh.yaml').diagnostics.map(formatDiagnostic);
  assert.ok(f.some((l) => /^mesh\.yaml:3:\d+: error: .*failover\[0\]: locality lb failover settings must specify different regions/.test(l)), f.join('\n'));
  assert.ok(f.some((l) => /^mesh\.yaml:4:\d+: error: .*failover\[1\]: locality lb failover only specify region/.test(l)), f.join('\n'));
  assert.ok(!f.some((l) => /outlier detection/.test(l)), 'no outlier detection warning for the mesh-wide setting');
});
