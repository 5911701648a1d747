// Client side of the discovery protocol (src/api/discovery.ts): hold a GET open, read NDJSON
// messages, apply each config whole or not at all, ACK/NACK it. Reconnects forever with capped,
// jittered exponential backoff; the proxy keeps serving its last applied config meanwhile.

import http from 'node:http';
import { ACK_PATH, type Ack, DISCOVERY_PATH, type DiscoveryMessage, PING_INTERVAL_MS, type ProxyConfig, type ProxyNode } from '../api/index.ts';
import type { Logger } from '../shared/index.ts';
import type { ApplyResult } from './proxy.ts';

export interface DiscoveryClientOptions {
  /** `http://host:port` of the control plane. */
  url: string;
  node: ProxyNode;
  apply(config: ProxyConfig): Promise<ApplyResult>;
  /** The version last applied ('' before the first). */
  currentVersion(): string;
  log: Logger;
  /** Called after each (re)connection is established. */
  onConnect?: () => void;
  /** Reconnect when no line arrives for this long (default 3 × PING_INTERVAL_MS). */
  idleTimeoutMs?: number;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
}

export class DiscoveryClient {
  readonly #o: DiscoveryClientOptions;
  readonly #base: URL;
  readonly #agent = new http.Agent({ keepAlive: true, maxSockets: 2 });
  #req: http.ClientRequest | null = null;
  #watchdog: NodeJS.Timeout | null = null;
  #retry: NodeJS.Timeout | null = null;
  #attempt = 0;
  #stopped = false;
  /** Config messages are applied one at a time, in order. */
  #chain: Promise<void> = Promise.resolve();

  constructor(o: DiscoveryClientOptions) {
    this.#o = o;
    this.#base = new URL(o.url);
  }

  start(): void {
    this.#connect();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#retry !== null) clearTimeout(this.#retry);
    if (this.#watchdog !== null) clearTimeout(this.#watchdog);
    this.#req?.destroy();
    this.#req = null;
    this.#agent.destroy();
  }

  #connect(): void {
    if (this.#stopped) return;
    const u = new URL(DISCOVERY_PATH, this.#base);
    u.searchParams.set('node', JSON.stringify(this.#o.node));
    u.searchParams.set('version', this.#o.currentVersion());
    let done = false;
    // Every way a stream can end leads here exactly once.
    const fail = (why: string) => {
      if (done) return;
      done = true;
      if (this.#watchdog !== null) clearTimeout(this.#watchdog);
      this.#watchdog = null;
      req.destroy();
      if (this.#req === req) this.#req = null;
      if (!this.#stopped) this.#scheduleReconnect(why);
    };
    const req = http.get(u, { agent: false, headers: { accept: 'application/x-ndjson' } }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        fail(`discovery answered ${res.statusCode}`);
        return;
      }
      this.#attempt = 0;
      this.#o.onConnect?.();
      this.#o.log.info('discovery stream open', { url: this.#base.origin });
      this.#arm(fail);
      res.setEncoding('utf8');
      let partial = '';
      res.on('data', (chunk: string) => {
        partial += chunk;
        let nl: number;
        while ((nl = partial.indexOf('\n')) !== -1) {
          const line = partial.slice(0, nl).trim();
          partial = partial.slice(nl + 1);
          if (line !== '') {
            this.#arm(fail);
            this.#onLine(line);
          }
        }
        if (partial.length > 64 * 1024 * 1024) fail('discovery line too long');
      });
      res.on('end', () => fail('discovery stream ended'));
      res.on('error', (e) => fail(`discovery stream error: ${e.message}`));
      res.on('close', () => fail('discovery stream closed'));
    });
    req.on('error', (e) => fail(`discovery connect failed: ${e.message}`));
    this.#req = req;
    // Also bounds a control plane that accepts the connection but never answers.
    this.#arm(fail);
  }

  #arm(fail: (why: string) => void): void {
    if (this.#watchdog !== null) clearTimeout(this.#watchdog);
    const ms = this.#o.idleTimeoutMs ?? 3 * PING_INTERVAL_MS;
    this.#watchdog = setTimeout(() => fail(`no message from discovery for ${ms} ms`), ms);
    this.#watchdog.unref();
  }

  #scheduleReconnect(why: string): void {
    const base = this.#o.initialBackoffMs ?? 100;
    const max = this.#o.maxBackoffMs ?? 2000;
    const ceiling = Math.min(max, base * 2 ** this.#attempt);
    this.#attempt = Math.min(this.#attempt + 1, 30);
    // Jitter: anywhere in the upper half, so restarted proxies do not reconnect in lockstep.
    const delay = Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
    this.#o.log.warn('discovery disconnected; reconnecting', { reason: why, inMs: delay });
    this.#retry = setTimeout(() => {
      this.#retry = null;
      this.#connect();
    }, delay);
  }

  #onLine(line: string): void {
    let msg: DiscoveryMessage;
    try {
      msg = JSON.parse(line) as DiscoveryMessage;
    } catch {
      this.#o.log.warn('discovery sent a line that is not JSON', { line: line.slice(0, 120) });
      return;
    }
    switch (msg?.type) {
      case 'ping':
        return;
      case 'error':
        this.#o.log.warn('discovery reported an error', { message: msg.message });
        return;
      case 'config': {
        const config = msg.config;
        this.#chain = this.#chain.then(() => this.#applyAndAck(config));
        return;
      }
      default:
        this.#o.log.warn('unknown discovery message', { type: (msg as { type?: unknown })?.type });
    }
  }

  async #applyAndAck(config: ProxyConfig): Promise<void> {
    const version = typeof config?.version === 'string' ? config.version : '';
    let result: ApplyResult;
    if (version !== '' && version === this.#o.currentVersion()) result = { ok: true };
    else result = await this.#o.apply(config);
    const ack: Ack = { node: `${this.#o.node.podName}.${this.#o.node.namespace}`, version };
    if (!result.ok) ack.error = result.error;
    await this.#sendAck(ack);
  }

  #sendAck(ack: Ack): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    const body = JSON.stringify(ack);
    return new Promise((resolve) => {
      const req = http.request(
        new URL(ACK_PATH, this.#base),
        { method: 'POST', agent: this.#agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
        (res) => {
          res.resume();
          res.on('end', () => resolve());
          res.on('error', () => resolve());
        },
      );
      req.setTimeout(5000, () => req.destroy(new Error('ack timeout')));
      req.on('error', (e) => {
        this.#o.log.warn('ack failed', { version: ack.version, error: e.message });
        resolve();
      });
      req.end(body);
    });
  }
}
