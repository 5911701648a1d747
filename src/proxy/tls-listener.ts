// TLS on the proxy's listeners. A sidecar's inbound port takes mesh mTLS and, unless its
// PeerAuthentication mode is STRICT, plaintext too: the first byte tells them apart (a TLS
// record starts with 0x16; HTTP with a letter). STRICT resets plaintext connections, as Istio
// does. A gateway port with TLS servers terminates TLS and picks the certificate by SNI.
//
// The TLS work is done by a tls.Server that never listens: accepted sockets are handed to it
// with emit('connection'), which gives the full server-side checks (client certificate required
// and verified against the roots) without a second port.

import { connect as netConnect, type Socket } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer, type TLSSocket } from 'node:tls';
import type { GatewayTlsServer, InboundMtlsMode } from '../api/index.ts';
import type { Logger } from '../shared/index.ts';
import type { PeerInfo } from './exchange.ts';
import { Http1ServerConnection, plainPeer, type ListenerContext } from './http1-server.ts';
import { certHash, gatewayServerContext, spiffeFromSan, type MeshTls } from './mesh-tls.ts';
import { hostMatchesPattern } from './host-match.ts';
import type { CompiledPassthrough } from './compile-config.ts';
import type { EndpointRuntime } from './load-balancer.ts';
import { MAX_CLIENT_HELLO, readSni } from './sni.ts';

/** How long a new connection may stay silent before its protocol is known, and how long a handshake may take. */
export const DETECT_TIMEOUT_MS = 15_000;
export const HANDSHAKE_TIMEOUT_MS = 10_000;

const TLS_HANDSHAKE_RECORD = 0x16;

function clientIp(socket: Socket): string {
  const a = socket.remoteAddress ?? '';
  return a.startsWith('::ffff:') ? a.slice(7) : a;
}

function tlsPeer(t: TLSSocket, raw: Socket): PeerInfo {
  const cert = t.getPeerCertificate();
  const has = cert !== null && typeof cert === 'object' && cert.raw !== undefined;
  const base = plainPeer(raw);
  return {
    tls: true,
    identity: has && t.authorized ? spiffeFromSan(cert.subjectaltname) : null,
    certHash: has && t.authorized ? certHash(cert.raw) : null,
    sni: typeof t.servername === 'string' && t.servername !== '' ? t.servername : null,
    localAddress: base.localAddress,
    localPort: base.localPort,
  };
}

/** A compiled gateway TLS server: its hosts and its secure context. */
interface GatewayEntry {
  spec: GatewayTlsServer;
  context: ReturnType<typeof gatewayServerContext>;
}

/** TLS state of one listener: the inbound mTLS mode, or the gateway's TLS servers. */
export class ListenerTls {
  /** Sidecar inbound: the PeerAuthentication mode. Null for listeners without mesh mTLS. */
  mtls: InboundMtlsMode | null = null;
  #gateway: GatewayEntry[] | null = null;
  /** Problems building the gateway servers (a bad file); shown in logs and config_dump. */
  gatewayErrors: string[] = [];
  #server: TlsServer | null = null;
  #serverGeneration = -1;
  readonly #mesh: MeshTls;
  readonly #log: Logger;
  #ctx: ListenerContext | null = null;
  /** Gateway: TLS passthrough routes by SNI. */
  passthrough: readonly CompiledPassthrough[] | null = null;
  /** Accepted sockets not yet serving HTTP (protocol detection, TLS handshake, passthrough), closed on stop. */
  readonly #pending = new Set<Socket>();

  constructor(mesh: MeshTls, log: Logger) {
    this.#mesh = mesh;
    this.#log = log;
  }

  bind(ctx: ListenerContext): void {
    this.#ctx = ctx;
  }

  /** Sets the gateway servers; a server whose files cannot be read is skipped and reported. */
  setGatewayServers(servers: readonly GatewayTlsServer[] | null): void {
    this.gatewayErrors = [];
    if (servers === null || servers.length === 0) {
      this.#gateway = null;
    } else {
      const entries: GatewayEntry[] = [];
      for (const spec of servers) {
        try {
          entries.push({ spec, context: gatewayServerContext(spec, this.#mesh) });
        } catch (e) {
          const msg = `TLS server for ${spec.hosts.join(',')}: ${(e as Error).message}`;
          this.gatewayErrors.push(msg);
          this.#log.error('gateway TLS server skipped', { error: msg });
        }
      }
      this.#gateway = entries;
    }
    this.#server = null;
  }

  get terminatesGatewayTls(): boolean {
    return this.#gateway !== null;
  }

  /** Closes connections still detecting their protocol or handshaking. */
  closePending(): void {
    for (const s of this.#pending) s.destroy();
    this.#pending.clear();
  }

  /** Handles an accepted socket. */
  accept(socket: Socket): void {
    const ctx = this.#ctx;
    if (ctx === null) {
      socket.destroy();
      return;
    }
    const pending = this.#pending;
    pending.add(socket);
    socket.once('close', () => pending.delete(socket));
    if (this.passthrough !== null) {
      this.#sniRoute(socket, this.passthrough);
      return;
    }
    if (this.#gateway !== null) {
      this.#toTls(socket);
      return;
    }
    const mode = this.mtls;
    if (mode === null || mode === 'DISABLE') {
      new Http1ServerConnection(socket, ctx);
      return;
    }
    socket.setTimeout(DETECT_TIMEOUT_MS);
    const onTimeout = (): void => {
      socket.destroy();
    };
    socket.once('timeout', onTimeout);
    socket.on('error', noop);
    socket.once('data', (chunk: Buffer) => {
      socket.pause();
      socket.setTimeout(0);
      socket.off('timeout', onTimeout);
      socket.off('error', noop);
      socket.unshift(chunk);
      if (chunk[0] === TLS_HANDSHAKE_RECORD) {
        this.#toTls(socket);
      } else if (this.mtls === 'STRICT') {
        ctx.stats.plaintextRejected++;
        socket.resetAndDestroy();
      } else {
        new Http1ServerConnection(socket, ctx);
        socket.resume();
      }
    });
  }

  /**
   * Reads the ClientHello's SNI. A passthrough route for it gets the bytes, still encrypted;
   * otherwise the connection goes to the terminating servers on this port, or is closed.
   */
  #sniRoute(socket: Socket, routes: readonly CompiledPassthrough[]): void {
    const ctx = this.#ctx as ListenerContext;
    let buf: Buffer = Buffer.alloc(0);
    socket.setTimeout(DETECT_TIMEOUT_MS);
    const onTimeout = (): void => {
      socket.destroy();
    };
    const onData = (chunk: Buffer): void => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      const r = readSni(buf);
      if (r.kind === 'more' && buf.length < MAX_CLIENT_HELLO) return;
      socket.off('data', onData);
      socket.off('timeout', onTimeout);
      socket.setTimeout(0);
      socket.pause();
      const sni = r.kind === 'done' ? r.sni : null;
      const route = sni === null ? undefined : routes.find((x) => x.sniHosts.some((h) => hostMatchesPattern(h, sni)));
      if (route !== undefined) {
        this.#pipeTo(socket, buf, route);
        return;
      }
      if (this.#gateway !== null && r.kind === 'done') {
        socket.unshift(buf);
        this.#toTls(socket);
        return;
      }
      ctx.stats.tlsHandshakeErrors++;
      this.#log.debug('no TLS route for this connection', { sni });
      socket.destroy();
    };
    socket.once('timeout', onTimeout);
    socket.on('error', noop);
    socket.on('data', onData);
  }

  /** Sends a passthrough connection to an endpoint of the route's cluster and copies bytes both ways. */
  #pipeTo(socket: Socket, first: Buffer, route: CompiledPassthrough): void {
    const d = route.destinations;
    const cluster = d.clusters.length === 0 ? null : d.clusters[d.pickIndex(Math.random())] ?? null;
    const ep: EndpointRuntime | null = cluster?.pick() ?? null;
    if (ep === null) {
      this.#log.debug('passthrough route has no endpoint', { route: route.name });
      socket.destroy();
      return;
    }
    const up = netConnect({ host: ep.address, port: ep.port, noDelay: true });
    const ctx = this.#ctx as ListenerContext;
    up.setTimeout(ctx.registry.timeouts.connectMs, () => up.destroy());
    up.once('connect', () => {
      up.setTimeout(0);
      up.write(first);
      socket.pipe(up);
      up.pipe(socket);
      socket.resume();
    });
    const close = (): void => {
      socket.destroy();
      up.destroy();
    };
    up.on('error', close);
    up.on('close', close);
    socket.on('close', close);
  }

  #toTls(socket: Socket): void {
    const server = this.#tlsServer();
    if (server === null) {
      // No certificate yet (or no usable gateway server): refuse rather than serve unauthenticated.
      socket.resetAndDestroy();
      return;
    }
    server.emit('connection', socket);
  }

  #tlsServer(): TlsServer | null {
    if (this.#server !== null && (this.#gateway !== null || this.#serverGeneration === this.#mesh.generation)) return this.#server;
    const ctx = this.#ctx as ListenerContext;
    let server: TlsServer;
    if (this.#gateway !== null) {
      const entries = this.#gateway;
      const first = entries[0];
      if (first === undefined) return null;
      const mutual = entries.some((e) => e.spec.mode !== 'SIMPLE');
      server = createTlsServer({
        requestCert: mutual,
        rejectUnauthorized: false,
        handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
        SNICallback: (name, cb) => cb(null, pick(entries, name).context),
      });
      // No SNI: the first server's certificate.
      server.addContext('*', first.context);
      server.on('secureConnection', (t: TLSSocket) => {
        const entry = pick(entries, t.servername || '');
        const needsCert = entry.spec.mode === 'MUTUAL' || entry.spec.mode === 'ISTIO_MUTUAL';
        if (needsCert && !t.authorized) {
          ctx.stats.tlsHandshakeErrors++;
          t.destroy();
          return;
        }
        if (entry.spec.subjectAltNames !== undefined && t.authorized) {
          const san = t.getPeerCertificate().subjectaltname ?? '';
          const values = san.split(', ').map((p) => p.slice(p.indexOf(':') + 1));
          if (!entry.spec.subjectAltNames.some((s) => values.includes(s))) {
            t.destroy();
            return;
          }
        }
        this.#serve(t);
      });
    } else {
      const opts = this.#mesh.serverOptions;
      if (opts === null) return null;
      server = createTlsServer({ ...opts, requestCert: true, rejectUnauthorized: true, handshakeTimeout: HANDSHAKE_TIMEOUT_MS });
      server.on('secureConnection', (t: TLSSocket) => this.#serve(t));
      this.#serverGeneration = this.#mesh.generation;
    }
    server.on('tlsClientError', (e: Error) => {
      ctx.stats.tlsHandshakeErrors++;
      this.#log.debug('TLS handshake failed', { error: e.message });
    });
    this.#server = server;
    return server;
  }

  #serve(t: TLSSocket): void {
    const ctx = this.#ctx as ListenerContext;
    // The TLS socket wraps the accepted one; addresses are read from it.
    const raw = t as unknown as Socket;
    new Http1ServerConnection(t, ctx, tlsPeer(t, raw), clientIp(raw));
  }
}

function pick(entries: readonly GatewayEntry[], servername: string): GatewayEntry {
  const name = servername.toLowerCase();
  if (name !== '') {
    for (const e of entries) if (e.spec.hosts.some((h) => hostMatchesPattern(h, name))) return e;
  }
  return entries[0] as GatewayEntry;
}

function noop(): void {}
