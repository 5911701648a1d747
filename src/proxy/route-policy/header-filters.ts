// VirtualService headers.request and headers.response. Envoy's order: remove, then set, then add.

import type { Filter } from '../filter.ts';
import type { HeaderOperations } from './compile.ts';

export function requestHeadersFilter(h: HeaderOperations): Filter {
  return (next) => (ex) => {
    for (const name of h.remove) ex.removeRequestHeader(name);
    for (const [name, value] of h.set) ex.setRequestHeader(name, value);
    for (const [name, value] of h.add) {
      // `add` appends; the Exchange edits by replacing, so the value becomes a comma-joined list
      // of what is there (after the edits above) and the new value, the same field semantically.
      const edited = ex.headerEdits?.get(name);
      const current = edited === null ? undefined : (edited ?? ex.header(name));
      ex.setRequestHeader(name, current === undefined || current === '' ? value : `${current},${value}`);
    }
    next(ex);
  };
}

export function responseHeadersFilter(h: HeaderOperations): Filter {
  return (next) => (ex) => {
    const ops = ex.responseHeaderOps;
    for (const name of h.remove) ops.removeHeader(name);
    for (const [name, value] of h.set) ops.setHeader(name, value);
    for (const [name, value] of h.add) ops.addHeader(name, value);
    next(ex);
  };
}
