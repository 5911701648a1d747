// `isthmus up` runs a real Prometheus (Debian's package) that scrapes the control plane's
// /metrics and finds every proxy through the targets file the platform keeps; `isthmus down`
// (SIGTERM to `up`) stops it with everything else.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { findPrometheus } from '../../src/runtime/index.ts';
import { Mesh, buildOnce } from '../support/cli.ts';
import { pidsWithEnv } from '../support/procs.ts';

const installed = findPrometheus() !== undefined;
/** test/e2e/testdata/custom: three app pods with sidecars, plus the ingress gateway. */
const PROXIES = 4;

interface Sample { metric: Record<string, string>; value: [number, string] }
interface Target { labels: Record<string, string>; health: string; scrapeUrl: string }

describe('Prometheus with the mesh', { timeout: 60_000, skip: installed ? false : 'prometheus is not installed (npm test installs it)' }, () => {
  const mesh = new Mesh();
  let prom = '';

  const api = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${prom}${path}`, { signal: AbortSignal.timeout(5000) });
    assert.equal(res.status, 200, path);
    const body = (await res.json()) as { status: string; data: T };
    assert.equal(body.status, 'success');
    return body.data;
  };
  /** Polls until `check` returns a value (Prometheus scrapes every 5 s), or fails at the deadline. */
  const eventually = async <T>(what: string, check: () => Promise<T | undefined>, ms = 20_000): Promise<T> => {
    const deadline = Date.now() + ms;
    for (;;) {
      const v = await check();
      if (v !== undefined) return v;
      assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  };

  before(async () => {
    buildOnce();
    await mesh.up([join(import.meta.dirname, 'testdata/custom'), '--prometheus-port', '0'], 30_000);
    const r = await mesh.cli(['dashboard', 'prometheus']);
    assert.equal(r.code, 0, r.stderr);
    prom = r.stdout.trim();
    assert.match(prom, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.ok(mesh.output.includes(`prometheus     ${prom}`), mesh.output);
  });

  after(async () => {
    await mesh.down();
    for (const pid of pidsWithEnv('ISTHMUS_HOME', mesh.home)) process.kill(pid, 'SIGKILL');
    mesh.cleanup();
  });

  test('it is ready and scrapes the control plane: up is 1', async () => {
    const res = await fetch(`${prom}/-/ready`);
    assert.equal(res.status, 200);
    const up = await eventually('the control plane to be scraped', async () => {
      const r = await api<{ result: Sample[] }>('/api/v1/query?query=' + encodeURIComponent('up{job="isthmus-controlplane"}'));
      return r.result[0];
    });
    assert.equal(up.value[1], '1');
  });

  test('the control plane reports every proxy connected', async () => {
    const q = encodeURIComponent('sum(isthmus_connected_proxies)');
    const v = await eventually('isthmus_connected_proxies', async () => {
      const r = await api<{ result: Sample[] }>(`/api/v1/query?query=${q}`);
      const n = r.result[0]?.value[1];
      return n === String(PROXIES) ? n : undefined;
    });
    assert.equal(v, String(PROXIES));
    const gw = await api<{ result: Sample[] }>('/api/v1/query?query=' + encodeURIComponent('isthmus_connected_proxies{role="gateway"}'));
    assert.equal(gw.result[0]?.value[1], '1');
  });

  test('every proxy is a discovered target, labelled with namespace, pod, app and version', async () => {
    const proxies = await eventually('proxy targets', async () => {
      const t = await api<{ activeTargets: Target[] }>('/api/v1/targets?state=active');
      const found = t.activeTargets.filter((x) => x.labels['job'] === 'isthmus-proxies');
      return found.length === PROXIES ? found : undefined;
    });
    // Presence only: a target's health depends on the proxy serving /stats/prometheus, which is
    // the proxy's own concern and tested with it.
    for (const t of proxies) assert.match(t.scrapeUrl, /^http:\/\/127\.0\.0\.1:\d+\/stats\/prometheus$/);
    const hello = proxies.filter((t) => t.labels['app'] === 'hello');
    assert.equal(hello.length, 2);
    for (const t of hello) {
      assert.equal(t.labels['namespace'], 'demo');
      assert.equal(t.labels['version'], 'v1');
      assert.match(t.labels['pod'] ?? '', /^hello-v1-[a-z0-9]+-[a-z0-9]{5}$/);
    }
    const gw = proxies.find((t) => t.labels['role'] === 'gateway');
    assert.equal(gw?.labels['namespace'], 'istio-system');
    assert.equal(gw?.labels['app'], 'istio-ingressgateway');
  });

  test('stopping the mesh stops Prometheus too', async () => {
    const pids = pidsWithEnv('ISTHMUS_HOME', mesh.home);
    assert.ok(pids.length > 0);
    assert.equal(await mesh.down(), 0, mesh.output.slice(-2000));
    const deadline = Date.now() + 10_000;
    while (pidsWithEnv('ISTHMUS_HOME', mesh.home).length > 0) {
      assert.ok(Date.now() < deadline, `still running: ${pidsWithEnv('ISTHMUS_HOME', mesh.home).join(' ')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    await assert.rejects(fetch(`${prom}/-/ready`, { signal: AbortSignal.timeout(2000) }), 'Prometheus still answers');
  });
});
