import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normalizePath } from './normalize-path.ts';

test('normalizePath: merges slashes, resolves dot segments, decodes unreserved escapes only', () => {
  const cases: [string, string][] = [
    ['/', '/'],
    ['/a/b', '/a/b'],
    ['/a/b/', '/a/b/'],
    ['//a///b', '/a/b'],
    ['/a/./b', '/a/b'],
    ['/a/../b', '/b'],
    ['/a/b/..', '/a/'],
    ['/a/b/.', '/a/b/'],
    ['/..', '/'],
    ['/../../a', '/a'],
    ['/a/..', '/'],
    ['/%61%62c', '/abc'],
    ['/%7e%2D%5f%2e', '/~-_.'],
    ['/%2e%2e/a', '/a'],
    ['/a%2fb', '/a%2Fb'],
    ['/a%2Fb/../c', '/c'],
    ['/%25', '/%25'],
    ['/%zz/%4', '/%zz/%4'],
    ['/a/.b/..c', '/a/.b/..c'],
    ['*', '*'],
  ];
  for (const [input, want] of cases) assert.equal(normalizePath(input), want, input);
});

test('normalizePath returns the same string when nothing changes (no allocation on the common path)', () => {
  const p = '/api/v1/items/42';
  assert.equal(normalizePath(p), p);
});
