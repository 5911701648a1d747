// The proxy program as the runtime starts it: flags, stdout events, graceful SIGTERM.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { createInterface } from 'node:readline';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isIsthmusError } from '../shared/index.ts';
import { parseProxyFlags } from './flags.ts';
import type { ProxyEvent } from './start-proxy.ts';
import { configEvent, FakeDiscovery, fwd, makeConfig, send, startUpstream, table, until } from './test-support.ts';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

describe('flags', () => {
  test('parses every flag', () => {
    const f = parseProxyFlags([
      '--role', 'gateway', '--pod', 'gw-0', '--namespace', 'istio-system', '--discovery', 'http://127.0.0.1:15010',
      '--admin', '127.0.0.1:15000', '--bind-address', '127.0.0.2', '--port-map', '8080=18080,8443=18443',
    ]);
    assert.equal(f.role, 'gateway');
    assert.equal(f.outbound, null);
    assert.deepEqual(f.admin, { host: '127.0.0.1', port: 15000 });
    assert.equal(f.bindAddress, '127.0.0.2');
    assert.deepEqual([...(f.portMap ?? [])], [[8080, 18080], [8443, 18443]]);
    const s = parseProxyFlags(['--role', 'sidecar', '--pod', 'p', '--namespace', 'n', '--discovery', 'http://x:1', '--outbound', '127.0.0.1:0']);
    assert.deepEqual(s.outbound, { host: '127.0.0.1', port: 0 });
  });

  test('refuses bad flags with a stable code', () => {
    for (const argv of [
      ['--role', 'mesh', '--pod', 'p', '--namespace', 'n', '--discovery', 'http://x:1'],
      ['--role', 'sidecar', '--namespace', 'n', '--discovery', 'http://x:1'],
      ['--role', 'sidecar', '--pod', 'p', '--namespace', 'n', '--discovery', 'not a url'],
      ['--role', 'sidecar', '--pod', 'p', '--namespace', 'n', '--discovery', 'http://x:1', '--outbound', 'nope'],
      ['--role', 'gateway', '--pod', 'p', '--namespace', 'n', '--discovery', 'http://x:1', '--port-map', '8080:1'],
      ['--role', 'sidecar', '--pod', 'p', '--namespace', 'n', '--discovery', 'http://x:1', '--unknown'],
    ]) {
      assert.throws(() => parseProxyFlags(argv), (e: unknown) => isIsthmusError(e, 'ISTHMUS_ERR_PROXY_BAD_FLAG'), argv.join(' '));
    }
  });
});

describe('program', () => {
  test('prints listening and config events, serves, and exits 0 on SIGTERM after the request in flight', async (t) => {
    let release: (() => void) | null = null;
    const up = await startUpstream(t, 'slow', (req, res) => {
      req.resume();
      if (req.url === '/slow') release = () => res.end('done');
      else res.end('fast');
    });
    const disco = await new FakeDiscovery(
      makeConfig({ version: 'p1', routes: [table('9080', ['slow'], [fwd('r', [['slow', 1]])])], clusters: [{ name: 'slow', endpoints: [{ address: '127.0.0.1', port: up.port }] }] }),
    ).start(t);
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, '--role', 'sidecar', '--pod', 'app-0', '--namespace', 'default', '--discovery', disco.url, '--outbound', '127.0.0.1:0', '--admin', '127.0.0.1:0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ISTHMUS_LOG: 'warn' },
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    t.after(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const events: ProxyEvent[] = [];
    const waiters: { pred: (e: ProxyEvent) => boolean; resolve: (e: ProxyEvent) => void }[] = [];
    createInterface({ input: child.stdout }).on('line', (line) => {
      const ev = JSON.parse(line) as ProxyEvent;
      events.push(ev);
      for (const w of waiters) if (w.pred(ev)) w.resolve(ev);
    });
    const waitEvent = (pred: (e: ProxyEvent) => boolean) =>
      Promise.race([
        events.find(pred) ?? new Promise<ProxyEvent>((resolve) => waiters.push({ pred, resolve })),
        exited.then((code) => assert.fail(`proxy exited early (${code}): ${stderr}`)),
      ]);

    const listening = await waitEvent((e) => e.event === 'listening');
    assert.ok(listening.event === 'listening');
    const out = listening.outbound as number;
    assert.ok(out > 0 && listening.admin > 0);
    await waitEvent(configEvent('p1'));
    assert.deepEqual(events[1], { event: 'config', version: 'p1', status: 'applied' });
    assert.equal((await send(out, 'http://slow:9080/fast')).text, 'fast');

    const inflight = send(out, 'http://slow:9080/slow');
    await until(() => release !== null, 'the slow request to reach the upstream');
    child.kill('SIGTERM');
    // Once the listener is closed, new connections are refused; the request in flight still completes.
    await until(
      () =>
        new Promise<boolean>((resolve) => {
          const s = net.connect(out, '127.0.0.1');
          s.on('connect', () => {
            s.destroy();
            resolve(false);
          });
          s.on('error', () => resolve(true));
        }),
      'the outbound listener to close',
    );
    (release as unknown as () => void)();
    const r = await inflight;
    assert.equal(r.status, 200);
    assert.equal(r.text, 'done');
    assert.equal(await exited, 0);
  });
});
