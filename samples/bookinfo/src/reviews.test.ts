import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createRatingsApp } from './_ratings-app.ts';
import { createReviewsApp } from './_reviews-app.ts';
import { closedPort, fakeServer, get, json, serve, serviceEnv } from './_testing.ts';

const TEXT1 = 'An extremely entertaining play by Shakespeare. The slapstick humour is refreshing!';
const TEXT2 = 'Absolutely fun and entertaining. The play lacks thematic depth when compared to other plays by Shakespeare.';

test('reviews v1: no ratings call, no rating field, id as a string, pod and cluster names', async (t) => {
  const ratings = await fakeServer(t, () => ({ status: 200, body: { id: 0, ratings: { Reviewer1: 1, Reviewer2: 1 } } }));
  const { url } = await serve(t, createReviewsApp({ ENABLE_RATINGS: 'false', HOSTNAME: 'reviews-v1-abc', ...serviceEnv('ratings', ratings.port) }));
  const res = await get(`${url}/reviews/0`);
  assert.equal(res.status, 200);
  assert.deepEqual(json(res), {
    id: '0',
    podname: 'reviews-v1-abc',
    clustername: 'null',
    reviews: [
      { reviewer: 'Reviewer1', text: TEXT1 },
      { reviewer: 'Reviewer2', text: TEXT2 },
    ],
  });
  assert.equal(ratings.seen.length, 0);
});

test('reviews: CLUSTER_NAME is reported as clustername', async (t) => {
  const { url } = await serve(t, createReviewsApp({ HOSTNAME: 'r', CLUSTER_NAME: 'east' }));
  assert.equal((json(await get(`${url}/reviews/0`)) as { clustername: string }).clustername, 'east');
});

test('reviews v2: black stars from a real ratings service', async (t) => {
  const ratings = await serve(t, createRatingsApp({}));
  const { url } = await serve(t, createReviewsApp({ ENABLE_RATINGS: 'true', HOSTNAME: 'reviews-v2-x', ...serviceEnv('ratings', ratings.port) }));
  const body = json(await get(`${url}/reviews/0`)) as { reviews: unknown[] };
  assert.deepEqual(body.reviews, [
    { reviewer: 'Reviewer1', text: TEXT1, rating: { stars: 5, color: 'black' } },
    { reviewer: 'Reviewer2', text: TEXT2, rating: { stars: 4, color: 'black' } },
  ]);
});

test('reviews v3: STAR_COLOR=red colours the stars', async (t) => {
  const ratings = await serve(t, createRatingsApp({}));
  const { url } = await serve(t, createReviewsApp({ ENABLE_RATINGS: 'true', STAR_COLOR: 'red', ...serviceEnv('ratings', ratings.port) }));
  const body = json(await get(`${url}/reviews/0`)) as { reviews: { rating: unknown }[] };
  assert.deepEqual(
    body.reviews.map((r) => r.rating),
    [
      { stars: 5, color: 'red' },
      { stars: 4, color: 'red' },
    ],
  );
});

test('reviews: an unreachable or failing ratings service gives the rating error per review', async (t) => {
  const failing = await fakeServer(t, () => ({ status: 503, body: { error: 'Service unavailable' } }));
  const unreachable = await closedPort();
  for (const port of [failing.port, unreachable]) {
    const { url } = await serve(t, createReviewsApp({ ENABLE_RATINGS: 'true', ...serviceEnv('ratings', port) }));
    const res = await get(`${url}/reviews/0`);
    assert.equal(res.status, 200);
    const body = json(res) as { reviews: { rating: unknown }[] };
    assert.deepEqual(
      body.reviews.map((r) => r.rating),
      [{ error: 'Ratings service is currently unavailable' }, { error: 'Ratings service is currently unavailable' }],
    );
  }
});

test('reviews: propagates tracing and identity headers to ratings, and nothing else', async (t) => {
  const ratings = await fakeServer(t, () => ({ status: 200, body: { id: 7, ratings: { Reviewer1: 3, Reviewer2: 2 } } }));
  const { url } = await serve(t, createReviewsApp({ ENABLE_RATINGS: 'true', ...serviceEnv('ratings', ratings.port) }));
  await get(`${url}/reviews/7`, {
    'x-request-id': 'req-123',
    traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    'x-b3-traceid': '80f198ee56343ba864fe8b2a57d3eff7',
    'end-user': 'jason',
    'x-not-propagated': 'secret',
  });
  assert.equal(ratings.seen.length, 1);
  const seen = ratings.seen[0]!;
  assert.equal(seen.url, '/ratings/7');
  assert.equal(seen.headers['x-request-id'], 'req-123');
  assert.equal(seen.headers['traceparent'], '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
  assert.equal(seen.headers['x-b3-traceid'], '80f198ee56343ba864fe8b2a57d3eff7');
  assert.equal(seen.headers['end-user'], 'jason');
  assert.equal(seen.headers['x-not-propagated'], undefined);
});

test('reviews: non-numeric id is a 400, /health answers, unknown path is 404', async (t) => {
  const { url } = await serve(t, createReviewsApp({}));
  const bad = await get(`${url}/reviews/abc`);
  assert.equal(bad.status, 400);
  assert.deepEqual(json(bad), { error: 'please provide numeric product id' });
  assert.deepEqual(json(await get(`${url}/health`)), { status: 'Reviews is healthy' });
  assert.equal((await get(`${url}/other`)).status, 404);
});
