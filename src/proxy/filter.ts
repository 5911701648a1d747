// The one filter primitive: a filter wraps the next handler and returns a handler. Chains are
// composed once per route when a config version is compiled, never per request.

import type { Exchange } from './exchange.ts';

/** Handles one request. Synchronous entry; the exchange carries the rest of the lifecycle. */
export type Handler = (ex: Exchange) => void;

export type Filter = (next: Handler) => Handler;

/** `compose([a, b], t)` runs a, then b, then t. */
export function compose(filters: readonly Filter[], terminal: Handler): Handler {
  let h = terminal;
  for (let i = filters.length - 1; i >= 0; i--) h = (filters[i] as Filter)(h);
  return h;
}
