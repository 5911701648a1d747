// diagnostics_channel publication points of the proxy. Publishing is guarded by hasSubscribers,
// so nothing is built when nobody listens.

import diagnostics from 'node:diagnostics_channel';

/** Published once per request when it ends. */
export const REQUEST_CHANNEL = 'isthmus:proxy:request';
/** Published when a config version is applied or rejected. */
export const CONFIG_CHANNEL = 'isthmus:proxy:config';

export interface RequestEvent {
  role: 'sidecar' | 'gateway';
  /** Listener kind: outbound, inbound or gateway. */
  listener: string;
  method: string;
  authority: string;
  path: string;
  /** 0 when no response was sent (the downstream went away first). */
  status: number;
  /** Envoy response flags, comma-joined; `-` when none. */
  flags: string;
  /** Route name, '' when no route matched. */
  route: string;
  cluster: string;
  /** `address:port` of the upstream endpoint, '' when none was picked. */
  endpoint: string;
  durationMs: number;
}

export interface ConfigEvent {
  version: string;
  status: 'applied' | 'rejected';
  error?: string;
}

export const requestChannel = diagnostics.channel(REQUEST_CHANNEL);
export const configChannel = diagnostics.channel(CONFIG_CHANNEL);
