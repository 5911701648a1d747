// Traffic mirroring (VirtualService `mirror`/`mirrors`): fire and forget. A copy of the request
// goes to an endpoint of the mirror cluster with `-shadow` appended to its host; the response is
// read and dropped, and nothing about the copy (slowness, errors) reaches the caller.
//
// A request body is teed as it streams (a tap beside the upstream request, decoding chunked
// framing for the copy). The copy is dropped when it falls more than MIRROR_BUFFER_LIMIT bytes
// behind: the caller's upload never waits for the mirror.

import http from 'node:http';
import type { Logger } from '../shared/index.ts';
import type { Filter } from './filter.ts';
import type { ClusterRuntime } from './load-balancer.ts';
import { ChunkedDecoder } from './chunked-decoder.ts';
import { BodyKind, type BodyTap, type Exchange } from './exchange.ts';
import type { ProxyStats } from './stats.ts';

export interface CompiledMirror {
  cluster: ClusterRuntime | null;
  percentage: number;
}

/** How long a mirrored request may take before it is dropped. */
const MIRROR_TIMEOUT_MS = 10_000;

/** Body bytes a mirrored request may have waiting to be written before it is dropped. */
export const MIRROR_BUFFER_LIMIT = 1024 * 1024;

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'upgrade', 'trailer', 'proxy-authorization', 'host', 'expect']);

/** `reviews:9080` → `reviews-shadow:9080`, as Envoy names a shadowed host. */
export function shadowHost(authority: string): string {
  const m = /^(\[[^\]]*\]|[^:]*)(:\d+)?$/.exec(authority);
  return m === null ? `${authority}-shadow` : `${m[1]}-shadow${m[2] ?? ''}`;
}

export function createMirrorFilter(mirrors: readonly CompiledMirror[], opts: { stats: ProxyStats; log: Logger; agent: http.Agent; random?: () => number }): Filter | null {
  const live = mirrors.filter((m) => m.cluster !== null && m.percentage > 0);
  if (live.length === 0) return null;
  const random = opts.random ?? Math.random;
  return (next) => (ex) => {
    for (const m of live) {
      if (m.percentage < 100 && random() * 100 >= m.percentage) continue;
      const ep = (m.cluster as ClusterRuntime).pick();
      if (ep === null) continue;
      const headers: Record<string, string> = { host: shadowHost(ex.upstreamAuthority ?? ex.authority) };
      const names = ex.head.names;
      const values = ex.head.values;
      for (let i = 0; i < names.length; i++) {
        const n = names[i] as string;
        if (HOP_BY_HOP.has(n)) continue;
        headers[n] = headers[n] === undefined ? (values[i] as string) : `${headers[n]}, ${values[i] as string}`;
      }
      opts.stats.mirroredRequests++;
      const req = http.request({ host: ep.address, port: ep.port, method: ex.method, path: ex.upstreamPath ?? ex.path, headers, agent: opts.agent, timeout: MIRROR_TIMEOUT_MS }, (res) => {
        res.resume();
      });
      req.on('timeout', () => req.destroy());
      req.on('error', (e) => {
        opts.stats.mirrorFailures++;
        opts.log.debug('mirrored request failed', { endpoint: ep.key, error: e.message });
      });
      if (ex.bodyKind === BodyKind.None) req.end();
      else ex.addBodyTap(bodyCopy(ex, req, opts.stats));
    }
    next(ex);
  };
}

/** Writes the request body to the mirrored request (decoded: node frames it again), dropping the copy if it falls behind. */
function bodyCopy(ex: Exchange, req: http.ClientRequest, stats: ProxyStats): BodyTap {
  let dropped = false;
  const write = (b: Buffer, s: number, e: number) => {
    if (dropped) return;
    if (req.writableLength > MIRROR_BUFFER_LIMIT) {
      dropped = true;
      stats.mirrorFailures++;
      req.destroy();
      return;
    }
    req.write(Buffer.from(b.subarray(s, e)));
  };
  const decoder = ex.bodyKind === BodyKind.Chunked ? new ChunkedDecoder() : null;
  return {
    data(buf, start, end) {
      if (dropped) return;
      if (decoder === null) write(buf, start, end);
      else {
        try {
          decoder.execute(buf, start, end, write);
        } catch {
          dropped = true;
          req.destroy();
        }
      }
    },
    end() {
      if (!dropped) req.end();
    },
  };
}
