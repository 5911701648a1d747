// A socket's buffer for outgoing heads (and small bodies), reused from one message to the next
// as long as each write is taken by the kernel at once: the common keep-alive exchange then
// allocates nothing for what it writes.

import type { Socket } from 'node:net';

/** Size of the reusable buffer: a head plus a small body fits. */
const OUT_BYTES = 4096;

export class OutBuffer {
  #free: Buffer | null = null;

  /** A buffer of at least `n` bytes: the reusable one when free and big enough, else a new one. */
  take(n: number): Buffer {
    const b = this.#free;
    if (b !== null && n <= b.length) {
      this.#free = null;
      return b;
    }
    return Buffer.allocUnsafe(n <= OUT_BYTES ? OUT_BYTES : n);
  }

  /**
   * Writes `buf[0, n)` to `sock`. When the socket took all of it synchronously (nothing left
   * queued, so nothing refers to `buf` any more), `buf` is kept for the next message.
   */
  write(sock: Socket, buf: Buffer, n: number): boolean {
    const ok = sock.write(n === buf.length ? buf : buf.subarray(0, n));
    if (sock.writableLength === 0 && buf.length === OUT_BYTES) this.#free = buf;
    return ok;
  }
}
