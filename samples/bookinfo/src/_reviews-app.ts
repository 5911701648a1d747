// reviews: two reviews per product. With ENABLE_RATINGS=true it asks ratings for each reviewer's
// stars and tags them with STAR_COLOR; v1 (ratings disabled) returns the reviews alone.

import type http from 'node:http';
import { envFlag, envValue, podName, serviceUrl, type Env } from './_env.ts';
import { forwardHeaders } from './_headers.ts';
import { createHttpClient, type HttpClient } from './_http.ts';
import { parseProductId } from './_product-id.ts';
import { allowMethods, createServer, decodeSegment, HttpError, sendJson } from './_server.ts';

export const RATINGS_UNAVAILABLE = 'Ratings service is currently unavailable';

export type ReviewRating = { stars: number; color: string } | { error: string };

export interface Review {
  reviewer: string;
  text: string;
  rating?: ReviewRating;
}

export interface ReviewsResponse {
  id: string;
  podname: string;
  clustername: string;
  reviews: Review[];
}

const REVIEWS: readonly { reviewer: string; text: string }[] = [
  { reviewer: 'Reviewer1', text: 'An extremely entertaining play by Shakespeare. The slapstick humour is refreshing!' },
  { reviewer: 'Reviewer2', text: 'Absolutely fun and entertaining. The play lacks thematic depth when compared to other plays by Shakespeare.' },
];

export interface ReviewsConfig {
  ratingsEnabled: boolean;
  starColor: string;
  /** How long to wait for ratings: 10 s with black stars (v2), 2.5 s otherwise (v3). */
  ratingsTimeoutMs: number;
  ratingsUrl: string;
  podname: string;
  clustername: string;
}

export function reviewsConfig(env: Env): ReviewsConfig {
  const starColor = envValue(env, 'STAR_COLOR') ?? 'black';
  return {
    ratingsEnabled: envFlag(env, 'ENABLE_RATINGS', false),
    starColor,
    ratingsTimeoutMs: starColor === 'black' ? 10_000 : 2_500,
    ratingsUrl: serviceUrl(env, 'ratings'),
    podname: podName(env),
    clustername: envValue(env, 'CLUSTER_NAME') ?? 'null',
  };
}

/** Stars per reviewer from ratings' answer, or null when ratings could not be reached or read. */
async function fetchStars(client: HttpClient, cfg: ReviewsConfig, id: number, headers: Record<string, string>): Promise<Record<string, unknown> | null> {
  try {
    const res = await client.get(`${cfg.ratingsUrl}/ratings/${id}`, { headers, timeoutMs: cfg.ratingsTimeoutMs });
    if (res.status !== 200) return null;
    const body: unknown = JSON.parse(res.body);
    if (typeof body !== 'object' || body === null) return null;
    const ratings = (body as { ratings?: unknown }).ratings;
    return typeof ratings === 'object' && ratings !== null ? (ratings as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

export function createReviewsApp(env: Env): http.Server {
  const cfg = reviewsConfig(env);
  const client = createHttpClient(env);

  return createServer('reviews', async (req, res, url) => {
    const path = url.pathname;
    if (path === '/health') {
      allowMethods(req, 'GET');
      sendJson(res, 200, { status: 'Reviews is healthy' });
      return;
    }
    if (path === '/reviews' || path.startsWith('/reviews/')) {
      allowMethods(req, 'GET');
      const segment = decodeSegment(path.slice('/reviews/'.length));
      const id = segment === null ? null : parseProductId(segment);
      if (id === null) throw new HttpError(400, 'please provide numeric product id');

      const stars = cfg.ratingsEnabled ? await fetchStars(client, cfg, id, forwardHeaders(req.headers)) : null;
      const reviews = REVIEWS.map((r): Review => {
        if (!cfg.ratingsEnabled) return { ...r };
        const n = stars?.[r.reviewer];
        const rating: ReviewRating = typeof n === 'number' && Number.isFinite(n) ? { stars: n, color: cfg.starColor } : { error: RATINGS_UNAVAILABLE };
        return { ...r, rating };
      });
      const body: ReviewsResponse = { id: String(id), podname: cfg.podname, clustername: cfg.clustername, reviews };
      sendJson(res, 200, body);
      return;
    }
    throw new HttpError(404, `no route for ${path}`);
  });
}
