import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { editDistance, suggest } from './suggest.ts';

describe('suggest', () => {
  test('edit distance counts swaps as one edit', () => {
    assert.equal(editDistance('weigth', 'weight'), 1);
    assert.equal(editDistance('prefx', 'prefix'), 1);
    assert.equal(editDistance('destinaton', 'destination'), 1);
    assert.equal(editDistance('', 'abc'), 3);
    assert.equal(editDistance('kitten', 'sitting'), 3);
  });

  test('picks the closest known name, or none', () => {
    const known = ['exact', 'prefix', 'regex'];
    assert.equal(suggest('prefx', known), 'prefix');
    assert.equal(suggest('Prefix', known), 'prefix');
    assert.equal(suggest('regx', known), 'regex');
    assert.equal(suggest('glob', known), undefined);
    assert.equal(suggest('retry_on', ['attempts', 'retryOn']), 'retryOn');
    assert.equal(suggest('hosts', ['hosts']), undefined, 'a known name needs no suggestion');
  });
});
