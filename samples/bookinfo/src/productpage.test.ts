import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import type { Env } from './_env.ts';
import { bookDetails, createDetailsApp } from './_details-app.ts';
import { createProductpageApp } from './_productpage-app.ts';
import { createRatingsApp } from './_ratings-app.ts';
import { createReviewsApp } from './_reviews-app.ts';
import { closedPort, count, fakeServer, forwardProxy, get, json, post, serve, serviceEnv } from './_testing.ts';

const FILLED = 'id="glyphicon glyphicon-star"';
const EMPTY = 'id="glyphicon glyphicon-star-empty"';

const REVIEWS_JSON = {
  id: '0',
  podname: 'reviews-fake-pod',
  clustername: 'null',
  reviews: [
    { reviewer: 'Reviewer1', text: 'First review.' },
    { reviewer: 'Reviewer2', text: 'Second review.' },
  ],
};

/** The four real services wired together; `reviewsEnv` picks the reviews version. */
async function bookinfo(t: TestContext, reviewsEnv: Env): Promise<string> {
  const ratings = await serve(t, createRatingsApp({}));
  const details = await serve(t, createDetailsApp({}));
  const reviews = await serve(t, createReviewsApp({ ...serviceEnv('ratings', ratings.port), ...reviewsEnv }));
  const page = await serve(
    t,
    createProductpageApp({ ...serviceEnv('details', details.port), ...serviceEnv('reviews', reviews.port), ...serviceEnv('ratings', ratings.port) }),
  );
  return page.url;
}

/** productpage with real details and a fake reviews that records what it receives. */
async function withFakeReviews(t: TestContext, reviewsStatus = 200) {
  const details = await fakeServer(t, () => ({ status: 200, body: { id: 0, author: 'William Shakespeare', type: 'paperback' } }));
  const reviews = await fakeServer(t, () => (reviewsStatus === 200 ? { status: 200, body: REVIEWS_JSON } : { status: reviewsStatus, body: { error: 'down' } }));
  const page = await serve(t, createProductpageApp({ SESSION_SECRET: 'test-secret', ...serviceEnv('details', details.port), ...serviceEnv('reviews', reviews.port) }));
  return { url: page.url, details, reviews };
}

test('productpage: reviews v1 shows both sections and no stars', async (t) => {
  const url = await bookinfo(t, { ENABLE_RATINGS: 'false', HOSTNAME: 'reviews-v1-545db77b95-abcde' });
  const res = await get(`${url}/productpage`);
  assert.equal(res.status, 200);
  assert.match(String(res.headers['content-type']), /^text\/html/);
  assert.match(res.body, /<title>Simple Bookstore App<\/title>/);
  assert.match(res.body, /The Comedy of Errors/);
  assert.match(res.body, /Book Details/);
  assert.match(res.body, /PublisherA/);
  assert.match(res.body, /Book Reviews/);
  assert.match(res.body, /An extremely entertaining play by Shakespeare/);
  assert.match(res.body, /Reviews served by: reviews-v1-545db77b95-abcde/);
  assert.equal(res.body.includes('glyphicon glyphicon-star'), false);
  assert.equal(res.body.includes('Ratings service is currently unavailable'), false);
});

test('productpage: reviews v2 shows black stars (5 and 4) from a real ratings', async (t) => {
  const url = await bookinfo(t, { ENABLE_RATINGS: 'true', STAR_COLOR: 'black', HOSTNAME: 'reviews-v2-7d9f6c5b8-x2kqp' });
  const page = (await get(`${url}/productpage`)).body;
  assert.equal(count(page, FILLED), 9);
  assert.equal(count(page, EMPTY), 1);
  assert.equal(count(page, 'class="stars text-black-500"'), 2);
  assert.equal(page.includes('text-red-500"'), false);
  assert.match(page, /Reviews served by: reviews-v2-7d9f6c5b8-x2kqp/);
});

test('productpage: reviews v3 shows red stars', async (t) => {
  const url = await bookinfo(t, { ENABLE_RATINGS: 'true', STAR_COLOR: 'red', HOSTNAME: 'reviews-v3-1' });
  const page = (await get(`${url}/productpage`)).body;
  assert.equal(count(page, FILLED), 9);
  assert.equal(count(page, 'class="stars text-red-500"'), 2);
  assert.equal(page.includes('text-black-500"'), false);
});

test('productpage: a failing ratings shows the ratings error per review', async (t) => {
  const url = await bookinfo(t, { ENABLE_RATINGS: 'true', RATINGS_SERVICE_PORT: String(await closedPort()) });
  const page = (await get(`${url}/productpage`)).body;
  assert.equal(count(page, 'Ratings service is currently unavailable'), 2);
  assert.equal(page.includes(FILLED), false);
  assert.match(page, /Book Reviews/);
});

test('productpage: reviews failing twice shows the reviews error; the page still has details', async (t) => {
  const { url, reviews } = await withFakeReviews(t, 503);
  const res = await get(`${url}/productpage`);
  assert.equal(res.status, 200);
  assert.match(res.body, /Error fetching product reviews/);
  assert.match(res.body, /Sorry, product reviews are currently unavailable for this book\./);
  assert.match(res.body, /Book Details/);
  assert.equal(reviews.seen.length, 2, 'reviews is tried twice');

  const metrics = await get(`${url}/metrics`);
  assert.match(metrics.body, /# TYPE request_result counter/);
  assert.match(metrics.body, /request_result_total\{destination_app="reviews",response_code="503"\} 1/);
  assert.match(metrics.body, /request_result_total\{destination_app="details",response_code="200"\} 1/);
});

test('productpage: unreachable details and reviews give both failure texts', async (t) => {
  const down = String(await closedPort());
  const page = await serve(t, createProductpageApp({ DETAILS_HOSTNAME: '127.0.0.1', DETAILS_SERVICE_PORT: down, REVIEWS_HOSTNAME: '127.0.0.1', REVIEWS_SERVICE_PORT: down }));
  const body = (await get(`${page.url}/productpage`)).body;
  assert.match(body, /Error fetching product details/);
  assert.match(body, /Sorry, product details are currently unavailable for this book\./);
  assert.match(body, /Error fetching product reviews/);
  assert.match(body, /Sorry, product reviews are currently unavailable for this book\./);
  assert.equal(body.includes('Book Details'), false);
});

test('productpage: login sets a signed session cookie; the page then shows the user and sends end-user', async (t) => {
  const { url, reviews, details } = await withFakeReviews(t);

  const anonymous = (await get(`${url}/productpage`)).body;
  assert.match(anonymous, /<form[^>]*method="post" action="\/login"/);
  assert.match(anonymous, /name="username"/);
  assert.match(anonymous, /type="password"/);
  assert.equal(reviews.seen[0]!.headers['end-user'], undefined);

  const login = await post(`${url}/login`, 'username=jason&passwd=anything', { 'content-type': 'application/x-www-form-urlencoded' });
  assert.equal(login.status, 302);
  assert.equal(login.headers.location, '/productpage');
  const setCookie = login.headers['set-cookie']?.[0] ?? '';
  assert.match(setCookie, /^session=[^;]+; Path=\/; HttpOnly/);
  const cookie = setCookie.split(';')[0]!;

  const signedIn = (await get(`${url}/productpage`, { cookie })).body;
  assert.match(signedIn, /Signed in as <strong>jason<\/strong>/);
  assert.match(signedIn, /Sign out/);
  assert.equal(signedIn.includes('action="/login"'), false);
  assert.equal(reviews.seen[1]!.headers['end-user'], 'jason');
  assert.equal(details.seen[1]!.headers['end-user'], 'jason');
  assert.equal(reviews.seen[1]!.headers['cookie'], cookie);

  // A cookie whose content was changed without the key is ignored.
  const forged = `session=${Buffer.from('{"user":"admin"}').toString('base64url')}.${cookie.split('.')[1]}`;
  const forgedPage = (await get(`${url}/productpage`, { cookie: forged })).body;
  assert.equal(forgedPage.includes('admin'), false);
  assert.equal(reviews.seen[2]!.headers['end-user'], undefined);

  const logout = await get(`${url}/logout`, { cookie, referer: 'http://gateway.local/productpage?u=normal' });
  assert.equal(logout.status, 302);
  assert.equal(logout.headers.location, '/productpage?u=normal');
  assert.match(logout.headers['set-cookie']?.[0] ?? '', /^session=; .*Max-Age=0/);
});

test('productpage: login redirects to the Referer path only, and escapes the user name', async (t) => {
  const { url } = await withFakeReviews(t);
  const back = await post(`${url}/login`, 'username=%3Cb%3Eeve%3C%2Fb%3E', { referer: 'http://example.test/productpage?u=test' });
  assert.equal(back.headers.location, '/productpage?u=test');
  const offsite = await post(`${url}/login`, 'username=x', { referer: 'http://example.test//evil.example/' });
  assert.equal(offsite.headers.location, '/productpage');

  const cookie = (back.headers['set-cookie']?.[0] ?? '').split(';')[0]!;
  const page = (await get(`${url}/productpage`, { cookie })).body;
  assert.equal(page.includes('<b>eve</b>'), false);
  assert.match(page, /&#60;b&#62;eve&#60;\/b&#62;/);
});

test('productpage: propagates x-request-id and trace headers to details and reviews, not other headers', async (t) => {
  const { url, reviews, details } = await withFakeReviews(t);
  await get(`${url}/productpage`, {
    'x-request-id': '6f1c2b0e-req',
    traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    'x-b3-sampled': '1',
    'user-agent': 'bookinfo-test',
    'x-private': 'do-not-forward',
  });
  for (const seen of [details.seen[0]!, reviews.seen[0]!]) {
    assert.equal(seen.headers['x-request-id'], '6f1c2b0e-req');
    assert.equal(seen.headers['traceparent'], '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01');
    assert.equal(seen.headers['x-b3-sampled'], '1');
    assert.equal(seen.headers['user-agent'], 'bookinfo-test');
    assert.equal(seen.headers['x-private'], undefined);
  }
  assert.equal(details.seen[0]!.url, '/details/0');
  assert.equal(reviews.seen[0]!.url, '/reviews/0');
});

test('productpage: with HTTP_PROXY every call goes through the proxy with an absolute-form target', async (t) => {
  const details = await serve(t, createDetailsApp({}));
  const reviews = await fakeServer(t, () => ({ status: 200, body: REVIEWS_JSON }));
  const proxy = await forwardProxy(t, { 'details:9080': `127.0.0.1:${details.port}`, 'reviews:9080': `127.0.0.1:${reviews.port}` });
  // No *_HOSTNAME overrides: the names `details` and `reviews` only resolve through the proxy.
  const page = await serve(t, createProductpageApp({ HTTP_PROXY: proxy.url }));
  const body = (await get(`${page.url}/productpage`, { 'x-request-id': 'via-proxy' })).body;
  assert.match(body, /PublisherA/);
  assert.match(body, /Reviews served by: reviews-fake-pod/);
  assert.deepEqual(proxy.seen, [
    { target: 'http://details:9080/details/0', host: 'details:9080' },
    { target: 'http://reviews:9080/reviews/0', host: 'reviews:9080' },
  ]);
  assert.equal(reviews.seen[0]!.headers['x-request-id'], 'via-proxy');
});

test('productpage: JSON API proxies details, reviews and ratings', async (t) => {
  const url = await bookinfo(t, { ENABLE_RATINGS: 'true', HOSTNAME: 'reviews-v2-api' });
  const products = await get(`${url}/api/v1/products`);
  assert.equal(products.status, 200);
  const list = json(products) as { id: number; title: string; descriptionHtml: string }[];
  assert.equal(list.length, 1);
  assert.equal(list[0]!.id, 0);
  assert.equal(list[0]!.title, 'The Comedy of Errors');
  assert.match(list[0]!.descriptionHtml, /^<a href="https:\/\/en\.wikipedia\.org\/wiki\/The_Comedy_of_Errors">Wikipedia Summary<\/a>: The Comedy of Errors is one of <b>William Shakespeare's<\/b> early plays\./);

  const details = await get(`${url}/api/v1/products/5`);
  assert.equal(details.status, 200);
  assert.deepEqual(json(details), bookDetails(5));
  const reviews = json(await get(`${url}/api/v1/products/0/reviews`)) as { id: string; podname: string };
  assert.equal(reviews.id, '0');
  assert.equal(reviews.podname, 'reviews-v2-api');
  assert.deepEqual(json(await get(`${url}/api/v1/products/0/ratings`)), { id: 0, ratings: { Reviewer1: 5, Reviewer2: 4 } });

  const bad = await get(`${url}/api/v1/products/abc`);
  assert.equal(bad.status, 400);
  assert.equal((await get(`${url}/api/v1/products/0/other`)).status, 404);
});

test('productpage: API failures carry the upstream status and the unavailable message', async (t) => {
  const { url } = await withFakeReviews(t, 503);
  const res = await get(`${url}/api/v1/products/0/reviews`);
  assert.equal(res.status, 503);
  assert.deepEqual(json(res), { error: 'Sorry, product reviews are currently unavailable for this book.' });
});

test('productpage: index, health, static CSS, 404 and 405', async (t) => {
  const { url } = await withFakeReviews(t);
  for (const path of ['/', '/index.html']) {
    const index = await get(`${url}${path}`);
    assert.equal(index.status, 200);
    assert.match(index.body, /href="\/productpage\?u=normal"/);
    assert.match(index.body, /href="\/productpage\?u=test"/);
  }
  const health = await get(`${url}/health`);
  assert.equal(health.status, 200);
  assert.equal(health.body, 'Product page is healthy');

  const page = (await get(`${url}/productpage`)).body;
  const href = /<link rel="stylesheet" href="([^"]+)">/.exec(page)?.[1];
  assert.equal(href, '/static/bookinfo.css');
  const css = await get(`${url}${href}`);
  assert.equal(css.status, 200);
  assert.match(String(css.headers['content-type']), /^text\/css/);
  assert.match(css.body, /\.text-red-500/);
  assert.equal(/https?:\/\//.test(css.body), false, 'no external assets');

  assert.equal((await get(`${url}/static/missing.css`)).status, 404);
  assert.equal((await get(`${url}/login`)).status, 405);
  assert.equal((await post(`${url}/productpage`, '')).status, 405);
});
