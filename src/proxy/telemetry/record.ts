// What the proxy knows about one finished HTTP request, for access logs (and, later, taps and
// spans). Built only when something consumes it; metrics read the exchange's counters directly.

export interface RequestRecord {
  /** Start of the request (epoch milliseconds). */
  startTime: number;
  method: string;
  /** The path as the client sent it (before any rewrite). */
  path: string;
  /** `HTTP/1.1`, `HTTP/1.0` or `HTTP/2`. */
  protocol: string;
  /** 0 when no response was sent. */
  status: number;
  /** Envoy response flags, comma-joined; `-` when none. */
  flags: string;
  /** `via_upstream` for a forwarded response, else a short snake_case reason (e.g. `route_not_found`). */
  responseCodeDetails: string;
  /** Why the upstream connection failed (TLS or connect error), '' when it did not. */
  upstreamTransportFailureReason: string;
  /** Downstream wire bytes received (head and body) and sent. */
  bytesReceived: number;
  bytesSent: number;
  /** Whole request, start to last byte sent (ms, integer). */
  durationMs: number;
  /** From sending the request upstream to the response head (ms), null when there was no upstream response. */
  upstreamServiceTimeMs: number | null;
  xForwardedFor: string | null;
  userAgent: string | null;
  requestId: string | null;
  authority: string;
  /** `address:port` of the upstream endpoint, '' when none. */
  upstreamHost: string;
  /** Cluster name, '' when none. */
  upstreamCluster: string;
  /** `address:port` of the proxy's side of the upstream connection, '' when none. */
  upstreamLocalAddress: string;
  /** `address:port` the downstream connected to. */
  downstreamLocalAddress: string;
  /** `address:port` of the downstream peer. */
  downstreamRemoteAddress: string;
  /** SNI of the downstream TLS connection, '' without TLS. */
  requestedServerName: string;
  /** Route name, '' when no route matched. */
  routeName: string;
  /** `inbound`, `outbound` or `gateway`. */
  listener: string;
}
