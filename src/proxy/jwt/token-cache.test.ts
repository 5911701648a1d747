import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_CACHED_TOKEN_LENGTH, TokenCache } from './token-cache.ts';

test('beyond its size, evicts an entry not used since the last pass (second chance)', () => {
  const c = new TokenCache<number>(2);
  c.set('a', 1, Infinity);
  c.set('b', 2, Infinity);
  assert.equal(c.get('a', 0), 1); // a gets a second chance
  c.set('c', 3, Infinity);
  assert.equal(c.get('b', 0), undefined);
  assert.equal(c.get('a', 0), 1);
  assert.equal(c.get('c', 0), 3);
  assert.equal(c.size, 2);
});

test('an entry is gone at its deadline', () => {
  const c = new TokenCache<number>(10);
  c.set('a', 1, 1000);
  assert.equal(c.get('a', 999), 1);
  assert.equal(c.get('a', 1000), undefined);
  assert.equal(c.size, 0);
});

test('very long tokens are not held', () => {
  const c = new TokenCache<number>(10);
  c.set('x'.repeat(MAX_CACHED_TOKEN_LENGTH + 1), 1, Infinity);
  assert.equal(c.size, 0);
});

test('a token that shares the tail of a cached token is a miss, not that entry', () => {
  const c = new TokenCache<string>(10);
  const sig = 'S'.repeat(86);
  c.set(`hdr.good-payload.${sig}`, 'good', Infinity);
  assert.equal(c.get(`hdr.forged-payload.${sig}`, 0), undefined);
  assert.equal(c.get(`hdr.good-payload.${sig}`, 0), 'good');
});
