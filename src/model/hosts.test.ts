import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostMatches, hostsIntersect, labelsMatch, resolveShortName } from './hosts.ts';

test('short names resolve in the given namespace; dotted names and * are kept', () => {
  assert.equal(resolveShortName('reviews', 'default'), 'reviews.default.svc.cluster.local');
  assert.equal(resolveShortName('Reviews', 'bookinfo'), 'reviews.bookinfo.svc.cluster.local');
  assert.equal(resolveShortName('reviews.default.svc.cluster.local', 'other'), 'reviews.default.svc.cluster.local');
  assert.equal(resolveShortName('*', 'default'), '*');
  assert.equal(resolveShortName('reviews', 'default', 'mesh.local'), 'reviews.default.svc.mesh.local');
});

test('wildcard hosts', () => {
  assert.ok(hostMatches('*', 'anything.example'));
  assert.ok(hostMatches('*.default.svc.cluster.local', 'reviews.default.svc.cluster.local'));
  assert.ok(!hostMatches('*.default.svc.cluster.local', 'reviews.other.svc.cluster.local'));
  assert.ok(!hostMatches('reviews', 'reviews.default.svc.cluster.local'));
  assert.ok(hostsIntersect('reviews.default.svc.cluster.local', '*.svc.cluster.local'));
  assert.ok(!hostsIntersect('a.example.com', 'b.example.com'));
});

test('label selectors: every key must match; no selector matches everything', () => {
  assert.ok(labelsMatch({ app: 'reviews' }, { app: 'reviews', version: 'v1' }));
  assert.ok(!labelsMatch({ app: 'reviews', version: 'v2' }, { app: 'reviews', version: 'v1' }));
  assert.ok(labelsMatch(undefined, {}));
  assert.ok(!labelsMatch({ app: 'x' }, undefined));
});
