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
