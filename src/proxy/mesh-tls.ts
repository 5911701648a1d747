// The proxy's TLS state: its workload certificate and the mesh roots, as secure contexts built
// once per change (a rotation or a new trust bundle), never per connection. New connections use
// the newest contexts; connections already open keep the ones they were made with.

import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { checkServerIdentity as defaultCheckServerIdentity, createSecureContext, DEFAULT_CIPHERS, type PeerCertificate, type SecureContext, type SecureContextOptions } from 'node:tls';

/** Mesh mTLS prefers AES-128-GCM, as Envoy's TLS library does; everything else stays Node's default. */
const MESH_CIPHERS = `TLS_AES_128_GCM_SHA256:${DEFAULT_CIPHERS}`;
import type { GatewayTlsServer, UpstreamTls } from '../api/index.ts';

/** A workload certificate: key and chain (PEM) and the roots that came with it. */
export interface TlsMaterial {
  key: string;
  /** Leaf first, then intermediates. */
  certChain: string;
  roots: readonly string[];
}

/** Where the proxy's certificate comes from (the CA client); null `material` until the first one. */
export interface IdentitySource {
  readonly material: TlsMaterial | null;
  onChange(listener: () => void): void;
}

const SPIFFE_PREFIX = 'URI:spiffe://';

/** The SPIFFE URI in a certificate's subjectAltName string (`URI:spiffe://...`), or null. */
export function spiffeFromSan(san: string | undefined): string | null {
  if (san === undefined) return null;
  for (const part of san.split(', ')) if (part.startsWith(SPIFFE_PREFIX)) return part.slice(4);
  return null;
}

/** All SAN values without their type prefix (`URI:`, `DNS:`, `IP Address:`). */
function sanValues(san: string | undefined): string[] {
  if (san === undefined) return [];
  return san.split(', ').map((p) => p.slice(p.indexOf(':') + 1));
}

export interface UpstreamTlsContext {
  context: SecureContext;
  servername: string | undefined;
  checkServerIdentity: (host: string, cert: PeerCertificate) => Error | undefined;
  /** Whether the peer's certificate is verified at all (insecureSkipVerify turns it off). */
  verify: boolean;
}

function sanMismatch(want: readonly string[], cert: PeerCertificate): Error {
  const got = sanValues(cert.subjectaltname).join(', ') || 'none';
  return Object.assign(new Error(`peer certificate SAN mismatch: want ${want.join(' or ')}, got ${got}`), { code: 'ERR_TLS_SAN_MISMATCH' });
}

export class MeshTls {
  #material: TlsMaterial | null = null;
  #configRoots: readonly string[] = [];
  #server: SecureContextOptions | null = null;
  #client: SecureContext | null = null;
  /** Identity of this proxy's own certificate (XFCC `By`). */
  identity: string | null = null;
  /** Bumped on every rebuild; pools keyed by it would reconnect with new certs (they do not need to). */
  generation = 0;
  readonly #listeners = new Set<() => void>();
  readonly #files = new Map<string, SecureContext>();

  /** Follows an identity source. */
  attach(source: IdentitySource): void {
    const take = (): void => {
      const m = source.material;
      if (m !== null) this.setMaterial(m);
    };
    source.onChange(take);
    take();
  }

  setMaterial(m: TlsMaterial): void {
    this.#material = m;
    try {
      this.identity = spiffeFromSan(new X509Certificate(m.certChain).subjectAltName);
    } catch {
      this.identity = null;
    }
    this.#rebuild();
  }

  /** The trust bundle from the pushed config (roots rotate through it). */
  setConfigRoots(roots: readonly string[]): void {
    if (roots.length === this.#configRoots.length && roots.every((r, i) => r === this.#configRoots[i])) return;
    this.#configRoots = roots;
    this.#rebuild();
  }

  onChange(fn: () => void): void {
    this.#listeners.add(fn);
  }

  get ready(): boolean {
    return this.#server !== null;
  }



  /** Roots: the config's bundle plus the ones the CA returned, deduplicated. */
  get roots(): string[] {
    return [...new Set([...this.#configRoots, ...(this.#material?.roots ?? [])])];
  }

  #rebuild(): void {
    const m = this.#material;
    if (m === null) return;
    const ca = this.roots;
    this.#server = { key: m.key, cert: m.certChain, ca, minVersion: 'TLSv1.2', ciphers: MESH_CIPHERS };
    this.#client = createSecureContext({ key: m.key, cert: m.certChain, ca, minVersion: 'TLSv1.2', ciphers: MESH_CIPHERS });
    this.generation++;
    for (const fn of this.#listeners) fn();
  }

  /** Key, chain and roots for servers that terminate mesh mTLS, or null before the first certificate. */
  get serverOptions(): SecureContextOptions | null {
    return this.#server;
  }

  /** A secure context with the mesh certificate (gateway ISTIO_MUTUAL servers). */
  serverContext(): SecureContext | null {
    return this.#server === null ? null : createSecureContext(this.#server);
  }

  /** Client context for ISTIO_MUTUAL, or null before the first certificate. */
  get clientContext(): SecureContext | null {
    return this.#client;
  }

  /**
   * What an upstream connection needs for mesh mTLS: the client context and a check that the
   * server presents one of `identities` (SPIFFE URIs). Empty `identities`: any identity of our
   * roots. Null before the first certificate.
   */
  istioMutual(identities: readonly string[], sni: string | undefined): UpstreamTlsContext | null {
    const context = this.#client;
    if (context === null) return null;
    return {
      context,
      servername: sni,
      verify: true,
      checkServerIdentity: (_host, cert) => {
        const id = spiffeFromSan(cert.subjectaltname);
        if (id === null) return sanMismatch(identities.length > 0 ? identities : ['a SPIFFE identity'], cert);
        if (identities.length > 0 && !identities.includes(id)) return sanMismatch(identities, cert);
        return undefined;
      },
    };
  }

  /** SIMPLE / MUTUAL origination from files (DestinationRule `tls`); throws with the file at fault. */
  fileUpstream(tls: UpstreamTls, host: string): UpstreamTlsContext {
    const cacheKey = `${tls.mode}|${tls.caCertificates ?? ''}|${tls.clientCertificate ?? ''}|${tls.privateKey ?? ''}`;
    let context = this.#files.get(cacheKey);
    if (context === undefined) {
      const opts: Parameters<typeof createSecureContext>[0] = { minVersion: 'TLSv1.2' };
      if (tls.caCertificates) opts.ca = readPem(tls.caCertificates, 'caCertificates');
      if (tls.mode === 'MUTUAL') {
        if (!tls.clientCertificate || !tls.privateKey) throw new Error('MUTUAL TLS needs clientCertificate and privateKey');
        opts.cert = readPem(tls.clientCertificate, 'clientCertificate');
        opts.key = readPem(tls.privateKey, 'privateKey');
      }
      context = createSecureContext(opts);
      this.#files.set(cacheKey, context);
    }
    const sans = tls.subjectAltNames ?? [];
    const servername = tls.sni ?? (isIp(host) ? undefined : host);
    return {
      context,
      servername,
      verify: tls.insecureSkipVerify !== true,
      checkServerIdentity: (h, cert) => {
        if (sans.length > 0) {
          const got = sanValues(cert.subjectaltname);
          return sans.some((s) => got.includes(s)) ? undefined : sanMismatch(sans, cert);
        }
        return defaultCheckServerIdentity(servername ?? h, cert);
      },
    };
  }

  /** Forgets file-based contexts (a new config may point at rewritten files). */
  clearFileCache(): void {
    this.#files.clear();
  }
}

function isIp(h: string): boolean {
  return /^[\d.]+$/.test(h) || h.includes(':');
}

function readPem(path: string, field: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`${field}: cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** A gateway TLS server's secure context from its files; throws naming the file at fault. */
export function gatewayServerContext(s: GatewayTlsServer, mesh: MeshTls): SecureContext {
  if (s.mode === 'ISTIO_MUTUAL') {
    const c = mesh.serverContext();
    if (c === null) throw new Error('ISTIO_MUTUAL: the gateway has no mesh certificate yet');
    return c;
  }
  if (!s.serverCertificate || !s.privateKey) throw new Error(`${s.source}: serverCertificate and privateKey are required`);
  const opts: Parameters<typeof createSecureContext>[0] = {
    cert: readPem(s.serverCertificate, 'serverCertificate'),
    key: readPem(s.privateKey, 'privateKey'),
    minVersion: tlsVersion(s.minProtocolVersion) ?? 'TLSv1.2',
  };
  const max = tlsVersion(s.maxProtocolVersion);
  if (max !== undefined) opts.maxVersion = max;
  if (s.cipherSuites && s.cipherSuites.length > 0) opts.ciphers = s.cipherSuites.join(':');
  if (s.mode === 'MUTUAL' || s.mode === 'OPTIONAL_MUTUAL') {
    if (!s.caCertificates) throw new Error(`${s.source}: MUTUAL needs caCertificates (ca.crt)`);
    opts.ca = readPem(s.caCertificates, 'caCertificates');
  }
  return createSecureContext(opts);
}

function tlsVersion(v: string | undefined): 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3' | undefined {
  switch (v) {
    case 'TLSV1_0': return 'TLSv1';
    case 'TLSV1_1': return 'TLSv1.1';
    case 'TLSV1_2': return 'TLSv1.2';
    case 'TLSV1_3': return 'TLSv1.3';
    default: return undefined;
  }
}

/** SHA-256 of a certificate's DER, hex (XFCC `Hash`). */
export function certHash(raw: Buffer): string {
  return createHash('sha256').update(raw).digest('hex');
}
