// httpbin over real HTTP: each endpoint's status and JSON shape, header names in canonical case,
// the body cap, bodies that are not JSON or not text, and the program as a process.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { test, type TestContext } from 'node:test';
import { listen, shutdown } from '../../bookinfo/src/_server.ts';
import { canonicalHeaderName, createHttpbinApp, MAX_BODY_BYTES, MAX_DELAY_SECONDS, parseDelay, parseStatus } from './_httpbin-app.ts';

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

interface Req {
  method?: string;
  /** Name/value pairs sent as written, so case and repeats reach the server unchanged. */
  headers?: [string, string][];
  body?: string | Buffer;
  /** Send the body with chunked transfer encoding instead of a Content-Length. */
  chunked?: boolean;
}

async function serve(t: TestContext): Promise<number> {
  const server = createHttpbinApp();
  const addr = await listen(server, { HOST: '127.0.0.1', PORT: '0' });
  t.after(() => shutdown(server, 0));
  return addr.port;
}

function request(port: number, path: string, opts: Req = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: string[] = [];
    for (const [k, v] of opts.headers ?? []) headers.push(k, v);
    // Raw headers get no Host header added for them.
    if (!headers.some((h, i) => i % 2 === 0 && h.toLowerCase() === 'host')) headers.push('Host', `127.0.0.1:${port}`);
    if (opts.body !== undefined && opts.chunked !== true) headers.push('Content-Length', String(Buffer.byteLength(opts.body)));
    const req = http.request({ agent: false, host: '127.0.0.1', port, method: opts.method ?? 'GET', path, headers, timeout: 20_000 });
    req.on('timeout', () => req.destroy(new Error(`${path}: timed out`)));
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    if (opts.body === undefined) req.end();
    else if (opts.chunked === true) {
      // Several chunks, so the server cannot know the size up front.
      const buf = Buffer.isBuffer(opts.body) ? opts.body : Buffer.from(opts.body);
      const step = 64 * 1024;
      for (let i = 0; i < buf.length; i += step) req.write(buf.subarray(i, i + step));
      req.end();
    } else req.end(opts.body);
  });
}

function json(r: Reply): Record<string, unknown> {
  assert.match(String(r.headers['content-type']), /^application\/json/);
  return JSON.parse(r.body) as Record<string, unknown>;
}

const ECHO_KEYS = ['args', 'data', 'files', 'form', 'headers', 'json', 'origin', 'url'];

test('httpbin: canonicalHeaderName upper-cases the first letter and each letter after a hyphen', () => {
  assert.equal(canonicalHeaderName('x-forwarded-client-cert'), 'X-Forwarded-Client-Cert');
  assert.equal(canonicalHeaderName('X-B3-TRACEID'), 'X-B3-Traceid');
  assert.equal(canonicalHeaderName('host'), 'Host');
  assert.equal(canonicalHeaderName('user-agent'), 'User-Agent');
  assert.equal(canonicalHeaderName('x--odd-'), 'X--Odd-');
});

test('httpbin: GET / is a text page naming the endpoints', async (t) => {
  const port = await serve(t);
  const r = await request(port, '/');
  assert.equal(r.status, 200);
  assert.match(String(r.headers['content-type']), /^text\/plain/);
  for (const p of ['/ip', '/headers', '/get', '/post', '/put', '/patch', '/delete', '/status/', '/delay/', '/anything']) assert.ok(r.body.includes(p), p);
  assert.equal((await request(port, '/', { method: 'POST', body: 'x' })).status, 405);
});

test('httpbin: GET /ip answers the client address, or what X-Forwarded-For says', async (t) => {
  const port = await serve(t);
  const r = await request(port, '/ip');
  assert.equal(r.status, 200);
  assert.deepEqual(json(r), { origin: '127.0.0.1' });
  assert.deepEqual(json(await request(port, '/ip', { headers: [['x-forwarded-for', '10.1.2.3']] })), { origin: '10.1.2.3' });
  assert.equal((await request(port, '/ip', { method: 'DELETE' })).status, 405);
});

test('httpbin: GET /headers answers every request header under its canonical name', async (t) => {
  const port = await serve(t);
  const r = await request(port, '/headers', {
    headers: [
      ['x-forwarded-client-cert', 'By=spiffe://cluster.local/ns/foo/sa/httpbin;URI=spiffe://cluster.local/ns/foo/sa/sleep'],
      ['X-B3-TRACEID', 'abc'],
      ['x-multi', 'one'],
      ['X-Multi', 'two'],
      ['user-agent', 'test-client'],
    ],
  });
  assert.equal(r.status, 200);
  const body = json(r);
  assert.deepEqual(Object.keys(body), ['headers']);
  const headers = body['headers'] as Record<string, string>;
  assert.equal(headers['X-Forwarded-Client-Cert'], 'By=spiffe://cluster.local/ns/foo/sa/httpbin;URI=spiffe://cluster.local/ns/foo/sa/sleep');
  assert.equal(headers['X-B3-Traceid'], 'abc');
  assert.equal(headers['X-Multi'], 'one,two');
  assert.equal(headers['User-Agent'], 'test-client');
  assert.equal(headers['Host'], `127.0.0.1:${port}`);
  for (const [k, v] of Object.entries(headers)) {
    assert.equal(k, canonicalHeaderName(k), k);
    assert.equal(typeof v, 'string', k);
  }
});

test('httpbin: GET /get answers args, headers, origin and url; a repeated arg is an array', async (t) => {
  const port = await serve(t);
  const r = await request(port, '/get?a=1&b=x%20y&a=2&empty=', { headers: [['x-custom', 'v']] });
  assert.equal(r.status, 200);
  const body = json(r);
  assert.deepEqual(Object.keys(body).sort(), ['args', 'headers', 'origin', 'url']);
  assert.deepEqual(body['args'], { a: ['1', '2'], b: 'x y', empty: '' });
  assert.equal((body['headers'] as Record<string, string>)['X-Custom'], 'v');
  assert.equal(body['origin'], '127.0.0.1');
  assert.equal(body['url'], `http://127.0.0.1:${port}/get?a=1&b=x%20y&a=2&empty=`);

  const https = json(await request(port, '/get', { headers: [['x-forwarded-proto', 'https'], ['host', 'httpbin.foo:8000']] }));
  assert.equal(https['url'], 'https://httpbin.foo:8000/get');

  const head = await request(port, '/get', { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.body, '');
  assert.equal((await request(port, '/get', { method: 'POST', body: '{}' })).status, 405);
});

test('httpbin: POST /post, PUT /put, PATCH /patch, DELETE /delete echo the request with its body', async (t) => {
  const port = await serve(t);
  for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
    const path = `/${method.toLowerCase()}`;
    const r = await request(port, `${path}?q=1`, { method, headers: [['content-type', 'application/json']], body: '{"n":1,"s":["a"]}' });
    assert.equal(r.status, 200, method);
    const body = json(r);
    assert.deepEqual(Object.keys(body).sort(), ECHO_KEYS, method);
    assert.deepEqual(body['args'], { q: '1' });
    assert.equal(body['data'], '{"n":1,"s":["a"]}');
    assert.deepEqual(body['files'], {});
    assert.deepEqual(body['form'], {});
    assert.deepEqual(body['json'], { n: 1, s: ['a'] });
    assert.equal((body['headers'] as Record<string, string>)['Content-Type'], 'application/json');
    assert.equal(body['origin'], '127.0.0.1');
    assert.equal(body['url'], `http://127.0.0.1:${port}${path}?q=1`);

    const wrong = await request(port, path, { method: method === 'POST' ? 'PUT' : 'POST', body: '{}' });
    assert.equal(wrong.status, 405, method);
    assert.equal(wrong.headers['allow'], method);
    assert.equal((await request(port, path)).status, 405, `GET ${path}`);
  }
});

test('httpbin: a body that is not JSON gives json null; forms are parsed; other bytes are base64', async (t) => {
  const port = await serve(t);
  const text = json(await request(port, '/post', { method: 'POST', headers: [['content-type', 'application/json']], body: '{"unclosed": ' }));
  assert.equal(text['data'], '{"unclosed": ');
  assert.equal(text['json'], null);

  const empty = json(await request(port, '/post', { method: 'POST' }));
  assert.equal(empty['data'], '');
  assert.equal(empty['json'], null);

  const deep = '['.repeat(200_000) + ']'.repeat(200_000);
  const nested = await request(port, '/post', { method: 'POST', body: deep });
  assert.equal(nested.status, 200);
  assert.equal(json(nested)['json'], null);

  const form = json(await request(port, '/put', { method: 'PUT', headers: [['content-type', 'application/x-www-form-urlencoded; charset=utf-8']], body: 'a=1&b=two+words&a=3' }));
  assert.deepEqual(form['form'], { a: ['1', '3'], b: 'two words' });
  assert.equal(form['data'], '');
  assert.equal(form['json'], null);

  const binary = json(await request(port, '/post', { method: 'POST', headers: [['content-type', 'application/octet-stream']], body: Buffer.from([0xff, 0xfe, 0x00, 0x41]) }));
  assert.equal(binary['data'], 'data:application/octet-stream;base64,//4AQQ==');
  assert.equal(binary['json'], null);
});

test('httpbin: request bodies are capped at 1 MiB, declared or streamed', async (t) => {
  const port = await serve(t);
  const atCap = await request(port, '/post', { method: 'POST', body: Buffer.alloc(MAX_BODY_BYTES, 'a') });
  assert.equal(atCap.status, 200);
  assert.equal((json(atCap)['data'] as string).length, MAX_BODY_BYTES);

  // The server reads and drops the rest of a refused body, so the client always gets the answer.
  const declared = await request(port, '/post', { method: 'POST', body: Buffer.alloc(MAX_BODY_BYTES + 1, 'a') });
  assert.equal(declared.status, 413);
  assert.match(json(declared)['error'] as string, /larger than 1048576 bytes/);
  const streamed = await request(port, '/anything', { method: 'POST', body: Buffer.alloc(MAX_BODY_BYTES + 64 * 1024, 'a'), chunked: true });
  assert.equal(streamed.status, 413);
  assert.match(json(streamed)['error'] as string, /larger than 1048576 bytes/);

  // Still serving afterwards.
  assert.equal((await request(port, '/ip')).status, 200);
});

test('httpbin: /status/<code> answers that status with an empty body, for any method', async (t) => {
  const port = await serve(t);
  for (const [method, code] of [['GET', 200], ['POST', 201], ['GET', 204], ['PUT', 302], ['GET', 403], ['DELETE', 418], ['PATCH', 500], ['GET', 503], ['OPTIONS', 599]] as const) {
    const r = await request(port, `/status/${code}`, method === 'GET' ? { method } : { method, body: 'ignored' });
    assert.equal(r.status, code, `${method} ${code}`);
    assert.equal(r.body, '', `${method} ${code}`);
  }
  for (const bad of ['abc', '99', '100', '600', '1000', '', '20x', '-200']) {
    assert.equal((await request(port, `/status/${bad}`)).status, 400, bad);
  }
  assert.equal(parseStatus('404'), 404);
  assert.equal(parseStatus('0404'), null);
});

test('httpbin: /delay/<n> answers like /get after n seconds, capped at 10', async (t) => {
  const port = await serve(t);
  const started = Date.now();
  const r = await request(port, '/delay/0.3?x=1');
  const took = Date.now() - started;
  assert.equal(r.status, 200);
  assert.ok(took >= 280, `took ${took} ms`);
  const body = json(r);
  assert.deepEqual(body['args'], { x: '1' });
  assert.equal(body['origin'], '127.0.0.1');
  assert.equal(body['url'], `http://127.0.0.1:${port}/delay/0.3?x=1`);
  for (const k of ['args', 'headers', 'origin', 'url']) assert.ok(k in body, k);

  const posted = json(await request(port, '/delay/0', { method: 'POST', body: 'hello' }));
  assert.equal(posted['data'], 'hello');

  for (const bad of ['abc', '-1', '1e3', '', '.5']) assert.equal((await request(port, `/delay/${bad}`)).status, 400, bad);
  assert.equal(parseDelay('60'), MAX_DELAY_SECONDS);
  assert.equal(parseDelay('2.5'), 2.5);
});

test('httpbin: a client that leaves during /delay does not disturb the server', async (t) => {
  const port = await serve(t);
  const socket = net.connect(port, '127.0.0.1');
  await once(socket, 'connect');
  socket.write('GET /delay/10 HTTP/1.1\r\nHost: x\r\n\r\n');
  await new Promise((r) => setTimeout(r, 100));
  socket.destroy();
  assert.equal((await request(port, '/ip')).status, 200);
});

test('httpbin: /anything and /anything/<path> echo any method', async (t) => {
  const port = await serve(t);
  for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']) {
    for (const path of ['/anything', '/anything/a/b?k=v']) {
      const r = await request(port, path, method === 'GET' ? { method } : { method, body: '[1,2]' });
      assert.equal(r.status, 200, `${method} ${path}`);
      const body = json(r);
      assert.deepEqual(Object.keys(body).sort(), [...ECHO_KEYS, 'method'].sort());
      assert.equal(body['method'], method);
      assert.equal(body['url'], `http://127.0.0.1:${port}${path}`);
      assert.deepEqual(body['args'], path.includes('?') ? { k: 'v' } : {});
      assert.deepEqual(body['json'], method === 'GET' ? null : [1, 2]);
    }
  }
});

test('httpbin: unknown paths are 404 and broken requests are refused without stopping the server', async (t) => {
  const port = await serve(t);
  for (const path of ['/nope', '/get/', '/anythingelse', '/status', '/delay', '/headers/x', '/%zz']) {
    assert.equal((await request(port, path)).status, 404, path);
  }
  const socket = net.connect(port, '127.0.0.1');
  await once(socket, 'connect');
  socket.end('NOT HTTP AT ALL\r\n\r\n');
  let answer = '';
  socket.setEncoding('utf8');
  socket.on('data', (c: string) => (answer += c));
  await once(socket, 'close');
  assert.match(answer, /^HTTP\/1\.1 400/);
  assert.equal((await request(port, '/ip')).status, 200);
});

test('httpbin: the program listens on HOST:PORT and exits 0 on SIGTERM', async (t) => {
  const file = fileURLToPath(new URL('./httpbin.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', file], { env: { ...process.env, HOST: '127.0.0.1', PORT: '0' }, stdio: ['ignore', 'ignore', 'pipe'] });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let log = '';
  const port = await new Promise<number>((resolve, reject) => {
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      log += chunk;
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(log);
      if (m !== null) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`httpbin exited with ${code} before listening:\n${log}`)));
  });
  assert.deepEqual(json(await request(port, '/ip')), { origin: '127.0.0.1' });
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  assert.deepEqual(await exited, [0, null]);
});
