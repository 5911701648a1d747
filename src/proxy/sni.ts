// Reads the server name (SNI) from a TLS ClientHello without terminating TLS, for passthrough
// routing. Strict and bounded: anything that is not a well-formed ClientHello gives 'invalid'.

/** Largest ClientHello we wait for (one TLS record carries at most 16 KiB plus its header). */
export const MAX_CLIENT_HELLO = 16 * 1024 + 5;

export type SniResult = { kind: 'more' } | { kind: 'invalid' } | { kind: 'done'; sni: string | null };

/** Parses what has arrived so far: 'more' until the whole first record is there. */
export function readSni(buf: Buffer): SniResult {
  if (buf.length < 5) return buf.length > 0 && buf[0] !== 0x16 ? { kind: 'invalid' } : { kind: 'more' };
  if (buf[0] !== 0x16 || buf[1] !== 0x03) return { kind: 'invalid' };
  const recLen = buf.readUInt16BE(3);
  if (recLen < 4 || recLen > 16 * 1024) return { kind: 'invalid' };
  if (buf.length < 5 + recLen) return { kind: 'more' };
  const end = 5 + recLen;
  let p = 5;
  if (buf[p] !== 0x01) return { kind: 'invalid' };
  const hsLen = (buf[p + 1] as number) * 65536 + buf.readUInt16BE(p + 2);
  p += 4;
  // A ClientHello split over several records is legal but rare; read what the first record holds.
  const hsEnd = Math.min(end, p + hsLen);
  const need = (n: number) => p + n <= hsEnd;
  if (!need(2 + 32)) return { kind: 'invalid' };
  p += 2 + 32;
  if (!need(1)) return { kind: 'invalid' };
  p += 1 + (buf[p] as number);
  if (!need(2)) return { kind: 'invalid' };
  p += 2 + buf.readUInt16BE(p);
  if (!need(1)) return { kind: 'invalid' };
  p += 1 + (buf[p] as number);
  if (p === hsEnd) return { kind: 'done', sni: null };
  if (!need(2)) return { kind: 'invalid' };
  const extEnd = Math.min(hsEnd, p + 2 + buf.readUInt16BE(p));
  p += 2;
  while (p + 4 <= extEnd) {
    const type = buf.readUInt16BE(p);
    const len = buf.readUInt16BE(p + 2);
    p += 4;
    if (p + len > extEnd) return { kind: 'invalid' };
    if (type === 0) {
      let q = p + 2;
      const listEnd = Math.min(p + len, p + 2 + buf.readUInt16BE(p));
      while (q + 3 <= listEnd) {
        const nameType = buf[q] as number;
        const nameLen = buf.readUInt16BE(q + 1);
        q += 3;
        if (q + nameLen > listEnd) return { kind: 'invalid' };
        if (nameType === 0) {
          const name = buf.toString('latin1', q, q + nameLen).toLowerCase();
          return /^[a-z0-9.*_-]{1,253}$/.test(name) ? { kind: 'done', sni: name } : { kind: 'invalid' };
        }
        q += nameLen;
      }
      return { kind: 'done', sni: null };
    }
    p += len;
  }
  return { kind: 'done', sni: null };
}
