// Mesh fixtures built from the real sample YAML: resources parsed by the config area, plus one
// deterministic pod per Deployment replica, so generated config is stable for golden files.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PodAnnotations, type DeploymentSpec, type Resource } from '../../src/api/index.ts';
import { parseManifests } from '../../src/config/index.ts';
import { buildSnapshot, type MeshSnapshot } from '../../src/model/index.ts';
import { ROOT } from './cli.ts';

export const BOOKINFO = join(ROOT, 'samples/bookinfo');

export function loadYaml(file: string): Resource[] {
  const parsed = parseManifests(readFileSync(file, 'utf8'), file);
  const out: Resource[] = [];
  for (const d of parsed.documents) {
    const errors = d.diagnostics.filter((x) => x.severity === 'error');
    if (errors.length) throw new Error(`${file}: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`);
    if (d.resource) out.push(d.resource);
  }
  return out;
}

export function parseYamlText(text: string): Resource[] {
  const parsed = parseManifests(text, 'inline.yaml');
  const errors = parsed.documents.flatMap((d) => d.diagnostics.filter((x) => x.severity === 'error'));
  if (errors.length) throw new Error(errors.map((e) => `${e.path}: ${e.message}`).join('; '));
  return parsed.documents.flatMap((d) => (d.resource ? [d.resource] : []));
}

export function withDefaults(resources: Resource[], t0 = Date.parse('2026-01-01T00:00:00Z')): Resource[] {
  return resources.map((r, i) => ({
    ...r,
    metadata: { ...r.metadata, namespace: r.metadata.namespace ?? (r.kind === 'Namespace' ? undefined : 'default'), creationTimestamp: new Date(t0 + i * 1000).toISOString() },
  }) as Resource);
}

/** One ready pod per replica with fixed names and addresses (10.0.0.N style, on 127.1.0.N). */
export function podsFor(resources: Resource[]): Resource[] {
  const pods: Resource[] = [];
  let n = 2;
  for (const r of resources) {
    if (r.kind !== 'Deployment') continue;
    const spec = r.spec as DeploymentSpec;
    for (let i = 0; i < (spec.replicas ?? 1); i++) {
      const name = `${r.metadata.name}-5d8f9c7b6-pod${i}`;
      const ports: Record<string, string> = {};
      for (const c of spec.template.spec.containers) for (const p of c.ports ?? []) ports[String(p.containerPort)] = `127.0.0.1:${40000 + n}`;
      pods.push({
        apiVersion: 'v1', kind: 'Pod',
        metadata: {
          name, namespace: r.metadata.namespace ?? 'default', labels: spec.template.metadata?.labels ?? {},
          annotations: { [PodAnnotations.appPorts]: JSON.stringify(ports), [PodAnnotations.sidecar]: '{}' },
          creationTimestamp: '2026-01-01T01:00:00Z',
        },
        spec: spec.template.spec,
        status: { phase: 'Running', ready: true, podIP: `127.1.0.${n++}` },
      });
    }
  }
  pods.push({
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: 'istio-ingressgateway-5d8f9c7b6-gw0', namespace: 'istio-system', labels: { app: 'istio-ingressgateway', istio: 'ingressgateway' }, creationTimestamp: '2026-01-01T01:00:00Z' },
    spec: { serviceAccountName: 'istio-ingressgateway-service-account', containers: [{ name: 'istio-proxy', ports: [{ containerPort: 8080 }] }] },
    status: { phase: 'Running', ready: true, podIP: '127.1.0.1' },
  });
  return pods;
}

/** Bookinfo + gateway + destination rules + the given networking files, as a snapshot. */
export function bookinfoSnapshot(networking: string[] = [], extraYaml = ''): MeshSnapshot {
  const files = [join(BOOKINFO, 'platform/bookinfo.yaml'), join(BOOKINFO, 'networking/bookinfo-gateway.yaml'), join(BOOKINFO, 'networking/destination-rule-all.yaml'), ...networking.map((f) => join(BOOKINFO, 'networking', f))];
  const resources = withDefaults([...files.flatMap(loadYaml), ...(extraYaml ? parseYamlText(extraYaml) : [])]);
  // A later file's resource replaces an earlier one with the same kind/namespace/name, as apply does.
  const byKey = new Map<string, Resource>();
  for (const r of resources) {
    const key = `${r.kind}/${r.metadata.namespace ?? ''}/${r.metadata.name}`;
    const old = byKey.get(key);
    byKey.set(key, old ? { ...r, metadata: { ...r.metadata, creationTimestamp: old.metadata.creationTimestamp } } as Resource : r);
  }
  const all = [...byKey.values()];
  return buildSnapshot([...all, ...podsFor(all)], 1);
}
