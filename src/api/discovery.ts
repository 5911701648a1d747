// The discovery protocol between the control plane and proxies, over plain HTTP/1.1:
//
//   proxy -> GET  /v1/discovery?node=<url-encoded JSON ProxyNode>&version=<last applied or empty>
//            200, `application/x-ndjson`, one DiscoveryMessage per line, held open. The control
//            plane sends a `config` message at once when the proxy's version differs from its
//            current one, again on every change, and a `ping` every few seconds.
//   proxy -> POST /v1/discovery/ack  body: Ack   (204)
//
// A proxy applies a version whole or not at all. When the stream ends it keeps serving the
// last config it applied and reconnects with backoff.

import type { ProxyConfig } from './proxy-config.ts';

export const DISCOVERY_PATH = '/v1/discovery';
export const ACK_PATH = '/v1/discovery/ack';
export const PING_INTERVAL_MS = 5000;

export type DiscoveryMessage =
  | { type: 'config'; config: ProxyConfig }
  | { type: 'ping' }
  | { type: 'error'; message: string };

export interface Ack {
  node: string;
  version: string;
  /** Present for a NACK: why the proxy refused the version. */
  error?: string;
}
