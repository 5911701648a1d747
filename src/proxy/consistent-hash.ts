// Consistent hashing (DestinationRule `loadBalancer.consistentHash`): the same key goes to the same
// endpoint while the endpoint set stays the same, and moves as little as possible when it
// changes. Ring hash (Ketama-style virtual nodes) and Maglev (a lookup table of prime size),
// both built once per config version.

import type { ConsistentHashPolicy } from '../api/index.ts';
import type { EndpointRuntime } from './load-balancer.ts';

/** 32-bit FNV-1a, then a murmur3 finalizer for spread. */
export function hash32(s: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export interface HashTable {
  /** The endpoint index for a key hash, walking on while `skip` says no (ejected endpoints). */
  lookup(h: number, skip: (i: number) => boolean): number;
}

class Ring implements HashTable {
  readonly #points: Uint32Array;
  readonly #owners: Uint32Array;

  constructor(endpoints: readonly EndpointRuntime[], minimumRingSize: number) {
    const n = endpoints.length;
    const per = Math.max(1, Math.ceil(minimumRingSize / n));
    const entries: [number, number][] = [];
    endpoints.forEach((ep, i) => {
      for (let v = 0; v < per; v++) entries.push([hash32(`${ep.key}_${v}`), i]);
    });
    entries.sort((a, b) => a[0] - b[0]);
    this.#points = Uint32Array.from(entries.map((e) => e[0]));
    this.#owners = Uint32Array.from(entries.map((e) => e[1]));
  }

  lookup(h: number, skip: (i: number) => boolean): number {
    const pts = this.#points;
    let lo = 0;
    let hi = pts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((pts[mid] as number) < h) lo = mid + 1;
      else hi = mid;
    }
    for (let k = 0; k < pts.length; k++) {
      const owner = this.#owners[(lo + k) % pts.length] as number;
      if (!skip(owner)) return owner;
    }
    return this.#owners[lo % pts.length] as number;
  }
}

class Maglev implements HashTable {
  readonly #table: Int32Array;

  constructor(endpoints: readonly EndpointRuntime[], tableSize: number) {
    const m = tableSize;
    const n = endpoints.length;
    const offset = endpoints.map((e) => hash32(e.key, 0x9747b28c) % m);
    const skip = endpoints.map((e) => (hash32(e.key, 0x1b873593) % (m - 1)) + 1);
    const next = new Array<number>(n).fill(0);
    const table = new Int32Array(m).fill(-1);
    let filled = 0;
    while (filled < m) {
      for (let i = 0; i < n && filled < m; i++) {
        let c = ((offset[i] as number) + (next[i] as number) * (skip[i] as number)) % m;
        while (table[c] !== -1) {
          next[i] = (next[i] as number) + 1;
          c = ((offset[i] as number) + (next[i] as number) * (skip[i] as number)) % m;
        }
        table[c] = i;
        next[i] = (next[i] as number) + 1;
        filled++;
      }
    }
    this.#table = table;
  }

  lookup(h: number, skip: (i: number) => boolean): number {
    const t = this.#table;
    const start = h % t.length;
    for (let k = 0; k < t.length; k++) {
      const i = t[(start + k) % t.length] as number;
      if (!skip(i)) return i;
      if (k > 64) break;
    }
    return t[start] as number;
  }
}

export function buildHashTable(policy: ConsistentHashPolicy, endpoints: readonly EndpointRuntime[]): HashTable | null {
  if (endpoints.length === 0) return null;
  if (policy.maglev !== undefined) return new Maglev(endpoints, policy.maglev.tableSize);
  return new Ring(endpoints, policy.ringHash?.minimumRingSize ?? 1024);
}

/** The request's hash key per the policy, or null (then the pick is as without hashing). */
export interface HashRequest {
  header(name: string): string | undefined;
  readonly path: string;
  readonly clientAddress: string;
}

export function hashKey(policy: ConsistentHashPolicy, req: HashRequest): string | null {
  if (policy.httpHeaderName !== undefined) return req.header(policy.httpHeaderName.toLowerCase()) ?? null;
  if (policy.useSourceIp === true) return req.clientAddress;
  if (policy.httpQueryParameterName !== undefined) {
    const q = req.path.indexOf('?');
    if (q === -1) return null;
    for (const part of req.path.slice(q + 1).split('&')) {
      const eq = part.indexOf('=');
      const name = eq === -1 ? part : part.slice(0, eq);
      if (decodeURIComponent(name) === policy.httpQueryParameterName) return eq === -1 ? '' : part.slice(eq + 1);
    }
    return null;
  }
  if (policy.httpCookie !== undefined) {
    const cookies = req.header('cookie');
    if (cookies === undefined) return null;
    for (const c of cookies.split(';')) {
      const eq = c.indexOf('=');
      if (eq !== -1 && c.slice(0, eq).trim() === policy.httpCookie.name) return c.slice(eq + 1).trim();
    }
  }
  return null;
}
