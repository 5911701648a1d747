// Tracks live downstream connections and upstream pools for timeouts and shutdown. One coarse
// timer (once a second) enforces every idle/header timeout: a per-request setTimeout would cost
// more than the request's own parsing.

export interface TimedConnection {
  /** Called by the sweep with the current time; closes the connection if a deadline passed. */
  sweep(now: number): void;
  /** Shutdown: close now if idle, else after the in-flight response. */
  drain(): void;
  /** Hard close. */
  destroy(): void;
}

export interface Timeouts {
  /** Close a downstream keep-alive connection idle this long. */
  idleMs: number;
  /** 408 when a started request head is not complete within this time. */
  headerMs: number;
  /** Close pooled upstream connections idle this long. */
  upstreamIdleMs: number;
  /** Give up connecting to an upstream endpoint after this long. */
  connectMs: number;
  /** How often deadlines are checked (their resolution). */
  sweepMs: number;
}

export const DEFAULT_TIMEOUTS: Timeouts = { idleMs: 60_000, headerMs: 30_000, upstreamIdleMs: 30_000, connectMs: 10_000, sweepMs: 1000 };

/** A coarse clock, refreshed by the sweep timer; good enough for second-grained deadlines. */
export const clock = { now: Date.now() };

export class ConnectionRegistry {
  readonly #conns = new Set<TimedConnection>();
  readonly #sweepers = new Set<(now: number) => void>();
  #timer: NodeJS.Timeout | null = null;
  #draining = false;
  #emptyWaiters: (() => void)[] = [];
  readonly timeouts: Timeouts;

  constructor(timeouts: Timeouts = DEFAULT_TIMEOUTS) {
    this.timeouts = timeouts;
    this.#timer = setInterval(() => this.#sweep(), timeouts.sweepMs);
    this.#timer.unref();
  }

  get draining(): boolean {
    return this.#draining;
  }

  get size(): number {
    return this.#conns.size;
  }

  add(c: TimedConnection): void {
    this.#conns.add(c);
  }

  delete(c: TimedConnection): void {
    this.#conns.delete(c);
    if (this.#conns.size === 0 && this.#emptyWaiters.length > 0) {
      const w = this.#emptyWaiters;
      this.#emptyWaiters = [];
      for (const f of w) f();
    }
  }

  /** Extra periodic work (pool idle expiry). */
  addSweeper(f: (now: number) => void): void {
    this.#sweepers.add(f);
  }

  #sweep(): void {
    const now = (clock.now = Date.now());
    for (const c of this.#conns) c.sweep(now);
    for (const f of this.#sweepers) f(now);
  }

  /** Asks every connection to finish its current response and close; resolves when all are gone or after `graceMs`. */
  async drainAll(graceMs: number): Promise<void> {
    this.#draining = true;
    for (const c of [...this.#conns]) c.drain();
    if (this.#conns.size > 0) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, graceMs);
        t.unref();
        this.#emptyWaiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    for (const c of [...this.#conns]) c.destroy();
  }

  stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }
}
