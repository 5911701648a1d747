// One request/response exchange as filters and the forwarder see it, independent of the
// downstream protocol. The HTTP/1.1 connection implements it today; an HTTP/2 stream can
// implement the same interface later without touching routing or forwarding.
//
// Bodies cross this interface as HTTP/1.1 wire bytes with the framing named by `bodyKind`
// (Content-Length bytes, or chunked framing passed through unchanged), because the only upstream
// codec is HTTP/1.1 and passing framing through avoids re-encoding.

import type { ProxyRole } from '../api/index.ts';
import type { Http1Head } from './http1-parser.ts';
import type { RouteRequestView } from './router.ts';

export type ListenerKind = 'outbound' | 'inbound' | 'gateway';

/** How a message body is delimited on the wire. */
export const BodyKind = {
  None: 0,
  Length: 1,
  Chunked: 2,
  /** Response only: the body runs until the upstream closes. */
  UntilClose: 3,
} as const;
export type BodyKind = (typeof BodyKind)[keyof typeof BodyKind];

/** Receives the request body from the exchange. */
export interface RequestBodySink {
  /** Wire bytes `buf[start, end)`. Returns false when the receiver wants no more until `resumeRequestBody`. */
  onRequestData(buf: Buffer, start: number, end: number): boolean;
  onRequestEnd(): void;
}

/** Sees the request body as it arrives, beside the sink (traffic mirroring). Never slows it down. */
export interface BodyTap {
  /** Wire bytes `buf[start, end)` (chunked framing included when the request is chunked). */
  data(buf: Buffer, start: number, end: number): void;
  end(): void;
}

/** What the exchange tells the party producing its response. */
export interface ResponseSource {
  /** The downstream can take more response data (after respondData returned false). */
  onDownstreamDrain(): void;
  /** The downstream went away before the response finished; release upstream resources. */
  onDownstreamAbort(): void;
}

export interface ResponseHeadInfo {
  status: number;
  /**
   * The upstream's head as received. Its status line and end-to-end field lines are forwarded as
   * they are (hop-by-hop ones dropped). It may point into a reused read buffer: `respondHead`
   * takes what it needs before returning.
   */
  head: Http1Head;
  bodyKind: BodyKind;
  /** For BodyKind.Length. */
  contentLength: number;
}

/** What the downstream connection proves about the peer; one object per connection. */
export interface PeerInfo {
  /** The connection is TLS (mesh mTLS or gateway termination). */
  readonly tls: boolean;
  /** SPIFFE URI from a verified client certificate (`spiffe://td/ns/x/sa/y`), else null. */
  readonly identity: string | null;
  /** SHA-256 (hex) of the verified client certificate's DER, for XFCC `Hash`; null without one. */
  readonly certHash: string | null;
  /** TLS SNI the client sent, else null. */
  readonly sni: string | null;
  /** Address and port the connection arrived on (destination.ip / destination.port). */
  readonly localAddress: string;
  readonly localPort: number;
}

/** Response header edits, applied when the response head is written. */
/** Response header operations in the form `ResponseHeaderOps` keeps them, with their field lines. */
export interface CompiledResponseOps {
  readonly set: ReadonlyMap<string, string> | null;
  readonly add: readonly (readonly [string, string])[] | null;
  readonly remove: ReadonlySet<string> | null;
  /** `name: value\r\n` for every set and add, in that order. */
  readonly lines: string;
}

export class ResponseHeaderOps {
  set: ReadonlyMap<string, string> | null = null;
  add: readonly (readonly [string, string])[] | null = null;
  remove: ReadonlySet<string> | null = null;
  /** A route's precompiled operations, shared until this response changes them; null once owned. */
  #shared: CompiledResponseOps | null = null;

  get empty(): boolean {
    return this.set === null && this.add === null && this.remove === null;
  }

  /** Applies a route's compiled operations: adopted as they are when nothing else was set, else merged. */
  applyCompiled(c: CompiledResponseOps): void {
    if (this.empty) {
      this.set = c.set;
      this.add = c.add;
      this.remove = c.remove;
      this.#shared = c;
      return;
    }
    if (c.remove !== null) for (const n of c.remove) this.removeHeader(n);
    if (c.set !== null) for (const [k, v] of c.set) this.setHeader(k, v);
    if (c.add !== null) for (const [k, v] of c.add) this.addHeader(k, v);
  }

  /** Copies shared operations before this response changes them. */
  #own(): void {
    if (this.#shared === null) return;
    this.#shared = null;
    if (this.set !== null) this.set = new Map(this.set);
    if (this.add !== null) this.add = [...this.add];
    if (this.remove !== null) this.remove = new Set(this.remove);
  }

  setHeader(name: string, value: string): void {
    this.#own();
    const m = (this.set ?? new Map()) as Map<string, string>;
    m.set(name, clean(value));
    this.set = m;
  }

  addHeader(name: string, value: string): void {
    this.#own();
    const a = (this.add ?? []) as [string, string][];
    a.push([name, clean(value)]);
    this.add = a;
  }

  removeHeader(name: string): void {
    this.#own();
    const r = (this.remove ?? new Set()) as Set<string>;
    r.add(name);
    this.remove = r;
  }

  /** Whether a received field of this name is dropped (replaced by `set`, or removed). */
  drops(name: string): boolean {
    return (this.set !== null && this.set.has(name)) || (this.remove !== null && this.remove.has(name));
  }

  /** Field lines to append (`name: value\r\n` each). */
  lines(): string {
    if (this.#shared !== null) return this.#shared.lines;
    let out = '';
    if (this.set !== null) for (const [k, v] of this.set) out += `${k}: ${v}\r\n`;
    if (this.add !== null) for (const [k, v] of this.add) out += `${k}: ${v}\r\n`;
    return out;
  }
}

function clean(v: string): string {
  return /[\r\n\0]/.test(v) ? v.replace(/[\r\n\0]/g, ' ') : v;
}

/** A verified JWT, as RequestAuthentication leaves it for AuthorizationPolicy. */
export interface JwtIdentity {
  issuer: string;
  subject: string;
  /** `<iss>/<sub>`, what `requestPrincipals` and `request.auth.principal` match. */
  principal: string;
  audiences: string[];
  /** `azp` claim, when present. */
  presenter: string | null;
  claims: Record<string, unknown>;
}

export interface Exchange extends RouteRequestView {
  readonly role: ProxyRole;
  readonly listener: ListenerKind;
  /** Port the request addressed (outbound: from the target/Host; otherwise the listener's config port). */
  readonly port: number;
  /** Remote address of the downstream peer. */
  readonly clientAddress: string;
  /**
   * The request head as received (lower-case names): the forwarder sends its field lines on as
   * they are, dropping hop-by-hop ones, rather than re-serialising them.
   */
  readonly head: Http1Head;
  readonly bodyKind: BodyKind;
  readonly contentLength: number;

  /** The downstream connection's TLS facts. */
  readonly peer: PeerInfo;
  /** Set by the RequestAuthentication filter when a token verified; null otherwise. */
  jwt: JwtIdentity | null;
  /** The downstream went away (filters that wait on I/O check this before going on). */
  readonly closed: boolean;
  /**
   * Request header edits applied when the head is sent upstream (lower-case names): `set`
   * replaces every field of that name, `remove` drops them. Later calls win.
   */
  setRequestHeader(name: string, value: string): void;
  removeRequestHeader(name: string): void;
  /** The edits made so far (name -> value, or null for removed), or null when none. */
  readonly headerEdits: ReadonlyMap<string, string | null> | null;
  /** Applies a route's precompiled request edits (set and remove), sharing them until another edit. */
  applyHeaderEdits(edits: ReadonlyMap<string, string | null>): void;
  /** Path (with query) and authority sent upstream instead of the request's (VirtualService rewrite). */
  upstreamPath: string | null;
  upstreamAuthority: string | null;
  /**
   * Response header operations (VirtualService `headers.response`), applied to whatever response
   * goes to the client: `set` replaces, `add` appends, `remove` drops (lower-case names).
   */
  readonly responseHeaderOps: ResponseHeaderOps;

  // Telemetry, filled in along the way.
  flags: string;
  routeName: string;
  clusterName: string;
  endpointKey: string;

  /** Starts delivering the request body (buffered bytes first). Call at most once. */
  attachRequestBody(sink: RequestBodySink): void;
  /** Resume delivery after onRequestData returned false. */
  resumeRequestBody(): void;
  /** Adds a tap that sees every request body byte, those already received first. */
  addBodyTap(tap: BodyTap): void;
  /** Whether the request body has been fully received. */
  readonly requestComplete: boolean;

  /** Sets who produces the response, for drain and abort notifications. */
  setResponseSource(src: ResponseSource | null): void;
  /** True when the response data must be decoded (not chunked) because the downstream cannot take chunked framing. */
  readonly wantsDecodedBody: boolean;
  /** True once a response head has been sent. */
  readonly responseStarted: boolean;
  respondHead(head: ResponseHeadInfo): void;
  /**
   * Response body bytes `buf[start, end)`, valid only during the call (the implementation copies
   * what it keeps). Returns false when the downstream is congested; wait for onDownstreamDrain.
   */
  respondData(buf: Buffer, start: number, end: number): boolean;
  /** Sends a response head that is still held back (the head may wait to share a write with body bytes). */
  respondFlush(): void;
  respondEnd(): void;
  /** Abandons the exchange after the head was sent (the downstream connection is reset). */
  abort(flag: string, reason: string): void;

  /**
   * A response the proxy generates itself: a short text body saying why, and
   * `x-isthmus-reason: <flag> <reason>` (flag `-` when none applies).
   */
  localReply(status: number, flag: string, reason: string): void;
  /** A configured direct response (no reason header), with optional extra response headers. */
  directReply(status: number, body: string, headers?: readonly (readonly [string, string])[]): void;
}
