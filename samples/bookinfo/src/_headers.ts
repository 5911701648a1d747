// The request headers every Bookinfo service copies from its incoming request onto the calls it
// makes. Tracing systems and the mesh's routing rules (e.g. match on `end-user`) rely on them.

import type { IncomingHttpHeaders } from 'node:http';

export const PROPAGATED_HEADERS: readonly string[] = Object.freeze([
  // request correlation and tracing
  'x-request-id',
  'traceparent',
  'tracestate',
  'x-b3-traceid',
  'x-b3-spanid',
  'x-b3-parentspanid',
  'x-b3-sampled',
  'x-b3-flags',
  'x-ot-span-context',
  'x-cloud-trace-context',
  'x-datadog-trace-id',
  'x-datadog-parent-id',
  'x-datadog-sampling-priority',
  'grpc-trace-bin',
  'sw8',
  // identity and routing
  'end-user',
  'user-agent',
  'cookie',
  'authorization',
  'jwt',
]);

/** The subset of `incoming` named in PROPAGATED_HEADERS, as single string values. */
export function forwardHeaders(incoming: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of PROPAGATED_HEADERS) {
    const v = incoming[name];
    if (typeof v === 'string') out[name] = v;
    else if (Array.isArray(v) && v.length > 0) out[name] = v.join(', ');
  }
  return out;
}
