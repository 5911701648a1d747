// A small, strict HTTP/1.1 head parser working on Buffers, shared by the downstream (request)
// and upstream (response) sides. It walks the bytes of a complete head once and records where
// each field's name and value are, plus the framing facts the connection needs; strings are made
// only for what routing reads (method, target, Host) and, on demand, for the rest. The proxy
// forwards the field lines it keeps as the bytes it received, so nothing is re-serialised.
// Anything ambiguous is refused (RFC 9112 §6.3, §11): both Content-Length and Transfer-Encoding,
// differing Content-Lengths, a final coding other than chunked, obs-fold, bare CR/LF, control
// characters, oversized heads.

import { HttpParseError, ProxyErrorCode } from './errors.ts';

/** Largest accepted header section (request or response head), bytes. */
export const MAX_HEAD_BYTES = 60 * 1024;
/** Most header fields accepted in one head (Envoy's default). */
export const MAX_HEADERS = 100;

const CRLFCRLF = Buffer.from('\r\n\r\n', 'latin1');

// Authority: reg-name or IPv4 or [IPv6], optional port. No userinfo, no path characters.
const AUTHORITY = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~%!$&'()*+,;=]*)(?::\d*)?$/;

/** What a field is to the codec and the forwarder, from its (case-insensitive) name. */
export const FieldKind = {
  Other: 0,
  Host: 1,
  Expect: 2,
  Connection: 3,
  ContentLength: 4,
  TransferEncoding: 5,
  /** Keep-Alive, Proxy-Connection, Proxy-Authorization, TE, Upgrade (RFC 9110 §7.6.1). */
  HopByHop: 6,
  RequestId: 7,
  ForwardedProto: 8,
  ForwardedFor: 9,
  /** X-Forwarded-Client-Cert: only a proxy that verified the client may write it. */
  ClientCert: 10,
} as const;
export type FieldKind = (typeof FieldKind)[keyof typeof FieldKind];

/** Ints per field in `Http1Head.at`. */
export const FIELD_STRIDE = 5;

/**
 * A parsed head. Field k's name is `buf[at[5k], at[5k+1])` (lower-cased in place by the parser),
 * its value `buf[at[5k+2], at[5k+3])` (trimmed), and `at[5k+4]` its FieldKind. Field lines are
 * contiguous: line k runs from its name to the next field's name (the last one to `end - 2`),
 * CRLF included. The head refers to the buffer it was parsed from: a head parsed from a reused
 * read buffer is only valid until that buffer is read into again.
 */
export class Http1Head {
  readonly buf: Buffer;
  /** First byte of the start line. */
  readonly start: number;
  /** Just past the blank line that ends the head. */
  readonly end: number;
  /** Index of the CR ending the start line. */
  lineEnd = 0;
  /** Minor version: 0 for HTTP/1.0, 1 for HTTP/1.1. */
  minor = 1;
  /** -1 when absent. */
  contentLength = -1;
  chunked = false;
  /** The sender asked to close after this message (explicitly, or HTTP/1.0 without keep-alive). */
  close = false;
  /** Extra lower-case field names listed in Connection (hop-by-hop), or null. */
  connectionTokens: string[] | null = null;
  readonly at: number[] = [];
  count = 0;
  // Request heads.
  method = '';
  /** The request target as received. */
  target = '';
  /** Host header value (null when absent). */
  host: string | null = null;
  expectContinue = false;
  /** Whether an X-Request-Id field is present. */
  hasRequestId = false;
  /** An X-Forwarded-Client-Cert field is present (checked without decoding any field). */
  hasClientCert = false;
  // Response heads.
  status = 0;
  #names: string[] | null = null;
  #values: string[] | null = null;

  constructor(buf: Buffer, start: number, end: number) {
    this.buf = buf;
    this.start = start;
    this.end = end;
  }

  /** Lower-case field names, in order, duplicates kept (made on first use). */
  get names(): string[] {
    if (this.#names === null) {
      const out: string[] = [];
      const at = this.at;
      for (let k = 0; k < this.count; k++) out.push(this.buf.toString('latin1', at[k * FIELD_STRIDE] as number, at[k * FIELD_STRIDE + 1] as number));
      this.#names = out;
    }
    return this.#names;
  }

  /** Field values, parallel to `names`. */
  get values(): string[] {
    if (this.#values === null) {
      const out: string[] = [];
      const at = this.at;
      for (let k = 0; k < this.count; k++) out.push(this.buf.toString('latin1', at[k * FIELD_STRIDE + 2] as number, at[k * FIELD_STRIDE + 3] as number));
      this.#values = out;
    }
    return this.#values;
  }

  /** Field k's name as a string. */
  name(k: number): string {
    return this.names[k] as string;
  }

  /** Status line reason phrase (responses). */
  get reason(): string {
    const i = this.start + 12; // "HTTP/1.1 200"
    return i < this.lineEnd ? this.buf.toString('latin1', i + 1, this.lineEnd) : '';
  }

  /**
   * Copies the field lines whose `keep[k]` is 1 into `out` at `o`, each run of adjacent kept
   * lines in one copy; returns the offset after them.
   */
  copyLines(keep: Uint8Array, out: Buffer, o: number): number {
    const at = this.at;
    const n = this.count;
    const src = this.buf;
    let run = -1;
    for (let k = 0; k < n; k++) {
      if (keep[k] === 1) {
        if (run === -1) run = at[k * FIELD_STRIDE] as number;
      } else if (run !== -1) {
        o = copyBytes(src, run, at[k * FIELD_STRIDE] as number, out, o);
        run = -1;
      }
    }
    if (run !== -1) o = copyBytes(src, run, this.end - 2, out, o);
    return o;
  }

  /**
   * Whether field k is hop-by-hop (RFC 9110 §7.6.1): Connection, the fixed set, or a field the
   * Connection field names. Framing fields stay whatever Connection says: dropping one would
   * change where the body ends for the next hop.
   */
  isHopByHop(k: number): boolean {
    const kind = this.at[k * FIELD_STRIDE + 4] as number;
    if (kind === FieldKind.Connection || kind === FieldKind.HopByHop) return true;
    const t = this.connectionTokens;
    return t !== null && kind !== FieldKind.ContentLength && kind !== FieldKind.TransferEncoding && t.includes(this.name(k));
  }
}

/**
 * Copies `src[a, b)` into `out` at `o`; returns `o + (b - a)`. Head lines are short, and for
 * those a loop is cheaper than Buffer#copy's argument checks and native call.
 */
export function copyBytes(src: Buffer, a: number, b: number, out: Buffer, o: number): number {
  if (b - a > 48) return o + src.copy(out, o, a, b);
  while (a < b) out[o++] = src[a++] as number;
  return o;
}

/**
 * Where the head ends: the index just past `\r\n\r\n`, or -1 when it is not complete yet.
 * `from` lets a caller that accumulates chunks skip what it already searched.
 */
export function findHeadEnd(buf: Buffer, from: number): number {
  const i = buf.indexOf(CRLFCRLF, from > 3 ? from - 3 : 0);
  return i === -1 ? -1 : i + 4;
}

/**
 * Skips CRLFs before a request line (RFC 9112 §2.2: a server SHOULD ignore at least one empty
 * line there; some clients send one after a body). Returns the index of the first other byte.
 */
export function skipEmptyLines(buf: Buffer, i: number): number {
  while (i + 1 < buf.length && buf[i] === 13 && buf[i + 1] === 10) i += 2;
  return i;
}

function bad(message: string): HttpParseError {
  return new HttpParseError(ProxyErrorCode.BAD_MESSAGE, 400, message);
}

function badFraming(message: string): HttpParseError {
  return new HttpParseError(ProxyErrorCode.BAD_FRAMING, 400, message);
}

/** Lower-cases and trims SP/HTAB around each comma-separated element; drops empty elements. */
function splitList(value: string): string[] {
  const out: string[] = [];
  for (const part of value.split(',')) {
    const t = trimOws(part).toLowerCase();
    if (t !== '') out.push(t);
  }
  return out;
}

function trimOws(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && (s.charCodeAt(a) === 32 || s.charCodeAt(a) === 9)) a++;
  while (b > a && (s.charCodeAt(b - 1) === 32 || s.charCodeAt(b - 1) === 9)) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

// Byte classes.
const TCHAR = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") TCHAR[c.charCodeAt(0)] = 1;
/** Field value and reason phrase bytes: HTAB, SP, VCHAR, obs-text. */
const VCHAR = new Uint8Array(256);
VCHAR[9] = 1;
for (let c = 0x20; c <= 0xff; c++) if (c !== 0x7f) VCHAR[c] = 1;
/** Request-target bytes: visible ASCII. */
const TARGET = new Uint8Array(256);
for (let c = 0x21; c <= 0x7e; c++) TARGET[c] = 1;

const N_TE = Buffer.from('te', 'latin1');
const N_HOST = Buffer.from('host', 'latin1');
const N_EXPECT = Buffer.from('expect', 'latin1');
const N_UPGRADE = Buffer.from('upgrade', 'latin1');
const N_CONNECTION = Buffer.from('connection', 'latin1');
const N_KEEP_ALIVE = Buffer.from('keep-alive', 'latin1');
const N_REQUEST_ID = Buffer.from('x-request-id', 'latin1');
const N_CONTENT_LENGTH = Buffer.from('content-length', 'latin1');
const N_XFF = Buffer.from('x-forwarded-for', 'latin1');
const N_PROXY_CONNECTION = Buffer.from('proxy-connection', 'latin1');
const N_TRANSFER_ENCODING = Buffer.from('transfer-encoding', 'latin1');
const N_XFP = Buffer.from('x-forwarded-proto', 'latin1');
const N_PROXY_AUTHORIZATION = Buffer.from('proxy-authorization', 'latin1');
const N_XFCC = Buffer.from('x-forwarded-client-cert', 'latin1');
const V_CHUNKED = Buffer.from('chunked', 'latin1');

/** `buf[p, p + lit.length)` equals lower-case `lit`, ignoring ASCII case in `buf`. */
function eqLower(buf: Buffer, p: number, lit: Buffer): boolean {
  for (let i = 0; i < lit.length; i++) if (((buf[p + i] as number) | 0x20) !== lit[i]) return false;
  return true;
}

/** The kind of a (lower-cased) field name `buf[p, p + n)`: a switch on length, then one compare. */
function fieldKind(buf: Buffer, p: number, n: number): FieldKind {
  switch (n) {
    case 2:
      return eqLower(buf, p, N_TE) ? FieldKind.HopByHop : FieldKind.Other;
    case 4:
      return eqLower(buf, p, N_HOST) ? FieldKind.Host : FieldKind.Other;
    case 6:
      return eqLower(buf, p, N_EXPECT) ? FieldKind.Expect : FieldKind.Other;
    case 7:
      return eqLower(buf, p, N_UPGRADE) ? FieldKind.HopByHop : FieldKind.Other;
    case 10:
      if (eqLower(buf, p, N_CONNECTION)) return FieldKind.Connection;
      return eqLower(buf, p, N_KEEP_ALIVE) ? FieldKind.HopByHop : FieldKind.Other;
    case 12:
      return eqLower(buf, p, N_REQUEST_ID) ? FieldKind.RequestId : FieldKind.Other;
    case 14:
      return eqLower(buf, p, N_CONTENT_LENGTH) ? FieldKind.ContentLength : FieldKind.Other;
    case 15:
      return eqLower(buf, p, N_XFF) ? FieldKind.ForwardedFor : FieldKind.Other;
    case 16:
      return eqLower(buf, p, N_PROXY_CONNECTION) ? FieldKind.HopByHop : FieldKind.Other;
    case 17:
      if (eqLower(buf, p, N_TRANSFER_ENCODING)) return FieldKind.TransferEncoding;
      return eqLower(buf, p, N_XFP) ? FieldKind.ForwardedProto : FieldKind.Other;
    case 19:
      return eqLower(buf, p, N_PROXY_AUTHORIZATION) ? FieldKind.HopByHop : FieldKind.Other;
    case 23:
      return eqLower(buf, p, N_XFCC) ? FieldKind.ClientCert : FieldKind.Other;
  }
  return FieldKind.Other;
}

/** Content-Length value bytes: digits only, at most 15 (so it stays a safe integer). -1 when invalid. */
function parseLengthBytes(buf: Buffer, a: number, b: number): number {
  const n = b - a;
  if (n === 0 || n > 15) return -1;
  let x = 0;
  for (let i = a; i < b; i++) {
    const d = (buf[i] as number) - 48;
    if (d < 0 || d > 9) return -1;
    x = x * 10 + d;
  }
  return x;
}

function parseLength(v: string): number {
  const n = v.length;
  if (n === 0 || n > 15) return -1;
  let x = 0;
  for (let i = 0; i < n; i++) {
    const d = v.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    x = x * 10 + d;
  }
  return x;
}

/** Text of the line starting at `p` (for error messages), at most `max` characters. */
function lineText(buf: Buffer, p: number, limit: number, max: number): string {
  let e = buf.indexOf(CRLFCRLF.subarray(0, 2), p);
  if (e === -1 || e > limit) e = limit;
  return buf.toString('latin1', p, Math.min(e, p + max));
}

/**
 * Parses the header fields of `head` from `pos` (the start of the line after the start line)
 * into `head.at`, lower-casing names in place, then applies the framing rules. One pass over the
 * bytes, no regexes, no strings except for the few values the codec reads: this runs twice per
 * proxied request.
 */
function parseFields(head: Http1Head, pos: number, isRequest: boolean): void {
  const buf = head.buf;
  const limit = head.end - 2; // The blank line's CRLF.
  const at = head.at;
  let hostCount = 0;
  let te: string | null = null;
  let teChunked = false;
  let cl = -1;
  let connection: string | null = null;
  let count = 0;
  while (pos < limit) {
    if (++count > MAX_HEADERS) {
      throw new HttpParseError(ProxyErrorCode.HEADERS_TOO_LARGE, 431, `too many header fields (more than ${MAX_HEADERS})`);
    }
    // Name: token characters up to the colon.
    const ns = pos;
    let i = pos;
    let upper = false;
    let c = buf[i] as number;
    while (TCHAR[c] === 1) {
      if (c >= 65 && c <= 90) upper = true;
      c = buf[++i] as number;
    }
    if (i === ns || c !== 58 /* : */) {
      const c0 = buf[ns] as number;
      if (c0 === 32 || c0 === 9) throw bad('obsolete line folding is not accepted');
      if (i === ns || (c === 13 && buf[i + 1] === 10)) throw bad('header field without a name or colon');
      throw bad(`invalid header field name ${JSON.stringify(lineText(buf, ns, limit, 64))}`);
    }
    const ne = i;
    if (upper) for (let k = ns; k < ne; k++) if ((buf[k] as number) >= 65 && (buf[k] as number) <= 90) buf[k] = (buf[k] as number) | 0x20;
    // Value: trimmed of SP/HTAB; anything but HTAB/SP/VCHAR/obs-text before the CRLF (a bare CR
    // or LF included) is refused.
    i++;
    c = buf[i] as number;
    while (c === 32 || c === 9) c = buf[++i] as number;
    const vs = i;
    for (;;) {
      if (c === 13) {
        if (buf[i + 1] === 10) break;
        throw bad(`invalid characters in header field ${JSON.stringify(buf.toString('latin1', ns, Math.min(ne, ns + 64)))}`);
      }
      if (VCHAR[c] !== 1) throw bad(`invalid characters in header field ${JSON.stringify(buf.toString('latin1', ns, Math.min(ne, ns + 64)))}`);
      c = buf[++i] as number;
    }
    let ve = i;
    while (ve > vs && (buf[ve - 1] === 32 || buf[ve - 1] === 9)) ve--;
    pos = i + 2;
    const kind = fieldKind(buf, ns, ne - ns);
    at.push(ns, ne, vs, ve, kind);
    switch (kind) {
      case FieldKind.Other:
        break;
      case FieldKind.Host:
        hostCount++;
        if (isRequest) head.host = buf.toString('latin1', vs, ve);
        break;
      case FieldKind.Expect:
        if (ve - vs === 12 && buf.toString('latin1', vs, ve).toLowerCase() === '100-continue') head.expectContinue = true;
        break;
      case FieldKind.Connection: {
        const v = buf.toString('latin1', vs, ve);
        connection = connection === null ? v : `${connection}, ${v}`;
        break;
      }
      case FieldKind.ContentLength: {
        // "5, 5" and repeated identical fields collapse; anything else is ambiguous.
        let v = parseLengthBytes(buf, vs, ve);
        if (v < 0) {
          const value = buf.toString('latin1', vs, ve);
          for (const part of value.split(',')) {
            const pv = parseLength(trimOws(part));
            if (pv < 0) throw badFraming(`invalid Content-Length ${JSON.stringify(value.slice(0, 32))}`);
            if (v >= 0 && pv !== v) throw badFraming('multiple differing Content-Length values');
            v = pv;
          }
        }
        if (cl >= 0 && cl !== v) throw badFraming('multiple differing Content-Length values');
        cl = v;
        break;
      }
      case FieldKind.TransferEncoding: {
        // The common single "chunked" is recognised on the bytes.
        if (te === null && ve - vs === 7 && eqLower(buf, vs, V_CHUNKED)) teChunked = true;
        else teChunked = false;
        const v = buf.toString('latin1', vs, ve);
        te = te === null ? v : `${te}, ${v}`;
        break;
      }
      case FieldKind.RequestId:
        head.hasRequestId = true;
        break;
      case FieldKind.ClientCert:
        head.hasClientCert = true;
        break;
    }
  }
  head.count = count;
  if (hostCount > 1) throw bad('multiple Host header fields');
  if (te !== null) {
    if (cl >= 0) throw badFraming('both Content-Length and Transfer-Encoding are present');
    if (head.minor === 0 && isRequest) throw badFraming('Transfer-Encoding in an HTTP/1.0 request');
    if (!teChunked) {
      const codings = splitList(te);
      const last = codings[codings.length - 1];
      if (last !== 'chunked') throw badFraming(`Transfer-Encoding final coding is not chunked (${JSON.stringify(te.slice(0, 64))})`);
      for (let k = 0; k < codings.length - 1; k++) {
        if (codings[k] === 'chunked') throw badFraming('chunked applied more than once');
      }
    }
    head.chunked = true;
  } else if (cl >= 0) {
    head.contentLength = cl;
  }
  let close = head.minor === 0;
  if (connection !== null) {
    const lc = connection.toLowerCase();
    // The two common values without splitting.
    if (lc === 'keep-alive') close = false;
    else if (lc === 'close') close = true;
    else {
      let extra: string[] | null = null;
      let sawClose = false;
      let sawKeepAlive = false;
      for (const tok of splitList(connection)) {
        if (tok === 'close') sawClose = true;
        else if (tok === 'keep-alive') sawKeepAlive = true;
        else (extra ??= []).push(tok);
      }
      // `close` wins over keep-alive; keep-alive only matters to HTTP/1.0.
      if (sawClose) close = true;
      else if (sawKeepAlive) close = false;
      head.connectionTokens = extra;
    }
  }
  head.close = close;
}

/** The method token as a string; the common ones without making a new string. */
function methodName(buf: Buffer, a: number, b: number): string {
  if (b - a === 3 && buf[a] === 71 && buf[a + 1] === 69 && buf[a + 2] === 84) return 'GET';
  if (b - a === 4 && buf[a] === 80 && buf[a + 1] === 79 && buf[a + 2] === 83 && buf[a + 3] === 84) return 'POST';
  return buf.toString('latin1', a, b);
}

/** `HTTP/d.d` at `i`: the two digits as 10 * major + minor, or -1 when malformed. */
function httpVersion(buf: Buffer, i: number): number {
  if (buf[i] !== 72 || buf[i + 1] !== 84 || buf[i + 2] !== 84 || buf[i + 3] !== 80 || buf[i + 4] !== 47 || buf[i + 6] !== 46) return -1;
  const a = (buf[i + 5] as number) - 48;
  const b = (buf[i + 7] as number) - 48;
  if (a < 0 || a > 9 || b < 0 || b > 9) return -1;
  return a * 10 + b;
}

/**
 * Parses a request head `buf[start, end)`, where `end` is what findHeadEnd returned. Names are
 * lower-cased in `buf`. Throws HttpParseError (400, 431 or 505).
 */
export function parseRequestHead(buf: Buffer, start: number, end: number): Http1Head {
  if (end - start > MAX_HEAD_BYTES) {
    throw new HttpParseError(ProxyErrorCode.HEADERS_TOO_LARGE, 431, `request header section larger than ${MAX_HEAD_BYTES} bytes`);
  }
  start = skipEmptyLines(buf, start);
  const head = new Http1Head(buf, start, end);
  // request-line = method SP request-target SP HTTP-version CRLF
  let i = start;
  while (TCHAR[buf[i] as number] === 1) i++;
  const me = i;
  let ok = me > start && buf[i] === 32;
  let te = 0;
  let v = -1;
  if (ok) {
    i++;
    const ts = i;
    while (TARGET[buf[i] as number] === 1) i++;
    te = i;
    ok = te > ts && buf[i] === 32;
    if (ok) {
      v = httpVersion(buf, i + 1);
      i += 9;
      ok = v >= 0 && buf[i] === 13 && buf[i + 1] === 10;
    }
  }
  if (!ok) throw bad(`malformed request line ${JSON.stringify(lineText(buf, start, end, 80))}`);
  if (v !== 11 && v !== 10) {
    throw new HttpParseError(ProxyErrorCode.UNSUPPORTED_VERSION, 505, `HTTP version ${Math.floor(v / 10)}.${v % 10} is not supported`);
  }
  head.lineEnd = i;
  head.minor = v === 11 ? 1 : 0;
  head.method = methodName(buf, start, me);
  head.target = buf.toString('latin1', me + 1, te);
  parseFields(head, i + 2, true);
  if (head.host !== null && !AUTHORITY.test(head.host)) throw bad(`invalid Host ${JSON.stringify(head.host.slice(0, 64))}`);
  head.expectContinue = head.expectContinue && head.minor === 1;
  return head;
}

/**
 * Parses a response head `buf[start, end)`. Names are lower-cased in `buf`. Throws
 * HttpParseError (status 502 semantics are the caller's).
 */
export function parseResponseHead(buf: Buffer, start: number, end: number): Http1Head {
  if (end - start > MAX_HEAD_BYTES) {
    throw new HttpParseError(ProxyErrorCode.HEADERS_TOO_LARGE, 502, `response header section larger than ${MAX_HEAD_BYTES} bytes`);
  }
  const head = new Http1Head(buf, start, end);
  // status-line = HTTP-version SP 3DIGIT [ SP reason-phrase ] CRLF
  const v = httpVersion(buf, start);
  let i = start + 8;
  let status = -1;
  if (v >= 0 && buf[i] === 32) {
    const a = (buf[i + 1] as number) - 48;
    const b = (buf[i + 2] as number) - 48;
    const c = (buf[i + 3] as number) - 48;
    if (a >= 0 && a <= 9 && b >= 0 && b <= 9 && c >= 0 && c <= 9) {
      i += 4;
      if (buf[i] === 32) {
        i++;
        while (VCHAR[buf[i] as number] === 1) i++;
      }
      if (buf[i] === 13 && buf[i + 1] === 10) status = a * 100 + b * 10 + c;
    }
  }
  if (status < 0) throw bad(`malformed status line ${JSON.stringify(lineText(buf, start, end, 80))}`);
  if (v !== 11 && v !== 10) {
    throw new HttpParseError(ProxyErrorCode.UNSUPPORTED_VERSION, 502, `HTTP version ${Math.floor(v / 10)}.${v % 10} is not supported`);
  }
  if (status < 100) throw bad(`invalid status code ${String(status).padStart(3, '0')}`);
  head.lineEnd = i;
  head.minor = v === 11 ? 1 : 0;
  head.status = status;
  parseFields(head, i + 2, false);
  return head;
}

export interface ParsedTarget {
  /** Authority of an absolute-form target as received, or null for origin-form. */
  authority: string | null;
  /** Path and query, origin-form (`/` when the absolute-form URL has no path). */
  path: string;
}

/**
 * Splits a request target into authority and origin-form path. Absolute-form must be `http://`
 * (this proxy speaks plain HTTP on its listeners). Asterisk-form is kept as `*`.
 */
export function parseTarget(target: string): ParsedTarget {
  const c = target.charCodeAt(0);
  if (c === 47 /* / */) return { authority: null, path: target };
  if (target === '*') return { authority: null, path: '*' };
  const sep = target.indexOf('://');
  if (sep <= 0) throw bad(`invalid request target ${JSON.stringify(target.slice(0, 80))}`);
  const scheme = target.slice(0, sep).toLowerCase();
  if (scheme !== 'http') throw bad(`unsupported scheme ${JSON.stringify(scheme.slice(0, 16))} in absolute-form target`);
  const rest = sep + 3;
  let pathStart = rest;
  while (pathStart < target.length) {
    const ch = target.charCodeAt(pathStart);
    if (ch === 47 || ch === 63 || ch === 35) break; // / ? #
    pathStart++;
  }
  const authority = target.slice(rest, pathStart);
  if (authority === '' || !AUTHORITY.test(authority)) throw bad(`invalid authority in request target ${JSON.stringify(target.slice(0, 80))}`);
  let path = target.slice(pathStart);
  if (path === '' || path.charCodeAt(0) !== 47) path = `/${path}`;
  return { authority, path };
}

/** `host:port` → port; the default when absent. Returns -1 for an invalid port. */
export function authorityPort(authority: string, dflt: number): number {
  const close = authority.lastIndexOf(']');
  const colon = authority.lastIndexOf(':');
  if (colon === -1 || colon < close) return dflt;
  const p = authority.slice(colon + 1);
  if (p === '') return dflt;
  const n = Number(p);
  return Number.isInteger(n) && n > 0 && n < 65536 ? n : -1;
}

/** `host:port` → `host` (brackets of IPv6 literals kept). */
export function authorityHost(authority: string): string {
  const close = authority.lastIndexOf(']');
  const colon = authority.lastIndexOf(':');
  if (colon === -1 || colon < close) return authority;
  return authority.slice(0, colon);
}
