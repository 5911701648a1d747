// Keep-alive connections to upstream endpoints: one EndpointPool per `address:port`, holding a
// bounded LIFO stack of idle sockets. Socket event handlers are installed once per socket and
// dispatch to whoever owns the connection at the moment (an in-flight upstream request), so a
// reused connection costs no new closures.

import { connect, Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import type { Logger } from '../shared/index.ts';
import { clock, type ConnectionRegistry } from './connection-registry.ts';
import type { CircuitState, ConnSettings, EndpointPoolRef, EndpointTls } from './load-balancer.ts';
import type { MeshTls, UpstreamTlsContext } from './mesh-tls.ts';
import { OutBuffer } from './out-buffer.ts';
import type { ProxyStats } from './stats.ts';

/** The party using an upstream connection. */
export interface UpstreamOwner {
  onUpstreamConnect(conn: UpstreamConn): void;
  /** Response bytes. `chunk` is only valid during the call (its memory is reused for the next read). */
  onUpstreamData(chunk: Buffer): void;
  /** The upstream sent FIN. */
  onUpstreamEnd(): void;
  /** The socket is gone. `connected` tells a connect failure from a later close. */
  onUpstreamClose(err: Error | null, connected: boolean): void;
  onUpstreamDrain(): void;
}

/** Shared read buffer of every upstream socket (see UpstreamConn). */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

/** Idle connections kept per endpoint. */
export const MAX_IDLE_PER_ENDPOINT = 128;

export class UpstreamConn {
  readonly socket: Socket;
  readonly pool: EndpointPool;
  owner: UpstreamOwner | null;
  connected = false;
  /** Requests this connection has carried (0 while the first one is in flight). */
  uses = 0;
  /** The circuit breaker this connection counts against (its cluster's), if any. */
  circuit: CircuitState | null = null;
  idleSince = 0;
  /** `maxConnectionDuration`: after this time (`Date.now()`) the connection is not reused. */
  readonly expiresAt: number;
  /** Where request heads are written. */
  readonly out = new OutBuffer();
  #closed = false;
  #error: Error | null = null;
  #paused = false;

  constructor(pool: EndpointPool, owner: UpstreamOwner) {
    this.pool = pool;
    this.owner = owner;
    // Reads land in one buffer shared by all upstream sockets and go straight to the owner,
    // skipping the Readable stream machinery; owners copy whatever must outlive the call.
    const onread = { buffer: READ_BUFFER, callback: this.#onRead };
    let s: Socket;
    if (pool.tls === null) {
      s = connect({ host: pool.address, port: pool.port, noDelay: true, onread });
      s.on('connect', this.#onConnect);
    } else {
      let t: UpstreamTlsContext | null;
      let err: Error | null = null;
      try {
        t = pool.tlsContext();
      } catch (e) {
        t = null;
        err = e as Error;
      }
      if (t === null) {
        // No certificate yet, or unreadable TLS files: fail like a refused connection.
        s = new Socket();
        const e = err ?? Object.assign(new Error('no workload certificate yet for mesh mTLS'), { code: 'ERR_NO_CERTIFICATE' });
        process.nextTick(() => s.destroy(e));
      } else {
        pool.stats.upstreamTlsConnections++;
        // tls.connect takes `onread` like net.connect (its types omit it).
        const opts: ConnectionOptions & { onread: typeof onread } = {
          host: pool.address,
          port: pool.port,
          onread,
          secureContext: t.context,
          rejectUnauthorized: t.verify,
          checkServerIdentity: t.checkServerIdentity,
          ALPNProtocols: ['http/1.1'],
        };
        if (t.servername !== undefined) opts.servername = t.servername;
        s = tlsConnect(opts);
        s.setNoDelay(true);
        s.on('secureConnect', this.#onConnect);
      }
    }
    this.socket = s;
    const conn = pool.conn;
    this.expiresAt = conn?.maxConnectionDurationMs != null ? Date.now() + conn.maxConnectionDurationMs : Infinity;
    if (conn !== null && conn.keepAliveMs !== null) s.setKeepAlive(true, conn.keepAliveMs);
    s.setTimeout(pool.connectTimeoutMs);
    s.on('timeout', this.#onTimeout);
    s.on('end', this.#onEnd);
    s.on('error', this.#onError);
    s.on('close', this.#onClose);
    s.on('drain', this.#onDrain);
  }

  get closed(): boolean {
    return this.#closed;
  }

  #onConnect = (): void => {
    this.connected = true;
    this.socket.setTimeout(0);
    this.owner?.onUpstreamConnect(this);
  };

  #onTimeout = (): void => {
    // Only armed while connecting.
    if (!this.connected) this.socket.destroy(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' }));
  };

  #onRead = (n: number, buf: Buffer): boolean => {
    const o = this.owner;
    if (o !== null) o.onUpstreamData(buf.subarray(0, n));
    else this.destroy(); // Bytes on an idle connection: the upstream is confused; never reuse it.
    return true;
  };

  #onEnd = (): void => {
    const o = this.owner;
    if (o !== null) o.onUpstreamEnd();
    else this.destroy();
  };

  #onError = (e: Error): void => {
    this.#error = e;
  };

  #onClose = (): void => {
    if (this.#closed) return;
    this.#closed = true;
    this.pool.connClosed(this);
    const o = this.owner;
    this.owner = null;
    o?.onUpstreamClose(this.#error, this.connected);
  };

  #onDrain = (): void => {
    this.owner?.onUpstreamDrain();
  };

  pause(): void {
    if (!this.#paused) {
      this.#paused = true;
      this.socket.pause();
    }
  }

  resume(): void {
    if (this.#paused) {
      this.#paused = false;
      this.socket.resume();
    }
  }

  destroy(): void {
    this.owner = null;
    this.socket.destroy();
  }
}

export class EndpointPool implements EndpointPoolRef {
  readonly key: string;
  readonly address: string;
  readonly port: number;
  readonly connectTimeoutMs: number;
  /** Requests in flight. */
  active = 0;
  /** Open sockets (idle or busy). */
  open = 0;
  readonly #idle: UpstreamConn[] = [];
  readonly #stats: ProxyStats;
  #closed = false;
  readonly tls: EndpointTls | null;
  readonly conn: ConnSettings | null;
  /** Idle connections older than this are closed (null: the proxy-wide default). */
  readonly idleTimeoutMs: number | null;
  readonly #mesh: MeshTls | null;

  constructor(key: string, address: string, port: number, stats: ProxyStats, connectTimeoutMs: number, tls: EndpointTls | null = null, mesh: MeshTls | null = null, conn: ConnSettings | null = null) {
    this.key = key;
    this.address = address;
    this.port = port;
    this.#stats = stats;
    this.connectTimeoutMs = conn?.connectTimeoutMs ?? connectTimeoutMs;
    this.tls = tls;
    this.#mesh = mesh;
    this.conn = conn;
    this.idleTimeoutMs = conn?.idleTimeoutMs ?? null;
  }

  get stats(): ProxyStats {
    return this.#stats;
  }

  /** The TLS settings for a new connection: null when they cannot be had yet; throws for unreadable files. */
  tlsContext(): UpstreamTlsContext | null {
    const t = this.tls;
    const mesh = this.#mesh;
    if (t === null || mesh === null) return null;
    if (t.kind === 'mesh') return mesh.istioMutual(t.identities, t.sni);
    return mesh.fileUpstream(t.upstream as NonNullable<EndpointTls['upstream']>, this.address);
  }

  get idleCount(): number {
    return this.#idle.length;
  }

  /** An idle connection (already connected), or null. */
  takeIdle(owner: UpstreamOwner): UpstreamConn | null {
    const idle = this.#idle;
    while (idle.length > 0) {
      const c = idle.pop() as UpstreamConn;
      if (c.closed || c.socket.destroyed) continue;
      if (c.expiresAt !== Infinity && c.expiresAt <= Date.now()) {
        c.destroy();
        continue;
      }
      c.owner = owner;
      c.resume();
      return c;
    }
    return null;
  }

  /** A new connection; the owner hears onUpstreamConnect or onUpstreamClose. */
  connect(owner: UpstreamOwner): UpstreamConn {
    this.open++;
    this.#stats.upstreamConnections++;
    this.#stats.upstreamConnectionsActive++;
    return new UpstreamConn(this, owner);
  }

  /** Returns a connection whose last exchange completed cleanly. */
  release(c: UpstreamConn): void {
    c.owner = null;
    c.uses++;
    if (this.#closed || c.closed || this.#idle.length >= MAX_IDLE_PER_ENDPOINT || (c.expiresAt !== Infinity && c.expiresAt <= Date.now())) {
      c.destroy();
      return;
    }
    c.idleSince = clock.now;
    c.resume(); // Read while idle, so a close by the upstream is noticed at once.
    this.#idle.push(c);
    c.circuit?.wake();
  }

  connClosed(c: UpstreamConn): void {
    this.open--;
    const circuit = c.circuit;
    if (circuit !== null) {
      c.circuit = null;
      circuit.connections--;
      circuit.wake();
    }
    this.#stats.upstreamConnectionsActive--;
    const i = this.#idle.indexOf(c);
    if (i !== -1) this.#idle.splice(i, 1);
  }

  /**
   * Closes idle connections older than the idle timeout (the oldest are at the bottom of the
   * stack), and any past `maxConnectionDuration`.
   */
  expireIdle(now: number, defaultIdleMs: number): void {
    const idle = this.#idle;
    const maxIdleMs = this.idleTimeoutMs ?? defaultIdleMs;
    while (idle.length > 0 && now - (idle[0] as UpstreamConn).idleSince > maxIdleMs) {
      (idle.shift() as UpstreamConn).destroy();
    }
    if (this.conn?.maxConnectionDurationMs != null) {
      for (let i = idle.length - 1; i >= 0; i--) {
        const c = idle[i] as UpstreamConn;
        if (c.expiresAt <= now) {
          idle.splice(i, 1);
          c.destroy();
        }
      }
    }
  }

  /** The endpoint left the config: close idle sockets now, busy ones when their exchange ends. */
  close(): void {
    this.#closed = true;
    for (const c of this.#idle.splice(0)) c.destroy();
  }

  get isClosed(): boolean {
    return this.#closed;
  }
}

/** All endpoint pools, kept in step with the applied config. */
export class UpstreamPools {
  readonly #pools = new Map<string, EndpointPool>();
  readonly #stats: ProxyStats;
  readonly #registry: ConnectionRegistry;
  readonly #log: Logger;
  readonly #mesh: MeshTls | null;

  constructor(stats: ProxyStats, registry: ConnectionRegistry, log: Logger, mesh: MeshTls | null = null) {
    this.#stats = stats;
    this.#registry = registry;
    this.#log = log;
    this.#mesh = mesh;
    registry.addSweeper((now) => {
      for (const p of this.#pools.values()) p.expireIdle(now, registry.timeouts.upstreamIdleMs);
    });
  }

  get(key: string, address: string, port: number, tls: EndpointTls | null = null, conn: ConnSettings | null = null): EndpointPool {
    let p = this.#pools.get(key);
    if (p === undefined) {
      p = new EndpointPool(key, address, port, this.#stats, this.#registry.timeouts.connectMs, tls, this.#mesh, conn);
      this.#pools.set(key, p);
    }
    return p;
  }

  /** Closes pools whose endpoint is no longer in `keep`. */
  retain(keep: ReadonlySet<string>): void {
    for (const [k, p] of this.#pools) {
      if (!keep.has(k)) {
        this.#log.debug('closing upstream pool', { endpoint: k, idle: p.idleCount, open: p.open });
        p.close();
        this.#pools.delete(k);
      }
    }
  }

  closeAll(): void {
    for (const p of this.#pools.values()) p.close();
    this.#pools.clear();
  }

  /** Open sockets across pools (for tests and /stats). */
  openSockets(): number {
    let n = 0;
    for (const p of this.#pools.values()) n += p.open;
    return n;
  }
}
