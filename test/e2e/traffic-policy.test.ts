// Istio's traffic-management tasks on Bookinfo: fault injection (a 7 s delay for jason, then an
// abort) and request timeouts (0.5 s on reviews against a 2 s ratings delay).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Mesh, ROOT, buildOnce, curl, get } from '../support/cli.ts';
import { pidsWithEnv } from '../support/procs.ts';

const NET = join(ROOT, 'samples/bookinfo/networking');

describe('traffic management tasks', { timeout: 180_000 }, () => {
  const mesh = new Mesh();
  const scratch = mkdtempSync(join(tmpdir(), 'isthmus-traffic-'));
  const jar = join(scratch, 'jar');

  before(async () => {
    buildOnce();
    await mesh.up();
    const login = curl(['-c', jar, '-o', '/dev/null', '-w', '%{http_code}', '-d', 'username=jason&passwd=x', `${mesh.ingress}/login`]);
    assert.equal(login.stdout, '302', login.stderr);
  });

  after(async () => {
    await mesh.down();
    for (const pid of pidsWithEnv('ISTHMUS_HOME', mesh.home)) process.kill(pid, 'SIGKILL');
    mesh.cleanup();
    rmSync(scratch, { recursive: true, force: true });
  });

  async function apply(...files: string[]): Promise<void> {
    for (const f of files) {
      const r = await mesh.cli(['apply', '--wait', '-f', f.includes('/') ? f : join(NET, f)]);
      assert.equal(r.code, 0, r.stderr);
    }
  }

  async function applyYaml(yaml: string): Promise<void> {
    const r = await mesh.cli(['apply', '--wait', '-f', '-'], yaml);
    assert.equal(r.code, 0, r.stderr);
  }

  function timed(args: string[]): { ms: number; body: string } {
    const t0 = Date.now();
    const r = curl(args);
    return { ms: Date.now() - t0, body: r.stdout };
  }

  test('fault injection, delay: jason waits out productpage\'s own timeout and sees the reviews error; others are fast', async () => {
    await apply('virtual-service-all-v1.yaml', 'virtual-service-reviews-test-v2.yaml', 'virtual-service-ratings-test-delay.yaml');
    const jason = timed(['-b', jar, `${mesh.ingress}/productpage`]);
    assert.match(jason.body, /Sorry, product reviews are currently unavailable for this book/);
    // productpage gives reviews 3 s per try and tries twice: about 6 s, well before the 7 s delay ends.
    assert.ok(jason.ms >= 5000 && jason.ms < 7500, `took ${jason.ms} ms`);
    const other = timed([`${mesh.ingress}/productpage`]);
    assert.doesNotMatch(other.body, /Sorry, product reviews are currently unavailable/);
    assert.ok(other.ms < 3000, `took ${other.ms} ms`);
  });

  test('fault injection, abort: jason sees "Ratings service is currently unavailable"', async () => {
    await apply('virtual-service-ratings-test-abort.yaml');
    const page = curl(['-b', jar, `${mesh.ingress}/productpage`]).stdout;
    assert.match(page, /Ratings service is currently unavailable/);
    const other = curl([`${mesh.ingress}/productpage`]).stdout;
    assert.doesNotMatch(other, /Ratings service is currently unavailable/);
  });

  test('request timeouts: 0.5 s on reviews against a 2 s ratings delay returns the reviews error in about 1 s', async () => {
    const r = await mesh.cli(['delete', 'virtualservice', 'ratings', 'reviews', '--ignore-not-found']);
    assert.equal(r.code, 0, r.stderr);
    await apply('virtual-service-all-v1.yaml');
    await applyYaml(`apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews, subset: v2}
`);
    await applyYaml(`apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: ratings
spec:
  hosts: [ratings]
  http:
  - fault:
      delay:
        percentage: {value: 100}
        fixedDelay: 2s
    route:
    - destination: {host: ratings, subset: v1}
`);
    const slow = timed([`${mesh.ingress}/productpage`]);
    assert.match(slow.body, /glyphicon-star/, 'without a timeout the stars come, late');
    assert.ok(slow.ms >= 1900, `took ${slow.ms} ms`);
    await applyYaml(`apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews, subset: v2}
    timeout: 0.5s
`);
    const cut = timed([`${mesh.ingress}/productpage`]);
    assert.match(cut.body, /Sorry, product reviews are currently unavailable for this book/);
    // productpage retries once: two 0.5 s timeouts.
    assert.ok(cut.ms < 1800, `took ${cut.ms} ms`);
    const page = await get(`${mesh.ingress}/productpage`);
    assert.equal(page.status, 200);
  });
});
