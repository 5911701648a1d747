import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { caMode, caStatus, renderStatus, rotationLine } from './ca.ts';

function selfSignedRoot(dir: string, name: string, cn: string): string {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, `${name}.key`), '-out', join(dir, `${name}.pem`),
    '-days', '30', '-subj', `/O=Test/CN=${cn}`, '-addext', 'basicConstraints=critical,CA:TRUE'], { stdio: 'ignore' });
  return readFileSync(join(dir, `${name}.pem`), 'utf8');
}

test('ca status: mode from the answer, else from the local self-signed root; each root\'s part in a rotation', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'isthmus-ca-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const a = selfSignedRoot(dir, 'a', 'Root A');
  const b = selfSignedRoot(dir, 'b', 'Root B');
  const td = 'cluster.local';

  // No mode in the answer: the local mesh's state decides.
  assert.equal(caMode({ roots: [a], trustDomain: td, rotation: null }, a), 'self-signed');
  assert.equal(caMode({ roots: [a], trustDomain: td, rotation: null }, b), 'plugin', 'a root left by an earlier self-signed run');
  assert.equal(caMode({ roots: [a], trustDomain: td, rotation: null }, null), 'plugin', 'no self-signed root at all');
  assert.equal(caMode({ roots: [a], trustDomain: td, rotation: null }, undefined), 'unknown', 'not the local mesh');
  assert.equal(caMode({ roots: [b, a], trustDomain: td, rotation: { phase: 'overlap', startedAt: 0, switchAt: 1, retireAt: null } }, undefined), 'self-signed', 'only a self-signed CA rotates');
  assert.equal(caMode({ roots: [a], trustDomain: td, rotation: null, mode: 'plugin' }, a), 'plugin', 'the answer wins');

  const plugin = caStatus({ roots: [a], trustDomain: td, rotation: null }, 'plugin');
  assert.deepEqual(plugin.roots.map((r) => [r.subject, r.state]), [['O=Test, CN=Root A', 'trusted']]);
  assert.match(plugin.roots[0]!.notAfter, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.equal(plugin.roots[0]!.pem, a);
  const text = renderStatus(plugin);
  assert.match(text, /^Mode: +plug-in /m);
  assert.match(text, /^Rotation: +none$/m);
  assert.match(text, /^SUBJECT +SERIAL +NOT AFTER +STATE$/m);

  const now = Date.parse('2026-01-01T00:00:00Z');
  const overlap = caStatus({ roots: [b, a], trustDomain: td, rotation: { phase: 'overlap', startedAt: now - 5_000, switchAt: now + 25_000, retireAt: null } }, 'self-signed');
  assert.deepEqual(overlap.roots.map((r) => r.state), ['new', 'signing']);
  assert.equal(rotationLine(overlap, now), 'overlap (since 2025-12-31T23:59:55Z): the new root is trusted; the current root signs until 2026-01-01T00:00:25Z (in 25s)');
  const switched = caStatus({ roots: [b, a], trustDomain: td, rotation: { phase: 'switched', startedAt: now - 30_000, switchAt: now, retireAt: now + 31_000 } }, 'self-signed');
  assert.deepEqual(switched.roots.map((r) => r.state), ['signing', 'previous']);
  assert.equal(rotationLine(switched, now), 'switched (at 2026-01-01T00:00:00Z): the new root signs; the previous root stays trusted until 2026-01-01T00:00:31Z (in 31s)');
  assert.deepEqual(switched.rotation, { phase: 'switched', startedAt: '2025-12-31T23:59:30Z', switchAt: '2026-01-01T00:00:00Z', retireAt: '2026-01-01T00:00:31Z' });
  assert.deepEqual(caStatus({ roots: [b], trustDomain: td, rotation: null }, 'self-signed').roots.map((r) => r.state), ['signing']);
  const day = caStatus({ roots: [b, a], trustDomain: td, rotation: { phase: 'overlap', startedAt: now, switchAt: now + 86_400_000, retireAt: null } }, 'self-signed');
  assert.match(rotationLine(day, now), /\(in 24h\)$/);
  assert.match(rotationLine(day, now + 86_400_000 - 150_000), /\(in 2m30s\)$/);
  assert.match(rotationLine(day, now + 86_400_000), /\(due now\)$/);
});
