import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expandVars } from './expand-vars.ts';
import { PodAddressPool, podName } from './pod-names.ts';

test('$(VAR) expands as Kubernetes does; unknown stays; $$( escapes', () => {
  const env = { ISTHMUS_DIST: '/opt/dist', HOSTNAME: 'p-1' };
  assert.equal(expandVars('$(ISTHMUS_DIST)/bookinfo/reviews.js', env), '/opt/dist/bookinfo/reviews.js');
  assert.equal(expandVars('hi $(HOSTNAME) $(NOPE)', env), 'hi p-1 $(NOPE)');
  assert.equal(expandVars('$$(HOSTNAME)', env), '$(HOSTNAME)');
});

test('pod names: deployment, stable template hash, random 5-char suffix', () => {
  const a = podName('reviews-v2', { spec: 1 });
  const b = podName('reviews-v2', { spec: 1 });
  const c = podName('reviews-v2', { spec: 2 });
  assert.match(a, /^reviews-v2-[b-z2-9]{10}-[b-z2-9]{5}$/);
  assert.equal(a.split('-')[2], b.split('-')[2]);
  assert.notEqual(a.split('-')[2], c.split('-')[2]);
  assert.notEqual(a, b);
});

test('pod addresses come from one loopback /24 per mesh, in order, and run out loudly', () => {
  const pool = new PodAddressPool('127.42.7');
  assert.equal(pool.allocate(), '127.42.7.2');
  assert.equal(pool.allocate(), '127.42.7.3');
  for (let i = 4; i <= 254; i++) pool.allocate();
  assert.throws(() => pool.allocate(), /exhausted/);
  assert.match(new PodAddressPool().prefix, /^127\.\d+\.\d+$/);
});
