// Kubernetes-style pod names and loopback pod addresses for the local platform.

import { randomInt } from 'node:crypto';
import { stableHash } from '../shared/index.ts';

const SAFE = 'bcdfghjklmnpqrstvwxz2456789';

function randomSuffix(n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += SAFE[randomInt(SAFE.length)];
  return s;
}

/** `reviews-v2-7d9f6c5b8-x2kqp`: deployment name, template hash, random suffix. */
export function podName(deployment: string, template: unknown): string {
  const hash = [...stableHash(template).slice(0, 10)].map((c) => SAFE[parseInt(c, 16) % SAFE.length]).join('');
  return `${deployment}-${hash}-${randomSuffix(5)}`;
}

/**
 * Pods get their own address in 127.0.0.0/8 (Linux routes the whole block to loopback, no root
 * needed). Each mesh takes a random /24 so two meshes on one machine do not collide.
 */
export class PodAddressPool {
  readonly #prefix: string;
  #next = 2;
  constructor(prefix?: string) {
    this.#prefix = prefix ?? `127.${randomInt(16, 250)}.${randomInt(0, 255)}`;
  }
  get prefix(): string {
    return this.#prefix;
  }
  allocate(): string {
    if (this.#next > 254) throw new Error(`pod address pool ${this.#prefix}.0/24 is exhausted`);
    return `${this.#prefix}.${this.#next++}`;
  }
}
