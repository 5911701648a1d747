// Fetches the JWKS behind each RequestAuthentication `jwksUri`, so proxies receive keys in their
// config and never fetch anything themselves (Istio's istiod does the same by default).
//
// The config generator is pure and synchronous, so it asks `lookup(uri)`, which answers from
// memory at once: the keys, an error, or "pending" for a URI it had not seen (and starts fetching).
// When a fetch changes what lookup answers, `onChange` fires so the control plane can regenerate
// and push. Each URI is refreshed every 20 minutes; a failed fetch keeps the last good copy and is
// retried with backoff; an error is reported only for a URI that never had a good copy.
//
// This module imports nothing from other areas (the import rules give it none): the generator's
// lookup type is structural, and the logger is any object with info and warn.

import { canonicalJwks } from './canonical-jwks.ts';
import { parseTimeoutMs } from './parse-timeout.ts';

/** What the generator gets for a `jwksUri`: exactly one of the three is set. */
export interface JwksLookup {
  readonly jwks?: string;
  readonly error?: string;
  readonly pending?: boolean;
}

export interface JwksResolverLog {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
}

export interface JwksResolverOptions {
  /** Called (once per burst of changes, never re-entrantly) when some lookup result changed. */
  onChange?: () => void;
  /** Refresh period of a good JWKS. Default 20 minutes. */
  refreshMs?: number;
  /** First retry after a failed fetch; doubles per failure up to refreshMs. Default 1 s. */
  retryMs?: number;
  /** Fetch timeout when the rule gives none. Default 5 s. */
  timeoutMs?: number;
  /** Largest JWKS body accepted. Default 1 MiB. */
  maxBytes?: number;
  /** Most URIs tracked at once; lookups of further ones answer an error. Default 100. */
  maxUris?: number;
  log?: JwksResolverLog;
}

/** One URI's state, as `status()` reports it. */
export interface JwksUriStatus {
  uri: string;
  /** A good JWKS is held (it may be older than the last failed refresh). */
  ok: boolean;
  pending: boolean;
  /** The last fetch's error, if the last fetch failed. */
  lastError: string | null;
  /** When the held JWKS was fetched (ms since the epoch), or null. */
  fetchedAt: number | null;
  fetches: number;
}

export const DEFAULT_JWKS_REFRESH_MS = 20 * 60_000;
export const DEFAULT_JWKS_TIMEOUT_MS = 5000;
export const DEFAULT_JWKS_MAX_BYTES = 1024 * 1024;
export const DEFAULT_JWKS_MAX_URIS = 100;

const PENDING: JwksLookup = Object.freeze({ pending: true });
const SILENT: JwksResolverLog = { info() {}, warn() {} };

interface Entry {
  readonly uri: string;
  timeoutMs: number;
  result: JwksLookup;
  /** Canonical JWKS of the last good fetch. */
  good: string | null;
  fetchedAt: number | null;
  lastError: string | null;
  failures: number;
  fetches: number;
  timer: NodeJS.Timeout | null;
  inflight: Promise<void> | null;
  abort: AbortController | null;
}

function describe(e: unknown): string {
  const err = e as { message?: unknown; cause?: { code?: unknown; message?: unknown } } | null;
  const msg = typeof err?.message === 'string' ? err.message : String(e);
  const cause = err?.cause;
  const why = typeof cause?.code === 'string' ? cause.code : typeof cause?.message === 'string' ? cause.message : '';
  return why !== '' && !msg.includes(why) ? `${msg}: ${why}` : msg;
}

export class JwksResolver {
  readonly #entries = new Map<string, Entry>();
  readonly #onChange: (() => void) | undefined;
  readonly #refreshMs: number;
  readonly #retryMs: number;
  readonly #timeoutMs: number;
  readonly #maxBytes: number;
  readonly #maxUris: number;
  readonly #log: JwksResolverLog;
  #notifyQueued = false;
  #closed = false;

  constructor(opts: JwksResolverOptions = {}) {
    this.#onChange = opts.onChange;
    this.#refreshMs = Math.max(1, opts.refreshMs ?? DEFAULT_JWKS_REFRESH_MS);
    this.#retryMs = Math.max(1, opts.retryMs ?? 1000);
    this.#timeoutMs = Math.max(1, opts.timeoutMs ?? DEFAULT_JWKS_TIMEOUT_MS);
    this.#maxBytes = Math.max(1, opts.maxBytes ?? DEFAULT_JWKS_MAX_BYTES);
    this.#maxUris = Math.max(1, opts.maxUris ?? DEFAULT_JWKS_MAX_URIS);
    this.#log = opts.log ?? SILENT;
  }

  /**
   * The JWKS for `uri` as known now. A URI not seen before is tracked from now on and answers
   * `{pending: true}` until its first fetch ends. `timeout` is the rule's (`5s`, `500ms`, or ms).
   * An arrow property, so `ctx.jwks = resolver.lookup` works unbound.
   */
  readonly lookup = (uri: string, timeout?: string | number): JwksLookup => {
    const known = this.#entries.get(uri);
    if (known !== undefined) {
      if (timeout !== undefined) known.timeoutMs = parseTimeoutMs(timeout, this.#timeoutMs);
      return known.result;
    }
    if (this.#closed) return { error: 'the JWKS resolver is stopped' };
    let url: URL;
    try {
      url = new URL(uri);
    } catch {
      return { error: `jwksUri ${JSON.stringify(uri)} is not a URL` };
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return { error: `jwksUri ${JSON.stringify(uri)} must use http or https` };
    if (this.#entries.size >= this.#maxUris) return { error: `too many jwksUri values (limit ${this.#maxUris}); ${uri} is not fetched` };
    const e: Entry = {
      uri,
      timeoutMs: parseTimeoutMs(timeout, this.#timeoutMs),
      result: PENDING,
      good: null,
      fetchedAt: null,
      lastError: null,
      failures: 0,
      fetches: 0,
      timer: null,
      inflight: null,
      abort: null,
    };
    this.#entries.set(uri, e);
    this.#start(e);
    return e.result;
  };

  /** Stops tracking every URI not in `uris` (call with the jwksUri values the current config uses). */
  retain(uris: Iterable<string>): void {
    const keep = new Set(uris);
    for (const [uri, e] of this.#entries) {
      if (keep.has(uri)) continue;
      this.#drop(e);
      this.#entries.delete(uri);
    }
  }

  /** Fetches `uri` (or every tracked URI) now; resolves when done. Never rejects. */
  async refresh(uri?: string): Promise<void> {
    const targets = uri === undefined ? [...this.#entries.values()] : [this.#entries.get(uri)].filter((e): e is Entry => e !== undefined);
    await Promise.all(targets.map((e) => this.#start(e)));
  }

  /** Resolves when no fetch is under way. */
  async settled(): Promise<void> {
    for (;;) {
      const running = [...this.#entries.values()].map((e) => e.inflight).filter((p): p is Promise<void> => p !== null);
      if (running.length === 0) return;
      await Promise.all(running);
    }
  }

  status(): JwksUriStatus[] {
    return [...this.#entries.values()]
      .map((e) => ({ uri: e.uri, ok: e.good !== null, pending: e.result === PENDING, lastError: e.lastError, fetchedAt: e.fetchedAt, fetches: e.fetches }))
      .sort((a, b) => (a.uri < b.uri ? -1 : a.uri > b.uri ? 1 : 0));
  }

  /** Cancels timers and fetches; lookups keep answering what is known. */
  close(): void {
    this.#closed = true;
    for (const e of this.#entries.values()) this.#drop(e);
  }

  #drop(e: Entry): void {
    if (e.timer !== null) clearTimeout(e.timer);
    e.timer = null;
    e.abort?.abort(new Error('stopped'));
  }

  /** Starts a fetch unless one is running; returns it. */
  #start(e: Entry): Promise<void> {
    if (e.inflight !== null) return e.inflight;
    if (this.#closed) return Promise.resolve();
    if (e.timer !== null) clearTimeout(e.timer);
    e.timer = null;
    const p = this.#fetch(e).finally(() => {
      e.inflight = null;
      e.abort = null;
    });
    e.inflight = p;
    return p;
  }

  #schedule(e: Entry, ms: number): void {
    if (this.#closed || this.#entries.get(e.uri) !== e) return;
    e.timer = setTimeout(() => {
      e.timer = null;
      // #start never rejects: a timer callback must not throw or leave a rejection behind.
      void this.#start(e);
    }, ms);
    e.timer.unref();
  }

  async #fetch(e: Entry): Promise<void> {
    e.fetches++;
    const ac = new AbortController();
    e.abort = ac;
    const timer = setTimeout(() => ac.abort(new Error(`timed out after ${e.timeoutMs} ms`)), e.timeoutMs);
    timer.unref();
    let outcome: { jwks: string } | { error: string };
    try {
      outcome = canonicalJwks(await this.#download(e.uri, ac.signal));
    } catch (err) {
      outcome = { error: ac.signal.aborted ? describe(ac.signal.reason) : describe(err) };
    } finally {
      clearTimeout(timer);
    }
    // Dropped (retain) or stopped while fetching: nothing to record.
    if (this.#closed || this.#entries.get(e.uri) !== e) return;
    try {
      if ('jwks' in outcome) {
        const changed = outcome.jwks !== e.good;
        e.good = outcome.jwks;
        e.fetchedAt = Date.now();
        e.lastError = null;
        e.failures = 0;
        if (changed || e.result.jwks === undefined) {
          if (changed) this.#log.info('JWKS fetched', { uri: e.uri, keys: (JSON.parse(outcome.jwks) as { keys: unknown[] }).keys.length });
          this.#set(e, { jwks: outcome.jwks });
        }
        this.#schedule(e, this.#refreshMs);
      } else {
        e.failures++;
        e.lastError = outcome.error;
        const message = `cannot fetch JWKS from ${e.uri}: ${outcome.error}`;
        if (e.good !== null) this.#log.warn('JWKS refresh failed; keeping the last good copy', { uri: e.uri, error: outcome.error });
        else {
          this.#log.warn('JWKS fetch failed', { uri: e.uri, error: outcome.error });
          if (e.result.error !== message) this.#set(e, { error: message });
        }
        this.#schedule(e, Math.min(this.#retryMs * 2 ** Math.min(e.failures - 1, 30), this.#refreshMs));
      }
    } catch (err) {
      // Logging or scheduling failed: keep the resolver alive and try again later.
      this.#log.warn('JWKS resolver error', { uri: e.uri, error: describe(err) });
      if (e.timer === null) this.#schedule(e, this.#refreshMs);
    }
  }

  /** The body of `uri`, at most maxBytes of it. */
  async #download(uri: string, signal: AbortSignal): Promise<string> {
    const res = await fetch(uri, { signal, redirect: 'follow', headers: { accept: 'application/jwk-set+json, application/json' } });
    if (!res.ok) {
      await res.body?.cancel().catch(() => {});
      throw new Error(`HTTP ${res.status}`);
    }
    const max = this.#maxBytes;
    const declared = Number(res.headers.get('content-length') ?? '');
    if (declared > max) {
      await res.body?.cancel().catch(() => {});
      throw new Error(`body of ${declared} bytes is larger than the ${max} byte limit`);
    }
    const body = res.body;
    if (body === null) return '';
    const reader = body.getReader();
    const chunks: Uint8Array[] = [];
    let n = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      n += value.byteLength;
      if (n > max) {
        await reader.cancel().catch(() => {});
        throw new Error(`body is larger than the ${max} byte limit`);
      }
      chunks.push(value);
    }
    return Buffer.concat(chunks).toString('utf8');
  }

  #set(e: Entry, result: JwksLookup): void {
    e.result = Object.freeze(result);
    if (this.#onChange === undefined || this.#notifyQueued) return;
    this.#notifyQueued = true;
    queueMicrotask(() => {
      this.#notifyQueued = false;
      if (this.#closed) return;
      try {
        this.#onChange?.();
      } catch (err) {
        this.#log.warn('JWKS onChange callback failed', { error: describe(err) });
      }
    });
  }
}
