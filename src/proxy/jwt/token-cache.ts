// A bounded cache of verified tokens, so a client that sends the same token on every request pays
// for one signature verification (hundreds of microseconds, and a promise) instead of one per
// request. Entries expire at a deadline given on insert (the token's `exp` plus the clock skew);
// the cache belongs to one compiled filter, so a new config starts empty.
//
// Why not a plain Map keyed by the token: hashing a 400-1000 character string costs about a
// microsecond, and every request brings a new string. The map is keyed by the token's last
// KEY_CHARS characters (signature bytes: effectively unique among honest tokens) and a hit is
// confirmed by comparing the whole token, so a forged token that copies a signature tail is only
// a miss. Eviction is second-chance (CLOCK), so a hit only sets a flag instead of re-inserting.

/** Tokens longer than this are verified every time rather than held (bounds the cache's memory). */
export const MAX_CACHED_TOKEN_LENGTH = 4096;
const KEY_CHARS = 24;

interface Entry<V> {
  readonly token: string;
  readonly value: V;
  readonly expiresAt: number;
  /** Used since it was last considered for eviction. */
  used: boolean;
}

function keyOf(token: string): string {
  return token.length > KEY_CHARS ? token.slice(token.length - KEY_CHARS) : token;
}

export class TokenCache<V> {
  readonly #max: number;
  // Insertion order is the CLOCK hand's order: the first entry is the next one considered.
  readonly #map = new Map<string, Entry<V>>();

  constructor(max: number) {
    this.#max = Math.max(0, Math.floor(max));
  }

  get size(): number {
    return this.#map.size;
  }

  /** The value for `token` if present and not expired at `now` (ms). */
  get(token: string, now: number): V | undefined {
    const k = keyOf(token);
    const e = this.#map.get(k);
    if (e === undefined || e.token !== token) return undefined;
    if (e.expiresAt <= now) {
      this.#map.delete(k);
      return undefined;
    }
    e.used = true;
    return e.value;
  }

  set(token: string, value: V, expiresAt: number): void {
    if (this.#max === 0 || token.length > MAX_CACHED_TOKEN_LENGTH) return;
    const k = keyOf(token);
    this.#map.delete(k);
    while (this.#map.size >= this.#max) this.#evictOne();
    this.#map.set(k, { token, value, expiresAt, used: false });
  }

  #evictOne(): void {
    // Each pass clears at most every `used` flag once, so this ends within two rounds.
    for (;;) {
      const first = this.#map.entries().next();
      if (first.done === true) return;
      const [k, e] = first.value;
      this.#map.delete(k);
      if (!e.used) return;
      e.used = false;
      this.#map.set(k, e);
    }
  }

  clear(): void {
    this.#map.clear();
  }
}
