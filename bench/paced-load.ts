// Open-loop load generator for latency at a fixed rate (wrk has no rate mode and Debian has no
// wrk2). Runs as its own process so it never shares an event loop with what it measures.
//
//   node --import tsx bench/paced-load.ts --port N [--host-header H] [--rate 1000]
//        [--connections 16] [--duration-ms 10000] [--warmup-ms 1000]
//
// Request i is due at start + i/rate. When it is due it goes on the next idle keep-alive
// connection (round-robin); if all are busy it waits in a queue and the wait counts in its
// latency. Latency runs from the moment the generator takes the request up to the last byte of
// the response. Timer lateness of the generator itself is reported (maxLagMs) but not counted.
// Prints one JSON line with percentiles in milliseconds.

import { connect, type Socket } from 'node:net';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    'host-header': { type: 'string', default: 'localhost' },
    path: { type: 'string', default: '/' },
    rate: { type: 'string', default: '1000' },
    connections: { type: 'string', default: '16' },
    'duration-ms': { type: 'string', default: '10000' },
    'warmup-ms': { type: 'string', default: '1000' },
  },
});
const port = Number(values.port);
const rate = Number(values.rate);
const connections = Number(values.connections);
const durationMs = Number(values['duration-ms']);
const warmupMs = Number(values['warmup-ms']);
if (!Number.isInteger(port) || port <= 0 || !(rate > 0) || !(connections > 0) || !(durationMs > 0) || !(warmupMs >= 0)) {
  process.stderr.write('usage: paced-load --port N [--host-header H] [--rate R] [--connections C] [--duration-ms D] [--warmup-ms W]\n');
  process.exit(2);
}

const REQUEST = Buffer.from(`GET ${values.path} HTTP/1.1\r\nHost: ${values['host-header']}\r\n\r\n`, 'latin1');
const HEAD_END = Buffer.from('\r\n\r\n', 'latin1');
const CHUNKED_END = Buffer.from('0\r\n\r\n', 'latin1');
const intervalMs = 1000 / rate;
const warmupCount = Math.floor((warmupMs / 1000) * rate);
const measuredCount = Math.floor((durationMs / 1000) * rate);
const total = warmupCount + measuredCount;
/** Latency of each measured request, in ms; preallocated so recording allocates nothing. */
const latencies = new Float64Array(measuredCount);
let recorded = 0;
let completed = 0;
let errors = 0;
let non200 = 0;
let queuedCount = 0;
let reconnects = 0;
let maxLagMs = 0;
/** Requests taken up more than 1 ms after they were due (the generator's timer was late). */
let lateCount = 0;

interface Pending {
  index: number;
  takenAt: number;
}

class Conn {
  socket: Socket;
  busy = false;
  index = -1;
  takenAt = 0;
  /** Response bytes received so far (usually the whole response arrives in one chunk). */
  buf: Buffer | null = null;
  /** Body bytes still expected; -1 while the head is incomplete, -2 for a chunked body. */
  need = -1;
  status = 0;
  closeAfter = false;

  constructor() {
    this.socket = this.#open();
  }

  #open(): Socket {
    const s = connect({ host: '127.0.0.1', port, noDelay: true });
    s.on('data', (d: Buffer) => this.#onData(d));
    s.on('error', () => {});
    s.on('close', () => this.#onClose(s));
    return s;
  }

  #onClose(s: Socket): void {
    if (s !== this.socket || finished) return;
    if (this.busy) {
      errors++;
      this.busy = false;
    }
    if (++reconnects > 1000) fail('the server keeps closing connections');
    this.buf = null;
    this.need = -1;
    this.socket = this.#open();
    dispatchQueued(this);
  }

  send(p: Pending): void {
    this.busy = true;
    this.index = p.index;
    this.takenAt = p.takenAt;
    this.buf = null;
    this.need = -1;
    this.closeAfter = false;
    this.socket.write(REQUEST);
  }

  #onData(d: Buffer): void {
    if (!this.busy) return;
    this.buf = this.buf === null ? d : Buffer.concat([this.buf, d]);
    const buf = this.buf;
    if (this.need === -1) {
      const end = buf.indexOf(HEAD_END);
      if (end === -1) return;
      const head = buf.toString('latin1', 0, end).toLowerCase();
      this.status = Number(head.slice(9, 12));
      this.closeAfter = /\r\nconnection:\s*close/.test(head);
      const cl = /\r\ncontent-length:\s*(\d+)/.exec(head);
      if (cl !== null) this.need = Number(cl[1]);
      else if (/\r\ntransfer-encoding:\s*chunked/.test(head)) this.need = -2;
      else fail(`response without Content-Length or chunked framing: ${head.split('\r\n')[0]}`);
      this.buf = buf.subarray(end + 4);
    }
    const body = this.buf as Buffer;
    // Chunked: the benchmark's bodies carry no trailers, so the zero-size last chunk ends them.
    const done = this.need === -2 ? body.length >= 5 && body.subarray(body.length - 5).equals(CHUNKED_END) : body.length >= this.need;
    if (done) this.#complete();
  }

  #complete(): void {
    const now = performance.now();
    this.busy = false;
    this.buf = null;
    completed++;
    if (this.status !== 200) non200++;
    if (this.index >= warmupCount && recorded < measuredCount) latencies[recorded++] = now - this.takenAt;
    if (this.closeAfter) {
      this.socket.destroy();
      return; // #onClose reopens and dispatches
    }
    dispatchQueued(this);
  }
}

let finished = false;
const conns: Conn[] = [];
for (let i = 0; i < connections; i++) conns.push(new Conn());
const queue: Pending[] = [];
let rr = 0;

function dispatchQueued(c: Conn): void {
  const p = queue.shift();
  if (p !== undefined) c.send(p);
  else maybeFinish();
}

function take(index: number, now: number): void {
  for (let k = 0; k < conns.length; k++) {
    const c = conns[(rr + k) % conns.length] as Conn;
    if (!c.busy) {
      rr = (rr + k + 1) % conns.length;
      c.send({ index, takenAt: now });
      return;
    }
  }
  queuedCount++;
  queue.push({ index, takenAt: now });
}

let issued = 0;
let startAt = 0;
function tick(): void {
  const now = performance.now();
  while (issued < total) {
    const due = startAt + issued * intervalMs;
    if (due > now) break;
    const lag = now - due;
    if (lag > maxLagMs) maxLagMs = lag;
    if (lag > 1) lateCount++;
    take(issued++, now);
  }
  if (issued < total) setTimeout(tick, Math.max(0, startAt + issued * intervalMs - performance.now()));
  else {
    issuedAllAt = performance.now();
    maybeFinish();
    // Requests still in flight get a bounded time to finish.
    setTimeout(() => finish(), 5000).unref();
  }
}
let issuedAllAt = 0;

function maybeFinish(): void {
  if (issued === total && queue.length === 0 && conns.every((c) => !c.busy)) finish();
}

function fail(why: string): never {
  process.stderr.write(`paced-load: ${why}\n`);
  process.exit(1);
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[i] as number;
}

function finish(): void {
  if (finished) return;
  finished = true;
  const wallMs = (issuedAllAt || performance.now()) - startAt;
  const sorted = latencies.slice(0, recorded).sort();
  let sum = 0;
  for (let i = 0; i < sorted.length; i++) sum += sorted[i] as number;
  const result = {
    rate,
    connections,
    requested: measuredCount,
    recorded,
    completed,
    /** Requests whose connection broke before the answer. */
    errors,
    /** Requests with no complete answer by the end (broken or still in flight). */
    unanswered: total - completed,
    non200,
    queued: queuedCount,
    reconnects,
    achievedRate: (issued / wallMs) * 1000,
    maxLagMs,
    late: lateCount,
    meanMs: sorted.length > 0 ? sum / sorted.length : NaN,
    p50Ms: percentile(sorted, 0.5),
    p90Ms: percentile(sorted, 0.9),
    p99Ms: percentile(sorted, 0.99),
    p999Ms: percentile(sorted, 0.999),
    maxMs: sorted.length > 0 ? (sorted[sorted.length - 1] as number) : NaN,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  for (const c of conns) c.socket.destroy();
  process.exit(0);
}

// Start once every connection is open, so connection setup is not part of any latency.
let open = 0;
for (const c of conns) {
  const s = c.socket;
  const onError = (e: Error) => fail(`cannot connect to 127.0.0.1:${port}: ${e.message}`);
  s.once('error', onError);
  s.once('connect', () => {
    s.off('error', onError);
    if (++open === conns.length) {
      startAt = performance.now();
      tick();
    }
  });
}
// Hard bound on the whole run, whatever happens.
setTimeout(() => fail('did not finish in time'), warmupMs + durationMs + 20000).unref();
