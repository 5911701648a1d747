// `isthmus up PATH` with a user's own manifests: replicas, $(VAR) expansion, commands that are
// not Node programs' own code, a non-default namespace, and curl inside a pod reaching another
// service by name through HTTP_PROXY.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Mesh, buildOnce, get } from '../support/cli.ts';
import { pidsWithEnv } from '../support/procs.ts';

describe('up with custom manifests', { timeout: 120_000 }, () => {
  const mesh = new Mesh();

  before(async () => {
    buildOnce();
    await mesh.up([join(import.meta.dirname, 'testdata/custom')]);
  });

  after(async () => {
    await mesh.down();
    for (const pid of pidsWithEnv('ISTHMUS_HOME', mesh.home)) process.kill(pid, 'SIGKILL');
    mesh.cleanup();
  });

  test('two replicas behind the gateway take turns, each named like a Kubernetes pod', async () => {
    const pods = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const r = await get(`${mesh.ingress}/`);
      assert.equal(r.status, 200);
      const m = /^hello from (hello-v1-[a-z0-9]+-[a-z0-9]{5}) via mesh$/.exec(r.body.trim());
      assert.ok(m, r.body);
      pods.add(m[1]!);
    }
    assert.equal(pods.size, 2);
  });

  test('curl in one pod reaches another service by its short name through the sidecar', async () => {
    const r = await get(`${mesh.ingress}/call`);
    assert.equal(r.status, 200);
    assert.match(r.body, /^hello from hello-v1-\S+ via mesh$/m);
  });

  test('get pods -n demo lists the pods with their addresses', async () => {
    const r = await mesh.cli(['get', 'pods', '-n', 'demo', '-o', 'wide']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.split('\n').filter((l) => /^(hello-v1|caller)-\S+\s+2\/2\s+Running\s+127\.\d+\.\d+\.\d+/.test(l)).length, 3, r.stdout);
  });

  test('if the platform itself is killed (SIGKILL), every process it started exits too', async () => {
    assert.ok(pidsWithEnv('ISTHMUS_HOME', mesh.home).length >= 6);
    const exited = new Promise((r) => mesh.proc!.once('exit', r));
    mesh.proc!.kill('SIGKILL');
    await exited;
    const deadline = Date.now() + 10_000;
    while (pidsWithEnv('ISTHMUS_HOME', mesh.home).length > 0) {
      assert.ok(Date.now() < deadline, `still running: ${pidsWithEnv('ISTHMUS_HOME', mesh.home).join(' ')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  });
});
