import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ChunkedDecoder } from './chunked-decoder.ts';
import { HttpParseError } from './errors.ts';
import { HOSTILE } from './hostile-requests.ts';
import { authorityHost, authorityPort, findHeadEnd, MAX_HEAD_BYTES, parseRequestHead, parseResponseHead, parseTarget, skipEmptyLines } from './http1-parser.ts';

function req(text: string) {
  const b = Buffer.from(text, 'latin1');
  const start = skipEmptyLines(b, 0);
  const end = findHeadEnd(b, start);
  assert.notEqual(end, -1, 'head must be complete');
  return parseRequestHead(b, start, end);
}

function statusOf(text: string): number {
  try {
    const b = Buffer.from(text, 'latin1');
    const end = findHeadEnd(b, 0);
    if (end === -1) return b.length > MAX_HEAD_BYTES ? 431 : -1;
    const h = parseRequestHead(b, 0, end);
    parseTarget(h.target);
    if (h.chunked) {
      const d = new ChunkedDecoder();
      d.execute(b, end, b.length, null);
    }
    if (h.minor === 1 && h.host === null && parseTarget(h.target).authority === null) return 400;
    return 200;
  } catch (e) {
    if (e instanceof HttpParseError) return e.status;
    throw e;
  }
}

describe('request head', () => {
  test('parses request line, lower-cases names, keeps values and order', () => {
    const h = req('GET /a?b=1 HTTP/1.1\r\nHost: Reviews:9080\r\nX-Foo:  bar baz \r\nx-foo: 2\r\n\r\n');
    assert.equal(h.method, 'GET');
    assert.equal(h.target, '/a?b=1');
    assert.equal(h.minor, 1);
    assert.deepEqual(h.names, ['host', 'x-foo', 'x-foo']);
    assert.deepEqual(h.values, ['Reviews:9080', 'bar baz', '2']);
    assert.equal(h.host, 'Reviews:9080');
    assert.equal(h.contentLength, -1);
    assert.equal(h.chunked, false);
    assert.equal(h.close, false);
  });

  test('framing: Content-Length, repeated identical values, chunked', () => {
    assert.equal(req('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 12\r\n\r\n').contentLength, 12);
    assert.equal(req('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 7\r\nContent-Length: 7\r\n\r\n').contentLength, 7);
    assert.equal(req('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 7, 7\r\n\r\n').contentLength, 7);
    assert.equal(req('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n').chunked, true);
    assert.equal(req('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n').chunked, true);
  });

  test('connection semantics for 1.0 and 1.1', () => {
    assert.equal(req('GET / HTTP/1.0\r\n\r\n').close, true);
    assert.equal(req('GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n').close, false);
    assert.equal(req('GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n').close, true);
    assert.equal(req('GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, close\r\n\r\n').close, true);
    assert.deepEqual(req('GET / HTTP/1.1\r\nHost: a\r\nConnection: X-Hop, keep-alive\r\n\r\n').connectionTokens, ['x-hop']);
  });

  test('ignores empty lines before the request line; Expect 100-continue', () => {
    const h = req('\r\n\r\nPUT /x HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\n');
    assert.equal(h.method, 'PUT');
    assert.equal(h.expectContinue, true);
  });

  test('response heads', () => {
    const b = Buffer.from('HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc');
    const h = parseResponseHead(b, 0, findHeadEnd(b, 0));
    assert.equal(h.status, 404);
    assert.equal(h.reason, 'Not Found');
    assert.equal(h.contentLength, 3);
    assert.equal(h.close, true);
    const b2 = Buffer.from('HTTP/1.1 200\r\n\r\n');
    assert.equal(parseResponseHead(b2, 0, findHeadEnd(b2, 0)).reason, '');
    const bad = Buffer.from('HTTP/1.1 2000 OK\r\n\r\n');
    assert.throws(() => parseResponseHead(bad, 0, findHeadEnd(bad, 0)), HttpParseError);
    const both = Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n');
    assert.throws(() => parseResponseHead(both, 0, findHeadEnd(both, 0)), HttpParseError);
  });

  test('findHeadEnd resumes a search across chunk boundaries', () => {
    const b = Buffer.from('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    assert.equal(findHeadEnd(b.subarray(0, b.length - 1), 0), -1);
    assert.equal(findHeadEnd(b, b.length - 1), b.length);
  });
});

describe('request targets and authorities', () => {
  test('origin-form, absolute-form, asterisk', () => {
    assert.deepEqual(parseTarget('/a/b?c'), { authority: null, path: '/a/b?c' });
    assert.deepEqual(parseTarget('http://Reviews:9080/r/0?x=1'), { authority: 'Reviews:9080', path: '/r/0?x=1' });
    assert.deepEqual(parseTarget('http://reviews'), { authority: 'reviews', path: '/' });
    assert.deepEqual(parseTarget('http://reviews?q'), { authority: 'reviews', path: '/?q' });
    assert.deepEqual(parseTarget('*'), { authority: null, path: '*' });
  });

  test('non-http absolute-form and junk are refused', () => {
    for (const t of ['https://a/', 'ftp://a/', 'a/b', 'http:///x', 'http://a b/', 'http://u@h/']) {
      assert.throws(() => parseTarget(t), (e: unknown) => e instanceof HttpParseError && e.status === 400, t);
    }
  });

  test('ports and hosts', () => {
    assert.equal(authorityPort('reviews:9080', 80), 9080);
    assert.equal(authorityPort('reviews', 80), 80);
    assert.equal(authorityPort('reviews:', 80), 80);
    assert.equal(authorityPort('[::1]:8080', 80), 8080);
    assert.equal(authorityPort('[::1]', 80), 80);
    assert.equal(authorityPort('a:99999', 80), -1);
    assert.equal(authorityHost('reviews:9080'), 'reviews');
    assert.equal(authorityHost('[::1]:1'), '[::1]');
  });
});

describe('hostile requests', () => {
  for (const [name, text, status] of HOSTILE) {
    test(`${name} → ${status}`, () => {
      assert.equal(statusOf(text), status);
    });
  }
  test('valid controls of the table pass', () => {
    assert.equal(statusOf('GET / HTTP/1.1\r\nHost: a\r\n\r\n'), 200);
    assert.equal(statusOf('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n0\r\nT: 1\r\n\r\n'), 200);
    assert.equal(statusOf('GET http://a:1/x HTTP/1.1\r\n\r\n'), 200);
  });
});

describe('chunked decoder', () => {
  const body = '5\r\nhello\r\n6;name=v\r\n world\r\n0\r\nTrailer: x\r\n\r\nNEXT';
  test('decodes and stops at the end of the body, whatever the split points', () => {
    const buf = Buffer.from(body, 'latin1');
    for (let cut = 0; cut <= buf.length; cut++) {
      const d = new ChunkedDecoder();
      const out: string[] = [];
      const sink = (b: Buffer, s: number, e: number) => out.push(b.toString('latin1', s, e));
      let end = d.execute(buf, 0, cut, sink);
      if (!d.done) assert.equal(end, cut);
      if (!d.done) end = d.execute(buf, cut, buf.length, sink);
      assert.equal(d.done, true);
      assert.equal(buf.toString('latin1', end), 'NEXT');
      assert.equal(out.join(''), 'hello world');
      assert.equal(d.bodyBytes, 11);
    }
  });

  test('byte-at-a-time feeding', () => {
    const buf = Buffer.from(body, 'latin1');
    const d = new ChunkedDecoder();
    let i = 0;
    while (!d.done) i = d.execute(buf, i, i + 1, null);
    assert.equal(buf.toString('latin1', i), 'NEXT');
  });

  test('refuses bad framing with a 400 parse error', () => {
    for (const bad of ['x\r\n', '3\r\nabcd', '3\r\nabc\n', '1 2\r\n', '0\r\n bad\r\n\r\n', '0\r\n:x\r\n\r\n', '0\r\n\r\x00']) {
      const d = new ChunkedDecoder();
      assert.throws(
        () => d.execute(Buffer.from(bad, 'latin1'), 0, bad.length, null),
        (e: unknown) => e instanceof HttpParseError && e.status === 400,
        JSON.stringify(bad),
      );
    }
  });
});

describe('fuzz', () => {
  // mulberry32: a small seeded PRNG, so a failure reproduces.
  function rng(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }
  const corpus = [
    'GET /reviews/0?x=1 HTTP/1.1\r\nHost: reviews:9080\r\nUser-Agent: t\r\nAccept: */*\r\n\r\n',
    'GET http://reviews:9080/r HTTP/1.1\r\nHost: reviews:9080\r\nConnection: keep-alive, X-A\r\nX-A: 1\r\n\r\n',
    'POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello',
    'POST /p HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;e=1\r\nhello\r\n0\r\nT: v\r\n\r\n',
    'GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n',
  ];
  const specials = ['\r', '\n', '\r\n', ':', ' ', '\t', '\x00', '\x7f', '\xff', ',', ';', '0', 'f', '-', 'chunked', 'Content-Length: 3\r\n', 'Transfer-Encoding: chunked\r\n', '\r\n\r\n'];

  test('2000 mutated requests: the parser either accepts or throws its own error', () => {
    const r = rng(0x15714);
    let accepted = 0;
    for (let n = 0; n < 2000; n++) {
      let s = corpus[Math.floor(r() * corpus.length)] as string;
      const edits = 1 + Math.floor(r() * 4);
      for (let k = 0; k < edits; k++) {
        const at = Math.floor(r() * (s.length + 1));
        const op = r();
        if (op < 0.3) s = s.slice(0, at) + (specials[Math.floor(r() * specials.length)] as string) + s.slice(at);
        else if (op < 0.5) s = s.slice(0, at) + s.slice(at + 1 + Math.floor(r() * 4));
        else if (op < 0.8) s = s.slice(0, at) + String.fromCharCode(Math.floor(r() * 256)) + s.slice(at + 1);
        else s = s.slice(0, at) + s.slice(at, at + 1 + Math.floor(r() * 20)).repeat(2) + s.slice(at + 1 + Math.floor(r() * 20));
      }
      const buf = Buffer.from(s, 'latin1');
      try {
        const end = findHeadEnd(buf, 0);
        if (end === -1) continue;
        const h = parseRequestHead(buf, 0, end);
        parseTarget(h.target);
        if (h.chunked) new ChunkedDecoder().execute(buf, end, buf.length, null);
        accepted++;
      } catch (e) {
        assert.ok(e instanceof HttpParseError, `unexpected ${String(e)} for ${JSON.stringify(s)}`);
        assert.ok([400, 431, 505].includes(e.status), `status ${e.status}`);
      }
    }
    assert.ok(accepted > 0, 'some mutations stay valid');
  });
});
