// Envoy response flags this proxy sets (Envoy `%RESPONSE_FLAGS%` short names).

export const ResponseFlag = {
  /** No healthy upstream host in the cluster. */
  NoHealthyUpstream: 'UH',
  /** Connecting to the upstream failed. */
  UpstreamConnectionFailure: 'UF',
  /** The upstream connection was terminated before a complete response. */
  UpstreamConnectionTermination: 'UC',
  /** No route (or route table, or virtual host) for the request. */
  NoRouteFound: 'NR',
  /** The route names a cluster the config does not have, or no destination at all. */
  NoClusterFound: 'NC',
  /** The downstream closed the connection before the response was complete. */
  DownstreamConnectionTermination: 'DC',
  /** The downstream sent a malformed request. */
  DownstreamProtocolError: 'DPE',
  /** The upstream sent a malformed response. */
  UpstreamProtocolError: 'UPE',
  /** The downstream did not send a complete request head in time. */
  StreamIdleTimeout: 'SI',
  /** The route timeout (or a try's timeout, with no retry left) expired before the response. */
  UpstreamRequestTimeout: 'UT',
  /** A retry was wanted but the route's retry attempts were used up. */
  UpstreamRetryLimitExceeded: 'URX',
  /** A fault was injected: abort. */
  FaultInjected: 'FI',
  /** A fault was injected: delay. */
  DelayInjected: 'DI',
  /** A connection pool limit was reached (circuit breaking). */
  UpstreamOverflow: 'UO',
  /** The upstream reset the connection (TCP RST) before a complete response. */
  UpstreamRemoteReset: 'UR',
  /** The proxy reset the request itself: it shut down with the request still in flight. */
  LocalReset: 'LR',
  /**
   * Rate limited locally (429). Reserved: Istio configures local rate limits only through
   * EnvoyFilter, which Isthmus rejects, so no Isthmus config produces it yet.
   */
  RateLimited: 'RL',
} as const;

export type ResponseFlag = (typeof ResponseFlag)[keyof typeof ResponseFlag];
