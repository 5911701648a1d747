// Route timeouts and retries for one request: which outcomes are retried (Envoy's `retryOn`
// conditions), how long to back off, a different endpoint each time when there is one, and the
// overall deadline. The forwarder asks `decide` at each failure point; this owns no sockets.

import type { ClusterRuntime, EndpointRuntime } from './load-balancer.ts';

export interface RetrySettings {
  /** Retries after the first try; 0 disables. */
  attempts: number;
  perTryTimeoutMs: number | null;
  retryOn: readonly string[];
  retriableStatusCodes: readonly number[];
  retryIgnorePreviousHosts: boolean;
  backoffBaseMs: number;
}

export interface ForwardPolicy {
  /** Route timeout (whole request, retries included); null: none. */
  timeoutMs: number | null;
  retry: RetrySettings;
}

/** What Istio programs when a route says nothing about retries. */
export const DEFAULT_RETRY: RetrySettings = {
  attempts: 2,
  perTryTimeoutMs: null,
  retryOn: ['connect-failure', 'refused-stream', 'unavailable', 'cancelled', 'retriable-status-codes'],
  retriableStatusCodes: [503],
  retryIgnorePreviousHosts: true,
  backoffBaseMs: 25,
};

export const DEFAULT_FORWARD_POLICY: ForwardPolicy = { timeoutMs: null, retry: DEFAULT_RETRY };

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
  /** A retry was wanted but the budget of attempts was spent (response flag URX). */
  exhausted = false;

  constructor(settings: RetrySettings) {
    this.settings = settings;
  }

  tried(ep: EndpointRuntime): void {
    this.#tried.push(ep);
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
    if (!this.settings.retryIgnorePreviousHosts) return cluster.pick();
    for (let i = 0; i < 5; i++) {
      const ep = cluster.pick();
      if (ep === null) return null;
      if (!this.#tried.includes(ep)) return ep;
    }
    return cluster.pick();
  }

  /** Exponential backoff with full jitter: up to base * 2^(n-1), capped at 10x base. */
  backoffMs(random: () => number = Math.random): number {
    const base = this.settings.backoffBaseMs;
    const cap = Math.min(base * 2 ** (this.retries - 1), base * 10);
    return Math.floor(random() * cap);
  }
}

function durationMs(v: unknown): number | null {
  if (typeof v !== 'string') return null;
  const m = /^(\d+(?:\.\d+)?)(h|m|s|ms|us|µs|ns)$/.exec(v.trim());
  if (m === null) return null;
  const n = Number(m[1]);
  const unit = m[2];
  const ms = unit === 'h' ? n * 3_600_000 : unit === 'm' ? n * 60_000 : unit === 's' ? n * 1000 : unit === 'ms' ? n : unit === 'ns' ? n / 1e6 : n / 1000;
  return ms > 0 ? ms : null;
}

/** The timeout and retries of a VirtualService http route as carried in `Route.policy`. */
export function forwardPolicyOf(policy: Record<string, unknown> | undefined): ForwardPolicy {
  if (policy === undefined) return DEFAULT_FORWARD_POLICY;
  const timeoutMs = durationMs(policy['timeout']);
  const r = policy['retries'];
  let retry = DEFAULT_RETRY;
  if (r !== null && typeof r === 'object' && !Array.isArray(r)) {
    const o = r as Record<string, unknown>;
    const attempts = typeof o['attempts'] === 'number' && o['attempts'] >= 0 ? Math.floor(o['attempts']) : 0;
    // Without retryOn, Istio's default conditions (and 503 as the retriable status code).
    const given = typeof o['retryOn'] === 'string';
    const list = given ? (o['retryOn'] as string).split(',').map((x) => x.trim()).filter((x) => x !== '') : [...DEFAULT_RETRY.retryOn];
    const codes = given ? list.filter((x) => /^\d{3}$/.test(x)).map(Number) : [...DEFAULT_RETRY.retriableStatusCodes];
    retry = {
      attempts,
      perTryTimeoutMs: durationMs(o['perTryTimeout']),
      // Status codes in retryOn mean retriable-status-codes with those codes.
      retryOn: codes.length > 0 ? [...list, 'retriable-status-codes'] : list,
      retriableStatusCodes: codes,
      retryIgnorePreviousHosts: o['retryIgnorePreviousHosts'] !== false,
      backoffBaseMs: durationMs(o['backoff']) ?? 25,
    };
  }
  if (timeoutMs === null && retry === DEFAULT_RETRY) return DEFAULT_FORWARD_POLICY;
  return { timeoutMs, retry };
}
