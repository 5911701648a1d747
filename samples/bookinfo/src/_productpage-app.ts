// productpage: the front end. Renders the product page from details and reviews, offers the same
// data as a small JSON API, keeps a signed login session, and counts how its upstream calls end.
//
// Upstream calls: details once, reviews up to twice, ratings once; 3 s each; a fresh connection
// per call; the tracing and identity headers of the incoming request are copied onto every call,
// and `end-user` is set to the signed-in user.

import type http from 'node:http';
import { envValue, serviceUrl, type Env } from './_env.ts';
import { forwardHeaders } from './_headers.ts';
import { createHttpClient } from './_http.ts';
import { RequestResultCounter } from './_metrics.ts';
import { STYLESHEET, STYLESHEET_PATH } from './_productpage-css.ts';
import { renderIndexPage, renderProductPage, toReviewsView, type Outcome, type Product, type ReviewsView } from './_productpage-html.ts';
import { parseProductId } from './_product-id.ts';
import { allowMethods, createServer, decodeSegment, HttpError, readBody, redirect, send, sendHtml, sendJson, sendText } from './_server.ts';
import { createSessionCodec } from './_session.ts';

export const PRODUCTS: readonly Product[] = Object.freeze([
  {
    id: 0,
    title: 'The Comedy of Errors',
    descriptionHtml:
      '<a href="https://en.wikipedia.org/wiki/The_Comedy_of_Errors">Wikipedia Summary</a>: The Comedy of Errors is one of <b>William Shakespeare\'s</b> early plays. ' +
      'Two pairs of identical twins, separated as infants, end up in the same city on the same day, and nobody can tell who is who: ' +
      'wrongful arrests, a locked door, a misdelivered gold chain and a great deal of confusion follow before the family is reunited.',
  },
]);

export const UNAVAILABLE = {
  details: 'Sorry, product details are currently unavailable for this book.',
  reviews: 'Sorry, product reviews are currently unavailable for this book.',
  ratings: 'Sorry, product ratings are currently unavailable for this book.',
} as const;

/** Per-attempt timeout for every upstream call. */
const UPSTREAM_TIMEOUT_MS = 3_000;
/** Reviews gets a second chance; the fault-injection demos depend on the resulting 2 × 3 s budget. */
const REVIEWS_ATTEMPTS = 2;
/** Status counted and returned when no usable answer came back (refused, timed out, not JSON). */
const NO_ANSWER_STATUS = 500;
const MAX_USER_LENGTH = 64;

type Upstream = 'details' | 'reviews' | 'ratings';
type CallResult = { ok: true; value: unknown } | { ok: false; status: number };

/** A user name fit for a header value: printable ASCII, trimmed, bounded. Empty means none. */
export function cleanUserName(raw: string): string {
  return raw.replace(/[^\x20-\x7e]/g, '').trim().slice(0, MAX_USER_LENGTH).trim();
}

/** Where to send the browser after login/logout: the Referer's path on this site, else /productpage. */
function backTo(referer: string | undefined): string {
  if (referer !== undefined) {
    try {
      const u = new URL(referer, 'http://localhost');
      const target = `${u.pathname}${u.search}`;
      // "//host" would leave the site; /login and /logout would loop.
      if (!target.startsWith('//') && u.pathname !== '/login' && u.pathname !== '/logout') return target;
    } catch {
      // fall through to the default
    }
  }
  return '/productpage';
}

export function createProductpageApp(env: Env): http.Server {
  const client = createHttpClient(env);
  const sessions = createSessionCodec(envValue(env, 'SESSION_SECRET'));
  const metrics = new RequestResultCounter();
  const urls = {
    details: serviceUrl(env, 'details'),
    reviews: serviceUrl(env, 'reviews'),
    ratings: serviceUrl(env, 'ratings'),
  } as const;

  const call = async (app: Upstream, path: string, headers: Record<string, string>, attempts: number): Promise<CallResult> => {
    let status = NO_ANSWER_STATUS;
    for (let attempt = 0; attempt < attempts; attempt++) {
      try {
        const res = await client.get(`${urls[app]}${path}`, { headers, timeoutMs: UPSTREAM_TIMEOUT_MS });
        if (res.status === 200) {
          const value: unknown = JSON.parse(res.body);
          metrics.inc(app, 200);
          return { ok: true, value };
        }
        status = res.status;
      } catch {
        status = NO_ANSWER_STATUS;
      }
    }
    metrics.inc(app, status);
    return { ok: false, status };
  };

  const details = (id: number, h: Record<string, string>) => call('details', `/details/${id}`, h, 1);
  const reviews = (id: number, h: Record<string, string>) => call('reviews', `/reviews/${id}`, h, REVIEWS_ATTEMPTS);
  const ratings = (id: number, h: Record<string, string>) => call('ratings', `/ratings/${id}`, h, 1);

  /** Headers for upstream calls: the propagated set, plus `end-user` for a signed-in user. */
  const outgoingHeaders = (req: http.IncomingMessage, user: string | null): Record<string, string> => {
    const headers = forwardHeaders(req.headers);
    if (user !== null) headers['end-user'] = user;
    return headers;
  };

  const productPage = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const product = PRODUCTS[0]!;
    const user = sessions.fromHeaders(req.headers)?.user ?? null;
    const headers = outgoingHeaders(req, user);
    const d = await details(product.id, headers);
    const r = await reviews(product.id, headers);
    const detailsOutcome: Outcome<Record<string, unknown>> =
      d.ok && typeof d.value === 'object' && d.value !== null ? { ok: true, value: d.value as Record<string, unknown> } : { ok: false, error: UNAVAILABLE.details };
    const view = r.ok ? toReviewsView(r.value) : null;
    const reviewsOutcome: Outcome<ReviewsView> = view !== null ? { ok: true, value: view } : { ok: false, error: UNAVAILABLE.reviews };
    sendHtml(res, 200, renderProductPage({ product, user, details: detailsOutcome, reviews: reviewsOutcome }), { 'cache-control': 'no-store' });
  };

  const login = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const form = new URLSearchParams((await readBody(req)).toString('utf8'));
    const user = cleanUserName(form.get('username') ?? '');
    const cookie = user === '' ? sessions.clearCookie() : sessions.setCookie({ user });
    redirect(res, backTo(req.headers.referer), { 'set-cookie': cookie });
  };

  /** `/api/v1/products/<id>[/reviews|/ratings]`, answered with the upstream's status and JSON. */
  const productApi = async (req: http.IncomingMessage, res: http.ServerResponse, rest: string): Promise<void> => {
    const [rawId = '', sub, ...extra] = rest.split('/');
    if (extra.length > 0 || (sub !== undefined && sub !== 'reviews' && sub !== 'ratings')) throw new HttpError(404, 'no such product resource');
    const decoded = decodeSegment(rawId);
    const id = decoded === null ? null : parseProductId(decoded);
    if (id === null) throw new HttpError(400, 'please provide numeric product id');
    const app: Upstream = sub ?? 'details';
    const headers = outgoingHeaders(req, sessions.fromHeaders(req.headers)?.user ?? null);
    const result = app === 'details' ? await details(id, headers) : app === 'reviews' ? await reviews(id, headers) : await ratings(id, headers);
    if (result.ok) sendJson(res, 200, result.value);
    else sendJson(res, result.status, { error: UNAVAILABLE[app] });
  };

  return createServer('productpage', async (req, res, url) => {
    const path = url.pathname;
    switch (path) {
      case '/':
      case '/index.html':
        allowMethods(req, 'GET');
        sendHtml(res, 200, renderIndexPage(urls));
        return;
      case '/health':
        allowMethods(req, 'GET');
        sendText(res, 200, 'Product page is healthy');
        return;
      case '/login':
        allowMethods(req, 'POST');
        await login(req, res);
        return;
      case '/logout':
        allowMethods(req, 'GET', 'POST');
        redirect(res, backTo(req.headers.referer), { 'set-cookie': sessions.clearCookie() });
        return;
      case '/productpage':
        allowMethods(req, 'GET');
        await productPage(req, res);
        return;
      case '/metrics':
        allowMethods(req, 'GET');
        send(res, 200, metrics.render(), 'text/plain; version=0.0.4; charset=utf-8');
        return;
      case STYLESHEET_PATH:
        allowMethods(req, 'GET');
        send(res, 200, STYLESHEET, 'text/css; charset=utf-8', { 'cache-control': 'public, max-age=300' });
        return;
      case '/api/v1/products':
        allowMethods(req, 'GET');
        sendJson(res, 200, PRODUCTS);
        return;
    }
    if (path.startsWith('/api/v1/products/')) {
      allowMethods(req, 'GET');
      await productApi(req, res, path.slice('/api/v1/products/'.length));
      return;
    }
    throw new HttpError(404, `no route for ${path}`);
  });
}
