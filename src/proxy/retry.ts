// Route timeouts and retries for one request: which outcomes are retried (Envoy's `retryOn`
// conditions), how long to back off, a different endpoint each time when there is one, and the
// overall deadline. The forwarder asks `decide` at each failure point; this owns no sockets.

import type { ClusterRuntime, EndpointRuntime } from './load-balancer.ts';
import type { RetryPolicy } from './route-policy/index.ts';

/** What retrying reads of a route's retry policy (compiled with the route's other policy). */
export type RetrySettings = Pick<RetryPolicy, 'attempts' | 'perTryTimeoutMs' | 'retryOn' | 'retriableStatusCodes' | 'retryIgnorePreviousHosts' | 'backoffBaseMs'>
  & Partial<Pick<RetryPolicy, 'retryRemoteLocalities'>>;

export interface ForwardPolicy {
  /** Route timeout (whole request, retries included); null: none. */
  timeoutMs: number | null;
  retry: RetrySettings;
}


/** Where a try failed. */
export type TryFailure =
  | { kind: 'connect-failure' }
  | { kind: 'reset' }
  | { kind: 'per-try-timeout' }
  | { kind: 'status'; status: number; grpcStatus: number | null };

const GRPC: Record<string, number> = { cancelled: 1, 'deadline-exceeded': 4, 'resource-exhausted': 8, internal: 13, unavailable: 14 };

/** Whether `retryOn` covers this failure. */
export function retriable(s: RetrySettings, f: TryFailure): boolean {
  const on = s.retryOn;
  switch (f.kind) {
    case 'connect-failure':
      return on.includes('connect-failure') || on.includes('5xx') || on.includes('gateway-error') || on.includes('reset');
    case 'reset':
      return on.includes('reset') || on.includes('5xx');
    case 'per-try-timeout':
      return on.includes('5xx') || on.includes('gateway-error') || on.includes('reset');
    case 'status': {
      const st = f.status;
      if (st >= 500 && on.includes('5xx')) return true;
      if ((st === 502 || st === 503 || st === 504) && on.includes('gateway-error')) return true;
      if (st === 409 && on.includes('retriable-4xx')) return true;
      if (on.includes('retriable-status-codes') && s.retriableStatusCodes.includes(st)) return true;
      if (f.grpcStatus !== null) {
        for (const [name, code] of Object.entries(GRPC)) if (code === f.grpcStatus && on.includes(name)) return true;
      }
      return false;
    }
  }
}

/** Per-request retry state. */
export class RetryState {
  readonly settings: RetrySettings;
  /** Retries made so far. */
  retries = 0;
  readonly #tried: EndpointRuntime[] = [];
  /** Bit p: an endpoint of locality priority p was tried (for retryRemoteLocalities). */
  #triedPriorities = 0;
  /** A retry was wanted but the budget of attempts was spent (response flag URX). */
  exhausted = false;

  constructor(settings: RetrySettings) {
    this.settings = settings;
  }

  tried(ep: EndpointRuntime): void {
    this.#tried.push(ep);
    if (ep.priority < 31) this.#triedPriorities |= 1 << ep.priority;
  }

  /**
   * Whether to retry after `f`. `replayable` says the request can be sent again (nothing of it
   * was sent, or it has no body).
   */
  shouldRetry(f: TryFailure, replayable: boolean): boolean {
    if (!replayable || !retriable(this.settings, f)) return false;
    if (this.retries >= this.settings.attempts) {
      this.exhausted = true;
      return false;
    }
    return true;
  }

  /** The endpoint for the next try: one not tried yet when there is one (retryIgnorePreviousHosts). */
  next(cluster: ClusterRuntime): EndpointRuntime | null {
    this.retries++;
    // retryRemoteLocalities: a retry goes to a locality priority not tried yet (Envoy's
    // previous-priorities retry plugin); once every priority was tried, to any.
    const skip = this.settings.retryRemoteLocalities === true && cluster.levels !== null ? this.#triedPriorities : 0;
    if (!this.settings.retryIgnorePreviousHosts) return cluster.pick(null, skip);
    for (let i = 0; i < 5; i++) {
      const ep = cluster.pick(null, skip);
      if (ep === null) return null;
      if (!this.#tried.includes(ep)) return ep;
    }
    return cluster.pick(null, skip);
  }

  /** Exponential backoff with full jitter: up to base * 2^(n-1), capped at 10x base. */
  backoffMs(random: () => number = Math.random): number {
    const base = this.settings.backoffBaseMs;
    const cap = Math.min(base * 2 ** (this.retries - 1), base * 10);
    return Math.floor(random() * cap);
  }
}
