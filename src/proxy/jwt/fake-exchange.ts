// An in-memory Exchange for filter tests: request headers from a plain object, header edits and
// the response recorded, and `settled` resolving when the request was passed on or answered.

import { BodyKind, ResponseHeaderOps, type BodyTap, type Exchange, type JwtIdentity, type PeerInfo, type RequestBodySink, type ResponseHeadInfo, type ResponseSource } from '../exchange.ts';
import { parseRequestHead, type Http1Head } from '../http1-parser.ts';

export interface FakeRequest {
  method?: string;
  path?: string;
  authority?: string;
  /** Names are matched lower-case; a list value is several fields of that name. */
  headers?: Record<string, string | string[]>;
}

const PEER: PeerInfo = { tls: false, identity: null, certHash: null, sni: null, localAddress: '127.0.0.1', localPort: 8080 };

export class FakeExchange implements Exchange {
  readonly role = 'sidecar' as const;
  readonly listener = 'inbound' as const;
  readonly port = 8080;
  readonly clientAddress = '127.0.0.1';
  readonly head: Http1Head;
  readonly bodyKind = BodyKind.None;
  readonly contentLength = 0;
  readonly peer = PEER;
  readonly method: string;
  readonly authority: string;
  readonly path: string;
  readonly pathOnly: string;
  readonly scheme = 'http';
  jwt: JwtIdentity | null = null;
  closed = false;
  flags = '';
  routeName = '';
  clusterName = '';
  endpointKey = '';
  readonly requestComplete = true;
  readonly wantsDecodedBody = false;
  responseStarted = false;
  headerEdits: Map<string, string | null> | null = null;
  upstreamPath: string | null = null;
  upstreamAuthority: string | null = null;
  readonly responseHeaderOps = new ResponseHeaderOps();

  /** Set when the terminal handler ran. */
  passed = false;
  status = 0;
  /** Response header fields (lower-case names) and body. */
  responseHeaders: Record<string, string> = {};
  body = '';
  readonly #headers = new Map<string, string[]>();
  readonly settled: Promise<void>;
  #settle!: () => void;

  constructor(req: FakeRequest = {}) {
    this.method = req.method ?? 'GET';
    this.path = req.path ?? '/';
    this.authority = req.authority ?? 'svc.local';
    const q = this.path.indexOf('?');
    this.pathOnly = q < 0 ? this.path : this.path.slice(0, q);
    // Flat strings, as a parser's buffer.toString gives (template literals would make ropes).
    const flat = (x: string) => Buffer.from(x, 'utf8').toString('utf8');
    for (const [k, v] of Object.entries(req.headers ?? {})) this.#headers.set(k.toLowerCase(), (Array.isArray(v) ? v : [v]).map(flat));
    const raw = Buffer.from(`${this.method} / HTTP/1.1\r\nhost: fake\r\n\r\n`, 'latin1');
    this.head = parseRequestHead(raw, 0, raw.length);
    this.settled = new Promise((resolve) => (this.#settle = resolve));
  }

  header(name: string): string | undefined {
    const v = this.#headers.get(name);
    return v === undefined ? undefined : v.length === 1 ? v[0] : v.join(',');
  }

  /** What the upstream would see for `name`: the edit if any, else the original. */
  upstreamHeader(name: string): string | undefined {
    const e = this.headerEdits?.get(name);
    if (e === null) return undefined;
    return e ?? this.header(name);
  }

  setRequestHeader(name: string, value: string): void {
    (this.headerEdits ??= new Map()).set(name, value);
  }

  applyHeaderEdits(edits: ReadonlyMap<string, string | null>): void {
    for (const [k, v] of edits) (this.headerEdits ??= new Map()).set(k, v);
  }

  removeRequestHeader(name: string): void {
    (this.headerEdits ??= new Map()).set(name, null);
  }

  /** The terminal handler of a test chain. */
  pass(): void {
    this.passed = true;
    this.#settle();
  }

  attachRequestBody(_sink: RequestBodySink): void {}
  resumeRequestBody(): void {}
  addBodyTap(_tap: BodyTap): void {}
  setResponseSource(_src: ResponseSource | null): void {}

  respondHead(h: ResponseHeadInfo): void {
    this.responseStarted = true;
    this.status = h.status;
    const names = h.head.names;
    const values = h.head.values;
    for (let i = 0; i < names.length; i++) this.responseHeaders[names[i] as string] = values[i] as string;
  }

  respondData(buf: Buffer, start: number, end: number): boolean {
    this.body += buf.toString('latin1', start, end);
    return true;
  }

  respondFlush(): void {}

  respondEnd(): void {
    this.#settle();
  }

  abort(flag: string, _reason: string): void {
    this.flags = flag;
    this.closed = true;
    this.#settle();
  }

  localReply(status: number, flag: string, reason: string): void {
    this.responseStarted = true;
    this.status = status;
    this.flags = flag;
    this.body = reason;
    this.#settle();
  }

  directReply(status: number, body: string): void {
    this.responseStarted = true;
    this.status = status;
    this.body = body;
    this.#settle();
  }
}
