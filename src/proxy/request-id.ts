// x-request-id values: random UUID v4s written as ASCII straight into an outgoing head. Random
// bytes come from a pool refilled 256 ids at a time, so a request costs 16 pool bytes and 36
// table lookups rather than a crypto call and a string.

import { randomFillSync } from 'node:crypto';

/** Length of a UUID in its text form. */
export const UUID_LENGTH = 36;

const POOL = Buffer.allocUnsafe(16 * 256);
let poolPos = POOL.length;
const HEX = Buffer.from('0123456789abcdef', 'latin1');

/** Writes a new random UUID v4 into `out` at `o`; returns the offset after it. */
export function writeUuidV4(out: Buffer, o: number): number {
  if (poolPos === POOL.length) {
    randomFillSync(POOL);
    poolPos = 0;
  }
  const p = poolPos;
  poolPos += 16;
  POOL[p + 6] = ((POOL[p + 6] as number) & 0x0f) | 0x40; // version 4
  POOL[p + 8] = ((POOL[p + 8] as number) & 0x3f) | 0x80; // variant 10
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) out[o++] = 45; // -
    const b = POOL[p + i] as number;
    out[o++] = HEX[b >> 4] as number;
    out[o++] = HEX[b & 15] as number;
  }
  return o;
}
