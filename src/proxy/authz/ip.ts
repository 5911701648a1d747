// IP addresses and CIDR blocks for authorization (ipBlocks, remoteIpBlocks, source.ip, ...).
// CIDRs are parsed once per config version; per request an address is parsed in place into a
// reusable scratch (no allocation), straight from a range of a string such as an entry in the
// middle of X-Forwarded-For.
//
// An IPv4-mapped IPv6 address (`::ffff:10.1.2.3`, what a dual-stack Node socket reports for an
// IPv4 peer) is treated as the IPv4 address, so IPv4 blocks match it. IPv4 and IPv6 blocks never
// match an address of the other family.

/** One parsed address; `family` 0 means the text was not an address. */
export class IpScratch {
  family: 0 | 4 | 6 = 0;
  /** IPv4: the address as an unsigned 32-bit number. */
  v4 = 0;
  /** IPv6: eight 16-bit groups. */
  readonly v6 = new Uint16Array(8);
  /** Parse scratch: the groups after `::`. */
  readonly tail = new Uint16Array(8);
}

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** Dotted-quad IPv4 in `s[start, end)`; the address, or -1. */
function parseV4(s: string, start: number, end: number): number {
  let acc = 0;
  let part = 0;
  let digits = 0;
  let parts = 0;
  for (let i = start; i <= end; i++) {
    const c = i === end ? 46 : s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || parts === 4) return -1;
      acc = acc * 256 + part;
      parts++;
      part = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      part = part * 10 + (c - 48);
      if (++digits > 3 || part > 255) return -1;
    } else return -1;
  }
  return parts === 4 ? acc : -1;
}

/** IPv6 groups of `s[start, end)` into out.v6; false when it is not an IPv6 address. */
function parseV6(s: string, start: number, end: number, out: IpScratch): boolean {
  const head = out.v6;
  const tail = out.tail;
  let nHead = 0;
  let nTail = 0;
  let compressed = false;
  let i = start;
  if (end - start >= 2 && s.charCodeAt(i) === 58 && s.charCodeAt(i + 1) === 58) {
    compressed = true;
    i += 2;
  } else if (s.charCodeAt(i) === 58) return false;
  while (i < end) {
    // One group (or a trailing dotted IPv4) starting at i.
    let j = i;
    let val = 0;
    while (j < end && j - i < 5) {
      const h = hexVal(s.charCodeAt(j));
      if (h < 0) break;
      val = val * 16 + h;
      j++;
    }
    if (j < end && s.charCodeAt(j) === 46) {
      // Embedded IPv4 in the last 32 bits.
      const v4 = parseV4(s, i, end);
      if (v4 < 0) return false;
      if (compressed) {
        if (nTail > 6) return false;
        tail[nTail++] = v4 >>> 16;
        tail[nTail++] = v4 & 0xffff;
      } else {
        if (nHead > 6) return false;
        head[nHead++] = v4 >>> 16;
        head[nHead++] = v4 & 0xffff;
      }
      i = end;
      break;
    }
    if (j === i || j - i > 4) return false;
    if (compressed) {
      if (nTail === 8) return false;
      tail[nTail++] = val;
    } else {
      if (nHead === 8) return false;
      head[nHead++] = val;
    }
    if (j === end) {
      i = end;
      break;
    }
    if (s.charCodeAt(j) !== 58) return false;
    if (j + 1 < end && s.charCodeAt(j + 1) === 58) {
      if (compressed) return false;
      compressed = true;
      i = j + 2;
    } else {
      if (j + 1 === end) return false;
      i = j + 1;
    }
  }
  if (compressed) {
    if (nHead + nTail > 7) return false;
    for (let k = nHead; k < 8 - nTail; k++) head[k] = 0;
    for (let k = 0; k < nTail; k++) head[8 - nTail + k] = tail[k] as number;
  } else if (nHead !== 8) return false;
  return true;
}

/**
 * Parses the address in `s[start, end)` into `out`: IPv4, IPv6 (with `::`, embedded IPv4, a
 * `%zone`, or `[brackets]`). Surrounding spaces are skipped. Returns whether it was an address.
 */
export function parseIpInto(s: string, start: number, end: number, out: IpScratch): boolean {
  while (start < end && s.charCodeAt(start) === 32) start++;
  while (end > start && s.charCodeAt(end - 1) === 32) end--;
  if (end - start >= 2 && s.charCodeAt(start) === 91 && s.charCodeAt(end - 1) === 93) {
    start++;
    end--;
  }
  out.family = 0;
  if (start >= end) return false;
  // IPv4 first: the common case, and it stops at the first character that is not a digit or dot.
  const v4 = parseV4(s, start, end);
  if (v4 >= 0) {
    out.family = 4;
    out.v4 = v4;
    return true;
  }
  const zone = s.indexOf('%', start);
  if (zone >= 0 && zone < end) end = zone; // IPv6 zone id: not part of the address
  if (!parseV6(s, start, end, out)) return false;
  const g = out.v6;
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    out.family = 4;
    out.v4 = (((g[6] as number) << 16) | (g[7] as number)) >>> 0;
    return true;
  }
  out.family = 6;
  return true;
}

/** A CIDR block, or a single address as a /32 or /128. */
export interface Cidr {
  readonly family: 4 | 6;
  readonly prefix: number;
  /** IPv4: network address and mask. */
  readonly v4: number;
  readonly v4mask: number;
  /** IPv6: network groups (host bits cleared). */
  readonly v6: Uint16Array;
}

/** Parses `1.2.3.0/24`, `1.2.3.4`, `2001:db8::/32`, `::1`. Host bits are cleared. Null when invalid. */
export function parseCidr(text: string): Cidr | null {
  const slash = text.indexOf('/');
  const addrEnd = slash < 0 ? text.length : slash;
  const ip = new IpScratch();
  if (text.charCodeAt(0) === 32 || !parseIpInto(text, 0, addrEnd, ip)) return null;
  const literalV6 = text.lastIndexOf(':', addrEnd) >= 0;
  let prefix: number;
  if (slash < 0) prefix = literalV6 ? 128 : 32;
  else {
    const p = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p)) return null;
    prefix = Number(p);
    if (prefix > (literalV6 ? 128 : 32)) return null;
  }
  if (ip.family === 4) {
    if (literalV6) {
      // `::ffff:a.b.c.d/n`: the IPv4-mapped range, as an IPv4 block.
      if (prefix < 96) return null;
      prefix -= 96;
    }
    const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
    return { family: 4, prefix, v4: (ip.v4 & mask) >>> 0, v4mask: mask, v6: new Uint16Array(0) };
  }
  const net = new Uint16Array(ip.v6);
  for (let g = 0; g < 8; g++) {
    const bits = Math.max(0, Math.min(16, prefix - g * 16));
    const m = bits === 0 ? 0 : (0xffff << (16 - bits)) & 0xffff;
    net[g] = (net[g] as number) & m;
  }
  return { family: 6, prefix, v4: 0, v4mask: 0, v6: net };
}

export function cidrContains(c: Cidr, ip: IpScratch): boolean {
  if (c.family !== ip.family) return false;
  if (c.family === 4) return ((ip.v4 & c.v4mask) >>> 0) === c.v4;
  const a = ip.v6;
  const n = c.v6;
  let left = c.prefix;
  for (let g = 0; left > 0; g++, left -= 16) {
    const bits = left >= 16 ? 16 : left;
    const m = (0xffff << (16 - bits)) & 0xffff;
    if (((a[g] as number) & m) !== n[g]) return false;
  }
  return true;
}

/** Whether the parsed address is inside any of the blocks. */
export function anyCidrContains(blocks: readonly Cidr[], ip: IpScratch): boolean {
  for (let i = 0; i < blocks.length; i++) if (cidrContains(blocks[i] as Cidr, ip)) return true;
  return false;
}
