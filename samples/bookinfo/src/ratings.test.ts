import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createRatingsApp } from './_ratings-app.ts';
import { get, json, post, serve } from './_testing.ts';

test('ratings: GET /ratings/<id> gives the default stars per reviewer', async (t) => {
  const { url } = await serve(t, createRatingsApp({}));
  const res = await get(`${url}/ratings/0`);
  assert.equal(res.status, 200);
  assert.deepEqual(json(res), { id: 0, ratings: { Reviewer1: 5, Reviewer2: 4 } });
});

test('ratings: a non-numeric id is a 400', async (t) => {
  const { url } = await serve(t, createRatingsApp({}));
  const res = await get(`${url}/ratings/abc`);
  assert.equal(res.status, 400);
  assert.deepEqual(json(res), { error: 'please provide numeric product ID' });
});

test('ratings: POST stores ratings in memory (v1); bad JSON is a 400', async (t) => {
  const { url } = await serve(t, createRatingsApp({ SERVICE_VERSION: 'v1' }));
  const res = await post(`${url}/ratings/3`, JSON.stringify({ Reviewer1: 1, Reviewer2: 2 }), { 'content-type': 'application/json' });
  assert.equal(res.status, 200);
  assert.deepEqual(json(res), { id: 3, ratings: { Reviewer1: 1, Reviewer2: 2 } });
  assert.deepEqual(json(await get(`${url}/ratings/3`)), { id: 3, ratings: { Reviewer1: 1, Reviewer2: 2 } });
  assert.deepEqual(json(await get(`${url}/ratings/0`)), { id: 0, ratings: { Reviewer1: 5, Reviewer2: 4 } });

  for (const body of ['not json', '[1,2]', 'null']) {
    const bad = await post(`${url}/ratings/3`, body);
    assert.equal(bad.status, 400, body);
    assert.deepEqual(json(bad), { error: 'please provide valid ratings JSON' });
  }
});

test('ratings: v2 refuses writes with 501', async (t) => {
  const { url } = await serve(t, createRatingsApp({ SERVICE_VERSION: 'v2' }));
  const res = await post(`${url}/ratings/0`, JSON.stringify({ Reviewer1: 1 }));
  assert.equal(res.status, 501);
  assert.deepEqual(json(res), { error: 'Post not implemented for database backed ratings' });
});

test('ratings: v-faulty fails the unlucky half with 503', async (t) => {
  let roll = 0.1;
  const { url } = await serve(t, createRatingsApp({ SERVICE_VERSION: 'v-faulty' }, { random: () => roll }));
  const failed = await get(`${url}/ratings/0`);
  assert.equal(failed.status, 503);
  assert.deepEqual(json(failed), { error: 'Service unavailable' });
  roll = 0.9;
  assert.equal((await get(`${url}/ratings/0`)).status, 200);
});

test('ratings: v-delayed still answers the delayed half', async (t) => {
  const { url } = await serve(t, createRatingsApp({ SERVICE_VERSION: 'v-delayed' }, { random: () => 0.1, delayMs: 1 }));
  const res = await get(`${url}/ratings/0`);
  assert.equal(res.status, 200);
  assert.deepEqual(json(res), { id: 0, ratings: { Reviewer1: 5, Reviewer2: 4 } });
});

test('ratings: v-unavailable alternates available and unavailable minutes', async (t) => {
  let clock = 1_000_000;
  const { url } = await serve(t, createRatingsApp({ SERVICE_VERSION: 'v-unavailable' }, { now: () => clock }));
  assert.equal((await get(`${url}/ratings/0`)).status, 200);
  clock += 61_000;
  const down = await get(`${url}/ratings/0`);
  assert.equal(down.status, 503);
  assert.deepEqual(json(down), { error: 'Service unavailable' });
  assert.equal((await get(`${url}/health`)).status, 200);
  clock += 60_000;
  assert.equal((await get(`${url}/ratings/0`)).status, 200);
});

test('ratings: v-unhealthy reports unhealthy every other 15 minutes', async (t) => {
  let clock = 0;
  const { url } = await serve(t, createRatingsApp({ SERVICE_VERSION: 'v-unhealthy' }, { now: () => clock }));
  const healthy = await get(`${url}/health`);
  assert.equal(healthy.status, 200);
  assert.deepEqual(json(healthy), { status: 'Ratings is healthy' });
  clock = 16 * 60_000;
  const sick = await get(`${url}/health`);
  assert.equal(sick.status, 500);
  assert.deepEqual(json(sick), { status: 'Ratings is not healthy' });
  assert.equal((await get(`${url}/ratings/0`)).status, 503);
});

test('ratings: unknown paths are 404 and other methods 405', async (t) => {
  const { url } = await serve(t, createRatingsApp({}));
  assert.equal((await get(`${url}/`)).status, 404);
  const wrong = await post(`${url}/health`, '');
  assert.equal(wrong.status, 405);
});
