import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { connect } from 'node:tls';
import { MAX_CLIENT_HELLO, readSni } from './sni.ts';

/** The first bytes a real TLS client sends for a server name. */
async function clientHello(servername: string | undefined): Promise<Buffer> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  const got = new Promise<Buffer>((resolve) => srv.once('connection', (s) => {
    let buf = Buffer.alloc(0);
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (readSni(buf).kind !== 'more') {
        resolve(buf);
        s.destroy();
      }
    });
  }));
  const c = connect({ host: '127.0.0.1', port, ...(servername !== undefined ? { servername } : {}), rejectUnauthorized: false });
  c.on('error', () => {});
  const hello = await got;
  c.destroy();
  srv.close();
  return hello;
}

test('reads SNI from a real ClientHello, whole or arriving a byte at a time', async () => {
  const hello = await clientHello('Nginx.Example.com');
  assert.deepEqual(readSni(hello), { kind: 'done', sni: 'nginx.example.com' });
  for (let i = 0; i < hello.length; i++) assert.equal(readSni(hello.subarray(0, i)).kind, 'more', `prefix ${i}`);
});

test('a ClientHello without SNI gives null; garbage and HTTP are invalid, never a throw', async () => {
  assert.deepEqual(readSni(await clientHello(undefined)), { kind: 'done', sni: null });
  assert.equal(readSni(Buffer.from('GET / HTTP/1.1\r\n\r\n')).kind, 'invalid');
  assert.equal(readSni(Buffer.from([0x16, 0x03, 0x01, 0xff, 0xff])).kind, 'invalid');
  const hello = await clientHello('a.example.com');
  for (let i = 5; i < hello.length; i++) {
    const broken = Buffer.from(hello);
    broken[i] = 0xff;
    const r = readSni(broken);
    assert.ok(r.kind === 'done' || r.kind === 'invalid' || r.kind === 'more');
  }
  assert.ok(MAX_CLIENT_HELLO > 16 * 1024);
});
