// VirtualService headers.request and headers.response. Envoy's order: remove, then set, then add.

import type { Exchange } from '../exchange.ts';
import type { Filter } from '../filter.ts';
import type { HeaderOperations } from './compile.ts';

/** Applies request header operations to the upstream request (also used for a picked destination's own). */
export function applyRequestHeaders(ex: Exchange, h: HeaderOperations): void {
  if (h.requestEdits !== null) {
    ex.applyHeaderEdits(h.requestEdits);
    return;
  }
  for (const name of h.remove) ex.removeRequestHeader(name);
  for (const [name, value] of h.set) ex.setRequestHeader(name, value);
  for (const [name, value] of h.add) {
    // `add` appends; the Exchange edits by replacing, so the value becomes a comma-joined list
    // of what is there (after the edits above) and the new value, the same field semantically.
    const edited = ex.headerEdits?.get(name);
    const current = edited === null ? undefined : (edited ?? ex.header(name));
    ex.setRequestHeader(name, current === undefined || current === '' ? value : `${current},${value}`);
  }
}

/** Applies response header operations to whatever response goes to the client. */
export function applyResponseHeaders(ex: Exchange, h: HeaderOperations): void {
  ex.responseHeaderOps.applyCompiled(h.response);
}

export function requestHeadersFilter(h: HeaderOperations): Filter {
  return (next) => (ex) => {
    applyRequestHeaders(ex, h);
    next(ex);
  };
}

export function responseHeadersFilter(h: HeaderOperations): Filter {
  return (next) => (ex) => {
    applyResponseHeaders(ex, h);
    next(ex);
  };
}
