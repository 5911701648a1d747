import { test } from 'node:test';
import assert from 'node:assert/strict';
import { age, table } from './output.ts';

test('ages read like kubectl', () => {
  const now = Date.parse('2026-01-02T00:00:00Z');
  assert.equal(age('2026-01-01T23:59:55Z', now), '5s');
  assert.equal(age('2026-01-01T23:57:00Z', now), '3m');
  assert.equal(age('2026-01-01T23:56:50Z', now), '3m10s');
  assert.equal(age('2026-01-01T22:00:00Z', now), '120m');
  assert.equal(age('2026-01-01T00:00:00Z', now), '24h');
  assert.equal(age('2025-12-20T00:00:00Z', now), '13d');
  assert.equal(age(undefined, now), '<unknown>');
});

test('tables align columns with three spaces and no trailing blanks', () => {
  assert.equal(table(['NAME', 'AGE'], [['reviews', '5s'], ['a', '10m']]), 'NAME      AGE\nreviews   5s\na         10m\n');
});
