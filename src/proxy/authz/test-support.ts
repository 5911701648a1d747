// Fakes for the authorization tests: a request view with only the facts a test sets, and an
// exchange that records what the filter did to it.

import { ResponseHeaderOps, type JwtIdentity, type PeerInfo } from '../exchange.ts';
import type { Exchange } from '../exchange.ts';
import type { AuthzRequestView } from './request-facts.ts';

export interface FakeRequest {
  method?: string;
  authority?: string;
  /** Path with query. */
  path?: string;
  headers?: Record<string, string>;
  clientAddress?: string;
  /** Full SPIFFE URI, or null for a plaintext or certificate-less peer. */
  identity?: string | null;
  sni?: string | null;
  localAddress?: string;
  localPort?: number;
  /** A verified token: `principal` defaults to `<iss>/<sub>`. */
  jwt?: Partial<JwtIdentity> | null;
}

export function fakeJwt(j: Partial<JwtIdentity>): JwtIdentity {
  const issuer = j.issuer ?? 'issuer.example';
  const subject = j.subject ?? 'user-1';
  return { issuer, subject, principal: j.principal ?? `${issuer}/${subject}`, audiences: j.audiences ?? [], presenter: j.presenter ?? null, claims: j.claims ?? {} };
}

export function fakeRequest(r: FakeRequest = {}): AuthzRequestView {
  const path = r.path ?? '/';
  const q = path.indexOf('?');
  const headers = new Map(Object.entries(r.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  const peer: PeerInfo = {
    tls: (r.identity ?? null) !== null,
    identity: r.identity ?? null,
    certHash: null,
    sni: r.sni ?? null,
    localAddress: r.localAddress ?? '10.0.0.2',
    localPort: r.localPort ?? 8080,
  };
  return {
    method: r.method ?? 'GET',
    authority: r.authority ?? 'svc.ns.svc.cluster.local:8080',
    path,
    pathOnly: q < 0 ? path : path.slice(0, q),
    clientAddress: r.clientAddress ?? '10.0.0.1',
    peer,
    jwt: r.jwt === undefined || r.jwt === null ? null : fakeJwt(r.jwt),
    header: (name) => headers.get(name),
  };
}

export interface Reply {
  kind: 'direct' | 'local';
  status: number;
  body: string;
  flag?: string;
  headers?: [string, string][];
}

export interface FakeExchange extends Exchange {
  /** What the filter answered, or null when it passed the request on (or has not decided yet). */
  reply: Reply | null;
  /** Set to true to simulate the client going away. */
  closed: boolean;
}

/** An exchange with the request facts of `r`; replies and header edits are recorded. */
export function fakeExchange(r: FakeRequest = {}): FakeExchange {
  const view = fakeRequest(r);
  const edits = new Map<string, string | null>();
  const ex = {
    ...view,
    header: view.header,
    role: 'sidecar',
    listener: 'inbound',
    port: view.peer.localPort,
    scheme: 'http',
    closed: false,
    flags: '',
    routeName: '',
    clusterName: '',
    endpointKey: '',
    responseStarted: false,
    reply: null as Reply | null,
    upstreamPath: null as string | null,
    upstreamAuthority: null as string | null,
    responseHeaderOps: new ResponseHeaderOps(),
    get headerEdits() {
      return edits.size === 0 ? null : edits;
    },
    setRequestHeader(name: string, value: string) {
      edits.set(name, value);
    },
    removeRequestHeader(name: string) {
      edits.set(name, null);
    },
    directReply(status: number, body: string, headers?: readonly (readonly [string, string])[]) {
      ex.responseStarted = true;
      ex.reply = headers !== undefined && headers.length > 0 ? { kind: 'direct', status, body, headers: headers.map(([k, v]) => [k, v] as [string, string]) } : { kind: 'direct', status, body };
    },
    localReply(status: number, flag: string, reason: string) {
      ex.responseStarted = true;
      if (flag !== '-') ex.flags = ex.flags === '' ? flag : `${ex.flags},${flag}`;
      ex.reply = { kind: 'local', status, body: `${reason}\n`, flag };
    },
    abort() {
      ex.responseStarted = true;
    },
  };
  return ex as unknown as FakeExchange;
}
