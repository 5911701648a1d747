// Istio's resilience tasks on a running mesh, with requests sent "from sleep" through the sleep
// pod's sidecar: circuit breaking (DestinationRule connection pool limits give immediate 503s
// flagged UO), mirroring (copies of v1's traffic reach v2 with a `-shadow` Host, callers only
// ever see v1), and retries hiding a replica whose app was killed.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { Mesh, ROOT, buildOnce, pidAlive } from '../support/cli.ts';
import { pidsWithEnv } from '../support/procs.ts';

const TESTDATA = join(import.meta.dirname, 'testdata/resilience');

interface PodInfo {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  outbound?: string;
}

/** The httpbin and sleep samples (or only sleep) in a namespace, httpbin with `replicas`. */
function sampleManifests(ns: string, opts: { httpbin: boolean; replicas?: number }): string {
  const files = [...(opts.httpbin ? ['samples/httpbin/httpbin.yaml'] : []), 'samples/sleep/sleep.yaml'];
  const docs: string[] = [];
  for (const file of files) {
    for (const doc of parseAllDocuments(readFileSync(join(ROOT, file), 'utf8'))) {
      const r = doc.toJS() as { kind: string; metadata: Record<string, unknown>; spec?: { replicas?: number } } | null;
      if (!r) continue;
      r.metadata['namespace'] = ns;
      if (r.kind === 'Deployment' && r.metadata['name'] === 'httpbin' && opts.replicas !== undefined && r.spec) r.spec.replicas = opts.replicas;
      docs.push(JSON.stringify(r));
    }
  }
  return docs.join('\n---\n');
}

interface Reply {
  status: number;
  reason: string;
  body: string;
  error?: string;
}

/** One request in proxy form to the client pod's sidecar, on a connection of its own. */
function viaSidecar(outbound: string, url: string, timeoutMs = 20_000): Promise<Reply> {
  const i = outbound.lastIndexOf(':');
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: Reply) => {
      if (!settled) {
        settled = true;
        resolve(r);
      }
    };
    const req = request({ host: outbound.slice(0, i), port: Number(outbound.slice(i + 1)), method: 'GET', path: url, headers: { host: new URL(url).host }, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => done({ status: res.statusCode ?? 0, reason: String(res.headers['x-isthmus-reason'] ?? ''), body }));
      res.on('error', (e) => done({ status: -1, reason: '', body, error: e.message }));
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer in ${timeoutMs} ms`)));
    req.on('error', (e) => done({ status: -1, reason: '', body: '', error: e.message }));
    req.end();
  });
}

/** `n` requests, at most `concurrency` in flight at once (fortio's -n and -c). */
async function load(outbound: string, url: string, n: number, concurrency: number): Promise<Reply[]> {
  const out: Reply[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < n) {
      next++;
      out.push(await viaSidecar(outbound, url));
    }
  }));
  return out;
}

function codes(replies: Reply[]): Record<string, number> {
  const c: Record<string, number> = {};
  for (const r of replies) c[String(r.status)] = (c[String(r.status)] ?? 0) + 1;
  return c;
}

const sleepMs = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('resilience tasks', { timeout: 300_000 }, () => {
  const mesh = new Mesh();
  const dir = mkdtempSync(join(tmpdir(), 'isthmus-res-'));
  const pods: PodInfo[] = [];

  before(async () => {
    buildOnce();
    writeFileSync(join(dir, 'foo.yaml'), sampleManifests('foo', { httpbin: true }));
    writeFileSync(join(dir, 'mirror.yaml'), sampleManifests('mirror', { httpbin: false }));
    writeFileSync(join(dir, 'retry.yaml'), sampleManifests('retry', { httpbin: true, replicas: 3 }));
    await mesh.up([join(dir, 'foo.yaml'), join(dir, 'mirror.yaml'), join(dir, 'retry.yaml'), join(TESTDATA, 'mirror.yaml')], 120_000);
    const r = await mesh.cli(['get', 'pods', '-A', '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const list = JSON.parse(r.stdout) as { items: { metadata: { name: string; namespace: string; labels: Record<string, string>; annotations: Record<string, string> } }[] };
    for (const p of list.items) {
      const info: PodInfo = { name: p.metadata.name, namespace: p.metadata.namespace, labels: p.metadata.labels };
      const ob = p.metadata.annotations['isthmus.io/outbound'];
      if (ob !== undefined) info.outbound = ob;
      pods.push(info);
    }
  });

  after(async () => {
    await mesh.down();
    for (const pid of pidsWithEnv('ISTHMUS_HOME', mesh.home)) process.kill(pid, 'SIGKILL');
    mesh.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  function podsOf(ns: string, labels: Record<string, string>): PodInfo[] {
    return pods.filter((p) => p.namespace === ns && Object.entries(labels).every(([k, v]) => p.labels[k] === v));
  }

  function sleepOutbound(ns: string): string {
    const p = podsOf(ns, { app: 'sleep' })[0];
    assert.ok(p?.outbound, `no sleep pod with an outbound address in ${ns}`);
    return p.outbound;
  }

  async function apply(yaml: string): Promise<void> {
    const r = await mesh.cli(['apply', '-f', '-', '--wait'], yaml);
    assert.equal(r.code, 0, r.stderr + r.stdout);
  }

  test('circuit breaking: over maxConnections=1 / http1MaxPendingRequests=1 the client sidecar answers 503 UO at once; one at a time all succeed', async () => {
    await apply(`apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: httpbin
  namespace: foo
spec:
  host: httpbin
  trafficPolicy:
    connectionPool:
      tcp:
        maxConnections: 1
      http:
        http1MaxPendingRequests: 1
        maxRequestsPerConnection: 1
    outlierDetection:
      consecutive5xxErrors: 1
      interval: 1s
      baseEjectionTime: 3m
      maxEjectionPercent: 100
`);
    const get = await mesh.cli(['get', 'destinationrules', '-n', 'foo']);
    assert.equal(get.code, 0, get.stderr);
    assert.match(get.stdout, /^NAME\s+HOST\s+AGE$/m);
    assert.match(get.stdout, /^httpbin\s+httpbin\s+\S+$/m);

    const outbound = sleepOutbound('foo');
    // A single request first, as the task's `fortio curl` does.
    const one = await viaSidecar(outbound, 'http://httpbin.foo:8000/get');
    assert.equal(one.status, 200, one.error ?? one.body);

    const N = 20;
    const burst = await load(outbound, 'http://httpbin.foo:8000/delay/0.2', N, 3);
    const c = codes(burst);
    assert.equal(burst.length, N);
    assert.equal((c['200'] ?? 0) + (c['503'] ?? 0), N, JSON.stringify({ codes: c, errors: burst.map((r) => r.error).filter(Boolean) }));
    assert.ok((c['200'] ?? 0) > 0, `no request succeeded: ${JSON.stringify(c)}`);
    assert.ok((c['503'] ?? 0) > 0, `no request was refused: ${JSON.stringify(c)}`);
    for (const r of burst.filter((x) => x.status === 503)) {
      assert.equal(r.reason, 'UO circuit breaker open: maxConnections=1, http1MaxPendingRequests=1 on outbound|8000||httpbin.foo.svc.cluster.local');
    }
    for (const r of burst.filter((x) => x.status === 200)) assert.match(r.body, /"url":\s*"http:\/\/httpbin\.foo:8000\/delay\/0\.2"/);

    // The local 503s are not the endpoint's errors: outlier detection ejected nothing, and
    // requests one at a time stay within the limits.
    const serial = await load(outbound, 'http://httpbin.foo:8000/delay/0.2', 10, 1);
    assert.deepEqual(codes(serial), { '200': 10 }, JSON.stringify(serial.filter((r) => r.status !== 200)));
  });

  test('mirroring: callers only see v1; v2 receives copies with the -shadow Host; mirrorPercentage 0 sends none', async () => {
    const outbound = sleepOutbound('mirror');
    const v1 = podsOf('mirror', { app: 'httpbin', version: 'v1' });
    const v2 = podsOf('mirror', { app: 'httpbin', version: 'v2' });
    assert.equal(v1.length, 1);
    assert.equal(v2.length, 1);
    type Seen = { version: string; pod: string; method: string; path: string; host: string };
    const seen = (p: PodInfo): Seen[] => {
      let text = '';
      try {
        text = readFileSync(join(mesh.home, 'logs', 'mirror', p.name, 'httpbin.log'), 'utf8');
      } catch {
        return [];
      }
      return text.split('\n').filter((l) => l.startsWith('{"version"')).map((l) => JSON.parse(l) as Seen);
    };
    const tagged = (p: PodInfo, tag: string) => seen(p).filter((s) => s.path === `/headers?run=${tag}`);
    /** Polls until `ok` holds (bounded), then returns what the pod logged for `tag`. */
    const waitFor = async (p: PodInfo, tag: string, ok: (s: Seen[]) => boolean): Promise<Seen[]> => {
      const deadline = Date.now() + 20_000;
      while (!ok(tagged(p, tag)) && Date.now() < deadline) await sleepMs(100);
      return tagged(p, tag);
    };
    const send = async (tag: string) => {
      const replies: Reply[] = [];
      for (let i = 0; i < 10; i++) replies.push(await viaSidecar(outbound, `http://httpbin:8000/headers?run=${tag}`));
      for (const r of replies) {
        assert.equal(r.status, 200, r.error ?? r.body);
        const b = JSON.parse(r.body) as { version: string; pod: string; host: string };
        assert.deepEqual(b, { version: 'v1', pod: v1[0]!.name, host: 'httpbin:8000' });
      }
    };
    const vs = (mirror: string) => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: httpbin
  namespace: mirror
spec:
  hosts:
  - httpbin
  http:
  - route:
    - destination:
        host: httpbin
        subset: v1
      weight: 100
${mirror}`;

    // All traffic to v1, nothing mirrored.
    await apply(vs(''));
    await send('plain');
    assert.equal((await waitFor(v1[0]!, 'plain', (s) => s.length >= 10)).length, 10);

    await apply(vs('    mirror:\n      host: httpbin\n      subset: v2\n    mirrorPercentage:\n      value: 100.0\n'));
    await send('mirrored');
    assert.equal((await waitFor(v1[0]!, 'mirrored', (s) => s.length >= 10)).length, 10);
    const copies = await waitFor(v2[0]!, 'mirrored', (s) => s.length >= 10);
    assert.equal(copies.length, 10, `v2 received ${copies.length} of 10 copies`);
    for (const s of copies) {
      assert.equal(s.method, 'GET');
      assert.equal(s.host, 'httpbin-shadow:8000');
    }
    assert.ok(tagged(v1[0]!, 'mirrored').every((s) => s.host === 'httpbin:8000'));

    await apply(vs('    mirror:\n      host: httpbin\n      subset: v2\n    mirrorPercentage:\n      value: 0\n'));
    await send('unmirrored');
    assert.equal((await waitFor(v1[0]!, 'unmirrored', (s) => s.length >= 10)).length, 10);
    // Copies would have left with the requests; give them time to land before checking none did.
    await sleepMs(2_000);
    assert.equal(tagged(v2[0]!, 'unmirrored').length, 0);
    // Nothing before the mirror was configured reached v2 either.
    assert.equal(tagged(v2[0]!, 'plain').length, 0);

    const del = await mesh.cli(['delete', 'virtualservice', 'httpbin', '-n', 'mirror']);
    assert.equal(del.code, 0, del.stderr);
  });

  test('retries: with one of three httpbin apps killed mid-load, retryOn connect-failure,reset,5xx leaves no failed request', async () => {
    await apply(`apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: httpbin
  namespace: retry
spec:
  hosts:
  - httpbin
  http:
  - route:
    - destination:
        host: httpbin
    retries:
      attempts: 3
      perTryTimeout: 5s
      retryOn: connect-failure,reset,5xx
`);
    const outbound = sleepOutbound('retry');
    const replicas = podsOf('retry', { app: 'httpbin' });
    assert.equal(replicas.length, 3);
    const victim = replicas[0]!;
    const appPids = () => pidsWithEnv('POD_NAME', victim.name).filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/environ`, 'latin1').includes(`ISTHMUS_HOME=${mesh.home}\0`) && readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes('samples/httpbin.js');
      } catch {
        return false;
      }
    });
    const before = appPids();
    assert.equal(before.length, 1, `app processes of ${victim.name}: ${before.join(' ')}`);

    // Two streams of sequential requests; the app is killed while they run. The platform marks
    // the pod not ready as soon as it sees the exit, so only requests already on their way to
    // that endpoint meet the dead app: the streams keep some in flight when the kill lands.
    const replies: Reply[] = [];
    let sent = 0;
    let killed = false;
    const stream = async () => {
      while (sent < 60) {
        const i = sent++;
        if (i === 10 && !killed) {
          killed = true;
          process.kill(before[0]!, 'SIGKILL');
        }
        replies.push(await viaSidecar(outbound, `http://httpbin:8000/get?i=${i}`));
      }
    };
    await Promise.all([stream(), stream(), stream()]);
    assert.ok(killed);
    const gone = Date.now() + 10_000;
    while (pidAlive(before[0]!) && Date.now() < gone) await sleepMs(20);
    const failed = replies.map((r, i) => ({ i, ...r })).filter((r) => r.status !== 200);
    assert.deepEqual(failed, []);

    // The platform brings the app back (bounded wait), and it serves again.
    const deadline = Date.now() + 30_000;
    while (appPids().filter((p) => p !== before[0]).length === 0 && Date.now() < deadline) await sleepMs(200);
    assert.equal(appPids().filter((p) => p !== before[0]).length, 1, 'the killed app was not restarted');
    const del = await mesh.cli(['delete', 'virtualservice', 'httpbin', '-n', 'retry']);
    assert.equal(del.code, 0, del.stderr);
  });
});
