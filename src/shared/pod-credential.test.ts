import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { isIsthmusError } from './errors.ts';
import {
  issuePodCredential,
  loadOrCreateKey,
  MAX_POD_CREDENTIAL_LENGTH,
  readPodCredentialUnverified,
  verifyPodCredential,
  type PodClaims,
} from './pod-credential.ts';

const key = randomBytes(32);
const claims: PodClaims = { namespace: 'default', pod: 'reviews-v2-5d8f9c7b6-x2k4p', serviceAccount: 'bookinfo-reviews', issuedAt: 1_700_000_000_000 };

describe('pod credential', () => {
  test('round trip: the claims come back exactly', () => {
    const token = issuePodCredential(key, claims);
    assert.match(token, /^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(verifyPodCredential(key, token), { ok: true, claims });
    assert.deepEqual(readPodCredentialUnverified(token), claims);
  });

  test('a tampered payload is refused', () => {
    const token = issuePodCredential(key, claims);
    const [v, , m] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ ...claims, serviceAccount: 'admin' })).toString('base64url');
    assert.deepEqual(verifyPodCredential(key, `${v}.${forged}.${m}`), { ok: false, reason: 'bad-mac' });
    // One flipped character anywhere in the payload or the MAC.
    for (const i of [3, 10, token.length - 5]) {
      const c = token[i] === 'A' ? 'B' : 'A';
      const t = token.slice(0, i) + c + token.slice(i + 1);
      const r = verifyPodCredential(key, t);
      assert.equal(r.ok, false, `flip at ${i}`);
    }
  });

  test('a token made with another key is refused', () => {
    const token = issuePodCredential(randomBytes(32), claims);
    assert.deepEqual(verifyPodCredential(key, token), { ok: false, reason: 'bad-mac' });
  });

  test('garbage is refused without throwing', () => {
    const cases: unknown[] = [
      '', '.', '..', 'v1', 'v1..', 'v1.a.b', 'v2.eyJ9.AAAA', 'v1.!!!.@@@', 'v1.eyJ9.' + 'A'.repeat(43) + '.x',
      undefined, null, 42, {}, ['v1'], 'v1.' + Buffer.from('not json').toString('base64url') + '.' + 'A'.repeat(43),
      '\u0000\uffff', 'v1.\u00e9.\u00e9',
    ];
    for (const c of cases) {
      const r = verifyPodCredential(key, c);
      assert.equal(r.ok, false, JSON.stringify(c));
    }
    assert.deepEqual(verifyPodCredential(key, 'v2.abc.def'), { ok: false, reason: 'unsupported-version' });
    assert.equal(readPodCredentialUnverified('garbage'), null);
  });

  test('a validly signed payload that is not exactly the claims is refused', () => {
    // Built with the real MAC so only the claims check can refuse it.
    const sign = (obj: unknown) => {
      const signed = `v1.${Buffer.from(JSON.stringify(obj)).toString('base64url')}`;
      return `${signed}.${createHmac('sha256', key).update(signed).digest('base64url')}`;
    };
    for (const bad of [
      { ...claims, extra: 1 },
      { namespace: 'default', pod: 'p', serviceAccount: 'sa' },
      { ...claims, namespace: 'a/b' },
      { ...claims, serviceAccount: '../admin' },
      { ...claims, issuedAt: -1 },
      { ...claims, issuedAt: '1' },
      [claims],
      null,
    ]) {
      assert.deepEqual(verifyPodCredential(key, sign(bad)), { ok: false, reason: 'bad-claims' }, JSON.stringify(bad));
    }
    assert.deepEqual(verifyPodCredential(key, sign(claims)), { ok: true, claims });
  });

  test('a truncated token is refused', () => {
    const token = issuePodCredential(key, claims);
    for (let n = 0; n < token.length; n += 7) assert.equal(verifyPodCredential(key, token.slice(0, n)).ok, false, `length ${n}`);
    assert.equal(verifyPodCredential(key, token.slice(0, -1)).ok, false);
  });

  test('an oversized token is refused before any work', () => {
    const token = issuePodCredential(key, claims);
    assert.deepEqual(verifyPodCredential(key, token + 'A'.repeat(MAX_POD_CREDENTIAL_LENGTH)), { ok: false, reason: 'too-large' });
    assert.deepEqual(verifyPodCredential(key, 'v1.' + 'A'.repeat(10_000_000) + '.A'), { ok: false, reason: 'too-large' });
  });

  test('issuing for invalid names fails with a stable code', () => {
    for (const bad of [{ ...claims, namespace: 'Default' }, { ...claims, serviceAccount: 'a/b' }, { ...claims, pod: '' }, { ...claims, issuedAt: 1.5 }]) {
      assert.throws(() => issuePodCredential(key, bad), (e: unknown) => isIsthmusError(e, 'ISTHMUS_ERR_CREDENTIAL_CLAIMS'));
    }
    assert.throws(() => issuePodCredential(randomBytes(16), claims), (e: unknown) => isIsthmusError(e, 'ISTHMUS_ERR_CREDENTIAL_KEY'));
  });
});

describe('platform key file', () => {
  test('created with mode 0600 in new directories, then read back unchanged', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'isthmus-cred-'));
    try {
      const path = join(dir, 'a', 'b', 'platform.key');
      const k1 = await loadOrCreateKey(path);
      assert.equal(k1.length, 32);
      assert.equal((await stat(path)).mode & 0o777, 0o600);
      assert.equal((await stat(join(dir, 'a', 'b'))).mode & 0o777, 0o700);
      const k2 = await loadOrCreateKey(path);
      assert.deepEqual(k2, k1);
      assert.deepEqual(await readFile(path), k1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('concurrent creators agree on one key', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'isthmus-cred-'));
    try {
      const path = join(dir, 'platform.key');
      const keys = await Promise.all(Array.from({ length: 8 }, () => loadOrCreateKey(path)));
      for (const k of keys) assert.deepEqual(k, keys[0]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('a key file of the wrong size is an error, not silently replaced', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'isthmus-cred-'));
    try {
      const path = join(dir, 'platform.key');
      await writeFile(path, 'short', { mode: 0o600 });
      await assert.rejects(loadOrCreateKey(path), (e: unknown) => isIsthmusError(e, 'ISTHMUS_ERR_CREDENTIAL_KEY'));
      assert.equal(await readFile(path, 'utf8'), 'short');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
