// The terminal handler of a forwarding route: pick a destination cluster and endpoint, send the
// request over a pooled HTTP/1.1 connection, and stream the response back. One UpstreamRequest
// per attempt-set; it owns the upstream connection while the exchange runs.
//
// Failure handling (see docs/lifecycle.md):
// - unknown cluster → 503 NC; no endpoint → 503 UH;
// - connect fails → one more try on another endpoint of the cluster when there is one, else 503 UF;
// - a reused keep-alive connection closes before any response byte, for a request without a
//   body → one retry on a fresh connection (the classic keep-alive race), else 503 UC;
// - malformed response → 502 UPE; failure after the response head was sent → downstream reset.

import { randomUUID } from 'node:crypto';
import { ChunkedDecoder } from './chunked-decoder.ts';
import { BodyKind, type Exchange, type RequestBodySink, type ResponseSource } from './exchange.ts';
import type { Handler } from './filter.ts';
import { isHopByHop } from './hop-by-hop.ts';
import { findHeadEnd, MAX_HEAD_BYTES, parseResponseHead, type ResponseHead } from './http1-parser.ts';
import type { ClusterRuntime, EndpointRuntime } from './load-balancer.ts';
import { ResponseFlag } from './response-flags.ts';
import type { CompiledRoute } from './router.ts';
import type { ProxyStats } from './stats.ts';
import type { EndpointPool, UpstreamConn, UpstreamOwner } from './upstream-pool.ts';

/** Builds the forwarding terminal for a route whose destinations are set. */
export function createForwarder(route: CompiledRoute, stats: ProxyStats): Handler {
  const dest = route.destinations;
  if (dest === null) throw new Error('createForwarder: route has no destinations');
  const routeName = route.name;
  if (dest.names.length === 0) {
    return (ex) => {
      ex.routeName = routeName;
      ex.localReply(503, ResponseFlag.NoClusterFound, `route ${JSON.stringify(routeName)} has no destination`);
    };
  }
  return (ex) => {
    ex.routeName = routeName;
    const i = dest.pickIndex(Math.random());
    const name = dest.names[i] as string;
    ex.clusterName = name;
    const cluster = dest.clusters[i] ?? null;
    if (cluster === null) {
      ex.localReply(503, ResponseFlag.NoClusterFound, `cluster ${JSON.stringify(name)} not found`);
      return;
    }
    const ep = cluster.pick();
    if (ep === null) {
      ex.localReply(503, ResponseFlag.NoHealthyUpstream, `no healthy upstream for cluster ${JSON.stringify(name)}`);
      return;
    }
    new UpstreamRequest(ex, cluster, ep, stats).start();
  };
}

/** The upstream request head: origin-form, original authority, hop-by-hop fields removed, proxy fields added. */
export function buildRequestHead(ex: Exchange): string {
  let s = `${ex.method} ${ex.path} HTTP/1.1\r\nhost: ${ex.authority}\r\n`;
  const names = ex.names;
  const values = ex.values;
  const tokens = ex.connectionTokens;
  const gateway = ex.listener === 'gateway';
  let hasRequestId = false;
  let hasProto = false;
  let xff: string | null = null;
  for (let i = 0; i < names.length; i++) {
    const n = names[i] as string;
    switch (n) {
      case 'host':
      case 'expect': // answered by the proxy itself (100-continue)
        continue;
      case 'x-request-id':
        hasRequestId = true;
        break;
      case 'x-forwarded-proto':
        if (gateway) continue;
        hasProto = true;
        break;
      case 'x-forwarded-for':
        if (gateway) {
          xff = xff === null ? (values[i] as string) : `${xff}, ${values[i] as string}`;
          continue;
        }
        break;
      default:
        if (isHopByHop(n, tokens)) continue;
    }
    s += `${n}: ${values[i] as string}\r\n`;
  }
  if (!hasRequestId) s += `x-request-id: ${randomUUID()}\r\n`;
  if (gateway) {
    s += `x-forwarded-for: ${xff === null ? ex.clientAddress : `${xff}, ${ex.clientAddress}`}\r\nx-forwarded-proto: http\r\n`;
  } else if (!hasProto && ex.listener === 'inbound') {
    s += 'x-forwarded-proto: http\r\n';
  }
  return `${s}\r\n`;
}

const R_HEAD = 0;
const R_BODY = 1;
const R_DONE = 2;

class UpstreamRequest implements UpstreamOwner, RequestBodySink, ResponseSource {
  readonly #ex: Exchange;
  readonly #cluster: ClusterRuntime;
  #ep: EndpointRuntime;
  #pool: EndpointPool;
  readonly #stats: ProxyStats;
  #conn: UpstreamConn | null = null;
  #head: string | null = null;
  #connectRetried = false;
  #resetRetried = false;
  #bodyAttached = false;
  #requestSent = false;
  #anyResponseBytes = false;
  #aborted = false;
  // Response parsing.
  #state: number = R_HEAD;
  #pending: Buffer | null = null;
  #scanFrom = 0;
  #resKind: BodyKind = BodyKind.None;
  #remaining = 0;
  #decoder: ChunkedDecoder | null = null;
  #decodeSink: ((buf: Buffer, start: number, end: number) => void) | null = null;
  #reusable = true;
  #countedActive = false;

  constructor(ex: Exchange, cluster: ClusterRuntime, ep: EndpointRuntime, stats: ProxyStats) {
    this.#ex = ex;
    this.#cluster = cluster;
    this.#ep = ep;
    this.#stats = stats;
    this.#pool = ep.pool as EndpointPool;
  }

  start(): void {
    const ex = this.#ex;
    ex.endpointKey = this.#ep.key;
    ex.setResponseSource(this);
    this.#pool.active++;
    this.#countedActive = true;
    const idle = this.#pool.takeIdle(this);
    if (idle !== null) {
      this.#stats.upstreamReused++;
      this.#conn = idle;
      this.#send(idle);
    } else {
      this.#conn = this.#pool.connect(this);
    }
  }

  #send(conn: UpstreamConn): void {
    const ex = this.#ex;
    this.#head ??= buildRequestHead(ex);
    const sock = conn.socket;
    if (ex.bodyKind === BodyKind.None) {
      // The common case: the head is the whole request, one plain write.
      sock.write(this.#head, 'latin1');
      if (!this.#bodyAttached) {
        this.#bodyAttached = true;
        ex.attachRequestBody(this);
      } else this.#requestSent = true; // A retry: the head is the whole request.
      return;
    }
    // Head and any body bytes already received go out in one write.
    sock.cork();
    sock.write(this.#head, 'latin1');
    if (!this.#bodyAttached) {
      this.#bodyAttached = true;
      ex.attachRequestBody(this);
    }
    sock.uncork();
  }

  #release(): void {
    if (this.#countedActive) {
      this.#countedActive = false;
      this.#pool.active--;
    }
  }

  // ---- UpstreamOwner ----

  onUpstreamConnect(conn: UpstreamConn): void {
    if (this.#aborted) {
      conn.destroy();
      return;
    }
    this.#send(conn);
  }

  onUpstreamData(chunk: Buffer): void {
    this.#anyResponseBytes = true;
    try {
      this.#onData(chunk);
      // A head that arrived without body bytes goes out now; streaming must not wait for the next chunk.
      if (this.#state === R_BODY) this.#ex.respondFlush();
    } catch (e) {
      this.#protocolError((e as Error).message);
    }
  }

  #onData(chunk: Buffer): void {
    let buf = chunk;
    let i = 0;
    const p = this.#pending;
    if (p !== null) {
      this.#pending = null;
      buf = Buffer.concat([p, chunk]);
    }
    const ex = this.#ex;
    while (i < buf.length) {
      if (this.#state === R_HEAD) {
        const end = findHeadEnd(buf, i + this.#scanFrom);
        if (end === -1) {
          if (buf.length - i > MAX_HEAD_BYTES) throw new Error(`response header section larger than ${MAX_HEAD_BYTES} bytes`);
          // Copied: the read buffer is reused.
          this.#pending = Buffer.from(buf.subarray(i));
          this.#scanFrom = buf.length - i;
          return;
        }
        this.#scanFrom = 0;
        const head = parseResponseHead(buf, i, end);
        i = end;
        if (head.status < 200) {
          // 1xx: interim responses are not forwarded (the proxy answers Expect itself); 101 needs Upgrade, which is not forwarded.
          if (head.status === 101) throw new Error('unexpected 101 Switching Protocols');
          continue;
        }
        if (this.#startResponse(head) === R_DONE) {
          if (i < buf.length) this.#reusable = false; // Bytes after a complete response.
          this.#complete();
          return;
        }
        continue;
      }
      if (this.#state === R_BODY) {
        switch (this.#resKind) {
          case BodyKind.Length: {
            const n = Math.min(this.#remaining, buf.length - i);
            this.#remaining -= n;
            if (!ex.respondData(buf, i, i + n)) this.#conn?.pause();
            i += n;
            if (this.#remaining === 0) {
              if (i < buf.length) this.#reusable = false;
              this.#complete();
              return;
            }
            break;
          }
          case BodyKind.Chunked: {
            const d = this.#decoder as ChunkedDecoder;
            const end = d.execute(buf, i, buf.length, this.#decodeSink);
            if (this.#decodeSink === null && end > i) {
              if (!ex.respondData(buf, i, end)) this.#conn?.pause();
            }
            i = end;
            if (d.done) {
              if (i < buf.length) this.#reusable = false;
              this.#complete();
              return;
            }
            break;
          }
          default: {
            // Until close.
            if (!ex.respondData(buf, i, buf.length)) this.#conn?.pause();
            i = buf.length;
          }
        }
        continue;
      }
      // R_DONE: unexpected bytes.
      this.#reusable = false;
      return;
    }
  }

  /** Sends the response head downstream; returns the new state (R_DONE for a response without body). */
  #startResponse(head: ResponseHead): number {
    const ex = this.#ex;
    const status = head.status;
    let kind: BodyKind;
    if (ex.method === 'HEAD' || status === 204 || status === 304) kind = BodyKind.None;
    else if (head.chunked) kind = BodyKind.Chunked;
    else if (head.contentLength >= 0) kind = head.contentLength === 0 ? BodyKind.None : BodyKind.Length;
    else kind = BodyKind.UntilClose;
    if (head.close || head.minor === 0) this.#reusable = false;
    let sendKind: BodyKind = kind;
    if (kind === BodyKind.Chunked) {
      this.#decoder = new ChunkedDecoder();
      if (ex.wantsDecodedBody) {
        // The downstream cannot take chunked framing: send decoded bytes and close at the end.
        this.#decodeSink = (b, s, e) => {
          if (!ex.respondData(b, s, e)) this.#conn?.pause();
        };
        sendKind = BodyKind.UntilClose;
      }
    } else if (kind === BodyKind.Length) this.#remaining = head.contentLength;
    else if (kind === BodyKind.UntilClose) this.#reusable = false;
    this.#resKind = kind;
    ex.respondHead({
      status,
      reason: head.reason,
      names: head.names,
      values: head.values,
      connectionTokens: head.connectionTokens,
      bodyKind: sendKind,
      contentLength: head.contentLength,
    });
    this.#state = kind === BodyKind.None ? R_DONE : R_BODY;
    return this.#state;
  }

  #complete(): void {
    this.#state = R_DONE;
    this.#release();
    const conn = this.#conn;
    this.#conn = null;
    this.#ex.setResponseSource(null);
    if (conn !== null) {
      if (this.#reusable && this.#requestSent && !conn.closed) this.#pool.release(conn);
      else conn.destroy();
    }
    this.#ex.respondEnd();
  }

  onUpstreamEnd(): void {
    if (this.#state === R_BODY && this.#resKind === BodyKind.UntilClose) {
      this.#reusable = false;
      this.#complete();
      return;
    }
    // FIN before a complete response: wait for 'close' to decide (it follows at once).
    this.#conn?.socket.destroy();
  }

  onUpstreamClose(err: Error | null, connected: boolean): void {
    const conn = this.#conn;
    this.#conn = null;
    if (this.#state === R_DONE || this.#aborted) return;
    const ex = this.#ex;
    if (!connected) {
      this.#stats.upstreamConnectFailures++;
      // Connect failure: try another endpoint once, if the cluster has one.
      if (!this.#connectRetried) {
        this.#connectRetried = true;
        const next = this.#cluster.pick(this.#ep);
        if (next !== null && next !== this.#ep && next.pool !== null) {
          this.#switchEndpoint(next);
          this.#conn = this.#pool.connect(this);
          return;
        }
      }
      this.#release();
      ex.setResponseSource(null);
      const code = (err as NodeJS.ErrnoException | null)?.code ?? 'connection failure';
      ex.localReply(503, ResponseFlag.UpstreamConnectionFailure, `upstream connect error: ${code} (${this.#ep.key}, cluster ${ex.clusterName})`);
      return;
    }
    if (this.#state === R_HEAD && !this.#anyResponseBytes && conn !== null && conn.uses > 0 && ex.bodyKind === BodyKind.None && !this.#resetRetried) {
      // A pooled connection the upstream closed as we reused it: safe to retry, nothing was processed.
      this.#resetRetried = true;
      this.#stats.upstreamResetRetries++;
      this.#requestSent = false;
      this.#conn = this.#pool.connect(this);
      return;
    }
    this.#release();
    ex.setResponseSource(null);
    const why = err !== null ? ((err as NodeJS.ErrnoException).code ?? err.message) : 'connection termination';
    if (!ex.responseStarted) {
      ex.localReply(503, ResponseFlag.UpstreamConnectionTermination, `upstream connect error or disconnect/reset before headers: ${why} (${this.#ep.key})`);
    } else {
      ex.abort(ResponseFlag.UpstreamConnectionTermination, `upstream reset during the response: ${why}`);
    }
  }

  #switchEndpoint(ep: EndpointRuntime): void {
    this.#release();
    this.#ep = ep;
    this.#pool = ep.pool as EndpointPool;
    this.#pool.active++;
    this.#countedActive = true;
    this.#ex.endpointKey = ep.key;
  }

  onUpstreamDrain(): void {
    this.#ex.resumeRequestBody();
  }

  #protocolError(message: string): void {
    const conn = this.#conn;
    this.#conn = null;
    this.#state = R_DONE;
    this.#release();
    conn?.destroy();
    const ex = this.#ex;
    ex.setResponseSource(null);
    if (!ex.responseStarted) ex.localReply(502, ResponseFlag.UpstreamProtocolError, `upstream sent a malformed response: ${message}`);
    else ex.abort(ResponseFlag.UpstreamProtocolError, message);
  }

  // ---- RequestBodySink ----

  onRequestData(buf: Buffer, start: number, end: number): boolean {
    const conn = this.#conn;
    if (conn === null || this.#state === R_DONE) return true;
    return conn.socket.write(start === 0 && end === buf.length ? buf : buf.subarray(start, end));
  }

  onRequestEnd(): void {
    this.#requestSent = true;
    // An early response already completed while the body was in flight: that connection was not reusable.
  }

  // ---- ResponseSource ----

  onDownstreamDrain(): void {
    this.#conn?.resume();
  }

  onDownstreamAbort(): void {
    this.#aborted = true;
    this.#release();
    const conn = this.#conn;
    this.#conn = null;
    conn?.destroy();
  }
}
