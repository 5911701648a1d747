// New connections per second with a full mTLS handshake each: `openssl s_time -new`, several
// processes at once, each opening one TLS connection after another with a client certificate,
// sending one request with `Connection: close`, reading the answer until the server closes, and
// starting over with no session reuse.
//
// Why s_time: it builds its TLS context once and pays only the handshake per connection, about
// 1.2-1.8 ms of CPU each on this kind of machine (OpenSSL 3.0). A Node client took about 3.5 ms
// per handshake, and curl, which builds a new TLS context (CA file included) for every
// connection, about 3 ms: more than either server spends, so they would measure themselves.
// s_time's cost is still of the same order as a server's (both sides do the same public-key
// work), which is why the result also gives server and client CPU per handshake: on two cores
// the clients and the server share the machine.
//
// s_time sends `GET <page> HTTP/1.0\r\n\r\n`. The page given here completes an HTTP/1.1 request
// with Host and `Connection: close` and leaves ` HTTP/1.0` as the value of a dummy header, so
// both servers see an ordinary HTTP/1.1 request that asks them to close.

import type { Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { connect as tlsConnect } from 'node:tls';
import { cpuTime, reapedChildrenCpuTime } from './proc-stats.ts';
import { describeExit, type ProcessGroup } from './process-group.ts';

/** What s_time puts after its GET: see the note above. */
export function sTimePage(host: string): string {
  return `/ HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\nX-Bench-Pad:`;
}

/** The bytes s_time writes for `page`. */
export function sTimeRequest(page: string): string {
  return `GET ${page} HTTP/1.0\r\n\r\n`;
}

export interface HandshakeTarget {
  port: number;
  /** Client certificate and key (PEM files) and the root that signed the server's certificate. */
  certFile: string;
  keyFile: string;
  caFile: string;
  /** The server's processes, for CPU per handshake. */
  serverPids: number[];
}

export interface HandshakeResult {
  clients: number;
  seconds: number;
  handshakes: number;
  handshakesPerSecond: number;
  /** Response bytes per connection, as s_time counts them (headers and body); a refused connection reads none. */
  bytesPerConnection: number;
  /** Server CPU (user + kernel) per handshake and request, ms. */
  serverCpuMs: number;
  /** The s_time processes' CPU (user + kernel) per handshake, ms. */
  clientCpuMs: number;
}

export interface OneTlsAnswer {
  /** 0 when no status line came back. */
  status: number;
  /** Bytes of the whole answer, headers included. */
  bytes: number;
  body: string;
  protocol: string;
  cipher: string;
  error: string | null;
}

/** One connection the way s_time makes it, through node:tls: status, the whole answer, and what TLS was negotiated. */
export function oneTlsRequest(t: HandshakeTarget, request: string, withCertificate = true): Promise<OneTlsAnswer> {
  return new Promise((resolve) => {
    const s = tlsConnect({
      host: '127.0.0.1',
      port: t.port,
      ca: readFileSync(t.caFile),
      ...(withCertificate ? { cert: readFileSync(t.certFile), key: readFileSync(t.keyFile) } : {}),
      // The certificate chain is checked; the name is not (mesh certificates carry a SPIFFE URI, not a DNS name).
      checkServerIdentity: () => undefined,
    });
    const chunks: Buffer[] = [];
    let error: string | null = null;
    let protocol = '';
    let cipher = '';
    const timer = setTimeout(() => s.destroy(new Error('no complete answer within 5 s')), 5000);
    s.once('secureConnect', () => {
      protocol = s.getProtocol() ?? '';
      cipher = s.getCipher().standardName;
      s.write(request);
    });
    s.on('data', (d: Buffer) => chunks.push(d));
    s.on('error', (e) => (error ??= e.message));
    (s as Socket).on('close', () => {
      clearTimeout(timer);
      const all = Buffer.concat(chunks).toString('latin1');
      const headEnd = all.indexOf('\r\n\r\n');
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(all)?.[1] ?? 0);
      resolve({ status, bytes: all.length, body: headEnd < 0 ? '' : all.slice(headEnd + 4), protocol, cipher, error });
    });
  });
}

function parseSTime(out: string): { connections: number; bytes: number } | null {
  const m = /(\d+) connections in [\d.]+s; [\d.]+ connections\/user sec, bytes read (\d+)/.exec(out);
  return m === null ? null : { connections: Number(m[1]), bytes: Number(m[2]) };
}

/** `clients` s_time processes for `seconds` against one target, started together. */
export async function runHandshakes(group: ProcessGroup, t: HandshakeTarget, host: string, clients: number, seconds: number): Promise<HandshakeResult> {
  const args = [
    's_time',
    '-connect', `127.0.0.1:${t.port}`,
    '-new',
    '-time', String(seconds),
    '-cert', t.certFile,
    '-key', t.keyFile,
    '-CAfile', t.caFile,
    '-verify', '2',
    '-www', sTimePage(host),
  ];
  const serverBefore = cpuTime(t.serverPids);
  const clientBefore = reapedChildrenCpuTime();
  const started = performance.now();
  const children = Array.from({ length: clients }, (_, i) => group.spawn(`s_time ${i + 1}`, 'openssl', args));
  const guard = setTimeout(() => void Promise.all(children.map((c) => group.stop(c, 1000))), (seconds + 20) * 1000);
  const statuses = await Promise.all(children.map((c) => c.exited));
  clearTimeout(guard);
  // Every s_time stops after `seconds` plus the connection in progress; the slowest one ends the batch.
  const wallSeconds = (performance.now() - started) / 1000;
  const serverAfter = cpuTime(t.serverPids);
  const clientAfter = reapedChildrenCpuTime();
  for (const c of children) await group.stop(c);

  let handshakes = 0;
  let bytes = 0;
  for (const [i, c] of children.entries()) {
    const parsed = parseSTime(c.stdout);
    const status = statuses[i];
    if (parsed === null || status === undefined || status.code !== 0) {
      throw new Error(`openssl s_time against 127.0.0.1:${t.port} failed (${status === undefined ? '?' : describeExit(status)}):\n${c.outputTail.slice(-1500)}`);
    }
    handshakes += parsed.connections;
    bytes += parsed.bytes;
  }
  const per = (a: { user: number; system: number }, b: { user: number; system: number }) => (handshakes > 0 ? ((a.user - b.user + a.system - b.system) / handshakes) * 1000 : NaN);
  return {
    clients,
    seconds: wallSeconds,
    handshakes,
    handshakesPerSecond: handshakes / wallSeconds,
    bytesPerConnection: handshakes > 0 ? bytes / handshakes : 0,
    serverCpuMs: per(serverAfter, serverBefore),
    clientCpuMs: per(clientAfter, clientBefore),
  };
}
