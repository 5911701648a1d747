// httpbin.yaml: read by the mesh's own manifest parser without a single diagnostic, in the shape
// the security tasks expect (Service 8000 -> pod port 80, service account httpbin).

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import type { DeploymentSpec, KubeServiceSpec, Resource } from '../../../src/api/index.ts';
import { parseManifests } from '../../../src/config/index.ts';

const file = fileURLToPath(new URL('../httpbin.yaml', import.meta.url));

test('httpbin.yaml: no diagnostics; ServiceAccount, Service and Deployment named httpbin, no namespace', () => {
  const parsed = parseManifests(readFileSync(file, 'utf8'), file, { defaultNamespace: null });
  assert.deepEqual(parsed.diagnostics, []);
  const byKind = new Map(parsed.resources.map((r) => [r.kind, r]));
  assert.deepEqual(parsed.resources.map((r) => r.kind), ['ServiceAccount', 'Service', 'Deployment']);
  for (const r of parsed.resources) {
    assert.equal(r.metadata.name, 'httpbin', r.kind);
    assert.equal(r.metadata.namespace, undefined, r.kind);
  }

  const svc = byKind.get('Service') as Resource<KubeServiceSpec>;
  assert.deepEqual(svc.spec.ports, [{ name: 'http', port: 8000, targetPort: 80 }]);
  assert.deepEqual(svc.spec.selector, { app: 'httpbin' });

  const dep = byKind.get('Deployment') as Resource<DeploymentSpec>;
  const labels = { app: 'httpbin', version: 'v1' };
  assert.deepEqual(dep.metadata.labels, labels);
  assert.deepEqual(dep.spec.selector?.matchLabels, labels);
  assert.deepEqual(dep.spec.template.metadata?.labels, labels);
  assert.equal(dep.spec.template.spec.serviceAccountName, 'httpbin');
  assert.equal(dep.spec.template.spec.containers.length, 1);
  const c = dep.spec.template.spec.containers[0]!;
  assert.deepEqual(c.command, ['node', '$(ISTHMUS_DIST)/samples/httpbin.js']);
  assert.deepEqual(c.ports, [{ containerPort: 80 }]);
  // dist/samples/httpbin.js is built from this entry point.
  assert.ok(existsSync(fileURLToPath(new URL('./httpbin.ts', import.meta.url))));
});
