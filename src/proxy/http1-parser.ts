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

const REQUEST_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+) ([\x21-\x7e]+) HTTP\/(\d)\.(\d)$/;
const STATUS_LINE = /^HTTP\/(\d)\.(\d) (\d{3})(?: ([\t\x20-\x7e\x80-\xff]*))?$/;
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

// Byte classes, indexed by char code (latin1: one char per byte).
const TCHAR = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") TCHAR[c.charCodeAt(0)] = 1;
const VCHAR = new Uint8Array(256);
VCHAR[9] = 1;
for (let c = 0x20; c <= 0xff; c++) if (c !== 0x7f) VCHAR[c] = 1;

/** Facts of a request head the field parser collects on the way. */
interface FieldFacts {
  host: string | null;
  expect: boolean;
}

/** Content-Length value: digits only, at most 15 (so it stays a safe integer). -1 when invalid. */
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

/**
 * Parses the header fields of head text `s` from `pos` (the start of the line after the start
 * line) into `head`, then applies the framing rules. One pass over the characters, no regexes:
 * this runs twice per proxied request.
 */
function parseFields(s: string, pos: number, head: MessageHead, isRequest: boolean, facts: FieldFacts | null): void {
  let host: string | null = null;
  let hostCount = 0;
  let te: string | null = null;
  let cl = -1;
  let connection: string | null = null;
  let expect = false;
  const names = head.names;
  const values = head.values;
  const len = s.length;
  let count = 0;
  while (pos < len) {
    let eol = s.indexOf('\r\n', pos);
    if (eol === -1) eol = len;
    if (++count > MAX_HEADERS) {
      throw new HttpParseError(ProxyErrorCode.HEADERS_TOO_LARGE, 431, `too many header fields (more than ${MAX_HEADERS})`);
    }
    // Name: token characters up to the colon.
    let i = pos;
    let upper = false;
    for (; i < eol; i++) {
      const c = s.charCodeAt(i);
      if (TCHAR[c] !== 1) break;
      if (c >= 65 && c <= 90) upper = true;
    }
    if (i === pos || i === eol || s.charCodeAt(i) !== 58 /* : */) {
      const c0 = s.charCodeAt(pos);
      if (c0 === 32 || c0 === 9) throw bad('obsolete line folding is not accepted');
      if (i === eol || i === pos) throw bad('header field without a name or colon');
      throw bad(`invalid header field name ${JSON.stringify(s.slice(pos, Math.min(eol, pos + 64)))}`);
    }
    const rawName = s.slice(pos, i);
    // Value: trimmed of SP/HTAB, then checked for controls (bare CR or LF included).
    i++;
    while (i < eol && (s.charCodeAt(i) === 32 || s.charCodeAt(i) === 9)) i++;
    let ve = eol;
    while (ve > i && (s.charCodeAt(ve - 1) === 32 || s.charCodeAt(ve - 1) === 9)) ve--;
    for (let k = i; k < ve; k++) {
      if (VCHAR[s.charCodeAt(k)] !== 1) throw bad(`invalid characters in header field ${JSON.stringify(rawName.slice(0, 64))}`);
    }
    const value = s.slice(i, ve);
    const name = upper ? rawName.toLowerCase() : rawName;
    names.push(name);
    values.push(value);
    pos = eol + 2;
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
          let v = parseLength(value);
          if (v < 0) {
            for (const part of value.split(',')) {
              const pv = parseLength(trimOws(part));
              if (pv < 0) throw badFraming(`invalid Content-Length ${JSON.stringify(value.slice(0, 32))}`);
              if (v >= 0 && pv !== v) throw badFraming('multiple differing Content-Length values');
              v = pv;
            }
          }
          if (cl >= 0 && cl !== v) throw badFraming('multiple differing Content-Length values');
          cl = v;
        }
        break;
      case 17:
        if (name === 'transfer-encoding') te = te === null ? value : `${te}, ${value}`;
        break;
    }
  }
  if (hostCount > 1) throw bad('multiple Host header fields');
  if (te !== null) {
    if (cl >= 0) throw badFraming('both Content-Length and Transfer-Encoding are present');
    if (head.minor === 0 && isRequest) throw badFraming('Transfer-Encoding in an HTTP/1.0 request');
    if (te.length !== 7 || te.toLowerCase() !== 'chunked') {
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
  if (facts !== null) {
    facts.host = host;
    facts.expect = expect;
  }
}

/** The head as one string (latin1 keeps one char per byte), without its final blank line. */
function headText(buf: Buffer, start: number, end: number): string {
  return buf.toString('latin1', start, end - 4);
}

/** End of the start line in head text `s`. */
function startLineEnd(s: string): number {
  const i = s.indexOf('\r\n');
  return i === -1 ? s.length : i;
}

/**
 * Parses a request head `buf[start, end)`, where `end` is what findHeadEnd returned.
 * Throws HttpParseError (400, 431 or 505).
 */
export function parseRequestHead(buf: Buffer, start: number, end: number): RequestHead {
  if (end - start > MAX_HEAD_BYTES) {
    throw new HttpParseError(ProxyErrorCode.HEADERS_TOO_LARGE, 431, `request header section larger than ${MAX_HEAD_BYTES} bytes`);
  }
  const s = headText(buf, skipEmptyLines(buf, start), end);
  const le = startLineEnd(s);
  const line = s.slice(0, le);
  const m = REQUEST_LINE.exec(line);
  if (m === null) throw bad(`malformed request line ${JSON.stringify(line.slice(0, 80))}`);
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
  const facts: FieldFacts = { host: null, expect: false };
  parseFields(s, le + 2, head, true, facts);
  if (facts.host !== null && !AUTHORITY.test(facts.host)) throw bad(`invalid Host ${JSON.stringify(facts.host.slice(0, 64))}`);
  head.host = facts.host;
  head.expectContinue = facts.expect && head.minor === 1;
  return head;
}

/** Parses a response head `buf[start, end)`. Throws HttpParseError (status 502 semantics are the caller's). */
export function parseResponseHead(buf: Buffer, start: number, end: number): ResponseHead {
  if (end - start > MAX_HEAD_BYTES) {
    throw new HttpParseError(ProxyErrorCode.HEADERS_TOO_LARGE, 502, `response header section larger than ${MAX_HEAD_BYTES} bytes`);
  }
  const s = headText(buf, start, end);
  const le = startLineEnd(s);
  const line = s.slice(0, le);
  const m = STATUS_LINE.exec(line);
  if (m === null) throw bad(`malformed status line ${JSON.stringify(line.slice(0, 80))}`);
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
  parseFields(s, le + 2, head, false, null);
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
