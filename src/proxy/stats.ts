// Hand-kept counters behind GET /stats. Plain numbers and small objects: the request path pays a
// property increment, not a metrics-library call.

export class ProxyStats {
  requests = 0;
  /** Responses by status code (0 = none sent, the downstream went away). */
  readonly byStatus: Record<number, number> = {};
  /** Requests by response flag (only those with a flag). */
  readonly byFlag: Record<string, number> = {};
  downstreamConnections = 0;
  downstreamConnectionsActive = 0;
  upstreamConnections = 0;
  upstreamConnectionsActive = 0;
  upstreamConnectFailures = 0;
  /** Requests sent on a pooled (reused) upstream connection. */
  upstreamReused = 0;
  /** Requests retried on a fresh connection after a reused one closed before responding. */
  upstreamResetRetries = 0;
  /** Retries made under a route's retry policy. */
  upstreamRetries = 0;
  /** Requests that hit a route or per-try timeout. */
  upstreamTimeouts = 0;
  /** Copies sent by traffic mirroring, and those that failed (never seen by the caller). */
  mirroredRequests = 0;
  mirrorFailures = 0;
  configsApplied = 0;
  configsRejected = 0;
  configVersion: string | null = null;
  lastRejectedVersion: string | null = null;
  lastRejectReason: string | null = null;
  discoveryConnects = 0;
  /** Plaintext connections refused by a STRICT PeerAuthentication. */
  plaintextRejected = 0;
  /** Downstream TLS handshakes that failed (no or untrusted client certificate, bad SNI, timeouts). */
  tlsHandshakeErrors = 0;
  /** Upstream TLS connections (mesh mTLS or origination). */
  upstreamTlsConnections = 0;
  /** Workload certificates received (the first one and each rotation). */
  certificatesReceived = 0;

  record(status: number, flags: string): void {
    this.requests++;
    this.byStatus[status] = (this.byStatus[status] ?? 0) + 1;
    if (flags !== '') {
      // Flags are comma-joined when several apply; count each.
      for (const f of flags.split(',')) this.byFlag[f] = (this.byFlag[f] ?? 0) + 1;
    }
  }

  toJSON(): Record<string, unknown> {
    return {
      requests: { total: this.requests, byStatus: { ...this.byStatus }, byFlag: { ...this.byFlag } },
      downstream: { connections: this.downstreamConnections, active: this.downstreamConnectionsActive },
      upstream: {
        connections: this.upstreamConnections,
        active: this.upstreamConnectionsActive,
        connectFailures: this.upstreamConnectFailures,
        reusedRequests: this.upstreamReused,
        resetRetries: this.upstreamResetRetries,
        retries: this.upstreamRetries,
        timeouts: this.upstreamTimeouts,
        mirrored: this.mirroredRequests,
        mirrorFailures: this.mirrorFailures,
      },
      config: {
        version: this.configVersion,
        applied: this.configsApplied,
        rejected: this.configsRejected,
        lastRejectedVersion: this.lastRejectedVersion,
        lastRejectReason: this.lastRejectReason,
      },
      discovery: { connects: this.discoveryConnects },
      tls: {
        plaintextRejected: this.plaintextRejected,
        handshakeErrors: this.tlsHandshakeErrors,
        upstreamConnections: this.upstreamTlsConnections,
        certificatesReceived: this.certificatesReceived,
      },
    };
  }
}
