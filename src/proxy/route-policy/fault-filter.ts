// VirtualService fault injection: a delay (flag DI) and then an abort (flag FI), each for a share
// of requests. The only filter here that waits: the request is held on a timer and dropped if the
// client leaves meanwhile.

import { BodyKind, type Exchange } from '../exchange.ts';
import { parseResponseHead, type Http1Head } from '../http1-parser.ts';
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
  const grpcHead = abort !== null && abort.grpcStatus !== null ? grpcAbortHead(abort.grpcStatus) : null;
  return (next) => {
    const afterDelay: Handler = abort === null ? next : (ex) => (hit(abort.percentage) ? abortReply(ex, abort, grpcHead) : next(ex));
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

function abortReply(ex: Exchange, a: FaultAbort, grpcHead: Http1Head | null): void {
  if (grpcHead === null) return ex.localReply(a.httpStatus ?? 500, ResponseFlag.FaultInjected, FAULT_ABORT_BODY);
  addFlag(ex, ResponseFlag.FaultInjected);
  ex.respondHead({ status: 200, head: grpcHead, bodyKind: BodyKind.Length, contentLength: 0 });
  ex.respondEnd();
}

/**
 * A gRPC abort: HTTP 200 with the status in grpc-status and no body. Sent as a response head
 * (parsed once here) rather than a local reply, whose content-type is text/plain.
 */
function grpcAbortHead(code: number): Http1Head {
  const raw = Buffer.from(
    `HTTP/1.1 200 OK\r\ncontent-type: application/grpc\r\ngrpc-status: ${code}\r\ngrpc-message: ${FAULT_ABORT_BODY}\r\ncontent-length: 0\r\n\r\n`,
    'latin1',
  );
  return parseResponseHead(raw, 0, raw.length);
}
