import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseDuration } from './duration.ts';

describe('parseDuration', () => {
  const cases: [string, number | undefined][] = [
    ['10s', 10_000],
    ['1.5s', 1500],
    ['500ms', 500],
    ['1m', 60_000],
    ['1h30m', 5_400_000],
    ['2h', 7_200_000],
    ['.5s', 500],
    ['1.s', 1000],
    ['100us', 0.1],
    ['100µs', 0.1],
    ['1000ns', 0.001],
    ['0', 0],
    ['0s', 0],
    ['-1s', -1000],
    ['+3s', 3000],
    ['', undefined],
    ['10', undefined],
    ['s', undefined],
    ['.s', undefined],
    ['1d', undefined],
    ['10 s', undefined],
    ['1s2', undefined],
    ['abc', undefined],
  ];
  for (const [input, want] of cases) {
    test(JSON.stringify(input), () => assert.equal(parseDuration(input), want));
  }
});
