// HTML for productpage: the index page and the product page. Pure functions of their inputs;
// every value that came from a request or another service is escaped.

import { STYLESHEET_PATH } from './_productpage-css.ts';

export interface Product {
  id: number;
  title: string;
  /** Trusted markup (a constant of this program), inserted as is. */
  descriptionHtml: string;
}

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: string };

export type RatingView = { stars: number; color: string } | { error: string } | null;

export interface ReviewView {
  reviewer: string;
  text: string;
  rating: RatingView;
}

export interface ReviewsView {
  podname: string | null;
  clustername: string | null;
  reviews: ReviewView[];
}

export interface ProductPageModel {
  product: Product;
  user: string | null;
  details: Outcome<Record<string, unknown>>;
  reviews: Outcome<ReviewsView>;
}

export const DETAILS_ERROR_TITLE = 'Error fetching product details';
export const REVIEWS_ERROR_TITLE = 'Error fetching product reviews';

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Reads reviews' JSON into what the page shows; null when it is not the expected shape. */
export function toReviewsView(json: unknown): ReviewsView | null {
  if (typeof json !== 'object' || json === null) return null;
  const o = json as Record<string, unknown>;
  if (!Array.isArray(o['reviews'])) return null;
  const reviews: ReviewView[] = [];
  for (const r of o['reviews'] as unknown[]) {
    if (typeof r !== 'object' || r === null) continue;
    const rec = r as Record<string, unknown>;
    reviews.push({
      reviewer: typeof rec['reviewer'] === 'string' ? rec['reviewer'] : 'Anonymous',
      text: typeof rec['text'] === 'string' ? rec['text'] : '',
      rating: toRatingView(rec['rating']),
    });
  }
  const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
  return { podname: str(o['podname']), clustername: str(o['clustername']), reviews };
}

function toRatingView(v: unknown): RatingView {
  if (typeof v !== 'object' || v === null) return null;
  const r = v as Record<string, unknown>;
  if (typeof r['error'] === 'string') return { error: r['error'] };
  if (typeof r['stars'] === 'number' && Number.isFinite(r['stars'])) {
    return { stars: r['stars'], color: typeof r['color'] === 'string' ? r['color'] : 'black' };
  }
  return null;
}

function layout(title: string, header: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${STYLESHEET_PATH}">
</head>
<body>
<header class="topbar">
<div class="topbar-inner">
<a class="brand" href="/productpage">Bookinfo <span>sample</span></a>
${header}
</div>
</header>
${body}
<footer class="footer">Bookinfo: productpage, details, reviews and ratings, each a separate service in the mesh.</footer>
</body>
</html>
`;
}

function accountHtml(user: string | null): string {
  if (user !== null) {
    return `<div class="account">
<span class="user">Signed in as <strong>${escapeHtml(user)}</strong></span>
<a class="button button-ghost" href="/logout">Sign out</a>
</div>`;
  }
  return `<div class="account">
<details class="signin">
<summary class="button">Sign in</summary>
<form class="signin-form" method="post" action="/login">
<label>User name <input type="text" name="username" autocomplete="username" required></label>
<label>Password <input type="password" name="passwd" autocomplete="current-password"></label>
<button type="submit" class="button">Sign in</button>
<p class="hint">Any password is accepted.</p>
</form>
</details>
</div>`;
}

const STAR_PATH = 'M12 2.5l2.9 6.1 6.6.8-4.9 4.6 1.3 6.6L12 17.3l-5.9 3.3 1.3-6.6-4.9-4.6 6.6-.8z';

function starSvg(filled: boolean): string {
  return filled
    ? `<svg id="glyphicon glyphicon-star" class="star" viewBox="0 0 24 24" aria-hidden="true"><path d="${STAR_PATH}" fill="currentColor"/></svg>`
    : `<svg id="glyphicon glyphicon-star-empty" class="star" viewBox="0 0 24 24" aria-hidden="true"><path d="${STAR_PATH}" fill="none" stroke="currentColor" stroke-width="1.5" stroke-linejoin="round"/></svg>`;
}

function ratingHtml(rating: RatingView): string {
  if (rating === null) return '';
  if ('error' in rating) return `<p class="rating-error">${escapeHtml(rating.error)}</p>`;
  const stars = Math.max(0, Math.min(5, Math.round(rating.stars)));
  // The colour becomes a class name: only plain lower-case words are used as given.
  const color = /^[a-z]{1,20}$/.test(rating.color) ? rating.color : 'black';
  return `<div class="stars text-${color}-500" role="img" aria-label="${stars} out of 5 stars">${starSvg(true).repeat(stars)}${starSvg(false).repeat(5 - stars)}</div>`;
}

const DETAIL_FIELDS: readonly (readonly [key: string, label: string])[] = [
  ['author', 'Author'],
  ['year', 'Year'],
  ['type', 'Type'],
  ['pages', 'Pages'],
  ['publisher', 'Publisher'],
  ['language', 'Language'],
  ['ISBN-10', 'ISBN-10'],
  ['ISBN-13', 'ISBN-13'],
];

function detailsHtml(details: Outcome<Record<string, unknown>>): string {
  if (!details.ok) {
    return `<section class="card error-card">
<h2>${DETAILS_ERROR_TITLE}</h2>
<p>${escapeHtml(details.error)}</p>
</section>`;
  }
  const rows: string[] = [];
  for (const [key, label] of DETAIL_FIELDS) {
    const v = details.value[key];
    if (typeof v !== 'string' && typeof v !== 'number') continue;
    const shown = key === 'type' && typeof v === 'string' ? v.charAt(0).toUpperCase() + v.slice(1) : String(v);
    rows.push(`<dt>${escapeHtml(label)}</dt><dd>${escapeHtml(shown)}</dd>`);
  }
  return `<section class="card">
<h2>Book Details</h2>
<dl class="facts">
${rows.join('\n')}
</dl>
</section>`;
}

function reviewsHtml(reviews: Outcome<ReviewsView>): string {
  if (!reviews.ok) {
    return `<section class="card error-card">
<h2>${REVIEWS_ERROR_TITLE}</h2>
<p>${escapeHtml(reviews.error)}</p>
</section>`;
  }
  const items = reviews.value.reviews.map(
    (r) => `<article class="review">
<blockquote>${escapeHtml(r.text)}</blockquote>
<div class="review-footer"><span class="reviewer">&mdash; ${escapeHtml(r.reviewer)}</span>${ratingHtml(r.rating)}</div>
</article>`,
  );
  const { podname, clustername } = reviews.value;
  const servedBy =
    podname === null
      ? ''
      : `<p class="served-by">Reviews served by: ${escapeHtml(podname)}${clustername !== null && clustername !== 'null' ? ` on cluster ${escapeHtml(clustername)}` : ''}</p>`;
  return `<section class="card">
<h2>Book Reviews</h2>
${items.join('\n')}
${servedBy}
</section>`;
}

export function renderProductPage(m: ProductPageModel): string {
  const body = `<main class="page">
<section class="card hero">
<p class="eyebrow">Featured book</p>
<h1>${escapeHtml(m.product.title)}</h1>
<p class="summary">${m.product.descriptionHtml}</p>
</section>
<div class="columns">
${detailsHtml(m.details)}
${reviewsHtml(m.reviews)}
</div>
</main>`;
  return layout('Simple Bookstore App', accountHtml(m.user), body);
}

/** One row of the call tree shown on the index page. */
interface CallRow {
  caller: string;
  callee: string;
  request: string;
  note: string;
}

export function renderIndexPage(urls: { details: string; reviews: string; ratings: string }): string {
  const rows: CallRow[] = [
    { caller: 'productpage', callee: 'details', request: `GET ${urls.details}/details/0`, note: 'one attempt, 3 s timeout' },
    { caller: 'productpage', callee: 'reviews', request: `GET ${urls.reviews}/reviews/0`, note: 'up to two attempts, 3 s timeout each' },
    { caller: 'reviews (v2, v3)', callee: 'ratings', request: `GET ${urls.ratings}/ratings/0`, note: 'v2: 10 s timeout, black stars; v3: 2.5 s, red stars; v1 does not call ratings' },
  ];
  const table = rows
    .map((r) => `<tr><td>${escapeHtml(r.caller)}</td><td>${escapeHtml(r.callee)}</td><td><code>${escapeHtml(r.request)}</code></td><td>${escapeHtml(r.note)}</td></tr>`)
    .join('\n');
  const body = `<main class="page">
<section class="card index">
<h1>Bookinfo</h1>
<p>A small bookstore made of four services. The product page is put together from the details and reviews services; some versions of reviews ask the ratings service for stars.</p>
<div class="links">
<a class="button" href="/productpage?u=normal">Product page as a normal user</a>
<a class="button" href="/productpage?u=test">Product page as a test user</a>
</div>
<table class="tree">
<thead><tr><th>Caller</th><th>Calls</th><th>Request</th><th>Behaviour</th></tr></thead>
<tbody>
${table}
</tbody>
</table>
</section>
</main>`;
  return layout('Simple Bookstore App', '<div class="account"></div>', body);
}
