// The downstream side of HTTP/1.1: one Http1ServerConnection per accepted socket, one
// Http1Exchange per request on it. Requests on a connection are handled one at a time; pipelined
// requests wait in the buffer until the previous response is complete. The connection knows
// nothing about routing: it hands each parsed request to `ListenerContext.handler`.

import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { ProxyRole } from '../api/index.ts';
import { ChunkedDecoder } from './chunked-decoder.ts';
import { clock, type ConnectionRegistry, type TimedConnection } from './connection-registry.ts';
import { requestChannel, type RequestEvent } from './diagnostics.ts';
import { HttpParseError } from './errors.ts';
import { BodyKind, ResponseHeaderOps, type BodyTap, type Exchange, type JwtIdentity, type ListenerKind, type PeerInfo, type RequestBodySink, type ResponseHeadInfo, type ResponseSource } from './exchange.ts';
import type { Handler } from './filter.ts';
import { authorityPort, copyBytes, FIELD_STRIDE, FieldKind, findHeadEnd, type Http1Head, MAX_HEAD_BYTES, MAX_HEADERS, parseRequestHead, parseTarget, skipEmptyLines } from './http1-parser.ts';
import { OutBuffer } from './out-buffer.ts';
import { ResponseFlag } from './response-flags.ts';
import type { ProxyStats } from './stats.ts';
import { statusText } from './status-text.ts';

/** Per-listener state shared by its connections. `handler` is swapped when a config version is applied. */
export interface ListenerContext {
  readonly kind: ListenerKind;
  readonly role: ProxyRole;
  /** The port from the config (inbound/gateway); 0 for the outbound listener, which reads it from each request. */
  readonly configPort: number;
  handler: Handler;
  readonly stats: ProxyStats;
  readonly registry: ConnectionRegistry;
  /** Open connections of this listener, drained when the listener is removed. */
  readonly connections: Set<Http1ServerConnection>;
  /** Whether the proxy's own responses carry `x-isthmus-reason` (the mesh config can turn it off). */
  readonly options: { reasonHeader: boolean };
}

const CONTINUE = Buffer.from('HTTP/1.1 100 Continue\r\n\r\n', 'latin1');
/** Most pipelined bytes buffered while a response is pending before reading pauses. */
const MAX_PIPELINED_BYTES = 64 * 1024;

/** Bodies up to this size are copied behind the response head into a single write. */
const SMALL_BODY = 16 * 1024;

function clientIp(socket: Socket): string {
  const a = socket.remoteAddress ?? '';
  return a.startsWith('::ffff:') ? a.slice(7) : a;
}

/** A plaintext connection's peer facts. */
export function plainPeer(socket: Socket): PeerInfo {
  const la = socket.localAddress ?? '';
  return { tls: false, identity: null, certHash: null, sni: null, localAddress: la.startsWith('::ffff:') ? la.slice(7) : la, localPort: socket.localPort ?? 0 };
}

export class Http1ServerConnection implements TimedConnection {
  readonly socket: Socket;
  readonly ctx: ListenerContext;
  readonly clientAddress: string;
  readonly peer: PeerInfo;
  #ex: Http1Exchange | null = null;
  /** Bytes received but not yet consumed: a partial head, or pipelined requests. */
  #pending: Buffer | null = null;
  /** How much of #pending has already been searched for the end of a head. */
  #scanFrom = 0;
  #feeding = false;
  #paused = false;
  #closed = false;
  /** We sent FIN (or decided to): further input is discarded. */
  #ending = false;
  #draining = false;
  /** When the connection became idle (no exchange). */
  #idleSince: number;
  /** When the first byte of the current (incomplete) head arrived; 0 when none. */
  #headSince = 0;
  /** Where response heads are written. */
  readonly out = new OutBuffer();

  constructor(socket: Socket, ctx: ListenerContext, peer?: PeerInfo, clientAddress?: string) {
    this.socket = socket;
    this.ctx = ctx;
    this.clientAddress = clientAddress ?? clientIp(socket);
    this.peer = peer ?? plainPeer(socket);
    this.#idleSince = clock.now;
    ctx.stats.downstreamConnections++;
    ctx.stats.downstreamConnectionsActive++;
    ctx.registry.add(this);
    ctx.connections.add(this);
    socket.setNoDelay(true);
    socket.on('data', this.#onData);
    socket.on('end', this.#onEnd);
    socket.on('error', this.#onError);
    socket.on('close', this.#onClose);
    socket.on('drain', this.#onDrain);
    if (ctx.registry.draining) this.drain();
  }

  get closed(): boolean {
    return this.#closed;
  }

  get draining(): boolean {
    return this.#draining;
  }

  #onData = (chunk: Buffer): void => {
    if (this.#ending || this.#closed) return;
    const p = this.#pending;
    if (p === null) {
      this.#feed(chunk, 0);
      return;
    }
    this.#pending = null;
    this.#feed(Buffer.concat([p, chunk]), this.#scanFrom);
  };

  #onEnd = (): void => {
    // The client closed its side. Between requests that ends the connection; during one it is an
    // abort (as nginx and Envoy treat it): the upstream request is cancelled and flagged DC.
    if (this.#ex === null) this.#endSocket();
    else this.socket.destroy();
  };

  #onError = (): void => {
    // 'close' follows; nothing to do beyond not crashing.
  };

  #onClose = (): void => {
    if (this.#closed) return;
    this.#closed = true;
    this.ctx.stats.downstreamConnectionsActive--;
    const ex = this.#ex;
    this.#ex = null;
    if (ex !== null) ex.downstreamClosed();
    this.ctx.connections.delete(this);
    this.ctx.registry.delete(this);
  };

  #onDrain = (): void => {
    this.#ex?.downstreamDrained();
  };

  pauseReading(): void {
    if (!this.#paused) {
      this.#paused = true;
      this.socket.pause();
    }
  }

  resumeReading(): void {
    if (this.#paused && !this.#closed) {
      this.#paused = false;
      this.socket.resume();
    }
  }

  #stash(buf: Buffer, from: number): void {
    this.#pending = from === 0 ? buf : buf.subarray(from);
  }

  /** Consumes bytes: heads, then request bodies; stops at pipelined data while a response is pending. */
  #feed(buf: Buffer, scanFrom: number): void {
    this.#feeding = true;
    let i = 0;
    try {
      while (i < buf.length && !this.#ending && !this.#closed) {
        const ex = this.#ex;
        if (ex === null) {
          if (scanFrom === 0) {
            i = skipEmptyLines(buf, i);
            if (i >= buf.length) break;
          }
          const end = findHeadEnd(buf, i + scanFrom);
          if (end === -1) {
            if (buf.length - i > MAX_HEAD_BYTES) {
              throw new HttpParseError('ISTHMUS_ERR_PROXY_HEADERS_TOO_LARGE', 431, `request header section larger than ${MAX_HEAD_BYTES} bytes`);
            }
            if (this.#headSince === 0) this.#headSince = Date.now();
            this.#stash(buf, i);
            this.#scanFrom = buf.length - i;
            break;
          }
          scanFrom = 0;
          this.#scanFrom = 0;
          this.#headSince = 0;
          const head = parseRequestHead(buf, i, end);
          i = end;
          const ex2 = this.#startExchange(head);
          // Body bytes that came with the head are taken in before routing, so a small request
          // is complete when its handler runs (and a local reply can keep the connection).
          if (!ex2.requestComplete && i < buf.length) i = ex2.feedBody(buf, i);
          this.#dispatch(ex2);
          continue;
        }
        if (!ex.requestComplete) {
          i = ex.feedBody(buf, i);
          continue;
        }
        // The request is complete and its response pending: keep pipelined bytes for later.
        this.#stash(buf, i);
        this.#scanFrom = 0;
        if (buf.length - i > MAX_PIPELINED_BYTES) this.pauseReading();
        break;
      }
    } catch (e) {
      this.#protocolError(e);
    }
    this.#feeding = false;
  }

  #startExchange(head: Http1Head): Http1Exchange {
    // CONNECT carries an authority-form target; tunnels are not supported yet.
    // Origin-form (the common case) needs no parsing of the target.
    const t = head.target.charCodeAt(0) === 47 ? null : head.method === 'CONNECT' ? { authority: head.host, path: head.target } : parseTarget(head.target);
    let authority = t === null ? head.host : (t.authority ?? head.host);
    if (authority === null) {
      if (head.minor === 1) throw new HttpParseError('ISTHMUS_ERR_PROXY_BAD_MESSAGE', 400, 'missing Host header');
      authority = '';
    }
    let port = this.ctx.configPort;
    if (this.ctx.kind === 'outbound') {
      port = authorityPort(authority, 80);
      if (port < 0) throw new HttpParseError('ISTHMUS_ERR_PROXY_BAD_MESSAGE', 400, `invalid port in authority ${JSON.stringify(authority.slice(0, 64))}`);
    }
    const bodyKind = head.chunked ? BodyKind.Chunked : head.contentLength > 0 ? BodyKind.Length : BodyKind.None;
    const ex = new Http1Exchange(this, head, authority, t === null ? head.target : t.path, port, bodyKind);
    this.#ex = ex;
    if (head.expectContinue && bodyKind !== BodyKind.None) this.socket.write(CONTINUE);
    return ex;
  }

  #dispatch(ex: Http1Exchange): void {
    if (ex.method === 'CONNECT') {
      ex.localReply(405, '-', 'CONNECT is not supported');
      return;
    }
    try {
      this.ctx.handler(ex);
    } catch (e) {
      // A bug in a filter must not take the connection (or the process) down with it.
      if (!ex.responseStarted) ex.localReply(500, '-', `internal error: ${(e as Error).message}`);
      else ex.abort('-', 'internal error');
    }
  }

  /** A malformed request: answer with its status and close (or reset, if a response is under way). */
  #protocolError(e: unknown): void {
    const err = e instanceof HttpParseError ? e : null;
    const status = err?.status ?? 400;
    const reason = err?.message ?? `bad request: ${String(e)}`;
    const ex = this.#ex;
    if (ex !== null) {
      if (ex.responseStarted) {
        ex.abort(ResponseFlag.DownstreamProtocolError, reason);
        return;
      }
      ex.localReply(status, ResponseFlag.DownstreamProtocolError, reason, true);
      return;
    }
    this.ctx.stats.record(status, ResponseFlag.DownstreamProtocolError);
    const body = `${reason}\n`;
    const head =
      `HTTP/1.1 ${status} ${statusText(status)}\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(body, 'latin1')}\r\n` +
      `x-isthmus-reason: ${ResponseFlag.DownstreamProtocolError} ${reasonHeader(reason)}\r\nconnection: close\r\n\r\n`;
    this.socket.write(head + body, 'latin1');
    this.#endSocket();
  }

  /** FIN our side, discard further input, destroy when the peer closes (or on the next sweep after a grace period). */
  #endSocket(): void {
    if (this.#ending) return;
    this.#ending = true;
    this.#pending = null;
    this.#idleSince = clock.now;
    this.resumeReading();
    this.socket.end();
  }

  /** Called by the exchange when its response is complete and its request fully read. */
  exchangeDone(ex: Http1Exchange, close: boolean): void {
    if (this.#ex !== ex) return;
    this.#ex = null;
    this.#idleSince = clock.now;
    if (close || this.#draining) {
      this.#endSocket();
      return;
    }
    if (this.#feeding) return; // #feed's loop goes on with the next pipelined request.
    const p = this.#pending;
    if (p !== null) {
      this.#pending = null;
      this.#feed(p, 0);
    }
    if (!this.#ending && this.#ex === null) this.resumeReading();
  }

  sweep(now: number): void {
    if (this.#closed) return;
    if (this.#ending) {
      // Lingering close: give the peer a few seconds to read the response and close.
      if (now - this.#idleSince > 5000) this.socket.destroy();
      return;
    }
    if (this.#ex !== null) return;
    const t = this.ctx.registry.timeouts;
    if (this.#headSince !== 0) {
      if (now - this.#headSince > t.headerMs) {
        this.#protocolError(new HttpParseError('ISTHMUS_ERR_PROXY_BAD_MESSAGE', 408, 'request header not received in time'));
      }
    } else if (now - this.#idleSince > t.idleMs) {
      this.#endSocket();
    }
  }

  drain(): void {
    this.#draining = true;
    if (this.#ex === null) this.#endSocket();
    else this.#ex.closeAfterResponse();
  }

  /** Hard close by the proxy itself (shutdown past its grace period): an exchange in flight is flagged LR. */
  destroy(): void {
    this.#ex?.localReset();
    this.socket.destroy();
  }
}

/** A copy of `buf[start, end)`: response bytes arrive in a reused read buffer. */
function copyOf(buf: Buffer, start: number, end: number): Buffer {
  const out = Buffer.allocUnsafe(end - start);
  buf.copy(out, 0, start, end);
  return out;
}

const HTTP11 = Buffer.from('HTTP/1.1', 'latin1');
const CONNECTION_CLOSE_END = Buffer.from('connection: close\r\n\r\n', 'latin1');
const KEEP_ALIVE_END = Buffer.from('connection: keep-alive\r\n\r\n', 'latin1');
const HEAD_END = Buffer.from('\r\n', 'latin1');
/** Per-field keep flags while a head is being copied (scratch: heads are copied synchronously). */
const KEEP = new Uint8Array(MAX_HEADERS);

/** `x-isthmus-reason` value: one line, bounded. */
function reasonHeader(reason: string): string {
  const r = reason.length > 200 ? `${reason.slice(0, 200)}...` : reason;
  return r.replace(/[^\t\x20-\x7e]/g, '?');
}

export class Http1Exchange implements Exchange {
  readonly role: ProxyRole;
  readonly listener: ListenerKind;
  readonly method: string;
  readonly authority: string;
  readonly path: string;
  readonly pathOnly: string;
  readonly scheme = 'http';
  readonly port: number;
  readonly clientAddress: string;
  readonly head: Http1Head;
  readonly bodyKind: BodyKind;
  readonly contentLength: number;

  flags = '';
  routeName = '';
  clusterName = '';
  endpointKey = '';
  status = 0;
  readonly peer: PeerInfo;
  jwt: JwtIdentity | null = null;
  /** Header edits for the upstream head: name -> value to set, or null to remove. */
  headerEdits: Map<string, string | null> | null = null;
  /** headerEdits is a route's shared map: copy before changing it. */
  #editsShared = false;
  upstreamPath: string | null = null;
  upstreamAuthority: string | null = null;
  #responseOps: ResponseHeaderOps | null = null;

  get responseHeaderOps(): ResponseHeaderOps {
    return (this.#responseOps ??= new ResponseHeaderOps());
  }

  readonly #conn: Http1ServerConnection;
  readonly #minor: number;
  #closeAfter: boolean;
  readonly #start: number;
  // Request body.
  #remaining: number;
  readonly #decoder: ChunkedDecoder | null;
  #sink: RequestBodySink | null = null;
  #queue: Buffer[] | null = null;
  #taps: BodyTap[] | null = null;
  #localReset = false;
  #discard = false;
  requestComplete: boolean;
  // Response.
  #src: ResponseSource | null = null;
  responseStarted = false;
  /**
   * A response head waiting to go out with the first body bytes, written into a buffer with room
   * for a small Content-Length body behind it; `#outLen` bytes of it are filled.
   */
  #out: Buffer | null = null;
  #outLen = 0;
  #responseDone = false;
  #finished = false;

  constructor(conn: Http1ServerConnection, head: Http1Head, authority: string, path: string, port: number, bodyKind: BodyKind) {
    this.#conn = conn;
    this.role = conn.ctx.role;
    this.listener = conn.ctx.kind;
    this.method = head.method;
    this.authority = authority;
    this.path = path;
    const q = path.indexOf('?');
    this.pathOnly = q === -1 ? path : path.slice(0, q);
    this.port = port;
    this.clientAddress = conn.clientAddress;
    this.peer = conn.peer;
    this.head = head;
    this.bodyKind = bodyKind;
    this.contentLength = head.contentLength;
    this.#minor = head.minor;
    this.#closeAfter = head.close;
    this.#remaining = bodyKind === BodyKind.Length ? head.contentLength : 0;
    this.#decoder = bodyKind === BodyKind.Chunked ? new ChunkedDecoder() : null;
    this.requestComplete = bodyKind === BodyKind.None;
    this.#start = performance.now();
  }

  header(name: string): string | undefined {
    const names = this.head.names;
    const values = this.head.values;
    let out: string | undefined;
    for (let i = 0; i < names.length; i++) {
      if (names[i] === name) out = out === undefined ? (values[i] as string) : `${out},${values[i] as string}`;
    }
    return out;
  }

  get wantsDecodedBody(): boolean {
    return this.#minor === 0;
  }

  // ---- request body ----

  /** Consumes body bytes from `buf[i..]`; returns the index after the last body byte. Throws HttpParseError. */
  feedBody(buf: Buffer, i: number): number {
    let end: number;
    if (this.#decoder === null) {
      const n = Math.min(this.#remaining, buf.length - i);
      this.#remaining -= n;
      end = i + n;
    } else {
      end = this.#decoder.execute(buf, i, buf.length, null);
    }
    const done = this.#decoder === null ? this.#remaining === 0 : this.#decoder.done;
    if (end > i && !this.#discard) {
      const taps = this.#taps;
      if (taps !== null) for (const tap of taps) tap.data(buf, i, end);
      const sink = this.#sink;
      if (sink !== null) {
        if (!sink.onRequestData(buf, i, end)) this.#conn.pauseReading();
      } else {
        // No receiver yet (the upstream is still connecting): hold the bytes and stop reading.
        (this.#queue ??= []).push(buf.subarray(i, end));
        if (!done) this.#conn.pauseReading();
      }
    }
    if (done) {
      this.requestComplete = true;
      if (this.#taps !== null && !this.#discard) for (const tap of this.#taps) tap.end();
      if (this.#discard) this.#maybeDone();
      else if (this.#sink !== null) this.#sink.onRequestEnd();
    }
    return end;
  }

  attachRequestBody(sink: RequestBodySink): void {
    if (this.#discard) return;
    this.#sink = sink;
    const q = this.#queue;
    this.#queue = null;
    let more = true;
    if (q !== null) for (const b of q) more = sink.onRequestData(b, 0, b.length) && more;
    if (this.requestComplete) sink.onRequestEnd();
    else if (more) this.#conn.resumeReading();
  }

  resumeRequestBody(): void {
    if (!this.requestComplete) this.#conn.resumeReading();
  }

  addBodyTap(tap: BodyTap): void {
    if (this.#discard) return;
    (this.#taps ??= []).push(tap);
    // Bytes that arrived before any sink took them are still queued; a sink attached earlier means there are none.
    if (this.#queue !== null) for (const b of this.#queue) tap.data(b, 0, b.length);
    if (this.requestComplete) tap.end();
  }

  // ---- response ----

  setResponseSource(src: ResponseSource | null): void {
    this.#src = src;
  }

  closeAfterResponse(): void {
    this.#closeAfter = true;
    if (!this.responseStarted) return;
    if (this.#responseDone) this.#maybeDone();
  }

  get closed(): boolean {
    return this.#finished;
  }

  setRequestHeader(name: string, value: string): void {
    // Values may come from tokens or authorizers: no line breaks or NULs reach the upstream head.
    this.#ownEdits().set(name, /[\r\n\0]/.test(value) ? value.replace(/[\r\n\0]/g, ' ') : value);
  }

  removeRequestHeader(name: string): void {
    this.#ownEdits().set(name, null);
  }

  applyHeaderEdits(edits: ReadonlyMap<string, string | null>): void {
    if (this.headerEdits === null) {
      // Values were checked when the route was compiled; the map is only read unless edited again.
      this.headerEdits = edits as Map<string, string | null>;
      this.#editsShared = true;
      return;
    }
    const own = this.#ownEdits();
    for (const [k, v] of edits) own.set(k, v);
  }

  #ownEdits(): Map<string, string | null> {
    const e = this.headerEdits;
    if (e === null) return (this.headerEdits = new Map());
    if (this.#editsShared) {
      this.#editsShared = false;
      return (this.headerEdits = new Map(e));
    }
    return e;
  }

  downstreamDrained(): void {
    this.#src?.onDownstreamDrain();
  }

  /** The proxy resets the downstream connection itself; the exchange ends with LR instead of DC. */
  localReset(): void {
    if (this.#finished || this.#responseDone) return;
    this.#localReset = true;
  }

  downstreamClosed(): void {
    if (this.#finished) return;
    if (!this.#responseDone) {
      this.#addFlag(this.#localReset ? ResponseFlag.LocalReset : ResponseFlag.DownstreamConnectionTermination);
      const src = this.#src;
      this.#src = null;
      src?.onDownstreamAbort();
    }
    this.#finish();
  }

  respondHead(h: ResponseHeadInfo): void {
    if (this.responseStarted || this.#conn.closed) return;
    this.responseStarted = true;
    this.status = h.status;
    const close = this.#closeAfter || this.#conn.draining || !this.requestComplete || h.bodyKind === BodyKind.UntilClose || (this.#minor === 0 && h.bodyKind === BodyKind.Chunked);
    this.#closeAfter = close;
    // The upstream's status line (with our version) and its end-to-end field lines, copied as
    // received: runs of kept lines are one copy each. `h.head` may sit in a reused read buffer,
    // so everything is copied out before returning.
    const head = h.head;
    const src = head.buf;
    const at = head.at;
    const n = head.count;
    const dropTE = h.bodyKind === BodyKind.UntilClose;
    const keep = KEEP;
    let fieldBytes = 0;
    const ops = this.#responseOps !== null && !this.#responseOps.empty ? this.#responseOps : null;
    // Field names are decoded only when a set or remove could drop one (an `add` never does).
    const dropping = ops !== null && (ops.set !== null || ops.remove !== null) ? ops : null;
    for (let k = 0; k < n; k++) {
      if (head.isHopByHop(k) || (dropTE && at[k * FIELD_STRIDE + 4] === FieldKind.TransferEncoding) || (dropping !== null && dropping.drops(head.name(k)))) keep[k] = 0;
      else {
        keep[k] = 1;
        fieldBytes += (k + 1 < n ? (at[(k + 1) * FIELD_STRIDE] as number) : head.end - 2) - (at[k * FIELD_STRIDE] as number);
      }
    }
    const tail = close ? CONNECTION_CLOSE_END : this.#minor === 0 ? KEEP_ALIVE_END : HEAD_END;
    const extra = ops !== null ? ops.lines() : '';
    const headLen = head.lineEnd + 2 - head.start + fieldBytes + extra.length + tail.length;
    // Room for the body too when it is small and its length known: head and body leave in one write.
    const room = h.bodyKind === BodyKind.Length && this.method !== 'HEAD' && h.contentLength <= SMALL_BODY ? h.contentLength : 0;
    const out = this.#conn.out.take(headLen + room);
    let o = copyBytes(HTTP11, 0, 8, out, 0);
    o = copyBytes(src, head.start + 8, head.lineEnd + 2, out, o);
    o = head.copyLines(keep, out, o);
    if (extra !== '') o += out.write(extra, o, 'latin1');
    o = copyBytes(tail, 0, tail.length, out, o);
    this.#out = out;
    this.#outLen = o;
  }

  respondData(buf: Buffer, start: number, end: number): boolean {
    if (this.#conn.closed || this.method === 'HEAD') return true;
    const sock = this.#conn.socket;
    const out = this.#out;
    if (out !== null) {
      this.#out = null;
      const n = end - start;
      const used = this.#outLen;
      if (n <= out.length - used) {
        buf.copy(out, used, start, end);
        return this.#conn.out.write(sock, out, used + n);
      }
      if (n <= SMALL_BODY) {
        // One buffer, one write: cheaper than cork/uncork and a two-part writev.
        const both = Buffer.allocUnsafe(used + n);
        out.copy(both, 0, 0, used);
        buf.copy(both, used, start, end);
        return sock.write(both);
      }
      sock.cork();
      sock.write(out.subarray(0, used));
      const ok = sock.write(copyOf(buf, start, end));
      sock.uncork();
      return ok;
    }
    return sock.write(copyOf(buf, start, end));
  }

  respondFlush(): void {
    const out = this.#out;
    if (out !== null) {
      this.#out = null;
      if (!this.#conn.closed) this.#conn.out.write(this.#conn.socket, out, this.#outLen);
    }
  }

  respondEnd(): void {
    this.respondFlush();
    if (this.#responseDone) return;
    this.#responseDone = true;
    this.#src = null;
    if (!this.requestComplete) {
      // The response finished before the request body (an early reply): drop the rest and close.
      this.#discard = true;
      this.#sink = null;
      this.#queue = null;
      this.#closeAfter = true;
    }
    this.#maybeDone();
  }

  #maybeDone(): void {
    if (!this.#responseDone) return;
    this.#finish();
    if (this.requestComplete || this.#closeAfter) this.#conn.exchangeDone(this, this.#closeAfter);
  }

  abort(flag: string, _reason: string): void {
    this.#out = null;
    if (flag !== '-') this.#addFlag(flag);
    this.#responseDone = true;
    this.#src = null;
    this.#finish();
    this.#conn.socket.destroy();
  }

  #addFlag(f: string): void {
    this.flags = this.flags === '' ? f : `${this.flags},${f}`;
  }

  localReply(status: number, flag: string, reason: string, forceClose = false): void {
    if (this.responseStarted) {
      this.abort(flag, reason);
      return;
    }
    if (flag !== '-') this.#addFlag(flag);
    const body = `${reason}\n`;
    this.#writeLocal(status, body, this.#conn.ctx.options.reasonHeader ? `x-isthmus-reason: ${flag} ${reasonHeader(reason)}\r\n` : '', forceClose);
  }

  directReply(status: number, body: string, headers?: readonly (readonly [string, string])[]): void {
    if (this.responseStarted) return;
    let extra = '';
    if (headers !== undefined) {
      for (const [name, value] of headers) {
        // Names and values may come from an external authorizer: no line breaks reach the client.
        if (/[\r\n:\0]/.test(name)) continue;
        extra += `${name}: ${value.replace(/[\r\n\0]/g, ' ')}\r\n`;
      }
    }
    this.#writeLocal(status, body, extra, false);
  }

  #writeLocal(status: number, body: string, extra: string, forceClose: boolean): void {
    this.responseStarted = true;
    this.status = status;
    if (forceClose || !this.requestComplete || this.#conn.draining) this.#closeAfter = true;
    const src = this.#src;
    this.#src = null;
    src?.onDownstreamAbort();
    const len = Buffer.byteLength(body, 'utf8');
    const conn = this.#closeAfter ? 'connection: close\r\n' : this.#minor === 0 ? 'connection: keep-alive\r\n' : '';
    if (this.#responseOps !== null && !this.#responseOps.empty) extra += this.#responseOps.lines();
    const head = `HTTP/1.1 ${status} ${statusText(status)}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${len}\r\n${extra}${conn}\r\n`;
    const sock = this.#conn.socket;
    if (!sock.destroyed) {
      if (this.method === 'HEAD' || len === 0) sock.write(head, 'latin1');
      else {
        sock.cork();
        sock.write(head, 'latin1');
        sock.write(body, 'utf8');
        sock.uncork();
      }
    }
    this.respondEnd();
  }

  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#conn.ctx.stats.record(this.status, this.flags);
    if (requestChannel.hasSubscribers) {
      const ev: RequestEvent = {
        role: this.role,
        listener: this.listener,
        method: this.method,
        authority: this.authority,
        path: this.path,
        status: this.status,
        flags: this.flags === '' ? '-' : this.flags,
        route: this.routeName,
        cluster: this.clusterName,
        endpoint: this.endpointKey,
        durationMs: performance.now() - this.#start,
      };
      requestChannel.publish(ev);
    }
  }
}
