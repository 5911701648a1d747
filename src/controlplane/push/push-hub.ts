// Keeps every connected proxy on the newest config: regenerates per proxy when the snapshot
// changes, sends only versions that differ from what the proxy last received, and records
// ACK/NACK so `proxy-status` can say SYNCED, STALE or NACKED.

import type { Ack, DiscoveryMessage, ProxyConfig, ProxyNode, ProxyStatus } from '../../api/index.ts';
import { createLogger } from '../../shared/index.ts';
import type { MeshSnapshot } from '../../model/index.ts';
import { EMPTY_SECURITY_CONTEXT, generateProxyConfig, type SecurityContext } from '../generate/index.ts';

const log = createLogger('push');

export interface ProxyStream {
  send(msg: DiscoveryMessage): void;
  close(): void;
}


interface Conn {
  node: ProxyNode;
  stream: ProxyStream;
  status: ProxyStatus;
  last?: ProxyConfig;
}

export class PushHub {
  #snap: MeshSnapshot;
  #conns = new Map<string, Conn>();
  #status = new Map<string, ProxyStatus>();
  /** Called after every ACK/NACK (apply --wait waits through these). */
  #onAck = new Set<() => void>();
  pushes = 0;
  readonly #security: () => SecurityContext;

  /** `security` supplies what generation needs beyond the snapshot (roots, fetched JWKS, mesh config). */
  constructor(snap: MeshSnapshot, security: () => SecurityContext = () => EMPTY_SECURITY_CONTEXT) {
    this.#snap = snap;
    this.#security = security;
  }

  get snapshot(): MeshSnapshot {
    return this.#snap;
  }

  connect(node: ProxyNode, stream: ProxyStream, appliedVersion: string): () => void {
    const old = this.#conns.get(node.id);
    if (old) old.stream.close();
    const now = new Date().toISOString();
    const status: ProxyStatus = { ...this.#status.get(node.id), id: node.id, role: node.role, pod: node.podName, namespace: node.namespace, connected: true, lastSeen: now, connectedAt: now };
    if (appliedVersion) status.acked = appliedVersion;
    this.#status.set(node.id, status);
    const conn: Conn = { node, stream, status };
    this.#conns.set(node.id, conn);
    this.#push(conn, appliedVersion);
    return () => {
      if (this.#conns.get(node.id) === conn) {
        this.#conns.delete(node.id);
        status.connected = false;
        status.lastSeen = new Date().toISOString();
      }
    };
  }

  update(snap: MeshSnapshot): void {
    this.#snap = snap;
    this.refresh();
  }

  /** Regenerates for every proxy (the security context changed: roots rotated, a JWKS arrived). */
  refresh(): void {
    for (const c of this.#conns.values()) this.#push(c, c.last?.version ?? '');
  }

  #push(c: Conn, current: string): void {
    let cfg: ProxyConfig;
    try {
      cfg = generateProxyConfig(this.#snap, c.node, this.#security());
      delete c.status.generateError;
    } catch (e) {
      c.status.generateError = (e as Error).message;
      log.warn('cannot generate config', { proxy: c.node.id, error: e });
      return;
    }
    c.last = cfg;
    c.status.sent = cfg.version;
    // A proxy that reconnects already running this version needs nothing sent.
    if (cfg.version === current) return;
    this.pushes++;
    c.stream.send({ type: 'config', config: cfg });
  }

  ack(a: Ack): void {
    const s = this.#status.get(a.node);
    if (!s) return;
    s.lastSeen = new Date().toISOString();
    if (a.error !== undefined) {
      s.nacked = { version: a.version, error: a.error };
      log.warn('proxy rejected config', { proxy: a.node, version: a.version, error: a.error });
    } else {
      s.acked = a.version;
      delete s.nacked;
    }
    for (const check of [...this.#onAck]) check();
  }

  ping(): void {
    for (const c of this.#conns.values()) c.stream.send({ type: 'ping' });
  }

  /** The config a connected proxy was last given (for proxy-config). */
  configOf(id: string): ProxyConfig | undefined {
    return this.#conns.get(id)?.last;
  }

  statuses(): ProxyStatus[] {
    return [...this.#status.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  forget(id: string): void {
    this.#status.delete(id);
    this.#conns.get(id)?.stream.close();
    this.#conns.delete(id);
  }

  /** Which connected proxies run the config they were last given, which have not confirmed it, which refused it. */
  #propagation(): { synced: string[]; pending: string[]; nacked: string[] } {
    const synced: string[] = [], pending: string[] = [], nacked: string[] = [];
    for (const { status: s } of this.#conns.values()) {
      if (s.nacked && s.nacked.version === s.sent) nacked.push(s.id);
      else if (s.acked === s.sent) synced.push(s.id);
      else pending.push(s.id);
    }
    return { synced, pending, nacked };
  }

  /** Resolves when every connected proxy has ACKed (or NACKed) the config it was last sent, or at the timeout. */
  whenSettled(timeoutMs: number): Promise<{ synced: string[]; pending: string[]; nacked: string[] }> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#onAck.delete(check);
        resolve(this.#propagation());
      };
      const check = () => {
        if (this.#propagation().pending.length === 0) done();
      };
      const timer = setTimeout(done, timeoutMs);
      this.#onAck.add(check);
      check();
    });
  }

  close(): void {
    for (const c of this.#conns.values()) c.stream.close();
    this.#conns.clear();
  }
}
