import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { cp, mkdir, readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { isIsthmusError } from '../../shared/index.ts';
import { CertificateAuthority, type CertificateAuthorityOptions } from './index.ts';
import { memoryLog, openssl, opensslCsr, opensslPluginCa, opensslVerify, quietLog, tempDir, type TempDir } from './test-support.ts';

const TD = 'cluster.local';
const reviews = { namespace: 'default', serviceAccount: 'bookinfo-reviews' };
const REVIEWS_ID = 'spiffe://cluster.local/ns/default/sa/bookinfo-reviews';
const HOUR = 3_600_000;

function open(dir: TempDir, more: Partial<CertificateAuthorityOptions> = {}): Promise<CertificateAuthority> {
  return CertificateAuthority.open({ dir: join(dir.path, 'ca'), trustDomain: TD, workloadTtlMs: HOUR, log: quietLog, ...more });
}

const refusedWith = (code: string) => (e: unknown) => {
  assert.ok(isIsthmusError(e, code), `expected ${code}, got ${String((e as Error)?.message)} (${String((e as { code?: string })?.code)})`);
  return true;
};

async function text(dir: TempDir, pem: string): Promise<string> {
  const f = await dir.write(`x-${Math.random().toString(36).slice(2)}.pem`, pem);
  return (await openssl(['x509', '-in', f, '-noout', '-text'])).stdout;
}

describe('self-signed root', () => {
  test('is created on first start with a 0600 key, and reused on the next', async () => {
    await using dir = await tempDir();
    const ca = await open(dir);
    const caDir = join(dir.path, 'ca');
    assert.equal((await stat(join(caDir, 'root-key.pem'))).mode & 0o777, 0o600);
    assert.equal((await stat(caDir)).mode & 0o777, 0o700);
    const rootPem = await readFile(join(caDir, 'root-cert.pem'), 'utf8');
    assert.deepEqual(ca.roots, [rootPem]);
    assert.deepEqual((await readdir(caDir)).sort(), ['root-cert.pem', 'root-key.pem'], 'no temp files left behind');
    ca.close();

    const again = await open(dir);
    assert.deepEqual(again.roots, [rootPem]);
    // A leaf from the restarted CA verifies against the root from the first start.
    const res = await again.sign(await opensslCsr(dir, 'r', `URI:${REVIEWS_ID}`), reviews);
    assert.match(await opensslVerify(dir, res.certChain[0]!, rootPem), /: OK$/);
    again.close();
  });

  test('has the subject, validity and CA extensions of a mesh root', async () => {
    await using dir = await tempDir();
    const ca = await open(dir);
    const root = new X509Certificate(ca.roots[0]!);
    assert.equal(root.subject, 'O=Isthmus\nCN=Isthmus Root CA');
    assert.equal(root.issuer, root.subject);
    assert.equal(root.ca, true);
    assert.equal(root.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
    const years = (Date.parse(root.validTo) - Date.parse(root.validFrom)) / (365.25 * 24 * HOUR);
    assert.ok(years > 9.99 && years < 10.01, `validity ${years} years`);
    const t = await text(dir, ca.roots[0]!);
    assert.match(t, /X509v3 Basic Constraints: critical\n\s+CA:TRUE\n/);
    assert.match(t, /X509v3 Key Usage: critical\n\s+Certificate Sign, CRL Sign\n/);
    assert.match(t, /X509v3 Subject Key Identifier: \n\s+[0-9A-F:]{59}\n/);
    assert.match(t, /Signature Algorithm: ecdsa-with-SHA256/);
    ca.close();
  });

  test('a root without its key is an error naming the file, not silently replaced', async () => {
    await using dir = await tempDir();
    (await open(dir)).close();
    const keyFile = join(dir.path, 'ca', 'root-key.pem');
    await writeFile(keyFile, '');
    await assert.rejects(open(dir), (e: unknown) => isIsthmusError(e, 'ISTHMUS_ERR_CA_STATE_INVALID') && /root-key\.pem/.test((e as Error).message));
  });
});

describe('sign', () => {
  test('issues a leaf with exactly the SPIFFE SAN, EKU, KU, AKI and validity', async () => {
    await using dir = await tempDir();
    const ca = await open(dir);
    const before = Date.now();
    const res = await ca.sign(await opensslCsr(dir, 'r', `URI:${REVIEWS_ID}`), reviews);
    assert.equal(res.certChain.length, 1, 'a self-signed root signs leaves directly');
    assert.deepEqual(res.roots, ca.roots);
    const leaf = new X509Certificate(res.certChain[0]!);
    const root = new X509Certificate(ca.roots[0]!);
    assert.equal(leaf.subjectAltName, `URI:${REVIEWS_ID}`);
    assert.equal(leaf.subject, undefined, 'empty subject');
    assert.equal(leaf.ca, false);
    assert.ok(leaf.checkIssued(root) && leaf.verify(root.publicKey));
    assert.deepEqual([...(leaf.keyUsage ?? [])].sort(), ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
    const notBefore = Date.parse(leaf.validFrom);
    const notAfter = Date.parse(leaf.validTo);
    assert.ok(Math.abs(notBefore - (before - 60_000)) < 3_000, `notBefore ${leaf.validFrom}`);
    assert.ok(Math.abs(notAfter - (before + HOUR)) < 3_000, `notAfter ${leaf.validTo}`);
    assert.equal(res.notAfter, new Date(notAfter).toISOString());
    assert.ok(leaf.serialNumber.length >= 30 && leaf.serialNumber.length <= 34, `serial ${leaf.serialNumber}`);

    const t = await text(dir, res.certChain[0]!);
    assert.match(t, /X509v3 Subject Alternative Name: critical\n\s+URI:spiffe:\/\/cluster\.local\/ns\/default\/sa\/bookinfo-reviews\n/);
    assert.match(t, /X509v3 Key Usage: critical\n\s+Digital Signature, Key Encipherment\n/);
    assert.match(t, /X509v3 Extended Key Usage: \n\s+TLS Web Server Authentication, TLS Web Client Authentication\n/);
    const ski = /X509v3 Subject Key Identifier: \n\s+([0-9A-F:]+)\n/.exec(await text(dir, ca.roots[0]!))![1];
    assert.match(t, new RegExp(`X509v3 Authority Key Identifier: \\n\\s+(keyid:)?${ski}\\n`));

    assert.match(await opensslVerify(dir, res.certChain[0]!, ca.roots.join('')), /: OK$/);
    assert.deepEqual(ca.stats.issued, 1);
    ca.close();
  });

  test('serials differ between leaves', async () => {
    await using dir = await tempDir();
    const ca = await open(dir);
    const csr = await opensslCsr(dir, 'r', `URI:${REVIEWS_ID}`);
    const serials = new Set<string>();
    for (let i = 0; i < 20; i++) serials.add(new X509Certificate((await ca.sign(csr, reviews)).certChain[0]!).serialNumber);
    assert.equal(serials.size, 20);
    ca.close();
  });

  test('an RSA-2048 CSR is accepted', async () => {
    await using dir = await tempDir();
    const ca = await open(dir);
    const res = await ca.sign(await opensslCsr(dir, 'r', `URI:${REVIEWS_ID}`, 'rsa-2048'), reviews);
    assert.equal(new X509Certificate(res.certChain[0]!).publicKey.asymmetricKeyType, 'rsa');
    assert.match(await opensslVerify(dir, res.certChain[0]!, ca.roots.join('')), /: OK$/);
    ca.close();
  });

  test('refuses a CSR for another identity', async () => {
    await using dir = await tempDir();
    const ca = await open(dir);
    const csr = await opensslCsr(dir, 'r', 'URI:spiffe://cluster.local/ns/default/sa/bookinfo-ratings');
    await assert.rejects(ca.sign(csr, reviews), (e: unknown) => {
      refusedWith('ISTHMUS_ERR_CA_CSR_IDENTITY')(e);
      assert.match((e as Error).message, /asks for \[URI:spiffe:\/\/cluster\.local\/ns\/default\/sa\/bookinfo-ratings\] but the caller may only have spiffe:\/\/cluster\.local\/ns\/default\/sa\/bookinfo-reviews/);
      return true;
    });
    // Same name in another namespace, and another trust domain.
    await assert.rejects(ca.sign(await opensslCsr(dir, 'n', 'URI:spiffe://cluster.local/ns/prod/sa/bookinfo-reviews'), reviews), refusedWith('ISTHMUS_ERR_CA_CSR_IDENTITY'));
    await assert.rejects(ca.sign(await opensslCsr(dir, 't', 'URI:spiffe://evil.example/ns/default/sa/bookinfo-reviews'), reviews), refusedWith('ISTHMUS_ERR_CA_CSR_IDENTITY'));
    assert.deepEqual({ issued: ca.stats.issued, refused: ca.stats.refused }, { issued: 0, refused: 3 });
    ca.close();
  });

  test('refuses DNS SANs, two URI SANs and a CSR without a SAN', async () => {
    await using dir = await tempDir();
    const ca = await open(dir);
    for (const [name, san] of [
      ['dns', `URI:${REVIEWS_ID},DNS:reviews.default.svc`],
      ['dns-only', 'DNS:reviews.default.svc'],
      ['two-uris', `URI:${REVIEWS_ID},URI:spiffe://cluster.local/ns/default/sa/admin`],
      ['same-twice', `URI:${REVIEWS_ID},URI:${REVIEWS_ID}`],
      ['ip', `URI:${REVIEWS_ID},IP:127.0.0.1`],
    ] as const) {
      await assert.rejects(ca.sign(await opensslCsr(dir, name, san), reviews), refusedWith('ISTHMUS_ERR_CA_CSR_IDENTITY'), name);
    }
    await assert.rejects(ca.sign(await opensslCsr(dir, 'none', null), reviews), (e: unknown) => refusedWith('ISTHMUS_ERR_CA_CSR_IDENTITY')(e) && /URI SAN is missing/.test((e as Error).message));
    ca.close();
  });

  test('refuses a CSR whose signature does not verify', async () => {
    await using dir = await tempDir();
    const ca = await open(dir);
    const pem = await opensslCsr(dir, 'r', `URI:${REVIEWS_ID}`);
    const der = (p: string) => Buffer.from(p.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
    const pemOf = (d: Buffer) => `-----BEGIN CERTIFICATE REQUEST-----\n${d.toString('base64').replace(/.{64}/g, '$&\n')}\n-----END CERTIFICATE REQUEST-----\n`;
    // The last bytes are the signature's s value: flip one bit.
    const flipped = der(pem);
    flipped[flipped.length - 3]! ^= 0x01;
    await assert.rejects(ca.sign(pemOf(flipped), reviews), (e: unknown) => refusedWith('ISTHMUS_ERR_CA_CSR_INVALID')(e) && /signature does not verify/.test((e as Error).message));
    // The public key replaced by another one (same length): the signature no longer matches it.
    const P256_SPKI_PREFIX = Buffer.from('3059301306072a8648ce3d020106082a8648ce3d030107', 'hex');
    const mine = der(pem);
    const other = der(await opensslCsr(dir, 'o', `URI:${REVIEWS_ID}`));
    const at = (d: Buffer) => d.indexOf(P256_SPKI_PREFIX);
    assert.ok(at(mine) > 0 && at(other) > 0);
    const swapped = Buffer.from(mine);
    other.copy(swapped, at(swapped), at(other), at(other) + 91);
    await assert.rejects(ca.sign(pemOf(swapped), reviews), (e: unknown) => refusedWith('ISTHMUS_ERR_CA_CSR_INVALID')(e) && /signature does not verify/.test((e as Error).message));
    // A point that is not on the curve.
    const offCurve = Buffer.from(mine);
    offCurve[at(offCurve) + 90]! ^= 0x01;
    await assert.rejects(ca.sign(pemOf(offCurve), reviews), (e: unknown) => refusedWith('ISTHMUS_ERR_CA_CSR_INVALID')(e) && /unreadable public key/.test((e as Error).message));
    ca.close();
  });

  test('refuses keys other than EC P-256 and RSA >= 2048', async () => {
    await using dir = await tempDir();
    const ca = await open(dir);
    await assert.rejects(ca.sign(await opensslCsr(dir, 'p384', `URI:${REVIEWS_ID}`, 'ec-p384'), reviews), refusedWith('ISTHMUS_ERR_CA_CSR_KEY'));
    await assert.rejects(ca.sign(await opensslCsr(dir, 'rsa1k', `URI:${REVIEWS_ID}`, 'rsa-1024'), reviews), refusedWith('ISTHMUS_ERR_CA_CSR_KEY'));
    ca.close();
  });

  test('refuses garbage, extra PEM blocks and oversized input without crashing', async () => {
    await using dir = await tempDir();
    const ca = await open(dir);
    const good = await opensslCsr(dir, 'r', `URI:${REVIEWS_ID}`);
    for (const bad of [
      '', 'hello', good + good, good.replace('CERTIFICATE REQUEST', 'CERTIFICATE'), 'junk\n' + good,
      '-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n',
      '-----BEGIN CERTIFICATE REQUEST-----\nMIIBAAAA\n-----END CERTIFICATE REQUEST-----\n',
      good.slice(0, 200) + '\n-----END CERTIFICATE REQUEST-----\n',
      ' '.repeat(20_000) + good,
      42 as unknown as string,
    ]) {
      await assert.rejects(ca.sign(bad, reviews), refusedWith('ISTHMUS_ERR_CA_CSR_INVALID'), JSON.stringify(String(bad).slice(0, 40)));
    }
    // Identities that cannot form a SPIFFE path are refused before the CSR is read.
    await assert.rejects(ca.sign(good, { namespace: 'default/sa/x', serviceAccount: 'y' }), refusedWith('ISTHMUS_ERR_CA_BAD_OPTION'));
    ca.close();
  });
});

describe('plug-in CA (Istio cacerts)', () => {
  for (const spec of ['ec-p256', 'rsa-2048'] as const) {
    test(`leaves chain root -> intermediate -> leaf, roots equal root-cert.pem (${spec})`, async () => {
      await using dir = await tempDir();
      const plugin = await opensslPluginCa(dir, 'cacerts', spec);
      const ca = await open(dir, { pluginDir: plugin });
      assert.equal(ca.mode, 'plugin');
      const rootPem = await readFile(join(plugin, 'root-cert.pem'), 'utf8');
      const caCertPem = await readFile(join(plugin, 'ca-cert.pem'), 'utf8');
      assert.deepEqual(ca.roots, [rootPem]);
      const res = await ca.sign(await opensslCsr(dir, 'r', `URI:${REVIEWS_ID}`), reviews);
      assert.deepEqual(res.roots, [rootPem]);
      assert.equal(res.certChain.length, 2);
      assert.equal(res.certChain[1], caCertPem, 'the intermediate in the chain is ca-cert.pem');
      const leaf = new X509Certificate(res.certChain[0]!);
      const inter = new X509Certificate(caCertPem);
      assert.ok(leaf.checkIssued(inter) && leaf.verify(inter.publicKey));
      assert.equal(leaf.issuer, inter.subject);
      assert.equal(leaf.subjectAltName, `URI:${REVIEWS_ID}`);
      assert.match(await opensslVerify(dir, res.certChain[0]!, rootPem, res.certChain.slice(1).join('')), /: OK$/);
      // Without the intermediate the leaf does not verify: it really is signed by ca-cert.pem.
      assert.doesNotMatch(await opensslVerify(dir, res.certChain[0]!, rootPem), /: OK$/);
      await assert.rejects(ca.rotateRoot(), refusedWith('ISTHMUS_ERR_CA_ROTATION'));
      ca.close();
    });
  }

  test('a leaf never outlives the intermediate', async () => {
    await using dir = await tempDir();
    const plugin = await opensslPluginCa(dir, 'cacerts');
    const ca = await open(dir, { pluginDir: plugin, workloadTtlMs: 5 * 365 * 24 * HOUR });
    const res = await ca.sign(await opensslCsr(dir, 'r', `URI:${REVIEWS_ID}`), reviews);
    const inter = new X509Certificate(res.certChain[1]!);
    assert.equal(new X509Certificate(res.certChain[0]!).validTo, inter.validTo);
    ca.close();
  });

  test('files that do not fit together give an error naming the file', async () => {
    await using dir = await tempDir();
    const good = await opensslPluginCa(dir, 'good');
    const other = await opensslPluginCa(dir, 'other');
    const variant = async (name: string, change: Record<string, string>) => {
      const d = dir.file(name);
      await cp(good, d, { recursive: true });
      for (const [f, v] of Object.entries(change)) await writeFile(join(d, f), v);
      return d;
    };
    const read = (d: string, f: string) => readFile(join(d, f), 'utf8');
    const cases: [string, Record<string, string>, RegExp][] = [
      ['key-mismatch', { 'ca-key.pem': await read(other, 'ca-key.pem') }, /ca-key\.pem does not match .*ca-cert\.pem/],
      ['chain-not-starting-with-ca-cert', { 'cert-chain.pem': await read(other, 'cert-chain.pem') }, /cert-chain\.pem must start with ca-cert\.pem/],
      ['foreign-root', { 'root-cert.pem': await read(other, 'root-cert.pem') }, /cert-chain\.pem does not chain to any certificate in .*root-cert\.pem/],
      ['broken-chain', { 'cert-chain.pem': (await read(good, 'ca-cert.pem')) + (await read(other, 'root-cert.pem')) }, /cert-chain\.pem: certificate 1 .* is not signed by certificate 2/],
      ['empty-ca-cert', { 'ca-cert.pem': '' }, /ca-cert\.pem holds no PEM certificates/],
      ['two-ca-certs', { 'ca-cert.pem': (await read(good, 'ca-cert.pem')) + (await read(other, 'ca-cert.pem')) }, /ca-cert\.pem must hold exactly one certificate/],
      ['garbage-key', { 'ca-key.pem': 'not a key' }, /ca-key\.pem: cannot read the private key/],
    ];
    for (const [name, change, message] of cases) {
      const d = await variant(name, change);
      await assert.rejects(open(dir, { pluginDir: d }), (e: unknown) => {
        refusedWith('ISTHMUS_ERR_CA_PLUGIN_INVALID')(e);
        assert.match((e as Error).message, message, name);
        return true;
      });
    }
    const missing = await variant('missing', {});
    await unlink(join(missing, 'cert-chain.pem'));
    await assert.rejects(open(dir, { pluginDir: missing }), (e: unknown) => refusedWith('ISTHMUS_ERR_CA_PLUGIN_INVALID')(e) && /cert-chain\.pem is missing/.test((e as Error).message));
  });

  test('a leaf certificate offered as ca-cert.pem is refused as not a CA', async () => {
    await using dir = await tempDir();
    const good = await opensslPluginCa(dir, 'good');
    const plain = await opensslPluginCa(dir, 'plain');
    // A non-CA certificate signed by good's root, with its own key.
    const key = join(plain, 'ca-key.pem');
    await openssl(['req', '-new', '-key', key, '-subj', '/CN=not a ca', '-out', dir.file('nca.csr')]);
    await writeFile(dir.file('nca.ext'), 'basicConstraints=critical,CA:FALSE\n');
    await openssl(['x509', '-req', '-in', dir.file('nca.csr'), '-CA', join(good, 'root-cert.pem'), '-CAkey', dir.file('good-root-key.pem'), '-CAcreateserial', '-days', '30', '-extfile', dir.file('nca.ext'), '-out', dir.file('nca.pem')]);
    const nca = await dir.read('nca.pem');
    const d = dir.file('nca');
    await mkdir(d);
    await writeFile(join(d, 'ca-cert.pem'), nca);
    await writeFile(join(d, 'ca-key.pem'), await readFile(key, 'utf8'));
    await writeFile(join(d, 'root-cert.pem'), await readFile(join(good, 'root-cert.pem'), 'utf8'));
    await writeFile(join(d, 'cert-chain.pem'), nca + (await readFile(join(good, 'root-cert.pem'), 'utf8')));
    await assert.rejects(open(dir, { pluginDir: d }), (e: unknown) => refusedWith('ISTHMUS_ERR_CA_PLUGIN_INVALID')(e) && /cert-chain\.pem: .*not a CA certificate/.test((e as Error).message));
  });
});

describe('root rotation', () => {
  test('overlap: the bundle gains the new root at once; old and new leaves both verify', async () => {
    await using dir = await tempDir();
    const log = memoryLog();
    const ca = await open(dir, { workloadTtlMs: 60_000, rotationGraceMs: 400, log });
    const oldRoot = ca.roots[0]!;
    const changes: (readonly string[])[] = [];
    ca.onBundleChange((r) => changes.push(r));
    const csr = await opensslCsr(dir, 'r', `URI:${REVIEWS_ID}`);

    await ca.rotateRoot();
    assert.equal(ca.roots.length, 2);
    const newRoot = ca.roots[0]!;
    assert.equal(ca.roots[1], oldRoot, 'bundle is [new, old]');
    assert.deepEqual(changes, [[newRoot, oldRoot]]);
    assert.equal(ca.rotation?.phase, 'overlap');

    // During the grace period the old root still signs, and the response carries both roots.
    const early = await ca.sign(csr, reviews);
    assert.deepEqual(early.roots, [newRoot, oldRoot]);
    assert.ok(new X509Certificate(early.certChain[0]!).verify(new X509Certificate(oldRoot).publicKey));

    await sleep(600);
    assert.equal(ca.rotation?.phase, 'switched');
    const late = await ca.sign(csr, reviews);
    assert.ok(new X509Certificate(late.certChain[0]!).verify(new X509Certificate(newRoot).publicKey));
    assert.ok(!new X509Certificate(late.certChain[0]!).verify(new X509Certificate(oldRoot).publicKey));
    assert.deepEqual(late.roots, [newRoot, oldRoot], 'the old root stays trusted while its leaves live');

    // Both leaves verify against the bundle, with openssl picking the right root of the two
    // (same subject name; the leaf's AKI selects the root by key).
    const bundle = ca.roots.join('');
    assert.match(await opensslVerify(dir, early.certChain[0]!, bundle), /: OK$/);
    assert.match(await opensslVerify(dir, late.certChain[0]!, bundle), /: OK$/);
    // And only against their own root.
    assert.doesNotMatch(await opensslVerify(dir, early.certChain[0]!, newRoot), /: OK$/);
    assert.doesNotMatch(await opensslVerify(dir, late.certChain[0]!, oldRoot), /: OK$/);

    await assert.rejects(ca.rotateRoot(), refusedWith('ISTHMUS_ERR_CA_ROTATION'));
    await ca.finishRotation();
    assert.deepEqual(ca.roots, [newRoot]);
    assert.deepEqual(changes.at(-1), [newRoot]);
    assert.equal(ca.rotation, null);
    assert.deepEqual((await readdir(join(dir.path, 'ca'))).sort(), ['root-cert.pem', 'root-key.pem']);
    assert.equal(await readFile(join(dir.path, 'ca', 'root-cert.pem'), 'utf8'), newRoot);
    assert.ok(log.lines.some((l) => l.includes('signing with the new root')));
    ca.close();
  });

  test('the old root leaves the bundle by itself once every leaf it signed has expired', async () => {
    await using dir = await tempDir();
    const ca = await open(dir, { workloadTtlMs: 1_000, rotationGraceMs: 200 });
    const oldRoot = ca.roots[0]!;
    const changes: (readonly string[])[] = [];
    ca.onBundleChange((r) => changes.push(r));
    await ca.rotateRoot();
    const newRoot = ca.roots[0]!;
    await sleep(200 + 1_000 + 1_000 + 400); // grace, TTL, rounding of notAfter to the second, slack
    assert.deepEqual(ca.roots, [newRoot]);
    assert.deepEqual(changes, [[newRoot, oldRoot], [newRoot]]);
    ca.close();
  });

  test('a restart resumes the rotation where it was', async () => {
    await using dir = await tempDir();
    const first = await open(dir, { workloadTtlMs: 60_000, rotationGraceMs: 500 });
    const oldRoot = first.roots[0]!;
    await first.rotateRoot();
    const bundle = [...first.roots];
    first.close();
    const caDir = join(dir.path, 'ca');
    assert.deepEqual((await readdir(caDir)).sort(), ['next-root-cert.pem', 'next-root-key.pem', 'root-cert.pem', 'root-key.pem', 'rotation.json']);
    assert.equal((await stat(join(caDir, 'next-root-key.pem'))).mode & 0o777, 0o600);

    // Restarted inside the grace period: same bundle, still signing with the old root.
    const second = await open(dir, { workloadTtlMs: 60_000, rotationGraceMs: 500 });
    assert.deepEqual(second.roots, bundle);
    assert.equal(second.rotation?.phase, 'overlap');
    const csr = await opensslCsr(dir, 'r', `URI:${REVIEWS_ID}`);
    assert.ok(new X509Certificate((await second.sign(csr, reviews)).certChain[0]!).verify(new X509Certificate(oldRoot).publicKey));
    second.close();

    // Restarted after the switch time: the switch happens on open.
    await sleep(600);
    const third = await open(dir, { workloadTtlMs: 60_000, rotationGraceMs: 500 });
    assert.equal(third.rotation?.phase, 'switched');
    assert.deepEqual(third.roots, bundle);
    assert.ok(new X509Certificate((await third.sign(csr, reviews)).certChain[0]!).verify(new X509Certificate(bundle[0]!).publicKey));
    assert.deepEqual((await readdir(caDir)).sort(), ['previous-root-cert.pem', 'root-cert.pem', 'root-key.pem', 'rotation.json']);
    third.close();

    const fourth = await open(dir, { workloadTtlMs: 60_000 });
    assert.deepEqual(fourth.roots, bundle);
    await fourth.finishRotation();
    fourth.close();
    const fifth = await open(dir, { workloadTtlMs: 60_000 });
    assert.deepEqual(fifth.roots, [bundle[0]]);
    fifth.close();
  });

  test('a switch interrupted between its renames is completed on the next start', async () => {
    await using dir = await tempDir();
    const first = await open(dir, { workloadTtlMs: 60_000, rotationGraceMs: 60_000 });
    await first.rotateRoot();
    const [newRoot, oldRoot] = first.roots;
    first.close();
    // What the switch writes before its renames: previous-root-cert.pem and the new phase.
    const caDir = join(dir.path, 'ca');
    await writeFile(join(caDir, 'previous-root-cert.pem'), oldRoot!);
    const state = JSON.parse(await readFile(join(caDir, 'rotation.json'), 'utf8')) as Record<string, string>;
    await writeFile(join(caDir, 'rotation.json'), JSON.stringify({ ...state, phase: 'switched', retireAt: new Date(Date.now() + 60_000).toISOString() }));
    await rename(join(caDir, 'next-root-key.pem'), join(caDir, 'root-key.pem')); // the key moved, the cert did not

    const again = await open(dir, { workloadTtlMs: 60_000 });
    assert.deepEqual(again.roots, [newRoot, oldRoot]);
    const res = await again.sign(await opensslCsr(dir, 'r', `URI:${REVIEWS_ID}`), reviews);
    assert.ok(new X509Certificate(res.certChain[0]!).verify(new X509Certificate(newRoot!).publicKey));
    again.close();
  });
});
