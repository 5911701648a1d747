import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Resource } from '../../api/index.ts';
import { ConfigStore } from './config-store.ts';

const vs = (weight: number): Resource => ({
  apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'reviews', namespace: 'default' },
  spec: { hosts: ['reviews'], http: [{ route: [{ destination: { host: 'reviews' }, weight }] }] },
});

test('created, configured, unchanged, deleted; store-owned metadata is kept across updates', () => {
  const s = new ConfigStore();
  const changes: string[][] = [];
  s.onChange((k) => changes.push(k));
  const a = s.put(vs(100), new Date('2026-01-01T00:00:00Z'));
  assert.equal(a.action, 'created');
  assert.equal(a.resource.metadata.generation, 1);
  assert.equal(s.put(vs(100)).action, 'unchanged');
  const b = s.put(vs(50), new Date('2026-02-01T00:00:00Z'));
  assert.equal(b.action, 'configured');
  assert.equal(b.resource.metadata.creationTimestamp, '2026-01-01T00:00:00.000Z');
  assert.equal(b.resource.metadata.uid, a.resource.metadata.uid);
  assert.equal(b.resource.metadata.generation, 2);
  assert.equal(changes.length, 2);
  assert.ok(s.delete('networking.istio.io/VirtualService/default/reviews'));
  assert.equal(s.delete('networking.istio.io/VirtualService/default/reviews'), undefined);
  assert.equal(s.list().length, 0);
});

test('a restarted store resumes from its file', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'isthmus-store-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'state', 'store.json');
  const s = new ConfigStore(file);
  s.put(vs(80));
  const resumed = new ConfigStore(file, true);
  assert.equal(resumed.list().length, 1);
  assert.equal(resumed.revision, s.revision);
  assert.equal(new ConfigStore(file, false).list().length, 0);
});
