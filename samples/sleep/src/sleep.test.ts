// sleep: `GET /` answers `sleep`, nothing else is served, and the program runs as a process.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { listen, shutdown } from '../../bookinfo/src/_server.ts';
import { createSleepApp } from './_sleep-app.ts';

function request(port: number, path: string, method = 'GET'): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ agent: false, host: '127.0.0.1', port, path, method, timeout: 10_000 });
    req.on('timeout', () => req.destroy(new Error(`${path}: timed out`)));
    req.on('error', reject);
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }));
    });
    req.end();
  });
}

test('sleep: GET / answers "sleep"; other paths are 404 and other methods 405', async (t) => {
  const server = createSleepApp();
  const { port } = await listen(server, { HOST: '127.0.0.1', PORT: '0' });
  t.after(() => shutdown(server, 0));
  const r = await request(port, '/');
  assert.equal(r.status, 200);
  assert.match(r.type, /^text\/plain/);
  assert.equal(r.body, 'sleep');
  assert.equal((await request(port, '/headers')).status, 404);
  assert.equal((await request(port, '/', 'POST')).status, 405);
});

test('sleep: the program listens on HOST:PORT and exits 0 on SIGTERM', async (t) => {
  const file = fileURLToPath(new URL('./sleep.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', file], { env: { ...process.env, HOST: '127.0.0.1', PORT: '0' }, stdio: ['ignore', 'ignore', 'pipe'] });
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
    child.once('exit', (code) => reject(new Error(`sleep exited with ${code} before listening:\n${log}`)));
  });
  assert.equal((await request(port, '/')).body, 'sleep');
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  assert.deepEqual(await exited, [0, null]);
});
