// The mesh CA on a running mesh: Istio's plug-in CA task (an operator's root and intermediate in
// the cacerts layout, checked with openssl s_client and openssl verify), certificates that live
// six seconds renewed under steady traffic, the external authorization task (a CUSTOM policy and
// an HTTP authorizer run here), and a self-signed root rotated while traffic flows.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http, { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseAllDocuments } from 'yaml';
import { Mesh, ROOT, buildOnce } from '../support/cli.ts';
import { pidsWithEnv } from '../support/procs.ts';

interface PodInfo {
  name: string;
  ip: string;
  outbound?: string;
}

interface CaRootsAnswer {
  roots: string[];
  trustDomain: string;
  rotation: { phase: 'overlap' | 'switched'; startedAt: number; switchAt: number; retireAt: number | null } | null;
}

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  reused: boolean;
}

const DENIED_BODY = 'denied by ext_authz for not found header `x-ext-authz: allow`';

/** httpbin and sleep from the samples, in namespace foo, with sidecars. */
function fooManifests(): string {
  const docs: string[] = [];
  for (const file of ['samples/httpbin/httpbin.yaml', 'samples/sleep/sleep.yaml']) {
    for (const doc of parseAllDocuments(readFileSync(join(ROOT, file), 'utf8'))) {
      const r = doc.toJS() as { metadata: Record<string, unknown> } | null;
      if (!r) continue;
      r.metadata['namespace'] = 'foo';
      docs.push(JSON.stringify(r));
    }
  }
  return docs.join('\n---\n');
}

function pemBlocks(text: string): string[] {
  return (text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((b) => `${b}\n`);
}

/** Bounded wait for a condition checked every `everyMs`. */
async function until<T>(what: string, ms: number, probe: () => Promise<T | undefined> | T | undefined, everyMs = 250): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** The certificates a sidecar presents on `target` (leaf first), as openssl s_client shows them. */
function presentedChain(target: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const p = spawn('openssl', ['s_client', '-connect', target, '-showcerts'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => p.kill('SIGKILL'), 10_000);
    p.on('error', reject);
    p.on('close', () => {
      clearTimeout(timer);
      const certs = pemBlocks(out);
      if (certs.length === 0) reject(new Error(`openssl s_client ${target} showed no certificate:\n${out}`));
      else resolve(certs);
    });
  });
}

/** Starts a mesh with foo's httpbin and sleep; returns its pods by app label. */
async function startMesh(mesh: Mesh, dir: string, args: string[]): Promise<Map<string, PodInfo>> {
  const foo = join(dir, 'foo.yaml');
  writeFileSync(foo, fooManifests());
  await mesh.up([...args, foo], 120_000);
  const list = JSON.parse((await mesh.cli(['get', 'pods', '-n', 'foo', '-o', 'json'])).stdout) as { items: { metadata: { name: string; labels: Record<string, string>; annotations: Record<string, string> }; status: { podIP: string } }[] };
  const pods = new Map<string, PodInfo>();
  for (const p of list.items) {
    const info: PodInfo = { name: p.metadata.name, ip: p.status.podIP };
    const ob = p.metadata.annotations['isthmus.io/outbound'];
    if (ob !== undefined) info.outbound = ob;
    pods.set(p.metadata.labels['app'] ?? '', info);
  }
  return pods;
}

/** A request from sleep.foo to httpbin.foo through the sleep pod's sidecar (its HTTP_PROXY). */
function fromSleep(sleepPod: PodInfo, path: string, headers: Record<string, string> = {}, agent: http.Agent | false = false): Promise<Answer> {
  const [host, port] = (sleepPod.outbound ?? '').split(':') as [string, string];
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port: Number(port), agent, path: `http://httpbin.foo:8000${path}`, headers: { host: 'httpbin.foo:8000', ...headers } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, reused: req.reusedSocket }));
      res.on('error', reject);
    });
    req.setTimeout(10_000, () => req.destroy(new Error('no answer in 10 s')));
    req.on('error', reject);
    req.end();
  });
}

/**
 * Requests sent without pause from sleep.foo to httpbin.foo: two loops over kept-alive
 * connections and one opening a new connection per request. Every answer but a 200 is a failure.
 */
class SteadyTraffic {
  ok = 0;
  reused = 0;
  fresh = 0;
  failures: string[] = [];
  /** Successful requests by the label current when they were sent. */
  byLabel = new Map<string, number>();
  label = '';
  #stop = false;
  #loops: Promise<void>[] = [];
  #keepAlive = new http.Agent({ keepAlive: true, maxSockets: 2 });

  constructor(readonly sleepPod: PodInfo) {}

  start(): void {
    this.#loops = [this.#loop(this.#keepAlive), this.#loop(this.#keepAlive), this.#loop(false)];
  }

  async #loop(agent: http.Agent | false): Promise<void> {
    while (!this.#stop) {
      const label = this.label;
      try {
        const r = await fromSleep(this.sleepPod, '/ip', {}, agent);
        if (r.status !== 200) this.failures.push(`${new Date().toISOString()} ${label}: HTTP ${r.status} ${r.body.slice(0, 200)}`);
        else {
          this.ok++;
          if (r.reused) this.reused++;
          else this.fresh++;
          this.byLabel.set(label, (this.byLabel.get(label) ?? 0) + 1);
        }
      } catch (e) {
        this.failures.push(`${new Date().toISOString()} ${label}: ${(e as Error).message}`);
      }
      await sleep(15);
    }
  }

  async stop(): Promise<void> {
    this.#stop = true;
    await Promise.all(this.#loops);
    this.#keepAlive.destroy();
  }

  summary(): string {
    return `${this.ok} ok (${this.reused} on kept-alive connections, ${this.fresh} on new ones), ${this.failures.length} failed: ${this.failures.slice(0, 10).join('; ')}`;
  }
}

function cleanupMesh(mesh: Mesh): void {
  for (const pid of pidsWithEnv('ISTHMUS_HOME', mesh.home)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  mesh.cleanup();
}

describe('plug-in CA, six-second certificates and a CUSTOM authorizer', { timeout: 300_000 }, () => {
  const mesh = new Mesh();
  const dir = mkdtempSync(join(tmpdir(), 'isthmus-ca-'));
  const cacerts = join(dir, 'cacerts');
  const f = (name: string) => join(dir, name);
  let pods = new Map<string, PodInfo>();
  let authorizer: Server;
  /** What the authorizer was asked: method, path and the x-ext-authz header. */
  const checks: string[] = [];

  before(async () => {
    buildOnce();
    // An operator's CA in Istio's cacerts layout: a root, and an intermediate it signs that signs workloads.
    const ossl = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    ossl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'root-key.pem', '-out', 'root-cert.pem', '-days', '3650', '-subj', '/O=Istio/CN=Root CA',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
    ossl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca-key.pem', '-out', 'ca.csr', '-subj', '/O=Istio/CN=Intermediate CA/L=cluster1']);
    writeFileSync(f('ca.ext'), 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,digitalSignature,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n');
    ossl(['x509', '-req', '-in', 'ca.csr', '-CA', 'root-cert.pem', '-CAkey', 'root-key.pem', '-CAcreateserial', '-days', '730', '-extfile', 'ca.ext', '-out', 'ca-cert.pem']);
    execFileSync('mkdir', ['-p', cacerts]);
    for (const file of ['ca-cert.pem', 'ca-key.pem', 'root-cert.pem']) writeFileSync(join(cacerts, file), readFileSync(f(file)));
    writeFileSync(join(cacerts, 'cert-chain.pem'), readFileSync(f('ca-cert.pem'), 'utf8') + readFileSync(f('root-cert.pem'), 'utf8'));

    // The external authorizer of Istio's ext-authz sample, reduced to its HTTP check.
    authorizer = createServer((req, res) => {
      const h = req.headers['x-ext-authz'];
      checks.push(`${req.method} ${req.url} ${String(h)}`);
      if (h === 'allow') res.writeHead(200, { 'x-ext-authz-check-result': 'allowed' }).end();
      else res.writeHead(403, { 'x-ext-authz-check-result': 'denied', 'content-type': 'text/plain' }).end(DENIED_BODY);
    });
    await new Promise<void>((r) => authorizer.listen(0, '127.0.0.1', () => r()));
    const authzPort = (authorizer.address() as { port: number }).port;
    writeFileSync(f('mesh.yaml'), [
      'defaultConfig:',
      '  proxyMetadata:',
      '    SECRET_TTL: 6s',
      'extensionProviders:',
      '  - name: sample-ext-authz-http',
      '    envoyExtAuthzHttp:',
      '      service: 127.0.0.1',
      `      port: ${authzPort}`,
      '      includeRequestHeadersInCheck: ["x-ext-authz"]',
      '      headersToUpstreamOnAllow: ["x-ext-authz-check-result"]',
      '      headersToDownstreamOnDeny: ["x-ext-authz-check-result"]',
      '',
    ].join('\n'));
    pods = await startMesh(mesh, dir, ['--mesh-config', f('mesh.yaml'), '--cacerts', cacerts]);
  });

  after(async () => {
    await mesh.down();
    cleanupMesh(mesh);
    authorizer?.closeAllConnections();
    authorizer?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function pod(app: string): PodInfo {
    const p = pods.get(app);
    assert.ok(p, `no pod ${app} in foo`);
    return p;
  }

  async function apply(yaml: string): Promise<void> {
    const r = await mesh.cli(['apply', '-f', '-', '--wait'], yaml);
    assert.equal(r.code, 0, r.stderr + r.stdout);
  }

  test('plug-in CA: the sidecar presents leaf, the operator\'s intermediate and root; openssl verifies it; ca status says plug-in and rotate-root is refused', async () => {
    await apply('apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata:\n  name: default\n  namespace: foo\nspec:\n  mtls:\n    mode: STRICT\n');
    const chain = await presentedChain(`${pod('httpbin').ip}:80`);
    const root = readFileSync(f('root-cert.pem'), 'utf8');
    const intermediate = readFileSync(f('ca-cert.pem'), 'utf8');
    assert.equal(chain.length, 3, chain.join(''));
    assert.equal(chain[chain.length - 1], root, 'the last certificate is the plug-in root, byte for byte');
    assert.equal(chain[1], intermediate, 'the intermediate is ca-cert.pem');
    const leaf = new X509Certificate(chain[0]!);
    assert.equal(leaf.subjectAltName, 'URI:spiffe://cluster.local/ns/foo/sa/httpbin');
    writeFileSync(f('leaf.pem'), chain[0]!);
    writeFileSync(f('ca-and-root.pem'), intermediate + root);
    assert.equal(execFileSync('openssl', ['verify', '-CAfile', f('ca-and-root.pem'), f('leaf.pem')], { encoding: 'utf8' }).trim(), `${f('leaf.pem')}: OK`);
    assert.equal(execFileSync('openssl', ['verify', '-CAfile', f('root-cert.pem'), '-untrusted', f('ca-cert.pem'), f('leaf.pem')], { encoding: 'utf8' }).trim(), `${f('leaf.pem')}: OK`);

    const status = await mesh.cli(['ca', 'status']);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /^Trust domain: +cluster\.local$/m);
    assert.match(status.stdout, /^Mode: +plug-in /m);
    assert.match(status.stdout, /^Rotation: +none$/m);
    const rootSerial = new X509Certificate(root).serialNumber;
    assert.match(status.stdout, new RegExp(`^O=Istio, CN=Root CA +${rootSerial} +\\S+ +trusted$`, 'm'));
    const json = JSON.parse((await mesh.cli(['ca', 'status', '-o', 'json'])).stdout) as { mode: string; trustDomain: string; rotation: unknown; roots: { pem: string; serial: string; subject: string }[] };
    assert.equal(json.mode, 'plugin');
    assert.equal(json.trustDomain, 'cluster.local');
    assert.equal(json.rotation, null);
    assert.deepEqual(json.roots.map((r) => [r.pem, r.serial, r.subject]), [[root, rootSerial, 'O=Istio, CN=Root CA']]);

    const rotate = await mesh.cli(['ca', 'rotate-root']);
    assert.equal(rotate.code, 1, rotate.stdout);
    assert.match(rotate.stderr, /^error: cannot rotate the root: the CA uses plug-in certificates; rotate them by replacing the cacerts files$/m);
    const roots = (await (await fetch(`${mesh.controlPlane}/v1/ca/roots`)).json()) as CaRootsAnswer;
    assert.deepEqual(roots.roots, [root], 'the bundle is unchanged');
  });

  test('six-second certificates renewed under steady traffic: no request fails, the served leaf changes', async (t) => {
    const traffic = new SteadyTraffic(pod('sleep'));
    const serials: string[] = [];
    const t0 = Date.now();
    traffic.start();
    try {
      // About 13 s: at least two renewals of a 6 s certificate renewed at about half its life.
      while (Date.now() - t0 < 13_000) {
        const chain = await presentedChain(`${pod('httpbin').ip}:80`).catch(() => undefined);
        if (chain !== undefined) {
          const serial = new X509Certificate(chain[0]!).serialNumber;
          if (serials[serials.length - 1] !== serial) serials.push(serial);
        }
        await sleep(1_000);
      }
    } finally {
      await traffic.stop();
    }
    t.diagnostic(`${traffic.summary()}; httpbin leaf serials seen: ${serials.length}`);
    assert.deepEqual(traffic.failures, [], traffic.summary());
    assert.ok(traffic.reused > 20 && traffic.fresh > 20, traffic.summary());
    assert.ok(new Set(serials).size >= 3, `httpbin's leaf seen by s_client changed at least twice: ${serials.join(', ')}`);
  });

  test('CUSTOM: the authorizer decides for /headers, other paths are not checked, and with the authorizer gone it fails closed', async () => {
    await apply([
      'apiVersion: security.istio.io/v1',
      'kind: AuthorizationPolicy',
      'metadata:',
      '  name: ext-authz',
      '  namespace: foo',
      'spec:',
      '  selector:',
      '    matchLabels:',
      '      app: httpbin',
      '  action: CUSTOM',
      '  provider:',
      '    name: sample-ext-authz-http',
      '  rules:',
      '  - to:',
      '    - operation:',
      '        paths: ["/headers"]',
      '',
    ].join('\n'));
    const sleepPod = pod('sleep');
    checks.length = 0;
    const allowed = await fromSleep(sleepPod, '/headers', { 'x-ext-authz': 'allow' });
    assert.equal(allowed.status, 200, allowed.body);
    const seen = (JSON.parse(allowed.body) as { headers: Record<string, string> }).headers;
    assert.equal(seen['X-Ext-Authz'], 'allow');
    assert.equal(seen['X-Ext-Authz-Check-Result'], 'allowed', 'headersToUpstreamOnAllow reaches the app');

    const denied = await fromSleep(sleepPod, '/headers', { 'x-ext-authz': 'deny' });
    assert.equal(denied.status, 403);
    assert.equal(denied.body, DENIED_BODY);
    assert.equal(denied.headers['x-ext-authz-check-result'], 'denied');
    const none = await fromSleep(sleepPod, '/headers');
    assert.equal(none.status, 403);
    assert.equal(none.body, DENIED_BODY);

    const ip = await fromSleep(sleepPod, '/ip');
    assert.equal(ip.status, 200, ip.body);
    assert.match(ip.body, /"origin"/);
    assert.deepEqual(checks, ['GET /headers allow', 'GET /headers deny', 'GET /headers undefined'], 'only /headers is checked, with the listed header');

    // The authorizer goes away: what the policy matches is denied, the rest is served.
    authorizer.closeAllConnections();
    await new Promise<void>((r) => authorizer.close(() => r()));
    const closed = await fromSleep(sleepPod, '/headers', { 'x-ext-authz': 'allow' });
    assert.equal(closed.status, 403, closed.body);
    for (const path of ['/ip', '/get', '/status/200']) {
      const r = await fromSleep(sleepPod, path);
      assert.equal(r.status, 200, `${path}: ${r.body}`);
    }
    assert.equal((await fromSleep(sleepPod, '/headers', { 'x-ext-authz': 'allow' })).status, 403);
    assert.equal(checks.length, 3, 'nothing reached the stopped authorizer');
  });
});

describe('self-signed CA: a root rotation under traffic', { timeout: 300_000 }, () => {
  const mesh = new Mesh();
  const dir = mkdtempSync(join(tmpdir(), 'isthmus-ca-rot-'));
  let pods = new Map<string, PodInfo>();
  const TTL_S = 30;

  before(async () => {
    buildOnce();
    writeFileSync(join(dir, 'mesh.yaml'), `defaultConfig:\n  proxyMetadata:\n    SECRET_TTL: ${TTL_S}s\n`);
    pods = await startMesh(mesh, dir, ['--mesh-config', join(dir, 'mesh.yaml')]);
  });

  after(async () => {
    await mesh.down();
    cleanupMesh(mesh);
    rmSync(dir, { recursive: true, force: true });
  });

  const caRoots = async (): Promise<CaRootsAnswer> => (await (await fetch(`${mesh.controlPlane}/v1/ca/roots`, { signal: AbortSignal.timeout(10_000) })).json()) as CaRootsAnswer;
  const httpbinRoot = async (): Promise<string | undefined> => (await presentedChain(`${pods.get('httpbin')!.ip}:80`).catch(() => undefined))?.at(-1);

  test('rotate-root: two roots trusted, then the new one signs, then the old one leaves; sleep -> httpbin never fails', async (t) => {
    const before = await caRoots();
    assert.equal(before.roots.length, 1);
    assert.equal(before.rotation, null);
    const oldRoot = before.roots[0]!;
    assert.equal(oldRoot, readFileSync(join(mesh.home, 'state', 'ca', 'root-cert.pem'), 'utf8'));
    const status0 = await mesh.cli(['ca', 'status']);
    assert.match(status0.stdout, /^Mode: +self-signed /m);
    assert.match(status0.stdout, /^Rotation: +none$/m);
    assert.equal(await httpbinRoot(), oldRoot, 'the sidecar presents its chain up to the mesh root');

    const traffic = new SteadyTraffic(pods.get('sleep')!);
    traffic.label = 'before';
    traffic.start();
    try {
      await sleep(1_000);
      const rotate = await mesh.cli(['ca', 'rotate-root', '--wait', '--timeout', '30s']);
      assert.equal(rotate.code, 0, rotate.stderr + rotate.stdout);
      assert.match(rotate.stdout, /^root rotation started$/m);
      assert.match(rotate.stdout, /^Rotation: +overlap /m);
      assert.match(rotate.stdout, /^every connected proxy trusts the new root \(\d+ ms\)$/m);
      traffic.label = 'overlap';

      const during = await caRoots();
      assert.equal(during.roots.length, 2, 'the new root and the old one');
      assert.equal(during.roots[1], oldRoot);
      const newRoot = during.roots[0]!;
      assert.notEqual(newRoot, oldRoot);
      assert.equal(during.rotation?.phase, 'overlap');
      const status = await mesh.cli(['ca', 'status']);
      assert.match(status.stdout, /^Rotation: +overlap \(since \S+\): the new root is trusted; the current root signs until \S+ \(/m);
      assert.match(status.stdout, /^Roots: +2$/m);
      assert.match(status.stdout, / new$/m);
      assert.match(status.stdout, / signing$/m);
      const json = JSON.parse((await mesh.cli(['ca', 'status', '-o', 'json'])).stdout) as { mode: string; rotation: { phase: string }; roots: { state: string; pem: string }[] };
      assert.equal(json.mode, 'self-signed');
      assert.equal(json.rotation.phase, 'overlap');
      assert.deepEqual(json.roots.map((r) => [r.state, r.pem]), [['new', newRoot], ['signing', oldRoot]]);
      const again = await mesh.cli(['ca', 'rotate-root']);
      assert.equal(again.code, 1);
      assert.match(again.stderr, /a root rotation is already under way \(phase overlap\)/);
      assert.equal(await httpbinRoot(), oldRoot, 'during the overlap the old root still signs');

      // The grace period is one certificate lifetime; then the new root signs.
      const switchAt = during.rotation!.switchAt;
      await until('the switch to the new root', switchAt - Date.now() + 20_000, async () => ((await caRoots()).rotation?.phase === 'switched' ? true : undefined));
      traffic.label = 'switched';
      const switched = await mesh.cli(['ca', 'status']);
      assert.match(switched.stdout, /^Rotation: +switched \(at \S+\): the new root signs; the previous root stays trusted until \S+ \(/m);
      // httpbin renews at about half its lifetime and gets a leaf under the new root.
      await until('httpbin serving a leaf of the new root', TTL_S * 1000 + 10_000, async () => ((await httpbinRoot()) === newRoot ? true : undefined), 1_000);

      // Once every leaf of the old root has expired, it leaves the bundle.
      const retireAt = (await caRoots()).rotation?.retireAt ?? Date.now();
      await until('the old root to leave the bundle', retireAt - Date.now() + 20_000, async () => {
        const r = await caRoots();
        return r.rotation === null && r.roots.length === 1 ? r : undefined;
      }).then((r) => assert.deepEqual(r.roots, [newRoot]));
      traffic.label = 'after';
      await sleep(2_000);
    } finally {
      await traffic.stop();
    }
    t.diagnostic(`${traffic.summary()}; by phase: ${JSON.stringify(Object.fromEntries(traffic.byLabel))}`);
    assert.deepEqual(traffic.failures, [], traffic.summary());
    for (const phase of ['before', 'overlap', 'switched', 'after']) assert.ok((traffic.byLabel.get(phase) ?? 0) > 5, `requests while ${phase}: ${JSON.stringify([...traffic.byLabel])}`);
    const status = await mesh.cli(['ca', 'status']);
    assert.match(status.stdout, /^Rotation: +none$/m);
    assert.match(status.stdout, /^Roots: +1$/m);
  });
});
