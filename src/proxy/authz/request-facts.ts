// What authorization reads from a request, and the facts derived from it (normalized path,
// SPIFFE identity parts, parsed addresses), each computed only when a policy asks for it. They
// live in one reusable object per compiled policy set: evaluation is synchronous, so one scratch
// suffices; addresses are parsed into it without allocating.

import type { JwtIdentity, PeerInfo } from '../exchange.ts';
import { IpScratch, parseIpInto } from './ip.ts';
import { normalizePath } from './normalize-path.ts';
import { hostOf } from './patterns.ts';

/** A connection as authorization sees it (all a TCP listener has). */
export interface AuthzConnectionView {
  /** Remote address of the downstream peer (`source.ip`, `ipBlocks`). */
  readonly clientAddress: string;
  readonly peer: PeerInfo;
}

/** An HTTP request as authorization sees it; a live `Exchange` is one. */
export interface AuthzRequestView extends AuthzConnectionView {
  readonly method: string;
  readonly authority: string;
  /** Path with query (sent to an external authorizer). */
  readonly path: string;
  /** Path without query (what `paths` match, after normalization). */
  readonly pathOnly: string;
  /** Value of a header (lower-case name); repeated fields joined with `,`. */
  header(name: string): string | undefined;
  /** The verified JWT, or null. */
  readonly jwt: JwtIdentity | null;
}

const PRESENT = 1;
const ABSENT = 2;
type State = typeof PRESENT | typeof ABSENT;

const SPIFFE = 'spiffe://';

/** Whether `s` has the short literal `lit` at `pos` (a char loop: cheaper than startsWith on Node 20). */
function hasAt(s: string, pos: number, lit: string): boolean {
  if (pos + lit.length > s.length) return false;
  for (let i = 0; i < lit.length; i++) if (s.charCodeAt(pos + i) !== lit.charCodeAt(i)) return false;
  return true;
}

/** Marks a memo entry that holds nothing yet (no request field is ever this object). */
const NONE: unique symbol = Symbol('none');

/**
 * Facts derived from the request being evaluated, computed when a policy first asks. Each is
 * remembered with the input it came from (one entry): requests on one connection share the peer
 * identity, client address and usually the authority, so most requests re-derive nothing.
 */
export class RequestFacts {
  readonly numTrustedProxies: number;
  req: AuthzRequestView = null as unknown as AuthzRequestView;

  #pathKey: string | typeof NONE = NONE;
  #path = '';
  #authorityKey: string | typeof NONE = NONE;
  #authority = '';
  #host = '';

  #idKey: string | null | typeof NONE = NONE;
  #id: State = ABSENT;
  #namespace = '';
  #serviceAccount = '';

  #srcKey: string | typeof NONE = NONE;
  #src: State = ABSENT;
  readonly #srcIp = new IpScratch();
  #remoteKey: string | undefined | typeof NONE = NONE;
  #remoteClientKey: string | typeof NONE = NONE;
  #remote: State = ABSENT;
  readonly #remoteIp = new IpScratch();
  #dstKey: string | typeof NONE = NONE;
  #dst: State = ABSENT;
  readonly #dstIp = new IpScratch();

  constructor(numTrustedProxies: number) {
    this.numTrustedProxies = numTrustedProxies;
  }

  reset(req: AuthzRequestView): void {
    this.req = req;
  }

  /** The normalized path without query. */
  path(): string {
    const key = this.req.pathOnly;
    if (key !== this.#pathKey) {
      this.#path = normalizePath(key);
      this.#pathKey = key;
    }
    return this.#path;
  }

  /** The lower-cased authority. */
  authority(): string {
    const key = this.req.authority;
    if (key !== this.#authorityKey) {
      this.#authority = key.toLowerCase();
      this.#host = hostOf(this.#authority);
      this.#authorityKey = key;
    }
    return this.#authority;
  }

  /** The lower-cased authority without its port. */
  host(): string {
    this.authority();
    return this.#host;
  }

  /** The namespace of a `spiffe://<td>/ns/<ns>/sa/<sa>` peer identity, else null. */
  namespace(): string | null {
    return this.#identity() === PRESENT ? this.#namespace : null;
  }

  /** The service account of a `spiffe://<td>/ns/<ns>/sa/<sa>` peer identity, else null. */
  serviceAccount(): string | null {
    return this.#identity() === PRESENT ? this.#serviceAccount : null;
  }

  #identity(): State {
    const id = this.req.peer.identity;
    if (id !== this.#idKey) {
      this.#id = this.#parseIdentity(id);
      this.#idKey = id;
    }
    return this.#id;
  }

  #parseIdentity(id: string | null): State {
    if (id === null || !hasAt(id, 0, SPIFFE)) return ABSENT;
    const slash = id.indexOf('/', SPIFFE.length);
    if (slash < 0 || !hasAt(id, slash, '/ns/')) return ABSENT;
    const nsStart = slash + 4;
    const nsEnd = id.indexOf('/', nsStart);
    if (nsEnd <= nsStart || !hasAt(id, nsEnd, '/sa/')) return ABSENT;
    const saStart = nsEnd + 4;
    let saEnd = id.indexOf('/', saStart);
    if (saEnd < 0) saEnd = id.length;
    if (saEnd === saStart) return ABSENT;
    this.#namespace = id.slice(nsStart, nsEnd);
    this.#serviceAccount = id.slice(saStart, saEnd);
    return PRESENT;
  }

  /** The connection's source address, parsed; null when it is not an address. */
  sourceIp(): IpScratch | null {
    const a = this.req.clientAddress;
    if (a !== this.#srcKey) {
      this.#src = parseIpInto(a, 0, a.length, this.#srcIp) ? PRESENT : ABSENT;
      this.#srcKey = a;
    }
    return this.#src === PRESENT ? this.#srcIp : null;
  }

  /**
   * The original client address: with N trusted proxies in front, the N-th entry from the right
   * of X-Forwarded-For (each trusted proxy appended the address it saw); the connection's source
   * address when N is 0 or the header has fewer entries. Null when that entry is not an address.
   */
  remoteIp(): IpScratch | null {
    const xff = this.numTrustedProxies > 0 ? this.req.header('x-forwarded-for') : undefined;
    const client = this.req.clientAddress;
    if (xff !== this.#remoteKey || client !== this.#remoteClientKey) {
      this.#remote = this.#parseRemote(xff, client);
      this.#remoteKey = xff;
      this.#remoteClientKey = client;
    }
    return this.#remote === PRESENT ? this.#remoteIp : null;
  }

  #parseRemote(xff: string | undefined, client: string): State {
    const n = this.numTrustedProxies;
    if (xff !== undefined) {
      let end = xff.length;
      let count = 0;
      for (let i = xff.length - 1; i >= -1; i--) {
        if (i >= 0 && xff.charCodeAt(i) !== 44) continue;
        if (++count === n) return parseIpInto(xff, i + 1, end, this.#remoteIp) ? PRESENT : ABSENT;
        end = i;
      }
    }
    return parseIpInto(client, 0, client.length, this.#remoteIp) ? PRESENT : ABSENT;
  }

  /** The address the connection arrived on. */
  destinationIp(): IpScratch | null {
    const a = this.req.peer.localAddress;
    if (a !== this.#dstKey) {
      this.#dst = parseIpInto(a, 0, a.length, this.#dstIp) ? PRESENT : ABSENT;
      this.#dstKey = a;
    }
    return this.#dst === PRESENT ? this.#dstIp : null;
  }
}
