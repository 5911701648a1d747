// ratings: star ratings per product, kept in memory. SERVICE_VERSION selects a behaviour used by
// the fault and resilience demos: v1 (default), v2 (database-backed in the original; here it
// serves the same data and refuses writes), v-faulty, v-delayed, v-unavailable, v-unhealthy.

import type http from 'node:http';
import { envValue, type Env } from './_env.ts';
import { parseProductId } from './_product-id.ts';
import { allowMethods, createServer, decodeSegment, HttpError, log, readBody, sendJson } from './_server.ts';

export type Ratings = Record<string, unknown>;

export interface RatingsOptions {
  /** Source of randomness for v-faulty and v-delayed (default Math.random). */
  random?: () => number;
  /** Clock for v-unavailable and v-unhealthy periods (default Date.now). */
  now?: () => number;
  /** How long v-delayed holds a delayed answer (default 7 s). */
  delayMs?: number;
}

export const RATINGS_VERSIONS = ['v1', 'v2', 'v-faulty', 'v-delayed', 'v-unavailable', 'v-unhealthy'] as const;
export type RatingsVersion = (typeof RATINGS_VERSIONS)[number];

/** v-unavailable alternates available / unavailable periods of this length, starting available. */
const UNAVAILABLE_PERIOD_MS = 60_000;
/** v-unhealthy alternates healthy / unhealthy periods of this length, starting healthy. */
const UNHEALTHY_PERIOD_MS = 15 * 60_000;
const DEFAULT_DELAY_MS = 7_000;

function defaultRatings(): Ratings {
  return { Reviewer1: 5, Reviewer2: 4 };
}

export function ratingsVersion(env: Env): RatingsVersion {
  const v = envValue(env, 'SERVICE_VERSION') ?? 'v1';
  if ((RATINGS_VERSIONS as readonly string[]).includes(v)) return v as RatingsVersion;
  log('ratings', 'warn', `unknown SERVICE_VERSION ${JSON.stringify(v)}; behaving as v1`);
  return 'v1';
}

export function createRatingsApp(env: Env, opts: RatingsOptions = {}): http.Server {
  const version = ratingsVersion(env);
  const random = opts.random ?? Math.random;
  const now = opts.now ?? Date.now;
  const delayMs = opts.delayMs ?? DEFAULT_DELAY_MS;
  const startedAt = now();
  /** Ratings written with POST, by product id; other products get the defaults. */
  const stored = new Map<number, Ratings>();

  /** True during the odd-numbered periods of `periodMs` since start. */
  const inDownPeriod = (periodMs: number): boolean => Math.floor((now() - startedAt) / periodMs) % 2 === 1;
  const healthy = (): boolean => version !== 'v-unhealthy' || !inDownPeriod(UNHEALTHY_PERIOD_MS);
  const available = (): boolean => {
    if (version === 'v-unavailable') return !inDownPeriod(UNAVAILABLE_PERIOD_MS);
    if (version === 'v-unhealthy') return healthy();
    return true;
  };
  const ratingsOf = (id: number) => ({ id, ratings: stored.get(id) ?? defaultRatings() });

  const productIdFrom = (path: string): number => {
    const segment = decodeSegment(path.slice('/ratings/'.length));
    const id = segment === null ? null : parseProductId(segment);
    if (id === null) throw new HttpError(400, 'please provide numeric product ID');
    return id;
  };

  const getRatings = (res: http.ServerResponse, id: number): void => {
    if (version === 'v-faulty' && random() < 0.5) {
      sendJson(res, 503, { error: 'Service unavailable' });
      return;
    }
    if (version === 'v-delayed' && random() < 0.5) {
      const timer = setTimeout(() => sendJson(res, 200, ratingsOf(id)), delayMs);
      // A client that gives up (or a shutdown) should not keep the timer alive.
      res.once('close', () => clearTimeout(timer));
      return;
    }
    if (!available()) {
      sendJson(res, 503, { error: 'Service unavailable' });
      return;
    }
    sendJson(res, 200, ratingsOf(id));
  };

  const postRatings = async (req: http.IncomingMessage, res: http.ServerResponse, id: number): Promise<void> => {
    const body = await readBody(req);
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      parsed = undefined;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new HttpError(400, 'please provide valid ratings JSON');
    }
    if (version === 'v2') throw new HttpError(501, 'Post not implemented for database backed ratings');
    stored.set(id, parsed as Ratings);
    sendJson(res, 200, ratingsOf(id));
  };

  return createServer('ratings', async (req, res, url) => {
    const path = url.pathname;
    if (path === '/health') {
      allowMethods(req, 'GET');
      if (healthy()) sendJson(res, 200, { status: 'Ratings is healthy' });
      else sendJson(res, 500, { status: 'Ratings is not healthy' });
      return;
    }
    if (path === '/ratings' || path.startsWith('/ratings/')) {
      allowMethods(req, 'GET', 'POST');
      const id = productIdFrom(path);
      if (req.method === 'POST') await postRatings(req, res, id);
      else getRatings(res, id);
      return;
    }
    throw new HttpError(404, `no route for ${path}`);
  });
}
