// sleep.yaml: read by the mesh's own manifest parser without a single diagnostic, in the shape
// the security tasks expect (Service port 80, service account sleep).

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import type { DeploymentSpec, KubeServiceSpec, Resource } from '../../../src/api/index.ts';
import { parseManifests } from '../../../src/config/index.ts';

const file = fileURLToPath(new URL('../sleep.yaml', import.meta.url));

test('sleep.yaml: no diagnostics; ServiceAccount, Service and Deployment named sleep, no namespace', () => {
  const parsed = parseManifests(readFileSync(file, 'utf8'), file, { defaultNamespace: null });
  assert.deepEqual(parsed.diagnostics, []);
  const byKind = new Map(parsed.resources.map((r) => [r.kind, r]));
  assert.deepEqual(parsed.resources.map((r) => r.kind), ['ServiceAccount', 'Service', 'Deployment']);
  for (const r of parsed.resources) {
    assert.equal(r.metadata.name, 'sleep', r.kind);
    assert.equal(r.metadata.namespace, undefined, r.kind);
  }

  const svc = byKind.get('Service') as Resource<KubeServiceSpec>;
  assert.deepEqual(svc.spec.ports, [{ name: 'http', port: 80 }]);
  assert.deepEqual(svc.spec.selector, { app: 'sleep' });

  const dep = byKind.get('Deployment') as Resource<DeploymentSpec>;
  assert.deepEqual(dep.spec.selector?.matchLabels, { app: 'sleep' });
  assert.deepEqual(dep.spec.template.metadata?.labels, { app: 'sleep' });
  assert.equal(dep.spec.template.spec.serviceAccountName, 'sleep');
  assert.equal(dep.spec.template.spec.containers.length, 1);
  const c = dep.spec.template.spec.containers[0]!;
  assert.deepEqual(c.command, ['node', '$(ISTHMUS_DIST)/samples/sleep.js']);
  assert.deepEqual(c.ports, [{ containerPort: 80 }]);
  // dist/samples/sleep.js is built from this entry point.
  assert.ok(existsSync(fileURLToPath(new URL('./sleep.ts', import.meta.url))));
});
