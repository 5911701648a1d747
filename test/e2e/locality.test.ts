// Istio's two locality load balancing tasks on a running mesh. helloworld runs in four localities
// (region1/zone1, region1/zone2, region2/zone3, region3/zone4), each deployment named after its
// locality as the task's gen-helloworld.sh does, and sleep runs in region1/zone1; requests are
// curl from sleep (`isthmus exec`).
// - failover: calls stay in the caller's zone; as each answering instance starts failing (503,
//   in place of draining its sidecar), outlier detection ejects it and traffic moves to the next
//   locality: region1/zone2, then region2/zone3 (the failover target, before region3), then
//   region3/zone4.
// - distribute: 70/20/10 across the three listed localities, nothing to the unlisted one.
// And outlier detection on its own (helloworld v1 and v2, no retries): a failing instance is
// ejected after its first 503 and takes traffic again after baseEjectionTime.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { Mesh, ROOT, buildOnce } from '../support/cli.ts';
import { pidsWithEnv } from '../support/procs.ts';

const TESTDATA = join(import.meta.dirname, 'testdata/locality');
const LOCALITIES = ['region1/zone1', 'region1/zone2', 'region2/zone3', 'region3/zone4'] as const;

type Doc = { kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; spec?: Record<string, unknown> };

interface DeploymentDoc {
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec: {
    selector: { matchLabels: Record<string, string> };
    template: { metadata: { labels: Record<string, string> }; spec: { containers: { env?: { name: string; value: string }[] }[] } };
  };
}

function docsOf(file: string): Doc[] {
  return parseAllDocuments(readFileSync(join(ROOT, file), 'utf8')).map((d) => d.toJS() as Doc | null).filter((d): d is Doc => d !== null);
}

function topology(locality: string): Record<string, string> {
  const [region, zone] = locality.split('/') as [string, string];
  return { 'topology.kubernetes.io/region': region, 'topology.kubernetes.io/zone': zone };
}

/**
 * The helloworld Service with one deployment per locality (from the sample's v1 deployment, as
 * gen-helloworld.sh makes them: `helloworld-region1.zone1`, version and SERVICE_VERSION
 * `region1.zone1`), and sleep in region1/zone1, all in `ns`.
 */
function manifests(ns: string): string {
  const hello = docsOf('samples/helloworld/helloworld.yaml');
  const out: Doc[] = hello.filter((d) => d.kind === 'Service');
  const v1 = hello.find((d) => d.kind === 'Deployment' && d.metadata.name === 'helloworld-v1') as unknown as DeploymentDoc;
  for (const locality of LOCALITIES) {
    const version = locality.replace('/', '.');
    const d = structuredClone(v1);
    d.metadata.name = `helloworld-${version}`;
    d.metadata.labels = { app: 'helloworld', version };
    d.spec.selector.matchLabels = { app: 'helloworld', version };
    d.spec.template.metadata.labels = { app: 'helloworld', version, ...topology(locality) };
    d.spec.template.spec.containers[0]!.env = [{ name: 'SERVICE_VERSION', value: version }];
    out.push(d as unknown as Doc);
  }
  for (const d of docsOf('samples/sleep/sleep.yaml')) {
    if (d.kind === 'Deployment') {
      const dep = d as unknown as DeploymentDoc;
      dep.spec.template.metadata.labels = { ...dep.spec.template.metadata.labels, ...topology('region1/zone1') };
    }
    out.push(d);
  }
  for (const d of out) d.metadata.namespace = ns;
  return out.map((d) => JSON.stringify(d)).join('\n---\n');
}

/** The helloworld sample as it is (v1 and v2) and sleep, in `ns`. */
function plainManifests(ns: string): string {
  const out = [...docsOf('samples/helloworld/helloworld.yaml'), ...docsOf('samples/sleep/sleep.yaml')];
  for (const d of out) d.metadata.namespace = ns;
  return out.map((d) => JSON.stringify(d)).join('\n---\n');
}

describe('locality load balancing tasks and outlier detection', { timeout: 120_000 }, () => {
  const mesh = new Mesh();
  const dir = mkdtempSync(join(tmpdir(), 'isthmus-locality-'));
  /** namespace -> version (`region1.zone1`) -> the app's own address (host:port), behind its sidecar. */
  const apps = new Map<string, Map<string, string>>();

  before(async () => {
    buildOnce();
    writeFileSync(join(dir, 'failover.yaml'), manifests('failover'));
    writeFileSync(join(dir, 'distribute.yaml'), manifests('distribute'));
    writeFileSync(join(dir, 'outlier.yaml'), plainManifests('outlier'));
    await mesh.up([
      join(dir, 'failover.yaml'), join(dir, 'distribute.yaml'), join(dir, 'outlier.yaml'),
      join(TESTDATA, 'failover.yaml'), join(TESTDATA, 'distribute.yaml'), join(TESTDATA, 'outlier.yaml'),
    ], 90_000);
    const r = await mesh.cli(['get', 'pods', '-A', '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const list = JSON.parse(r.stdout) as { items: { metadata: { namespace: string; labels: Record<string, string>; annotations: Record<string, string> } }[] };
    for (const p of list.items) {
      if (p.metadata.labels['app'] !== 'helloworld') continue;
      const ports = JSON.parse(p.metadata.annotations['isthmus.io/app-ports'] ?? '{}') as Record<string, string>;
      const byVersion = apps.get(p.metadata.namespace) ?? new Map<string, string>();
      byVersion.set(p.metadata.labels['version']!, ports['5000']!);
      apps.set(p.metadata.namespace, byVersion);
    }
  });

  after(async () => {
    await mesh.down();
    for (const pid of pidsWithEnv('ISTHMUS_HOME', mesh.home)) process.kill(pid, 'SIGKILL');
    mesh.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  /** `n` times `curl helloworld.<ns>:5000/hello` from sleep; the version that answered each (or the status line of a failure). */
  async function callsFromSleep(ns: string, n: number): Promise<string[]> {
    const loop = `for i in $(seq ${n}); do curl -sS --max-time 10 http://helloworld.${ns}:5000/hello || echo "curl failed"; done`;
    const r = await mesh.cli(['exec', '-n', ns, 'deploy/sleep', '--', 'sh', '-c', loop]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const lines = r.stdout.split('\n').filter((l) => l !== '');
    assert.equal(lines.length, n, r.stdout);
    return lines.map((l) => /^Hello version: (\S+), instance: helloworld-\1-[a-z0-9]+-[a-z0-9]+$/.exec(l)?.[1] ?? l);
  }

  async function post(ns: string, version: string, path: string): Promise<void> {
    const addr = apps.get(ns)?.get(version);
    assert.ok(addr, `no app address for ${version} in ${ns}`);
    const res = await fetch(`http://${addr}${path}`, { method: 'POST', signal: AbortSignal.timeout(10_000) });
    assert.equal(res.status, 200);
  }

  /** Makes one helloworld instance answer 503 from now on (the task drains its sidecar instead). */
  async function fail(ns: string, version: string): Promise<void> {
    await post(ns, version, '/fail');
  }

  function count(answers: string[]): Record<string, number> {
    const c: Record<string, number> = {};
    for (const a of answers) c[a] = (c[a] ?? 0) + 1;
    return c;
  }

  test('failover: calls from region1/zone1 stay there, then move to region1/zone2, region2/zone3 (failover target) and region3/zone4 as each fails', async (t) => {
    const seen: Record<string, number>[] = [];
    const expectAll = async (version: string) => {
      const c = count(await callsFromSleep('failover', 10));
      seen.push(c);
      assert.deepEqual(c, { [version]: 10 }, `expected every answer from ${version}; so far: ${JSON.stringify(seen)}`);
    };
    await expectAll('region1.zone1');
    await fail('failover', 'region1.zone1');
    await expectAll('region1.zone2');
    await fail('failover', 'region1.zone2');
    await expectAll('region2.zone3');
    await fail('failover', 'region2.zone3');
    await expectAll('region3.zone4');
    t.diagnostic(`answers per step: ${JSON.stringify(seen)}`);
  });

  test('distribute: 200 calls from region1/zone1 split about 70/20/10; the unlisted region2/zone3 gets none', async (t) => {
    const c = count(await callsFromSleep('distribute', 200));
    t.diagnostic(`answers: ${JSON.stringify(c)}`);
    const n = (v: string) => c[v] ?? 0;
    const msg = JSON.stringify(c);
    assert.equal(n('region1.zone1') + n('region1.zone2') + n('region3.zone4'), 200, msg);
    // Expected 140 / 40 / 20; each bound is about five standard deviations wide.
    assert.ok(n('region1.zone1') >= 110 && n('region1.zone1') <= 170, msg);
    assert.ok(n('region1.zone2') >= 15 && n('region1.zone2') <= 70, msg);
    assert.ok(n('region3.zone4') >= 3 && n('region3.zone4') <= 42, msg);
    assert.equal(n('region2.zone3'), 0, msg);
  });

  test('outlier detection: a failing instance is ejected after one 503 and back after baseEjectionTime', async (t) => {
    const before = count(await callsFromSleep('outlier', 10));
    assert.deepEqual(before, { v1: 5, v2: 5 }, 'round robin over both');
    await fail('outlier', 'v1');
    const during = await callsFromSleep('outlier', 20);
    const failures = during.filter((a) => a !== 'v2');
    // The first call to reach v1 fails (no retries) and ejects it; every later call goes to v2.
    assert.equal(failures.length, 1, JSON.stringify(during));
    assert.equal(during.indexOf(failures[0] as string) <= 1, true, JSON.stringify(during));
    await post('outlier', 'v1', '/recover');
    await new Promise((r) => setTimeout(r, 3500));
    const afterwards = count(await callsFromSleep('outlier', 10));
    t.diagnostic(`before ${JSON.stringify(before)}, during ${JSON.stringify(count(during))}, after ${JSON.stringify(afterwards)}`);
    assert.ok((afterwards['v1'] ?? 0) >= 3, `v1 takes traffic again after baseEjectionTime: ${JSON.stringify(afterwards)}`);
  });
});
