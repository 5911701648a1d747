// The traffic policy of the traffic policy scenario, on the plain pair's client sidecar: the
// route gets a VirtualService http route's timeout, retries and header rules (as written, the way
// the control plane carries them in `Route.policy`), and the outbound cluster a DestinationRule's
// connection pool and outlier detection (resolved and typed, as in `Cluster.policy`). The limits
// are far above what the benchmark's 16 connections reach and its upstream never fails, so
// nothing is refused, retried or ejected: what is measured is the bookkeeping every request pays.
// `SERVED_BY` is the response header the route adds, to check the policy is in force.

import type { ClusterPolicy } from '../../src/api/index.ts';

/** Response header added by the route policy: present with it, absent without. */
export const SERVED_BY = { name: 'x-served-by', value: 'isthmus' } as const;

export const benchRoutePolicy: Record<string, unknown> = {
  timeout: '5s',
  retries: { attempts: 2, perTryTimeout: '2s', retryOn: '5xx,connect-failure' },
  headers: {
    request: { set: { 'x-bench': '1' }, remove: ['x-unused'] },
    response: { add: { [SERVED_BY.name]: SERVED_BY.value } },
  },
};

export const benchClusterPolicy: ClusterPolicy = {
  connectionPool: {
    tcp: { maxConnections: 1000 },
    http: { http1MaxPendingRequests: 1000, maxRequestsPerConnection: 0 },
  },
  outlierDetection: {
    consecutive5xxErrors: 5,
    consecutiveGatewayErrors: 0,
    consecutiveLocalOriginFailures: 5,
    splitExternalLocalOriginErrors: false,
    intervalMs: 10000,
    baseEjectionTimeMs: 30000,
    maxEjectionPercent: 10,
    minHealthPercent: 0,
  },
};
