// The four entry points as real processes: they listen where HOST/PORT say, answer /health,
// and exit 0 promptly on SIGTERM.

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { test, type TestContext } from 'node:test';
import { get } from './_testing.ts';

const PROGRAMS = [
  { name: 'productpage', health: 'Product page is healthy' },
  { name: 'details', health: '{"status":"Details is healthy"}' },
  { name: 'reviews', health: '{"status":"Reviews is healthy"}' },
  { name: 'ratings', health: '{"status":"Ratings is healthy"}' },
] as const;

/** Spawns a program on an ephemeral port and resolves with the port it logged; killed after the test. */
async function start(t: TestContext, name: string): Promise<{ child: ChildProcess; port: number }> {
  const file = fileURLToPath(new URL(`./${name}.ts`, import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', file], {
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', HOSTNAME: `${name}-v1-test` },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let log = '';
  const port = await new Promise<number>((resolve, reject) => {
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      log += chunk;
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(log);
      if (m !== null) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code} before listening:\n${log}`)));
  });
  return { child, port };
}

for (const { name, health } of PROGRAMS) {
  test(`${name}: listens on HOST:PORT, answers /health, exits 0 on SIGTERM`, async (t) => {
    const { child, port } = await start(t, name);
    const res = await get(`http://127.0.0.1:${port}/health`);
    assert.equal(res.status, 200);
    assert.equal(res.body, health);
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const [code, signal] = (await exited) as [number | null, NodeJS.Signals | null];
    assert.equal(signal, null);
    assert.equal(code, 0);
  });
}

test('details: an idle keep-alive connection does not hold up SIGTERM', async (t) => {
  const { child, port } = await start(t, 'details');
  const socket = net.connect(port, '127.0.0.1');
  t.after(() => socket.destroy());
  await once(socket, 'connect');
  socket.setEncoding('utf8');
  let received = '';
  const answered = new Promise<void>((resolve) => {
    socket.on('data', (chunk: string) => {
      received += chunk;
      if (received.includes('Details is healthy')) resolve();
    });
  });
  socket.write('GET /health HTTP/1.1\r\nHost: details:9080\r\nConnection: keep-alive\r\n\r\n');
  await answered;
  assert.match(received, /^HTTP\/1\.1 200/);
  const closed = once(socket, 'close');
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const [code] = (await exited) as [number | null];
  assert.equal(code, 0);
  await closed;
});
