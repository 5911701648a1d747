// RequestAuthentication in the proxy: Envoy jwt_authn semantics as Istio configures it.
//
//   no token anywhere            -> pass (ex.jwt stays null; AuthorizationPolicy decides later)
//   CORS preflight               -> pass unchecked
//   every token found verifies   -> ex.jwt set, outputs written, token header dropped, pass
//   any token fails              -> 401 with Envoy's reason and a WWW-Authenticate challenge
//
// A token is checked against the rules that look where it was found and whose issuer matches its
// (unverified) `iss`; none matching is "Jwt issuer is not configured". Every token in the request
// must verify, so a good token in the query cannot cover for a bad one in a header that the
// backend reads. Verified tokens are cached until their `exp`, which keeps a repeated token on
// the synchronous path; the no-token path reads the configured locations and allocates nothing.

import type { JwtRuleConfig } from '../../api/index.ts';
import type { Logger } from '../../shared/index.ts';
import type { Exchange, JwtIdentity } from '../exchange.ts';
import type { Filter, Handler } from '../filter.ts';
import { JwtFailure } from './jwt-failure.ts';
import { CLOCK_SKEW_SECONDS, CompiledJwtRule } from './jwt-rule.ts';
import { parseJwt, type ParsedJwt } from './parse-jwt.ts';
import { TokenCache } from './token-cache.ts';
import { compileLocations, extractToken, LocationKind, type TokenLocation } from './token-locations.ts';
import { replyUnauthorized } from './unauthorized-reply.ts';

export const DEFAULT_TOKEN_CACHE_SIZE = 1000;

/** Hand-kept counters; pass one object to several filters to sum them. */
export interface JwtFilterStats {
  /** Tokens whose signature was verified (cache misses that succeeded). */
  verified: number;
  /** Tokens accepted from the cache without a verification. */
  cacheHits: number;
  /** Requests answered 401. */
  rejected: number;
}

export interface JwtFilterOptions {
  log: Logger;
  /** Wall clock in milliseconds (tests move it). */
  now?: () => number;
  /** How many verified tokens to keep (0 disables the cache). */
  cacheSize?: number;
  stats?: JwtFilterStats;
}

/** A token that verified, with everything the request needs from it precomputed. */
interface Verified {
  readonly rule: CompiledJwtRule;
  readonly identity: JwtIdentity;
  readonly payloadSegment: string;
  /** `[header, value]` from the rule's outputClaimToHeaders. */
  readonly claimHeaders: readonly (readonly [string, string])[];
}

type Outcome = Verified | JwtFailure;

/** One distinct token in a request and the locations (indexes) it was found at. */
interface FoundToken {
  readonly token: string;
  readonly locs: number[];
}

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const k of Object.keys(v)) deepFreeze((v as Record<string, unknown>)[k]);
  }
  return v;
}

function primitive(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return null;
}

/**
 * A claim as a header value: strings, numbers and booleans as they are, a list of those joined
 * with `,`; objects are skipped (null). `a.b` reaches a nested claim when no claim is named `a.b`.
 */
export function claimHeaderValue(claims: Record<string, unknown>, name: string): string | null {
  let v: unknown = Object.hasOwn(claims, name) ? claims[name] : undefined;
  if (v === undefined && name.includes('.')) {
    v = claims;
    for (const part of name.split('.')) {
      if (typeof v !== 'object' || v === null || Array.isArray(v) || !Object.hasOwn(v, part)) return null;
      v = (v as Record<string, unknown>)[part];
    }
  }
  if (Array.isArray(v)) {
    const parts: string[] = [];
    for (const x of v) {
      const s = primitive(x);
      if (s === null) return null;
      parts.push(s);
    }
    return parts.join(',');
  }
  return primitive(v);
}

function identityOf(p: ParsedJwt): JwtIdentity {
  const iss = p.iss ?? '';
  const sub = p.sub ?? '';
  const azp = p.claims['azp'];
  return Object.freeze({
    issuer: iss,
    subject: sub,
    principal: `${iss}/${sub}`,
    audiences: Object.freeze([...p.aud]) as string[],
    presenter: typeof azp === 'string' ? azp : null,
    claims: deepFreeze(p.claims),
  });
}

/** The RequestAuthentication filter for `rules` (already selected for this workload), or null when there are none. */
export function createJwtFilter(rules: readonly JwtRuleConfig[], opts: JwtFilterOptions): Filter | null {
  if (rules.length === 0) return null;
  const log = opts.log;
  const now = opts.now ?? Date.now;
  const stats = opts.stats ?? { verified: 0, cacheHits: 0, rejected: 0 };
  const compiled = rules.map((r, i) => new CompiledJwtRule(r, i, log));
  const locations: readonly TokenLocation[] = compileLocations(rules);
  const cache = new TokenCache<Verified>(opts.cacheSize ?? DEFAULT_TOKEN_CACHE_SIZE);
  /** Verifications under way, so concurrent requests with one new token share one. */
  const inflight = new Map<string, { rules: readonly number[]; promise: Promise<Outcome> }>();

  // Headers the filter writes from verified tokens: a client must not be able to send them itself.
  const outputs = new Set<string>();
  for (const r of compiled) {
    if (r.payloadHeader !== null) outputs.add(r.payloadHeader);
    for (const c of r.claimHeaders) outputs.add(c.header);
  }
  const outputHeaders: readonly string[] = [...outputs];

  function verifiedFrom(p: ParsedJwt, rule: CompiledJwtRule): Verified {
    const claimHeaders: (readonly [string, string])[] = [];
    for (const c of rule.claimHeaders) {
      const v = claimHeaderValue(p.claims, c.claim);
      if (v !== null) claimHeaders.push([c.header, v]);
    }
    return { rule, identity: identityOf(p), payloadSegment: p.payloadSegment, claimHeaders };
  }

  async function verifyAsync(p: ParsedJwt, candidates: readonly CompiledJwtRule[], earlier: JwtFailure | null): Promise<Outcome> {
    let failure = earlier;
    for (const rule of candidates) {
      const f = await rule.verifySignature(p.token);
      if (f === null) {
        const v = verifiedFrom(p, rule);
        stats.verified++;
        cache.set(p.token, v, p.exp === undefined ? Number.POSITIVE_INFINITY : (p.exp + CLOCK_SKEW_SECONDS) * 1000);
        return v;
      }
      failure ??= f;
    }
    return failure ?? JwtFailure.VerificationFails;
  }

  function sameRules(a: readonly number[], b: readonly number[]): boolean {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }

  /** The outcome for one token found by the rules `ruleIdx` (ascending): synchronous unless a signature must be checked. */
  function check(token: string, ruleIdx: readonly number[], nowMs: number): Outcome | Promise<Outcome> {
    const hit = cache.get(token, nowMs);
    if (hit !== undefined && ruleIdx.includes(hit.rule.index)) {
      stats.cacheHits++;
      return hit;
    }
    const p = parseJwt(token);
    if (typeof p === 'string') return p;
    let failure: JwtFailure | null = null;
    let issuerKnown = false;
    const passed: CompiledJwtRule[] = [];
    for (const i of ruleIdx) {
      const rule = compiled[i] as CompiledJwtRule;
      if (!rule.acceptsIssuer(p.iss)) continue;
      issuerKnown = true;
      const f = rule.checkClaims(p, nowMs / 1000);
      if (f === null) passed.push(rule);
      else failure ??= f;
    }
    if (!issuerKnown) return JwtFailure.UnknownIssuer;
    if (passed.length === 0) return failure ?? JwtFailure.VerificationFails;
    const running = inflight.get(token);
    if (running !== undefined && sameRules(running.rules, ruleIdx)) return running.promise;
    const promise = verifyAsync(p, passed, failure);
    inflight.set(token, { rules: ruleIdx, promise });
    const done = () => {
      if (inflight.get(token)?.promise === promise) inflight.delete(token);
    };
    promise.then(done, done);
    return promise;
  }

  function rulesOf(f: FoundToken): number[] {
    const first = (locations[f.locs[0] as number] as TokenLocation).rules;
    if (f.locs.length === 1) return first;
    const set = new Set<number>();
    for (const l of f.locs) for (const r of (locations[l] as TokenLocation).rules) set.add(r);
    return [...set].sort((a, b) => a - b);
  }

  /** Writes what verified tokens give the upstream request; the first token is the request's identity. */
  function apply(ex: Exchange, found: readonly FoundToken[], outcomes: readonly Verified[]): void {
    for (let i = 0; i < outcomes.length; i++) {
      const v = outcomes[i] as Verified;
      if (i === 0) ex.jwt = v.identity;
      const rule = v.rule;
      if (rule.payloadHeader !== null) ex.setRequestHeader(rule.payloadHeader, v.payloadSegment);
      for (const [h, val] of v.claimHeaders) ex.setRequestHeader(h, val);
      if (!rule.forwardOriginalToken) {
        for (const l of (found[i] as FoundToken).locs) {
          const loc = locations[l] as TokenLocation;
          if (loc.kind === LocationKind.Header && loc.rules.includes(rule.index)) ex.removeRequestHeader(loc.name);
        }
      }
    }
  }

  return (next: Handler): Handler => {
    function finish(ex: Exchange, found: readonly FoundToken[], outcomes: readonly Outcome[]): void {
      for (const o of outcomes) {
        if (typeof o === 'string') {
          stats.rejected++;
          log.debug('jwt refused', { path: ex.pathOnly, reason: o });
          replyUnauthorized(ex, o);
          return;
        }
      }
      apply(ex, found, outcomes as readonly Verified[]);
      next(ex);
    }

    function resume(ex: Exchange, found: readonly FoundToken[], results: readonly (Outcome | Promise<Outcome>)[]): void {
      Promise.all(results).then(
        (outcomes) => {
          // The client may have gone, or something else answered, while the signature was checked.
          if (ex.closed || ex.responseStarted) return;
          try {
            finish(ex, found, outcomes);
          } catch (e) {
            // The rest of the chain threw after an asynchronous step: nobody above can catch it.
            log.error('request handler failed after jwt verification', { error: e as Error });
            if (!ex.responseStarted) ex.localReply(500, '-', `internal error: ${(e as Error).message}`);
            else ex.abort('-', 'internal error');
          }
        },
        (e: unknown) => {
          log.error('jwt verification failed unexpectedly', { error: e as Error });
          if (!ex.closed && !ex.responseStarted) replyUnauthorized(ex, JwtFailure.VerificationFails);
        },
      );
    }

    return (ex: Exchange): void => {
      // CORS preflight requests carry no credentials; Istio lets them through unchecked.
      if (ex.method === 'OPTIONS' && ex.header('origin') !== undefined && ex.header('access-control-request-method') !== undefined) {
        next(ex);
        return;
      }
      for (let i = 0; i < outputHeaders.length; i++) {
        const h = outputHeaders[i] as string;
        if (ex.header(h) !== undefined) ex.removeRequestHeader(h);
      }
      let found: FoundToken[] | null = null;
      for (let i = 0; i < locations.length; i++) {
        const t = extractToken(ex, locations[i] as TokenLocation);
        if (t === null) continue;
        if (found === null) found = [{ token: t, locs: [i] }];
        else {
          const same = found.find((f) => f.token === t);
          if (same !== undefined) same.locs.push(i);
          else found.push({ token: t, locs: [i] });
        }
      }
      if (found === null) {
        next(ex);
        return;
      }
      const nowMs = now();
      const results: (Outcome | Promise<Outcome>)[] = [];
      let async = false;
      for (const f of found) {
        const r = check(f.token, rulesOf(f), nowMs);
        // A failure decides the request at once; no need to wait for the other tokens.
        if (typeof r === 'string') {
          finish(ex, found, [r]);
          return;
        }
        if (r instanceof Promise) async = true;
        results.push(r);
      }
      if (!async) finish(ex, found, results as Outcome[]);
      else resume(ex, found, results);
    };
  };
}
