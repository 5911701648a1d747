// The manifests and routing rules shipped with the sample: the workloads the local platform needs,
// and routing rules that only name subsets the destination rules define.

import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { parseAllDocuments } from 'yaml';

const root = fileURLToPath(new URL('..', import.meta.url));

interface Doc {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
}

function load(relative: string): Doc[] {
  const docs = parseAllDocuments(readFileSync(`${root}${relative}`, 'utf8'));
  for (const d of docs) assert.deepEqual(d.errors, [], relative);
  return docs.map((d) => d.toJS() as Doc).filter((d) => d !== null);
}

interface Container {
  name: string;
  command: string[];
  env?: { name: string; value: string }[];
  ports: { containerPort: number }[];
}
interface DeploymentSpec {
  replicas: number;
  selector: { matchLabels: Record<string, string> };
  template: { metadata: { labels: Record<string, string> }; spec: { serviceAccountName: string; containers: Container[] } };
}

test('platform/bookinfo.yaml: a Service, ServiceAccount and the Deployments per service', () => {
  const docs = load('platform/bookinfo.yaml');
  assert.ok(docs.every((d) => d.metadata.namespace === undefined), 'namespace-less');
  const names = (kind: string) => docs.filter((d) => d.kind === kind).map((d) => d.metadata.name).sort();
  assert.deepEqual(names('Service'), ['details', 'productpage', 'ratings', 'reviews']);
  assert.deepEqual(names('ServiceAccount'), ['bookinfo-details', 'bookinfo-productpage', 'bookinfo-ratings', 'bookinfo-reviews']);
  assert.deepEqual(names('Deployment'), ['details-v1', 'productpage-v1', 'ratings-v1', 'reviews-v1', 'reviews-v2', 'reviews-v3']);

  for (const svc of docs.filter((d) => d.kind === 'Service')) {
    assert.equal(svc.apiVersion, 'v1');
    assert.deepEqual(svc.spec, { ports: [{ port: 9080, name: 'http' }], selector: { app: svc.metadata.name } });
  }
  const envOf = (c: Container) => Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value]));
  const envs: Record<string, Record<string, string>> = {};
  for (const dep of docs.filter((d) => d.kind === 'Deployment')) {
    assert.equal(dep.apiVersion, 'apps/v1');
    const [app, version] = dep.metadata.name.split('-') as [string, string];
    const spec = dep.spec as unknown as DeploymentSpec;
    const labels = { app, version };
    assert.deepEqual(dep.metadata.labels, labels);
    assert.equal(spec.replicas, 1);
    assert.deepEqual(spec.selector.matchLabels, labels);
    assert.deepEqual(spec.template.metadata.labels, labels);
    assert.equal(spec.template.spec.serviceAccountName, `bookinfo-${app}`);
    assert.equal(spec.template.spec.containers.length, 1);
    const c = spec.template.spec.containers[0]!;
    assert.deepEqual(c.command, ['node', `$(ISTHMUS_DIST)/bookinfo/${app}.js`]);
    assert.ok(existsSync(`${root}src/${app}.ts`), `entry point for ${app}`);
    assert.deepEqual(c.ports, [{ containerPort: 9080 }]);
    envs[dep.metadata.name] = envOf(c);
  }
  assert.deepEqual(envs['reviews-v1'], { ENABLE_RATINGS: 'false' });
  assert.deepEqual(envs['reviews-v2'], { ENABLE_RATINGS: 'true', STAR_COLOR: 'black' });
  assert.deepEqual(envs['reviews-v3'], { ENABLE_RATINGS: 'true', STAR_COLOR: 'red' });
  assert.deepEqual(envs['ratings-v1'], { SERVICE_VERSION: 'v1' });
});

test('networking/: v1 resources; every routed subset is defined in destination-rule-all.yaml', () => {
  const subsets = new Map<string, Set<string>>();
  for (const dr of load('networking/destination-rule-all.yaml')) {
    const spec = dr.spec as { host: string; subsets: { name: string; labels: { version: string } }[] };
    for (const s of spec.subsets) assert.equal(s.labels.version, s.name);
    subsets.set(spec.host, new Set(spec.subsets.map((s) => s.name)));
  }
  assert.deepEqual([...(subsets.get('reviews') ?? [])], ['v1', 'v2', 'v3']);
  assert.deepEqual([...(subsets.get('ratings') ?? [])], ['v1', 'v2', 'v2-mysql', 'v2-mysql-vm']);

  const files = readdirSync(`${root}networking`).filter((f) => f.endsWith('.yaml'));
  assert.ok(files.length >= 13);
  for (const file of files) {
    for (const doc of load(`networking/${file}`)) {
      assert.equal(doc.apiVersion, 'networking.istio.io/v1', file);
      if (doc.kind !== 'VirtualService') continue;
      const http = (doc.spec as { http: { route: { destination: { host: string; subset?: string }; weight?: number }[] }[] }).http;
      for (const rule of http) {
        const weights = rule.route.map((r) => r.weight).filter((w) => w !== undefined);
        if (weights.length > 0) assert.equal(weights.reduce((a, b) => a + b, 0), 100, `${file}: weights`);
        for (const { destination } of rule.route) {
          if (destination.subset === undefined) continue;
          assert.ok(subsets.get(destination.host)?.has(destination.subset), `${file}: ${destination.host}/${destination.subset}`);
        }
      }
    }
  }
});
