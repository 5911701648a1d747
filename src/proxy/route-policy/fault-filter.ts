// VirtualService fault injection: a delay (flag DI) and then an abort (flag FI), each for a share
// of requests. The only filter here that waits: the request is held on a timer and dropped if the
// client leaves meanwhile.

import type { Exchange } from '../exchange.ts';
import type { Filter, Handler } from '../filter.ts';
import { ResponseFlag } from '../response-flags.ts';
import type { FaultAbort, FaultPolicy } from './compile.ts';

export interface FaultOptions {
  /** [0, 1), as Math.random; injected by tests. */
  random?: () => number;
}

/** Envoy's body for an HTTP abort. */
export const FAULT_ABORT_BODY = 'fault filter abort';

function addFlag(ex: Exchange, f: string): void {
  ex.flags = ex.flags === '' ? f : `${ex.flags},${f}`;
}

export function faultFilter(f: FaultPolicy, opts: FaultOptions = {}): Filter {
  const random = opts.random ?? Math.random;
  const hit = (pct: number): boolean => pct >= 100 || (pct > 0 && random() * 100 < pct);
  const { delay, abort } = f;
  return (next) => {
    const afterDelay: Handler = abort === null ? next : (ex) => (hit(abort.percentage) ? abortReply(ex, abort) : next(ex));
    if (delay === null) return afterDelay;
    return (ex) => {
      if (!hit(delay.percentage)) return afterDelay(ex);
      addFlag(ex, ResponseFlag.DelayInjected);
      setTimeout(() => {
        if (ex.closed) return;
        try {
          afterDelay(ex);
        } catch (e) {
          // Off the connection's dispatch now: answer here rather than throw from a timer.
          if (!ex.responseStarted) ex.localReply(500, '-', `internal error: ${(e as Error).message}`);
          else ex.abort('-', 'internal error');
        }
      }, delay.ms);
    };
  };
}

function abortReply(ex: Exchange, a: FaultAbort): void {
  if (a.httpStatus !== null) return ex.localReply(a.httpStatus, ResponseFlag.FaultInjected, FAULT_ABORT_BODY);
  // gRPC: a trailers-only style answer, HTTP 200 with the status in grpc-status.
  addFlag(ex, ResponseFlag.FaultInjected);
  ex.directReply(200, '', [
    ['content-type', 'application/grpc'],
    ['grpc-status', String(a.grpcStatus)],
    ['grpc-message', FAULT_ABORT_BODY],
  ]);
}
