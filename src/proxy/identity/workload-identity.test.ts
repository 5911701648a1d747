// The workload identity against a real CA behind a tiny sign endpoint (pod credentials checked),
// then real mTLS on 127.0.0.1 with the certificates it gets.

import assert from 'node:assert/strict';
import { createPrivateKey, randomBytes, X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import tls from 'node:tls';
import { CertificateAuthority } from '../../controlplane/ca/index.ts';
import { memoryLog, openssl, opensslPluginCa, quietLog, tempDir, type TempDir } from '../../controlplane/ca/test-support.ts';
import { issuePodCredential, isIsthmusError, verifyPodCredential } from '../../shared/index.ts';
import type { IdentitySource } from '../mesh-tls.ts';
import { checkServerSpiffeId, peerSpiffeId, WorkloadIdentity, type WorkloadIdentityOptions } from './index.ts';

const TD = 'cluster.local';

/** What the sign endpoint answers instead of the CA, to test what the proxy refuses. */
type Tamper = (csr: string, real: () => Promise<unknown>) => Promise<unknown>;

interface SignServer extends AsyncDisposable {
  ca: CertificateAuthority;
  url: string;
  key: Buffer;
  credential(namespace: string, serviceAccount: string): string;
  requests: number;
  tamper: Tamper | null;
}

/** The control plane's sign endpoint, reduced to what matters: credential -> identity -> CA. */
async function signServer(dir: TempDir, name: string, caOpts: { workloadTtlMs?: number; port?: number; key?: Buffer; pluginDir?: string } = {}): Promise<SignServer> {
  const ca = await CertificateAuthority.open({
    dir: join(dir.path, name), trustDomain: TD, workloadTtlMs: caOpts.workloadTtlMs ?? 3_600_000, log: quietLog,
    ...(caOpts.pluginDir !== undefined ? { pluginDir: caOpts.pluginDir } : {}),
  });
  const key = caOpts.key ?? randomBytes(32);
  const state: SignServer = {
    ca,
    url: '',
    key,
    requests: 0,
    tamper: null,
    credential: (namespace, serviceAccount) => issuePodCredential(key, { namespace, pod: `${serviceAccount}-0`, serviceAccount, issuedAt: Date.now() }),
    [Symbol.asyncDispose]: async () => {
      ca.close();
      server.closeAllConnections();
      server.close();
    },
  };
  const server = http.createServer(async (req, res) => {
    state.requests++;
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    try {
      if (req.method !== 'POST' || req.url !== '/v1/ca/sign') return reply(404, { error: 'not found' });
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { csr: string; credential: string };
      const cred = verifyPodCredential(key, body.credential);
      if (!cred.ok) return reply(401, { error: `pod credential refused: ${cred.reason}` });
      const real = () => ca.sign(body.csr, cred.claims);
      return reply(200, state.tamper !== null ? await state.tamper(body.csr, real) : await real());
    } catch (e) {
      return reply(isIsthmusError(e) ? 403 : 500, { error: (e as Error).message });
    }
  });
  server.listen(caOpts.port ?? 0, '127.0.0.1');
  await once(server, 'listening');
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return state;
}

function identity(srv: SignServer, sa: string, more: Partial<WorkloadIdentityOptions> = {}): WorkloadIdentity & Disposable {
  const id = new WorkloadIdentity({ controlPlaneUrl: srv.url, credential: srv.credential('default', sa), trustDomain: TD, log: quietLog, ...more });
  return Object.assign(id, { [Symbol.dispose]: () => id.stop() });
}

const spiffe = (sa: string) => `spiffe://${TD}/ns/default/sa/${sa}`;

/** An mTLS echo server with the identity's certificate, swapped with setSecureContext on change. */
async function mtlsServer(id: WorkloadIdentity) {
  const seen: string[] = [];
  const clientErrors: string[] = [];
  const server = tls.createServer({ ...id.tls(), requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.3' }, (socket) => {
    const peer = peerSpiffeId(socket.getPeerCertificate());
    seen.push(`${peer ?? 'none'} ${socket.getPeerCertificate().serialNumber}`);
    socket.on('data', (d) => socket.end(`pong ${peer} ${d.toString()}`));
    socket.on('error', () => {});
  });
  server.on('tlsClientError', (e) => clientErrors.push(e.message));
  const off = id.onChange(() => server.setSecureContext(id.tls()));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    seen,
    clientErrors,
    [Symbol.asyncDispose]: async () => {
      off();
      await new Promise((r) => server.close(r));
    },
  };
}

/** One request over a new mTLS connection: resolves with the answer and the server cert serial. */
function mtlsRequest(port: number, opts: tls.ConnectionOptions): Promise<{ answer: string; serverSerial: string }> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, minVersion: 'TLSv1.3', ...opts });
    let answer = '';
    let serverSerial = '';
    s.setTimeout(5_000, () => s.destroy(new Error('timeout')));
    s.on('secureConnect', () => {
      serverSerial = s.getPeerCertificate().serialNumber;
      s.write('ping');
    });
    s.on('data', (d) => (answer += d.toString()));
    s.on('error', reject);
    s.on('close', () => (answer !== '' ? resolve({ answer, serverSerial }) : reject(new Error('closed without an answer'))));
  });
}

describe('workload identity', () => {
  test('gets a certificate for its SPIFFE ID from the CA, key kept local', async () => {
    await using dir = await tempDir();
    await using srv = await signServer(dir, 'ca');
    using id = identity(srv, 'bookinfo-reviews');
    const changes: string[] = [];
    id.onChange((_c, what) => changes.push(what));
    assert.throws(() => id.tls(), (e: unknown) => isIsthmusError(e, 'ISTHMUS_ERR_PROXY_IDENTITY_NOT_READY'));
    await id.start().ready();
    const c = id.current!;
    assert.equal(c.identity, spiffe('bookinfo-reviews'));
    assert.equal(id.spiffeId, spiffe('bookinfo-reviews'), 'namespace and service account read from the credential');
    const leaf = new X509Certificate(c.certChainPem);
    assert.equal(leaf.subjectAltName, `URI:${spiffe('bookinfo-reviews')}`);
    assert.ok(leaf.checkPrivateKey(createPrivateKey(c.keyPem)));
    assert.deepEqual(c.rootsPem, [...srv.ca.roots]);
    assert.deepEqual(changes, ['certificate']);
    assert.deepEqual(id.tls(), { key: c.keyPem, cert: c.certChainPem, ca: c.rootsPem });
    // The proxy's MeshTls can follow it directly.
    const source: IdentitySource = id;
    assert.deepEqual(source.material, { key: c.keyPem, certChain: c.certChainPem, roots: c.rootsPem });
    assert.equal(srv.ca.stats.issued, 1);
  });

  test('mTLS between two workloads; the server sees the client SPIFFE ID and vice versa', async () => {
    await using dir = await tempDir();
    await using srv = await signServer(dir, 'ca');
    using reviews = identity(srv, 'bookinfo-reviews');
    using productpage = identity(srv, 'bookinfo-productpage');
    await Promise.all([reviews.start().ready(), productpage.start().ready()]);
    await using server = await mtlsServer(reviews);

    const r = await mtlsRequest(server.port, { ...productpage.tls(), checkServerIdentity: checkServerSpiffeId([spiffe('bookinfo-reviews')]) });
    assert.equal(r.answer, `pong ${spiffe('bookinfo-productpage')} ping`);
    assert.equal(r.serverSerial, reviews.current!.serial);
    assert.equal(server.seen.length, 1);
    assert.equal(server.seen[0], `${spiffe('bookinfo-productpage')} ${productpage.current!.serial}`);

    // The client refuses a server with another identity, even though its certificate is valid.
    await assert.rejects(mtlsRequest(server.port, { ...productpage.tls(), checkServerIdentity: checkServerSpiffeId([spiffe('bookinfo-ratings')]) }), /server identity .*bookinfo-reviews is not one this client accepts/);
    // A client without a certificate is refused by the server.
    await assert.rejects(mtlsRequest(server.port, { ca: productpage.tls().ca, checkServerIdentity: () => undefined }));
    assert.equal(server.seen.length, 1);
  });

  test('presents leaf, intermediate and root, as Istio workloads do: the root ends the chain a peer sees', async () => {
    await using dir = await tempDir();
    // Self-signed CA: leaf, then the root.
    await using srv = await signServer(dir, 'ca');
    using own = identity(srv, 'httpbin');
    await own.start().ready();
    assert.deepEqual(pems(own.current!.certChainPem).slice(1), [...srv.ca.roots]);
    // Plug-in CA: leaf, the operator's intermediate, then the root of root-cert.pem (once each).
    const plugin = await opensslPluginCa(dir, 'cacerts');
    await using psrv = await signServer(dir, 'plugin', { pluginDir: plugin });
    using id = identity(psrv, 'httpbin');
    using client = identity(psrv, 'sleep');
    await Promise.all([id.start().ready(), client.start().ready()]);
    const chain = pems(id.current!.certChainPem);
    assert.equal(chain.length, 3);
    assert.equal(chain[1], await readFile(join(plugin, 'ca-cert.pem'), 'utf8'));
    assert.equal(chain[2], await readFile(join(plugin, 'root-cert.pem'), 'utf8'));
    // Over TLS, a peer receives the same three certificates.
    await using server = await mtlsServer(id);
    const seen = await new Promise<string[]>((resolve, reject) => {
      const s = tls.connect({ host: '127.0.0.1', port: server.port, minVersion: 'TLSv1.3', ...client.tls(), checkServerIdentity: () => undefined });
      s.on('secureConnect', () => {
        const out: string[] = [];
        for (let c: tls.DetailedPeerCertificate | undefined = s.getPeerCertificate(true); c !== undefined && !out.includes(c.fingerprint256); c = c.issuerCertificate) out.push(c.fingerprint256);
        s.destroy();
        resolve(out);
      });
      s.on('error', reject);
    });
    assert.deepEqual(seen, chain.map((p) => new X509Certificate(p).fingerprint256));
    // A CA that already ends its chain with the root does not get it twice.
    psrv.tamper = async (_csr, real) => {
      const r = (await real()) as { certChain: string[]; roots: string[] };
      return { ...r, certChain: [...r.certChain, r.roots[0]!] };
    };
    using twice = identity(psrv, 'ratings');
    await twice.start().ready();
    assert.equal(pems(twice.current!.certChainPem).length, 3);
  });

  test('a client certificate from a foreign CA is rejected', async () => {
    await using dir = await tempDir();
    await using srv = await signServer(dir, 'ca');
    await using foreign = await signServer(dir, 'foreign-ca');
    using reviews = identity(srv, 'bookinfo-reviews');
    // Same trust domain, same identity name, but issued by another root.
    using intruder = identity(foreign, 'bookinfo-productpage');
    await Promise.all([reviews.start().ready(), intruder.start().ready()]);
    await using server = await mtlsServer(reviews);
    const opts = { key: intruder.tls().key, cert: intruder.tls().cert, ca: reviews.tls().ca, checkServerIdentity: checkServerSpiffeId([spiffe('bookinfo-reviews')]) };
    await assert.rejects(mtlsRequest(server.port, opts));
    assert.deepEqual(server.seen, [], 'the server never accepted the connection');
    assert.ok(server.clientErrors.length >= 1, 'the server reported the failed handshake');
    // And the foreign root does not verify our server: the client refuses it too.
    await assert.rejects(mtlsRequest(server.port, { ...intruder.tls(), checkServerIdentity: () => undefined }), /certificate/i);
  });

  test('retries with backoff while the control plane is unreachable, then gets its certificate', async () => {
    await using dir = await tempDir();
    // A port nobody listens on (yet).
    const probe = http.createServer().listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const key = randomBytes(32);
    const log = memoryLog();
    const id = new WorkloadIdentity({
      controlPlaneUrl: `http://127.0.0.1:${port}`,
      credential: issuePodCredential(key, { namespace: 'default', pod: 'p', serviceAccount: 'sleep', issuedAt: Date.now() }),
      trustDomain: TD,
      log,
    });
    try {
      id.start();
      await sleep(700);
      assert.equal(id.current, null);
      const failures = id.stats.failures;
      // 100, 200, 400 ms (±20%): three or four attempts in 700 ms, not dozens.
      assert.ok(failures >= 2 && failures <= 5, `failures ${failures}`);
      assert.ok(log.lines.some((l) => l.includes('request failed; retrying') && l.includes('ECONNREFUSED')));
      await using _srv = await signServer(dir, 'ca', { port, key });
      await id.ready();
      assert.equal(id.current!.identity, spiffe('sleep'));
    } finally {
      id.stop();
    }
  });

  test('an invalid credential is refused by the server; stop() ends the wait', async () => {
    await using dir = await tempDir();
    await using srv = await signServer(dir, 'ca');
    const log = memoryLog();
    const id = new WorkloadIdentity({ controlPlaneUrl: srv.url, credential: issuePodCredential(randomBytes(32), { namespace: 'default', pod: 'p', serviceAccount: 'sleep', issuedAt: 0 }), trustDomain: TD, log }).start();
    await sleep(300);
    id.stop();
    await assert.rejects(id.ready(), (e: unknown) => isIsthmusError(e, 'ISTHMUS_ERR_PROXY_IDENTITY_STOPPED'));
    assert.ok(log.lines.some((l) => l.includes('HTTP 401: pod credential refused: bad-mac')), log.lines.join('\n'));
    assert.equal(srv.ca.stats.issued, 0);
  });

  test('refuses a certificate with another SAN, for another key, or not chaining to the roots', async () => {
    await using dir = await tempDir();
    await using srv = await signServer(dir, 'ca');
    await using foreign = await signServer(dir, 'foreign-ca');
    const rootFiles = { cert: join(dir.path, 'ca', 'root-cert.pem'), key: join(dir.path, 'ca', 'root-key.pem') };
    // A real answer for another proxy of the same workload: valid, but for another key.
    let captured: unknown = null;
    srv.tamper = async (_csr, real) => (captured = await real());
    {
      using warm = identity(srv, 'sleep');
      await warm.start().ready();
    }
    const cases: [string, Tamper, RegExp][] = [
      [
        'other SAN',
        async (csr) => {
          // Signed by the real root for the proxy's own key, but naming another workload.
          await writeFile(join(dir.path, 'req.csr'), csr);
          await writeFile(join(dir.path, 'san.ext'), `subjectAltName=critical,URI:${spiffe('admin')}\nextendedKeyUsage=serverAuth,clientAuth\n`);
          await openssl(['x509', '-req', '-in', join(dir.path, 'req.csr'), '-CA', rootFiles.cert, '-CAkey', rootFiles.key, '-CAcreateserial', '-days', '1', '-extfile', join(dir.path, 'san.ext'), '-out', join(dir.path, 'leaf.pem')]);
          return { certChain: [await dir.read('leaf.pem')], roots: [...srv.ca.roots], notAfter: new Date().toISOString() };
        },
        /its SAN is URI:spiffe:\/\/cluster\.local\/ns\/default\/sa\/admin, asked for/,
      ],
      ['another key', async () => captured, /not for the key this proxy generated/],
      ['foreign roots', async (_csr, real) => ({ ...(await real() as object), roots: [...foreign.ca.roots] }), /does not chain to the returned roots/],
      ['no roots', async (_csr, real) => ({ ...(await real() as object), roots: [] }), /roots must be a list/],
      ['two certs in one entry', async (_csr, real) => {
        const r = (await real()) as { certChain: string[]; roots: string[] };
        return { ...r, roots: [r.roots[0]! + (foreign.ca.roots[0] ?? '')] };
      }, /roots\[0\] is not one PEM certificate/],
    ];
    for (const [name, tamper, message] of cases) {
      const log = memoryLog();
      using id = identity(srv, 'sleep', { log });
      srv.tamper = tamper;
      id.start();
      await until(() => id.stats.failures >= 2, `${name}: two refusals`);
      assert.equal(id.current, null, name);
      assert.ok(log.lines.some((l) => message.test(l)), `${name}: ${log.lines.join('\n')}`);
      id.stop();
    }
  });

  test('renews at about half the lifetime; an mTLS client making requests continuously sees no failure across two rotations', async () => {
    await using dir = await tempDir();
    const TTL = 2_000;
    await using srv = await signServer(dir, 'ca', { workloadTtlMs: TTL });
    using server = identity(srv, 'bookinfo-reviews');
    using client = identity(srv, 'bookinfo-productpage');
    const issued: { at: number; notAfter: number }[] = [];
    server.onChange((c, what) => void (what === 'certificate' && issued.push({ at: Date.now(), notAfter: c.notAfter.getTime() })));
    await Promise.all([server.start().ready(), client.start().ready()]);
    await using mtls = await mtlsServer(server);

    let ok = 0;
    const failures: string[] = [];
    const serverSerials = new Set<string>();
    const deadline = Date.now() + 15_000;
    // Until both sides have had two renewals, and a little beyond so the last certificates are used.
    let doneAt = Infinity;
    while (Date.now() < Math.min(doneAt, deadline)) {
      if (doneAt === Infinity && server.stats.issued >= 3 && client.stats.issued >= 3) doneAt = Date.now() + 300;
      try {
        // Each request is a new connection with the client's current certificate.
        const r = await mtlsRequest(mtls.port, { ...client.tls(), checkServerIdentity: checkServerSpiffeId([spiffe('bookinfo-reviews')]) });
        assert.equal(r.answer, `pong ${spiffe('bookinfo-productpage')} ping`);
        serverSerials.add(r.serverSerial);
        ok++;
      } catch (e) {
        failures.push((e as Error).message);
      }
    }
    assert.deepEqual(failures, []);
    assert.ok(server.stats.issued >= 3 && client.stats.issued >= 3, `issued: server ${server.stats.issued}, client ${client.stats.issued}`);
    assert.ok(serverSerials.size >= 3, `the client saw ${serverSerials.size} server certificates`);
    const clientSerials = new Set(mtls.seen.map((s) => s.split(' ')[1]));
    assert.ok(clientSerials.size >= 3, `the server saw ${clientSerials.size} client certificates`);
    assert.ok(ok > 20, `${ok} requests`);
    // About half way through each certificate's life (the schedule aims at 45-55%; the bounds
    // leave room for a busy machine).
    for (let i = 1; i < issued.length; i++) {
      const prev = issued[i - 1]!;
      const share = (issued[i]!.at - prev.at) / (prev.notAfter - prev.at);
      assert.ok(share > 0.3 && share < 0.8, `renewed at ${(share * 100).toFixed(0)}% of the lifetime`);
    }
    assert.ok(issued.every((c) => c.notAfter - c.at >= TTL - 100), 'each certificate lives its full TTL');
    // Every renewal uses a new key.
    assert.equal(new Set([server.current!.keyPem, client.current!.keyPem]).size, 2);
  });

  test('a pushed trust bundle: added roots are used at once; dropping its own root makes it renew', async () => {
    await using dir = await tempDir();
    await using srv = await signServer(dir, 'ca');
    using id = identity(srv, 'sleep');
    await id.start().ready();
    const first = id.current!;
    const changes: string[] = [];
    id.onChange((_c, what) => changes.push(what));

    await srv.ca.rotateRoot({ graceMs: 0 });
    id.updateRoots(srv.ca.roots);
    assert.deepEqual(id.tls().ca, [...srv.ca.roots]);
    assert.equal(id.current!.serial, first.serial, 'still chains to the bundle: no renewal');
    assert.deepEqual(changes, ['roots']);

    await srv.ca.finishRotation();
    id.updateRoots(srv.ca.roots);
    await until(() => id.current!.serial !== first.serial, 'a new certificate');
    assert.deepEqual(changes, ['roots', 'roots', 'certificate']);
    const leaf = new X509Certificate(id.current!.certChainPem);
    assert.ok(leaf.verify(new X509Certificate(srv.ca.roots[0]!).publicKey), 'signed by the new root');
    assert.throws(() => id.updateRoots(['not a cert']), (e: unknown) => isIsthmusError(e, 'ISTHMUS_ERR_PROXY_IDENTITY_BAD_OPTION'));
  });
});

function pems(text: string): string[] {
  return text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g) ?? [];
}

async function until(cond: () => boolean, what: string, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}
