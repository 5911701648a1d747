import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createDetailsApp } from './_details-app.ts';
import { get, json, post, serve } from './_testing.ts';

test('details: GET /details/<id> answers the book facts with the id echoed', async (t) => {
  const { url } = await serve(t, createDetailsApp({}));
  const res = await get(`${url}/details/0`);
  assert.equal(res.status, 200);
  assert.match(String(res.headers['content-type']), /^application\/json/);
  assert.deepEqual(json(res), {
    id: 0,
    author: 'William Shakespeare',
    year: 1595,
    type: 'paperback',
    pages: 200,
    publisher: 'PublisherA',
    language: 'English',
    'ISBN-10': '1234567890',
    'ISBN-13': '123-1234567890',
  });
  assert.equal((json(await get(`${url}/details/42`)) as { id: number }).id, 42);
});

test('details: a non-numeric or malformed id is a 400 with the standard message', async (t) => {
  const { url } = await serve(t, createDetailsApp({}));
  for (const id of ['abc', '1.5', '%zz', '']) {
    const res = await get(`${url}/details/${id}`);
    assert.equal(res.status, 400, id);
    assert.deepEqual(json(res), { error: 'please provide numeric product id' });
  }
});

test('details: /health, unknown paths and wrong methods', async (t) => {
  const { url } = await serve(t, createDetailsApp({}));
  const health = await get(`${url}/health`);
  assert.equal(health.status, 200);
  assert.deepEqual(json(health), { status: 'Details is healthy' });

  const missing = await get(`${url}/nope`);
  assert.equal(missing.status, 404);
  assert.equal(typeof (json(missing) as { error: unknown }).error, 'string');

  const wrong = await post(`${url}/details/0`, '{}');
  assert.equal(wrong.status, 405);
  assert.equal(wrong.headers['allow'], 'GET');
});
