// A small, strict HTTP/1.1 head parser working on Buffers, shared by the downstream (request)
// and upstream (response) sides. It parses a complete head (up to and excluding the blank line)
// into a compact form: lower-cased names and values in two parallel arrays, plus the framing
// facts the connection needs. Anything ambiguous is refused (RFC 9112 §6.3, §11): both
// Content-Length and Transfer-Encoding, differing Content-Lengths, a final coding other than
// chunked, obs-fold, bare CR/LF, control characters, oversized heads.

import { HttpParseError, ProxyErrorCode } from './errors.ts';

/** Largest accepted header section (request or response head), bytes. */
export const MAX_HEAD_BYTES = 60 * 1024;
/** Most header fields accepted in one head (Envoy's default). */
export const MAX_HEADERS = 100;

const CRLFCRLF = Buffer.from('\r\n\r\n', 'latin1');

// RFC 9110 §5.6.2 token.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// Field value: visible ASCII, SP, HTAB and obs-text; no CR, LF, NUL or other controls.
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const REQUEST_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+) ([\x21-\x7e]+) HTTP\/(\d)\.(\d)$/;
const STATUS_LINE = /^HTTP\/(\d)\.(\d) (\d{3})(?: ([\t\x20-\x7e\x80-\xff]*))?$/;
const DIGITS = /^\d{1,15}$/;
// Authority: reg-name or IPv4 or [IPv6], optional port. No userinfo, no path characters.
const AUTHORITY = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~%!$&'()*+,;=]*)(?::\d*)?$/;

/** Framing and connection facts common to requests and responses. */
export interface MessageHead {
  /** Minor version: 0 for HTTP/1.0, 1 for HTTP/1.1. */
  minor: number;
  /** Lower-case field names, in order, duplicates kept. */
  names: string[];
  values: string[];
  /** -1 when absent. */
  contentLength: number;
  chunked: boolean;
  /** The sender asked to close after this message (explicitly, or HTTP/1.0 without keep-alive). */
  close: boolean;
  /** Extra lower-case field names listed in Connection (hop-by-hop), or null. */
  connectionTokens: string[] | null;
}

export interface RequestHead extends MessageHead {
  method: string;
  /** The request target as received. */
  target: string;
  /** Host header value (null when absent). */
  host: string | null;
  expectContinue: boolean;
}

export interface ResponseHead extends MessageHead {
  status: number;
  reason: string;
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

/** Parses the header fields of `lines[1..]` into `head` and applies the framing rules. */
function parseFields(lines: string[], head: MessageHead, isRequest: boolean): { host: string | null; expect: boolean } {
  const n = lines.length;
  if (n - 1 > MAX_HEADERS) {
    throw new HttpParseError(ProxyErrorCode.HEADERS_TOO_LARGE, 431, `too many header fields (${n - 1} > ${MAX_HEADERS})`);
  }
  let host: string | null = null;
  let hostCount = 0;
  let te: string | null = null;
  let cl: string | null = null;
  let connection: string | null = null;
  let expect = false;
  const names = head.names;
  const values = head.values;
  for (let i = 1; i < n; i++) {
    const line = lines[i] as string;
    const colon = line.indexOf(':');
    if (colon <= 0) {
      if (line.length > 0 && (line.charCodeAt(0) === 32 || line.charCodeAt(0) === 9)) throw bad('obsolete line folding is not accepted');
      throw bad('header field without a name or colon');
    }
    const rawName = line.slice(0, colon);
    if (!TOKEN.test(rawName)) {
      if (rawName.charCodeAt(0) === 32 || rawName.charCodeAt(0) === 9) throw bad('obsolete line folding is not accepted');
      throw bad(`invalid header field name ${JSON.stringify(rawName.slice(0, 64))}`);
    }
    const value = trimOws(line.slice(colon + 1));
    if (!FIELD_VALUE.test(value)) throw bad(`invalid characters in header field ${JSON.stringify(rawName.slice(0, 64))}`);
    const name = rawName.toLowerCase();
    names.push(name);
    values.push(value);
    // Only a handful of names matter to the codec; a length switch keeps the common case to one compare.
    switch (name.length) {
      case 4:
        if (name === 'host') {
          host = value;
          hostCount++;
        }
        break;
      case 6:
        if (name === 'expect' && value.toLowerCase() === '100-continue') expect = true;
        break;
      case 10:
        if (name === 'connection') connection = connection === null ? value : `${connection}, ${value}`;
        break;
      case 14:
        if (name === 'content-length') {
          // "5, 5" and repeated identical fields collapse; anything else is ambiguous.
          for (const part of value.split(',')) {
            const v = trimOws(part);
            if (!DIGITS.test(v)) throw badFraming(`invalid Content-Length ${JSON.stringify(value.slice(0, 32))}`);
            if (cl !== null && cl !== v && Number(cl) !== Number(v)) throw badFraming('multiple differing Content-Length values');
            cl = v;
          }
        }
        break;
      case 17:
        if (name === 'transfer-encoding') te = te === null ? value : `${te}, ${value}`;
        break;
    }
  }
  if (hostCount > 1) throw bad('multiple Host header fields');
  if (te !== null) {
    if (cl !== null) throw badFraming('both Content-Length and Transfer-Encoding are present');
    if (head.minor === 0 && isRequest) throw badFraming('Transfer-Encoding in an HTTP/1.0 request');
    const codings = splitList(te);
    const last = codings[codings.length - 1];
    if (last !== 'chunked') throw badFraming(`Transfer-Encoding final coding is not chunked (${JSON.stringify(te.slice(0, 64))})`);
    for (let i = 0; i < codings.length - 1; i++) {
      if (codings[i] === 'chunked') throw badFraming('chunked applied more than once');
    }
    head.chunked = true;
  } else if (cl !== null) {
    const len = Number(cl);
    if (!Number.isSafeInteger(len)) throw badFraming('Content-Length too large');
    head.contentLength = len;
  }
  let close = head.minor === 0;
  if (connection !== null) {
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
  head.close = close;
  return { host, expect };
}

/** Splits a head (without its final blank line) into lines, refusing bare CR or LF. */
function splitHead(buf: Buffer, start: number, end: number): string[] {
  // latin1 keeps one char per byte, so byte checks and char checks coincide.
  return buf.toString('latin1', start, end - 4).split('\r\n');
}

/**
 * Parses a request head `buf[start, end)`, where `end` is what findHeadEnd returned.
 * Throws HttpParseError (400, 431 or 505).
 */
export function parseRequestHead(buf: Buffer, start: number, end: number): RequestHead {
  if (end - start > MAX_HEAD_BYTES) {
    throw new HttpParseError(ProxyErrorCode.HEADERS_TOO_LARGE, 431, `request header section larger than ${MAX_HEAD_BYTES} bytes`);
  }
  const lines = splitHead(buf, skipEmptyLines(buf, start), end);
  const m = REQUEST_LINE.exec(lines[0] as string);
  if (m === null) throw bad(`malformed request line ${JSON.stringify((lines[0] as string).slice(0, 80))}`);
  if (m[3] !== '1' || (m[4] !== '1' && m[4] !== '0')) {
    throw new HttpParseError(ProxyErrorCode.UNSUPPORTED_VERSION, 505, `HTTP version ${m[3]}.${m[4]} is not supported`);
  }
  const head: RequestHead = {
    method: m[1] as string,
    target: m[2] as string,
    minor: m[4] === '1' ? 1 : 0,
    names: [],
    values: [],
    contentLength: -1,
    chunked: false,
    close: false,
    connectionTokens: null,
    host: null,
    expectContinue: false,
  };
  const f = parseFields(lines, head, true);
  if (f.host !== null && !AUTHORITY.test(f.host)) throw bad(`invalid Host ${JSON.stringify(f.host.slice(0, 64))}`);
  head.host = f.host;
  head.expectContinue = f.expect && head.minor === 1;
  return head;
}

/** Parses a response head `buf[start, end)`. Throws HttpParseError (status 502 semantics are the caller's). */
export function parseResponseHead(buf: Buffer, start: number, end: number): ResponseHead {
  if (end - start > MAX_HEAD_BYTES) {
    throw new HttpParseError(ProxyErrorCode.HEADERS_TOO_LARGE, 502, `response header section larger than ${MAX_HEAD_BYTES} bytes`);
  }
  const lines = splitHead(buf, start, end);
  const m = STATUS_LINE.exec(lines[0] as string);
  if (m === null) throw bad(`malformed status line ${JSON.stringify((lines[0] as string).slice(0, 80))}`);
  if (m[1] !== '1' || (m[2] !== '1' && m[2] !== '0')) {
    throw new HttpParseError(ProxyErrorCode.UNSUPPORTED_VERSION, 502, `HTTP version ${m[1]}.${m[2]} is not supported`);
  }
  const status = Number(m[3]);
  if (status < 100) throw bad(`invalid status code ${m[3]}`);
  const head: ResponseHead = {
    status,
    reason: m[4] ?? '',
    minor: m[2] === '1' ? 1 : 0,
    names: [],
    values: [],
    contentLength: -1,
    chunked: false,
    close: false,
    connectionTokens: null,
  };
  parseFields(lines, head, false);
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
