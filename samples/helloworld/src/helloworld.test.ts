// helloworld: `GET /hello` names the version and instance; `POST /fail` turns it into 503 until
// `POST /recover`; the manifest parses cleanly; the program runs as a process.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import type { DeploymentSpec, KubeServiceSpec, Resource } from '../../../src/api/index.ts';
import { parseManifests } from '../../../src/config/index.ts';
import { listen, shutdown } from '../../bookinfo/src/_server.ts';
import { createHelloworldApp } from './_helloworld-app.ts';

function request(port: number, path: string, method = 'GET'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ agent: false, host: '127.0.0.1', port, path, method, timeout: 10_000 });
    req.on('timeout', () => req.destroy(new Error(`${path}: timed out`)));
    req.on('error', reject);
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.end();
  });
}

test('helloworld: GET /hello names version and instance; /fail answers 503 until /recover', async (t) => {
  const server = createHelloworldApp({ version: 'region1.zone1', instance: 'helloworld-region1.zone1-abc-12345' });
  const { port } = await listen(server, { HOST: '127.0.0.1', PORT: '0' });
  t.after(() => shutdown(server, 0));
  assert.deepEqual(await request(port, '/hello'), { status: 200, body: 'Hello version: region1.zone1, instance: helloworld-region1.zone1-abc-12345\n' });
  assert.equal((await request(port, '/fail')).status, 405);
  assert.equal((await request(port, '/fail', 'POST')).status, 200);
  const failing = await request(port, '/hello');
  assert.equal(failing.status, 503);
  assert.match(failing.body, /is failing/);
  assert.equal((await request(port, '/recover', 'POST')).status, 200);
  assert.equal((await request(port, '/hello')).status, 200);
  assert.equal((await request(port, '/')).status, 404);
  assert.equal((await request(port, '/hello', 'POST')).status, 405);
});

test('helloworld.yaml: no diagnostics; Service helloworld on 5000, deployments v1 and v2 naming their version', () => {
  const file = fileURLToPath(new URL('../helloworld.yaml', import.meta.url));
  const parsed = parseManifests(readFileSync(file, 'utf8'), file, { defaultNamespace: null });
  assert.deepEqual(parsed.diagnostics, []);
  assert.deepEqual(parsed.resources.map((r) => `${r.kind}/${r.metadata.name}`), ['Service/helloworld', 'Deployment/helloworld-v1', 'Deployment/helloworld-v2']);
  const svc = parsed.resources[0] as Resource<KubeServiceSpec>;
  assert.deepEqual(svc.spec.ports, [{ name: 'http', port: 5000 }]);
  assert.deepEqual(svc.spec.selector, { app: 'helloworld' });
  for (const v of ['v1', 'v2']) {
    const dep = parsed.resources.find((r) => r.metadata.name === `helloworld-${v}`) as Resource<DeploymentSpec>;
    assert.deepEqual(dep.spec.template.metadata?.labels, { app: 'helloworld', version: v });
    const c = dep.spec.template.spec.containers[0]!;
    assert.deepEqual(c.command, ['node', '$(ISTHMUS_DIST)/samples/helloworld.js']);
    assert.deepEqual(c.env, [{ name: 'SERVICE_VERSION', value: v }]);
    assert.deepEqual(c.ports, [{ containerPort: 5000 }]);
  }
});

test('helloworld: the program listens on HOST:PORT, names SERVICE_VERSION and HOSTNAME, exits 0 on SIGTERM', async (t) => {
  const file = fileURLToPath(new URL('./helloworld.ts', import.meta.url));
  const env = { ...process.env, HOST: '127.0.0.1', PORT: '0', SERVICE_VERSION: 'v2', HOSTNAME: 'helloworld-v2-x-y' };
  const child = spawn(process.execPath, ['--import', 'tsx', file], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let log = '';
  const port = await new Promise<number>((resolve, reject) => {
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      log += chunk;
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(log);
      if (m !== null) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`helloworld exited with ${code} before listening:\n${log}`)));
  });
  assert.equal((await request(port, '/hello')).body, 'Hello version: v2, instance: helloworld-v2-x-y\n');
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  assert.deepEqual(await exited, [0, null]);
});
