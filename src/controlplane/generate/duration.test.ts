import { test } from 'node:test';
import assert from 'node:assert/strict';
import { durationMs } from './duration.ts';

test('durationMs reads Go-style durations as milliseconds', () => {
  assert.equal(durationMs('10s'), 10_000);
  assert.equal(durationMs('500ms'), 500);
  assert.equal(durationMs('1m'), 60_000);
  assert.equal(durationMs('1h30m'), 5_400_000);
  assert.equal(durationMs('1.5s'), 1500);
  assert.equal(durationMs('1.1s'), 1100, 'no float noise');
  assert.equal(durationMs('.5s'), 500);
  assert.equal(durationMs('2m3.5s'), 123_500);
  assert.equal(durationMs('1500us'), 1.5);
  assert.equal(durationMs('2000000ns'), 2);
  assert.equal(durationMs('0'), 0);
  assert.equal(durationMs('0s'), 0);
});

test('durationMs: anything that is not a duration string is undefined', () => {
  for (const v of ['', '10', 's', '10x', '1s junk', '-', undefined, null, 10, { seconds: 1 }]) {
    assert.equal(durationMs(v), undefined, JSON.stringify(v));
  }
});
