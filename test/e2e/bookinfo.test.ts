// The user's path through the mesh core, end to end with real processes on loopback:
// `isthmus up` with Bookinfo, live routing changes with `isthmus apply`, rejected bad config,
// a killed control plane, and a clean stop.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Mesh, ROOT, buildOnce, curl, get, pidAlive, reviewsPod, reviewsVersion } from '../support/cli.ts';
import { pidsWithEnv } from '../support/procs.ts';
import { canConnect } from '../../src/runtime/ports.ts';

const NET = join(ROOT, 'samples/bookinfo/networking');

describe('bookinfo through the mesh', { timeout: 240_000 }, () => {
  const mesh = new Mesh();
  const scratch = mkdtempSync(join(tmpdir(), 'isthmus-e2e-files-'));

  before(async () => {
    buildOnce();
    await mesh.up();
  });

  after(async () => {
    await mesh.down();
    for (const pid of pidsWithEnv('ISTHMUS_HOME', mesh.home)) process.kill(pid, 'SIGKILL');
    mesh.cleanup();
    rmSync(scratch, { recursive: true, force: true });
  });

  async function versions(n: number, headers: Record<string, string> = {}): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (let i = 0; i < n; i++) {
      const r = await get(`${mesh.ingress}/productpage`, headers);
      assert.equal(r.status, 200);
      const v = reviewsVersion(r.body);
      counts[v] = (counts[v] ?? 0) + 1;
    }
    return counts;
  }

  async function apply(file: string): Promise<void> {
    const r = await mesh.cli(['apply', '-f', file, '--wait']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /reached (\d+) of \1 proxies in \d+ ms/);
  }

  test('1. the product page rotates between reviews v1, v2 and v3, naming the pod', async () => {
    const seen = new Map<string, string>();
    for (let i = 0; i < 30 && seen.size < 3; i++) {
      const r = await get(`${mesh.ingress}/productpage`);
      assert.equal(r.status, 200);
      assert.match(r.body, /Book Details/);
      const v = reviewsVersion(r.body);
      const pod = reviewsPod(r.body);
      assert.ok(pod, 'the page names the reviews pod');
      assert.ok(pod.startsWith(`reviews-${v}-`), `${pod} served ${v}`);
      seen.set(v, pod);
    }
    assert.deepEqual([...seen.keys()].sort(), ['v1', 'v2', 'v3']);
    const direct = await get(`${mesh.ingress}/api/v1/products/0/reviews`);
    assert.equal(direct.status, 200);
  });

  test('2a. all traffic to v1', async () => {
    await apply(join(NET, 'virtual-service-all-v1.yaml'));
    assert.deepEqual(await versions(12), { v1: 12 });
  });

  test('2b. jason gets v2 after signing in; everyone else v1', async () => {
    await apply(join(NET, 'virtual-service-reviews-test-v2.yaml'));
    const jar = join(scratch, 'jar');
    const login = curl(['-c', jar, '-o', '/dev/null', '-w', '%{http_code}', '-d', 'username=jason&passwd=x', `${mesh.ingress}/login`]);
    assert.equal(login.stdout, '302', login.stderr);
    for (let i = 0; i < 6; i++) {
      const page = curl(['-b', jar, `${mesh.ingress}/productpage`]).stdout;
      assert.match(page, /jason/);
      assert.equal(reviewsVersion(page), 'v2');
    }
    assert.deepEqual(await versions(6), { v1: 6 });
  });

  test('2c. a 50/50 split of v1 and v3 lands within 40-60% over 200 requests', async () => {
    await apply(join(NET, 'virtual-service-reviews-50-v3.yaml'));
    const c = await versions(200);
    assert.equal((c['v1'] ?? 0) + (c['v3'] ?? 0), 200, JSON.stringify(c));
    assert.ok((c['v3'] ?? 0) >= 80 && (c['v3'] ?? 0) <= 120, JSON.stringify(c));
  });

  test('2d. an 80/20 split of v1 and v2', async () => {
    await apply(join(NET, 'virtual-service-reviews-80-20.yaml'));
    const c = await versions(100);
    assert.equal((c['v1'] ?? 0) + (c['v2'] ?? 0), 100, JSON.stringify(c));
    assert.ok((c['v2'] ?? 0) >= 8 && (c['v2'] ?? 0) <= 35, JSON.stringify(c));
  });

  test('2e. get shows what is applied, as a table, YAML and JSON', async () => {
    const t = await mesh.cli(['get', 'virtualservices']);
    assert.equal(t.code, 0, t.stderr);
    assert.match(t.stdout, /^NAME\s+GATEWAYS\s+HOSTS\s+AGE/);
    assert.match(t.stdout, /\nreviews\s+\["reviews"\]/);
    const y = await mesh.cli(['get', 'vs', 'reviews', '-o', 'yaml']);
    assert.match(y.stdout, /kind: VirtualService/);
    assert.match(y.stdout, /weight: 80/);
    const j = await mesh.cli(['get', 'destinationrules', '-o', 'json', '-n', 'default']);
    const list = JSON.parse(j.stdout) as { items: { spec: { host: string } }[] };
    assert.deepEqual(list.items.map((i) => i.spec.host).sort(), ['details', 'productpage', 'ratings', 'reviews']);
    const none = await mesh.cli(['get', 'vs', '-n', 'nowhere']);
    assert.equal(none.code, 0);
    assert.match(none.stderr, /No resources found in nowhere namespace/);
  });

  test('3. a file with mistakes is rejected with file, line, field and reason; the rest keeps working', async () => {
    const bad = join(scratch, 'bad.yaml');
    writeFileSync(bad, [
      'apiVersion: networking.istio.io/v1',
      'kind: VirtualService',
      'metadata:',
      '  name: reviews',
      'spec:',
      '  hosts: [reviews]',
      '  http:',
      '  - route:',
      '    - destination: {host: reviews, subset: v3}',
      '      weight: -1',
      '---',
      'apiVersion: networking.istio.io/v1',
      'kind: VirtualService',
      'metadata:',
      '  name: ratings-extra',
      'spec:',
      '  hosts: [ratings]',
      '  http:',
      '  - match:',
      '    - uri: {prefx: /x}',
      '    route:',
      '    - destination: {host: ratings}',
      '---',
      'apiVersion: networking.istio.io/v1',
      'kind: ServiceEntry',
      'metadata:',
      '  name: httpbin-ext',
      'spec:',
      '  hosts: [httpbin.example.com]',
      '  ports: [{number: 80, name: http, protocol: HTTP}]',
      '  resolution: DNS',
      '',
    ].join('\n'));
    const r = await mesh.cli(['apply', '-f', bad]);
    assert.notEqual(r.code, 0);
    // Resources are judged one by one: the valid one in the same file is applied.
    assert.match(r.stdout, /serviceentry\.networking\.istio\.io\/httpbin-ext created/);
    assert.doesNotMatch(r.stdout, /virtualservice/);
    assert.match(r.stderr, /bad\.yaml:10:\d+: error: VirtualService default\/reviews: spec\.http\[0\]\.route\[0\]\.weight: .*-1/);
    assert.match(r.stderr, /bad\.yaml:20:\d+: .*spec\.http\[0\]\.match\[0\]\.uri.*prefx/);
    const malformed = join(scratch, 'malformed.yaml');
    writeFileSync(malformed, 'apiVersion: v1\nkind: Service\nmetadata:\n  name: x\n   bad: [\n');
    const m = await mesh.cli(['apply', '-f', malformed]);
    assert.notEqual(m.code, 0);
    assert.match(m.stderr, /malformed\.yaml:\d+/);
    // The 80/20 rule from before is untouched.
    const c = await versions(20);
    assert.equal((c['v1'] ?? 0) + (c['v2'] ?? 0), 20, JSON.stringify(c));
  });

  test('2f. delete -f removes a VirtualService and routing falls back to all versions', async () => {
    const d = await mesh.cli(['delete', '-f', join(NET, 'virtual-service-all-v1.yaml')]);
    assert.equal(d.code, 0, d.stderr);
    assert.match(d.stdout, /virtualservice\.networking\.istio\.io "reviews" deleted/);
    const g = await mesh.cli(['get', 'vs', 'reviews']);
    assert.notEqual(g.code, 0);
    assert.match(g.stderr, /NotFound/);
    const seen = new Set<string>();
    for (let i = 0; i < 40 && seen.size < 3; i++) seen.add(reviewsVersion((await get(`${mesh.ingress}/productpage`)).body));
    assert.deepEqual([...seen].sort(), ['v1', 'v2', 'v3']);
  });

  test('4. killing the control plane does not stop traffic; proxies reconnect and catch up', async () => {
    await apply(join(NET, 'virtual-service-all-v1.yaml'));
    const oldPid = mesh.controlPlanePid;
    process.kill(oldPid, 'SIGKILL');
    while (pidAlive(oldPid)) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(await versions(10), { v1: 10 });
    // The platform restarts it; wait for it to answer, then change routing through it.
    const deadline = Date.now() + 20_000;
    for (;;) {
      const info = await mesh.cli(['proxy-status']);
      if (info.code === 0 && !/DISCONNECTED|STALE/.test(info.stdout) && info.stdout.split('\n').length > 8) break;
      assert.ok(Date.now() < deadline, `control plane did not come back: ${info.stderr}${info.stdout}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    await apply(join(NET, 'virtual-service-reviews-v3.yaml'));
    assert.deepEqual(await versions(10), { v3: 10 });
  });

  test('5. SIGTERM stops every process and frees every port', async () => {
    const ingressPort = Number(new URL(mesh.ingress).port);
    const cpPort = Number(new URL(mesh.controlPlane).port);
    assert.ok(pidsWithEnv('ISTHMUS_HOME', mesh.home).length >= 8);
    const code = await mesh.down();
    assert.equal(code, 0, mesh.output);
    assert.deepEqual(pidsWithEnv('ISTHMUS_HOME', mesh.home), []);
    assert.equal(await canConnect('127.0.0.1', ingressPort), false);
    assert.equal(await canConnect('127.0.0.1', cpPort), false);
  });
});
