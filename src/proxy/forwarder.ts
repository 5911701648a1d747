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
//
// Retrying a request with a body: while a route has retries, the body is copied as it streams
// to the upstream, up to RETRY_BUFFER_LIMIT bytes; a retry sends the head and the copy again,
// then the rest as it arrives. A body larger than the limit is not retried once any of it was
// sent. After body bytes reached an upstream, a retry happens when that upstream answered with
// a retriable status, or for any retriable failure (reset, per-try timeout) of an idempotent
// method; a POST or PATCH that may have been processed is not sent twice.

import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { ChunkedDecoder } from './chunked-decoder.ts';
import { BodyKind, type Exchange, type RequestBodySink, type ResponseSource } from './exchange.ts';
import type { Handler } from './filter.ts';
import { copyBytes, FIELD_STRIDE, FieldKind, findHeadEnd, type Http1Head, MAX_HEAD_BYTES, MAX_HEADERS, parseResponseHead } from './http1-parser.ts';
import type { ClusterRuntime, EndpointRuntime } from './load-balancer.ts';
import { hashKey } from './consistent-hash.ts';
import { applyRequestHeaders, applyResponseHeaders } from './route-policy/index.ts';
import type { OutBuffer } from './out-buffer.ts';
import { ResponseFlag } from './response-flags.ts';
import { UUID_LENGTH, writeUuidV4 } from './request-id.ts';
import type { CompiledRoute } from './router.ts';
import { DeadlineEntry, deadlineList, type DeadlineList, type DeadlineOwner } from './deadline.ts';
import { type ForwardPolicy, retriable, RetryState, type TryFailure } from './retry.ts';
import type { ProxyStats } from './stats.ts';
import type { EndpointPool, UpstreamConn, UpstreamOwner } from './upstream-pool.ts';

/** Builds the forwarding terminal for a route whose destinations are set. */
export function createForwarder(route: CompiledRoute, stats: ProxyStats): Handler {
  const dest = route.destinations;
  if (dest === null) throw new Error('createForwarder: route has no destinations');
  const routeName = route.name;
  const policy: ForwardPolicy = { timeoutMs: route.routePolicy.timeoutMs, retry: route.routePolicy.retries };
  const deadlines: Deadlines = {
    route: policy.timeoutMs !== null ? deadlineList(policy.timeoutMs) : null,
    perTry: policy.retry.perTryTimeoutMs !== null ? deadlineList(policy.retry.perTryTimeoutMs) : null,
  };
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
    const dh = dest.headers[i];
    if (dh !== undefined && dh !== null) {
      if (dh.request !== null) applyRequestHeaders(ex, dh.request);
      if (dh.response !== null) applyResponseHeaders(ex, dh.response);
    }
    const cluster = dest.clusters[i] ?? null;
    if (cluster === null) {
      ex.localReply(503, ResponseFlag.NoClusterFound, `cluster ${JSON.stringify(name)} not found`);
      return;
    }
    const ep = cluster.hash === null ? cluster.pick() : pickByHash(cluster, ex);
    if (ep === null) {
      ex.localReply(503, ResponseFlag.NoHealthyUpstream, `no healthy upstream for cluster ${JSON.stringify(name)}`);
      return;
    }
    new UpstreamRequest(ex, cluster, ep, stats, policy, deadlines).start();
  };
}

/** Whether field k is one the edits replace or remove; decodes the name only when its length matches one. */
function editsName(edits: ReadonlyMap<string, string | null>, head: Http1Head, k: number): boolean {
  const start = head.at[k * FIELD_STRIDE] as number;
  const n = (head.at[k * FIELD_STRIDE + 1] as number) - start;
  for (const name of edits.keys()) {
    if (name.length === n && head.buf.toString('latin1', start, start + n) === name) return true;
  }
  return false;
}

/**
 * Consistent hashing: the key from the request; with an httpCookie policy that has a ttl and a
 * request without the cookie, a new cookie value is made, used, and set on the response.
 */
function pickByHash(cluster: ClusterRuntime, ex: Exchange): EndpointRuntime | null {
  const policy = (cluster.hash as NonNullable<ClusterRuntime['hash']>).policy;
  const key = hashKey(policy, ex);
  const cookie = policy.httpCookie;
  if (key === null && cookie !== undefined && cookie.ttlMs !== undefined) {
    const value = randomBytes(8).toString('hex');
    const maxAge = cookie.ttlMs > 0 ? `; Max-Age=${Math.ceil(cookie.ttlMs / 1000)}` : '';
    ex.responseHeaderOps.addHeader('set-cookie', `${cookie.name}=${value}; Path=${cookie.path ?? '/'}${maxAge}; HttpOnly`);
    return cluster.pickFor(ex, value);
  }
  return cluster.pickFor(ex, key);
}

/** Per-field keep flags while a request head is built (scratch: heads are built synchronously). */
const KEEP = new Uint8Array(MAX_HEADERS);
const X_FORWARDED_PROTO = 'x-forwarded-proto: http\r\n';
const X_REQUEST_ID = Buffer.from('x-request-id: ', 'latin1');
const CRLF = Buffer.from('\r\n', 'latin1');
const END = CRLF;
const INBOUND_END = Buffer.from(`${X_FORWARDED_PROTO}\r\n`, 'latin1');

/**
 * The upstream request head: origin-form, the original authority as `host`, hop-by-hop fields
 * removed, proxy fields added. The request line (when it is already origin-form HTTP/1.1) and
 * the kept field lines are the bytes the client sent, copied a run at a time; only what changes
 * is written as text. Built again for a retry: the buffer it is built in is reused.
 */
export function writeRequestHead(ex: Exchange, ob: OutBuffer, sock: Socket): void {
  const head: Http1Head = ex.head;
  const at = head.at;
  const n = head.count;
  const gateway = ex.listener === 'gateway';
  const path = ex.upstreamPath ?? ex.path;
  const authority = ex.upstreamAuthority ?? ex.authority;
  // Origin-form and HTTP/1.1 already: the request line goes as received.
  const rawLine = head.minor === 1 && head.target === path;
  // A Host field naming the request's authority stays where it is; otherwise `host` is written first.
  const keepHost = head.host !== null && head.host === authority;
  const keep = KEEP;
  let hasProto = false;
  let xff: string | null = null;
  let fieldBytes = 0;
  const edits = ex.headerEdits;
  for (let k = 0; k < n; k++) {
    const kind = at[k * FIELD_STRIDE + 4] as number;
    let kept: boolean;
    if (edits !== null && editsName(edits, head, k)) {
      keep[k] = 0;
      continue;
    }
    switch (kind) {
      case FieldKind.Host:
        kept = keepHost;
        break;
      case FieldKind.Expect: // answered by the proxy itself (100-continue)
        kept = false;
        break;
      case FieldKind.ForwardedProto:
        kept = !gateway && !head.isHopByHop(k);
        if (kept) hasProto = true;
        break;
      case FieldKind.ForwardedFor:
        if (gateway) {
          const v = (head.values[k] as string);
          xff = xff === null ? v : `${xff}, ${v}`;
          kept = false;
        } else kept = !head.isHopByHop(k);
        break;
      default:
        kept = !head.isHopByHop(k);
    }
    if (kept) {
      keep[k] = 1;
      fieldBytes += (k + 1 < n ? (at[(k + 1) * FIELD_STRIDE] as number) : head.end - 2) - (at[k * FIELD_STRIDE] as number);
    } else keep[k] = 0;
  }
  // Everything written as text is latin1: one byte per character (it all came from latin1 bytes).
  let pre = rawLine ? '' : `${ex.method} ${path} HTTP/1.1\r\n`;
  if (!keepHost) pre += `host: ${authority}\r\n`;
  if (edits !== null) for (const [name, value] of edits) if (value !== null) pre += `${name}: ${value}\r\n`;
  const post = gateway
    ? Buffer.from(`x-forwarded-for: ${xff === null ? ex.clientAddress : `${xff}, ${ex.clientAddress}`}\r\n${ex.peer.tls ? 'x-forwarded-proto: https\r\n' : X_FORWARDED_PROTO}\r\n`, 'latin1')
    : !hasProto && ex.listener === 'inbound'
      ? INBOUND_END
      : END;
  const lineBytes = rawLine ? head.lineEnd + 2 - head.start : 0;
  const idBytes = head.hasRequestId ? 0 : X_REQUEST_ID.length + UUID_LENGTH + 2;
  const out = ob.take(lineBytes + pre.length + fieldBytes + idBytes + post.length);
  let o = rawLine ? copyBytes(head.buf, head.start, head.lineEnd + 2, out, 0) : 0;
  if (pre.length > 0) o += out.write(pre, o, 'latin1');
  o = head.copyLines(keep, out, o);
  if (idBytes > 0) {
    o = copyBytes(X_REQUEST_ID, 0, X_REQUEST_ID.length, out, o);
    o = writeUuidV4(out, o);
    o = copyBytes(CRLF, 0, 2, out, o);
  }
  ob.write(sock, out, copyBytes(post, 0, post.length, out, o));
}

/** Why a connection could not be made: the errno code, or for TLS and setup errors the code and message. */
function connectFailure(err: Error | null): string {
  if (err === null) return 'connection failure';
  const code = (err as NodeJS.ErrnoException).code;
  if (code === undefined) return err.message;
  return code.startsWith('ERR_') ? `${code}: ${err.message}` : code;
}

const LOCAL_FAILURE = { kind: 'local-failure' } as const;

/** Request body bytes kept for retries (per request); a larger body is not replayed. */
export const RETRY_BUFFER_LIMIT = 64 * 1024;

/** Methods a retry may repeat after the request (and its body) reached the upstream. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);

const R_HEAD = 0;
const R_BODY = 1;
const R_DONE = 2;
/** The response head was retriable: the try was abandoned and another one scheduled. */
const R_RETRY = 3;

/** The deadline lists of a route's timeout and per-try timeout (null: none). */
interface Deadlines {
  route: DeadlineList | null;
  perTry: DeadlineList | null;
}

class UpstreamRequest implements UpstreamOwner, RequestBodySink, ResponseSource, DeadlineOwner {
  readonly #ex: Exchange;
  readonly #cluster: ClusterRuntime;
  #ep: EndpointRuntime;
  #pool: EndpointPool;
  readonly #stats: ProxyStats;
  #conn: UpstreamConn | null = null;
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
  // Timeouts and retries.
  readonly #policy: ForwardPolicy;
  #retry: RetryState | null = null;
  readonly #deadlines: Deadlines;
  #routeDeadline: DeadlineEntry | null = null;
  #tryDeadline: DeadlineEntry | null = null;
  #backoffTimer: NodeJS.Timeout | null = null;
  #wakeUp: (() => void) | null = null;
  // Circuit breaking.
  #inCircuit = false;
  #waiting = false;
  #retryOutstanding = false;
  // Request body replay for retries.
  /** Copies of the body bytes so far, while they fit RETRY_BUFFER_LIMIT; null: not kept. */
  #replay: Buffer[] | null = null;
  #replayBytes = 0;
  /** Body bytes reached an upstream (of any try). */
  #bodySent = false;
  /** The downstream body is complete. */
  #requestEnded = false;
  /** A retry of a request with a body is waiting to write its head: body bytes are only kept. */
  #headPending = false;

  constructor(ex: Exchange, cluster: ClusterRuntime, ep: EndpointRuntime, stats: ProxyStats, policy: ForwardPolicy, deadlines: Deadlines) {
    this.#deadlines = deadlines;
    this.#ex = ex;
    this.#cluster = cluster;
    this.#ep = ep;
    this.#stats = stats;
    this.#pool = ep.pool as EndpointPool;
    this.#policy = policy;
  }

  start(): void {
    const ex = this.#ex;
    ex.endpointKey = this.#ep.key;
    ex.setResponseSource(this);
    this.#pool.active++;
    this.#countedActive = true;
    if (this.#cluster.counted) {
      const limits = this.#cluster.limits;
      const circuit = this.#cluster.circuit;
      if (limits !== null && circuit.requests >= limits.maxRequests) {
        this.#overflow(`http2MaxRequests=${limits.maxRequests}`);
        return;
      }
      circuit.requests++;
      this.#inCircuit = true;
    }
    const routeList = this.#deadlines.route;
    if (routeList !== null) routeList.add((this.#routeDeadline = new DeadlineEntry(this)));
    if (ex.bodyKind !== BodyKind.None && this.#policy.retry.attempts > 0) this.#replay = [];
    this.#try();
  }

  /** Starts a try on the current endpoint: a pooled connection, or a new one (circuit breaker permitting). */
  #try(): void {
    const idle = this.#pool.takeIdle(this);
    if (idle !== null) {
      this.#armTry();
      this.#stats.upstreamReused++;
      this.#conn = idle;
      this.#send(idle);
      return;
    }
    const limits = this.#cluster.limits;
    if (limits !== null) {
      const circuit = this.#cluster.circuit;
      if (circuit.connections >= limits.maxConnections) {
        // Wait for a connection of this cluster to be freed, if the pending queue has room.
        if (circuit.pending >= limits.maxPending) {
          this.#overflow(`maxConnections=${limits.maxConnections}, http1MaxPendingRequests=${limits.maxPending}`);
          return;
        }
        circuit.pending++;
        this.#waiting = true;
        circuit.waiters.push((this.#wakeUp ??= () => this.#onWakeUp()));
        return;
      }
      circuit.connections++;
      this.#armTry();
      const conn = this.#pool.connect(this);
      conn.circuit = circuit;
      this.#conn = conn;
      return;
    }
    this.#armTry();
    this.#conn = this.#pool.connect(this);
  }

  #armTry(): void {
    const list = this.#deadlines.perTry;
    if (list === null) return;
    const e = (this.#tryDeadline ??= new DeadlineEntry(this));
    if (!e.armed) list.add(e);
  }

  onDeadline(e: DeadlineEntry): void {
    if (e === this.#routeDeadline) this.#onRouteTimeout();
    else if (e === this.#tryDeadline) this.#onTryTimeout();
  }

  #onWakeUp(): void {
    this.#waiting = false;
    this.#cluster.circuit.pending--;
    if (this.#aborted || this.#state === R_DONE || this.#ex.closed) {
      this.#cluster.circuit.wake();
      return;
    }
    this.#try();
  }

  /** Circuit breaker open: 503 UO at once, saying which limit. */
  #overflow(limit: string): void {
    this.#aborted = true;
    this.#state = R_DONE;
    this.#clearTimers();
    this.#release();
    const ex = this.#ex;
    ex.setResponseSource(null);
    ex.localReply(503, ResponseFlag.UpstreamOverflow, `circuit breaker open: ${limit} on ${this.#cluster.name}`);
  }

  /** The request is over: timers cleared, its place in the circuit breaker given back. */
  #clearTimers(): void {
    this.#routeDeadline?.cancel();
    this.#tryDeadline?.cancel();
    if (this.#backoffTimer !== null) clearTimeout(this.#backoffTimer);
    this.#backoffTimer = null;
    const circuit = this.#cluster.circuit;
    if (this.#waiting) {
      this.#waiting = false;
      circuit.pending--;
      const i = this.#wakeUp === null ? -1 : circuit.waiters.indexOf(this.#wakeUp);
      if (i !== -1) circuit.waiters.splice(i, 1);
    }
    if (this.#retryOutstanding) {
      this.#retryOutstanding = false;
      circuit.retries--;
    }
    if (this.#inCircuit) {
      this.#inCircuit = false;
      circuit.requests--;
    }
  }

  /**
   * After a failed try: schedules another on a different endpoint (after a backoff) when the
   * route's retry policy covers the failure and the request can be sent again. Returns whether it did.
   */
  #retryAfter(f: TryFailure): boolean {
    const ex = this.#ex;
    if (this.#aborted || ex.closed || ex.responseStarted) return false;
    // No body; or none of it was taken yet; or it is kept for replay and sending it again is safe.
    const replayable = ex.bodyKind === BodyKind.None
      || (f.kind === 'connect-failure' && !this.#bodyAttached)
      || (this.#replay !== null && (!this.#bodySent || f.kind === 'status' || f.kind === 'connect-failure' || IDEMPOTENT.has(ex.method)));
    const rs = (this.#retry ??= new RetryState(this.#policy.retry));
    rs.tried(this.#ep);
    if (!rs.shouldRetry(f, replayable)) return false;
    if (this.#cluster.counted && !this.#retryOutstanding) {
      // maxRetries and the retry budget: retries outstanding across the cluster.
      if (!this.#cluster.retryAllowed()) return false;
      this.#cluster.circuit.retries++;
      this.#retryOutstanding = true;
    }
    const next = rs.next(this.#cluster);
    if (next === null || next.pool === null) return false;
    const conn = this.#conn;
    this.#conn = null;
    conn?.destroy();
    this.#tryDeadline?.cancel();
    this.#state = R_HEAD;
    this.#pending = null;
    this.#scanFrom = 0;
    this.#anyResponseBytes = false;
    this.#reusable = true;
    this.#requestSent = false;
    this.#decoder = null;
    this.#decodeSink = null;
    if (this.#bodyAttached && ex.bodyKind !== BodyKind.None) this.#headPending = true;
    this.#switchEndpoint(next);
    this.#stats.upstreamRetries++;
    this.#backoffTimer = setTimeout(() => {
      this.#backoffTimer = null;
      if (!this.#aborted && !this.#ex.closed) this.#try();
    }, rs.backoffMs());
    return true;
  }

  /** `flag`, plus URX when a retry was wanted but none was left (for replies the proxy makes). */
  #withRetryFlag(flag: string): string {
    return this.#retry?.exhausted === true ? `${flag},${ResponseFlag.UpstreamRetryLimitExceeded}` : flag;
  }

  /** Adds URX to a forwarded response when a retry was wanted but none was left. */
  #retryFlag(): void {
    if (this.#retry?.exhausted === true) {
      const ex = this.#ex;
      ex.flags = ex.flags === '' ? ResponseFlag.UpstreamRetryLimitExceeded : `${ex.flags},${ResponseFlag.UpstreamRetryLimitExceeded}`;
    }
  }

  #onTryTimeout(): void {
    if (this.#state !== R_HEAD || this.#aborted) return;
    this.#stats.upstreamTimeouts++;
    if (this.#retryAfter({ kind: 'per-try-timeout' })) return;
    this.#timedOut('upstream per-try timeout');
  }

  #onRouteTimeout(): void {
    if (this.#state === R_DONE || this.#aborted) return;
    this.#stats.upstreamTimeouts++;
    this.#timedOut('upstream request timeout');
  }

  /** Gives up: 504 UT when nothing was sent downstream yet, else the downstream is reset. */
  #timedOut(reason: string): void {
    this.#aborted = true;
    this.#state = R_DONE;
    this.#clearTimers();
    this.#release();
    const conn = this.#conn;
    this.#conn = null;
    conn?.destroy();
    const ex = this.#ex;
    ex.setResponseSource(null);
    if (!ex.responseStarted) ex.localReply(504, this.#withRetryFlag(ResponseFlag.UpstreamRequestTimeout), reason);
    else ex.abort(ResponseFlag.UpstreamRequestTimeout, reason);
  }

  #send(conn: UpstreamConn): void {
    const ex = this.#ex;
    const sock = conn.socket;
    if (ex.bodyKind === BodyKind.None) {
      // The common case: the head is the whole request, one plain write.
      writeRequestHead(ex, conn.out, sock);
      if (!this.#bodyAttached) {
        this.#bodyAttached = true;
        ex.attachRequestBody(this);
      } else this.#requestSent = true; // A retry: the head is the whole request.
      return;
    }
    // Head and any body bytes already received go out in one write.
    sock.cork();
    writeRequestHead(ex, conn.out, sock);
    if (!this.#bodyAttached) {
      this.#bodyAttached = true;
      ex.attachRequestBody(this);
    } else if (this.#headPending) {
      // A retry: the kept body again, then the rest as it arrives.
      this.#headPending = false;
      for (const b of this.#replay ?? []) sock.write(b);
      this.#bodySent = true;
      if (this.#requestEnded) this.#requestSent = true;
      else ex.resumeRequestBody();
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
        const st = this.#startResponse(head);
        if (st === R_RETRY) return;
        if (st === R_DONE) {
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
  #startResponse(head: Http1Head): number {
    const ex = this.#ex;
    const status = head.status;
    if (this.#cluster.outliers !== null) this.#cluster.report(this.#ep, { kind: 'status', status });
    if (status >= 400 && this.#policy.retry.attempts > 0) {
      const f: TryFailure = { kind: 'status', status, grpcStatus: null };
      if (retriable(this.#policy.retry, f) && this.#retryAfter(f)) return R_RETRY;
      this.#retryFlag();
    }
    this.#tryDeadline?.cancel();
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
    ex.respondHead({ status, head, bodyKind: sendKind, contentLength: head.contentLength });
    this.#state = kind === BodyKind.None ? R_DONE : R_BODY;
    return this.#state;
  }

  #complete(): void {
    this.#state = R_DONE;
    this.#clearTimers();
    this.#release();
    const conn = this.#conn;
    this.#conn = null;
    this.#ex.setResponseSource(null);
    if (conn !== null) {
      const perConn = this.#cluster.limits?.maxRequestsPerConnection ?? 0;
      if (this.#reusable && this.#requestSent && !conn.closed && (perConn === 0 || conn.uses + 1 < perConn)) this.#pool.release(conn);
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
      this.#cluster.report(this.#ep, LOCAL_FAILURE);
      // Connect failure: retried on another endpoint when the route's retry policy says so
      // (Istio's default does: connect-failure, 2 retries, a different host each time).
      if (this.#retryAfter({ kind: 'connect-failure' })) return;
      this.#clearTimers();
      this.#release();
      ex.setResponseSource(null);
      const code = connectFailure(err);
      ex.localReply(503, this.#withRetryFlag(ResponseFlag.UpstreamConnectionFailure), `upstream connect error: ${code} (${this.#ep.key}, cluster ${ex.clusterName})`);
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
    if (this.#state === R_HEAD) this.#cluster.report(this.#ep, LOCAL_FAILURE);
    if (this.#state === R_HEAD && this.#retryAfter({ kind: 'reset' })) return;
    this.#clearTimers();
    this.#release();
    ex.setResponseSource(null);
    const why = err !== null ? ((err as NodeJS.ErrnoException).code ?? err.message) : 'connection termination';
    // A TCP RST from the upstream is UR; a close (FIN) or other failure is UC.
    const flag = (err as NodeJS.ErrnoException | null)?.code === 'ECONNRESET' ? ResponseFlag.UpstreamRemoteReset : ResponseFlag.UpstreamConnectionTermination;
    if (!ex.responseStarted) {
      ex.localReply(503, this.#withRetryFlag(flag), `upstream connect error or disconnect/reset before headers: ${why} (${this.#ep.key})`);
    } else {
      ex.abort(flag, `upstream reset during the response: ${why}`);
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
    this.#clearTimers();
    this.#release();
    conn?.destroy();
    const ex = this.#ex;
    ex.setResponseSource(null);
    if (!ex.responseStarted) ex.localReply(502, ResponseFlag.UpstreamProtocolError, `upstream sent a malformed response: ${message}`);
    else ex.abort(ResponseFlag.UpstreamProtocolError, message);
  }

  // ---- RequestBodySink ----

  onRequestData(buf: Buffer, start: number, end: number): boolean {
    if (this.#state === R_DONE || this.#aborted) return true;
    const replay = this.#replay;
    if (replay !== null) {
      const n = end - start;
      // Past the limit the copy is dropped, unless a retry is waiting for it (then one chunk more, and reading pauses).
      if (this.#replayBytes + n <= RETRY_BUFFER_LIMIT || this.#headPending) {
        replay.push(Buffer.from(buf.subarray(start, end)));
        this.#replayBytes += n;
      } else this.#replay = null;
    }
    if (this.#headPending) return false;
    const conn = this.#conn;
    if (conn === null) return true;
    this.#bodySent = true;
    return conn.socket.write(start === 0 && end === buf.length ? buf : buf.subarray(start, end));
  }

  onRequestEnd(): void {
    this.#requestEnded = true;
    if (this.#headPending) return;
    this.#requestSent = true;
    // An early response already completed while the body was in flight: that connection was not reusable.
  }

  // ---- ResponseSource ----

  onDownstreamDrain(): void {
    this.#conn?.resume();
  }

  onDownstreamAbort(): void {
    this.#aborted = true;
    this.#clearTimers();
    this.#release();
    const conn = this.#conn;
    this.#conn = null;
    conn?.destroy();
  }
}
