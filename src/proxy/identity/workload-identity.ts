// The proxy's workload identity: an EC P-256 key made here (it never leaves the process), a CSR
// for spiffe://<td>/ns/<ns>/sa/<sa>, a certificate from the control plane's CA, renewed at about
// half its lifetime with a new key each time.
//
//   start ─► key + CSR ─► POST /v1/ca/sign ─► check ─► current, onChange ─► wait ~50% ─┐
//                 ▲               │ unreachable / error / refused                      │
//                 └── backoff ◄───┘ 100 ms, 200 ms, ... 5 s                            │
//                 └────────────────────────────────────────────────────────────────────┘
//
// Listeners rebuild their TLS secure contexts on change: new connections use the new
// certificate, established ones keep the one they were made with.

import { X509Certificate } from 'node:crypto';
import type { SignRequest } from '../../api/index.ts';
import { readPodCredentialUnverified, type Logger } from '../../shared/index.ts';
import { checkCertificate, chainsTo } from './check-certificate.ts';
import { createKeyAndCsr } from './csr.ts';
import { IdentityError, IdentityErrors } from './errors.ts';
import { postSign } from './sign-client.ts';
import { spiffeIdOf } from './spiffe.ts';

export interface WorkloadIdentityOptions {
  /** Base URL of the control plane, e.g. `http://127.0.0.1:15010`. */
  controlPlaneUrl: string;
  /** The pod credential the platform gave this proxy. */
  credential: string;
  /** SPIFFE trust domain, e.g. `cluster.local`. */
  trustDomain: string;
  /** Default: read from the credential. */
  namespace?: string;
  /** Default: read from the credential. */
  serviceAccount?: string;
  log?: Logger;
  /** Per request (default 10 s). */
  requestTimeoutMs?: number;
  /** Renew at this fraction of the certificate's lifetime (default 0.5). */
  renewFraction?: number;
  /** Spread of the renewal time, as a fraction of it (default 0.1: renew between 45% and 55%). */
  renewJitter?: number;
  /** Backoff between failed attempts (default 100 ms doubling up to 5 s). */
  retryMinMs?: number;
  retryMaxMs?: number;
}

export interface WorkloadCertificate {
  /** The SPIFFE ID the certificate carries. */
  identity: string;
  /** PKCS#8 PEM of the key the certificate is for. */
  keyPem: string;
  /** Leaf, then intermediates, then the root they chain to (PEM, concatenated): what a TLS endpoint presents. */
  certChainPem: string;
  /** The trust bundle: roots a peer's certificate must chain to (PEM each). */
  rootsPem: string[];
  notBefore: Date;
  notAfter: Date;
  serial: string;
}

export interface TlsIdentity {
  key: string;
  cert: string;
  ca: string[];
}

export type IdentityChange = 'certificate' | 'roots';
export type IdentityListener = (current: WorkloadCertificate, what: IdentityChange) => void;

export interface IdentityStats {
  /** Certificates received and accepted. */
  issued: number;
  /** Attempts that failed (unreachable, refused by the CA, or a certificate this side refused). */
  failures: number;
}

const noop = () => {};
const quiet: Logger = { debug: noop, info: noop, warn: noop, error: noop };

export class WorkloadIdentity {
  readonly spiffeId: string;
  #url: string;
  #credential: string;
  #log: Logger;
  #timeoutMs: number;
  #renewFraction: number;
  #jitter: number;
  #retryMinMs: number;
  #retryMaxMs: number;
  #current: WorkloadCertificate | null = null;
  #listeners = new Set<IdentityListener>();
  #timer: NodeJS.Timeout | null = null;
  #attempt = 0;
  #inflight = false;
  #again = false;
  #started = false;
  #stopped = false;
  #ready: Promise<void>;
  #resolveReady!: () => void;
  #rejectReady!: (e: Error) => void;
  #issued = 0;
  #failures = 0;

  constructor(opts: WorkloadIdentityOptions) {
    const claims = readPodCredentialUnverified(opts.credential);
    const namespace = opts.namespace ?? claims?.namespace;
    const serviceAccount = opts.serviceAccount ?? claims?.serviceAccount;
    if (namespace === undefined || serviceAccount === undefined) {
      throw new IdentityError(IdentityErrors.BAD_OPTION, 'workload identity needs a namespace and service account (options, or a readable pod credential)');
    }
    try {
      new URL(opts.controlPlaneUrl);
    } catch {
      throw new IdentityError(IdentityErrors.BAD_OPTION, `control plane URL ${JSON.stringify(opts.controlPlaneUrl)} is not a URL`);
    }
    this.spiffeId = spiffeIdOf(opts.trustDomain, namespace, serviceAccount);
    this.#url = opts.controlPlaneUrl;
    this.#credential = opts.credential;
    this.#log = opts.log ?? quiet;
    this.#timeoutMs = opts.requestTimeoutMs ?? 10_000;
    this.#renewFraction = opts.renewFraction ?? 0.5;
    this.#jitter = opts.renewJitter ?? 0.1;
    this.#retryMinMs = opts.retryMinMs ?? 100;
    this.#retryMaxMs = opts.retryMaxMs ?? 5_000;
    this.#ready = new Promise((resolve, reject) => {
      this.#resolveReady = resolve;
      this.#rejectReady = reject;
    });
    // ready() may never be awaited (stop before start); do not report that as unhandled.
    this.#ready.catch(noop);
  }

  /** Requests the first certificate; renewals follow by themselves. */
  start(): this {
    if (this.#started || this.#stopped) return this;
    this.#started = true;
    void this.#renew();
    return this;
  }

  /** Resolves once the first certificate is in place; rejects if stopped before that. */
  ready(): Promise<void> {
    return this.#ready;
  }

  get current(): WorkloadCertificate | null {
    return this.#current;
  }

  get stats(): IdentityStats {
    return { issued: this.#issued, failures: this.#failures };
  }

  /** The same material in the shape the proxy's MeshTls follows (`IdentitySource.material`). */
  get material(): { key: string; certChain: string; roots: readonly string[] } | null {
    const c = this.#current;
    return c === null ? null : { key: c.keyPem, certChain: c.certChainPem, roots: c.rootsPem };
  }

  /** Options for tls.createServer / tls.connect / tls.createSecureContext. */
  tls(): TlsIdentity {
    const c = this.#current;
    if (c === null) throw new IdentityError(IdentityErrors.NOT_READY, 'no workload certificate yet');
    return { key: c.keyPem, cert: c.certChainPem, ca: c.rootsPem };
  }

  /** Called after each new certificate and each trust bundle change; returns an unsubscribe function. */
  onChange(listener: IdentityListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * A new trust bundle pushed by config (PEM roots). If the current certificate does not chain to
   * it (the root it came from was dropped), a new certificate is requested at once.
   */
  updateRoots(pems: readonly string[]): void {
    const roots = pems.map((pem, i) => {
      try {
        const c = new X509Certificate(pem);
        if (!c.ca) throw new Error('not a CA certificate');
        return c;
      } catch (e) {
        throw new IdentityError(IdentityErrors.BAD_OPTION, `trust bundle entry ${i + 1} is not a PEM CA certificate (${(e as Error).message})`);
      }
    });
    if (roots.length === 0) throw new IdentityError(IdentityErrors.BAD_OPTION, 'trust bundle is empty');
    const c = this.#current;
    if (c === null) return; // the first certificate brings its own roots
    const rootsPem = roots.map((r) => r.toString());
    if (rootsPem.length === c.rootsPem.length && rootsPem.every((r, i) => r === c.rootsPem[i])) return;
    this.#current = { ...c, rootsPem };
    this.#emit('roots');
    const chain = splitPem(c.certChainPem).map((p) => new X509Certificate(p));
    if (!chainsTo(chain, roots)) {
      this.#log.warn('workload certificate does not chain to the new trust bundle; renewing now', { identity: this.spiffeId });
      this.#renewNow();
    }
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#current === null) this.#rejectReady(new IdentityError(IdentityErrors.STOPPED, 'workload identity stopped before its first certificate'));
  }

  #renewNow(): void {
    if (this.#inflight) {
      this.#again = true;
      return;
    }
    this.#schedule(0);
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.#renew();
    }, ms);
    this.#timer.unref();
  }

  async #renew(): Promise<void> {
    if (this.#stopped || this.#inflight) return;
    this.#inflight = true;
    this.#again = false;
    try {
      const { keyPem, spki, csrPem } = await createKeyAndCsr(this.spiffeId);
      const body: SignRequest = { csr: csrPem, credential: this.#credential };
      const answer = await postSign(this.#url, body, this.#timeoutMs);
      const checked = checkCertificate(answer, { spiffeId: this.spiffeId, spki });
      if (this.#stopped) return;
      const receivedAt = Date.now();
      this.#current = { identity: this.spiffeId, keyPem, ...checked };
      this.#issued++;
      this.#attempt = 0;
      // Renew at ~half of the time left from now (the certificate's notBefore is backdated for
      // clock skew, so it would overstate the lifetime).
      const lifetime = checked.notAfter.getTime() - receivedAt;
      const spread = 1 + this.#jitter * (2 * Math.random() - 1);
      const inMs = Math.max(0, Math.round(lifetime * this.#renewFraction * spread));
      this.#log.info('workload certificate issued', { identity: this.spiffeId, serial: checked.serial, notAfter: checked.notAfter.toISOString(), renewInMs: inMs });
      this.#schedule(this.#again ? 0 : inMs);
      this.#resolveReady();
      this.#emit('certificate');
    } catch (e) {
      if (this.#stopped) return;
      this.#failures++;
      const base = Math.min(this.#retryMaxMs, this.#retryMinMs * 2 ** this.#attempt);
      const inMs = Math.round(base * (0.8 + 0.4 * Math.random()));
      this.#attempt++;
      this.#log.warn('workload certificate request failed; retrying', { identity: this.spiffeId, error: e instanceof Error ? e.message : String(e), retryInMs: inMs });
      this.#schedule(inMs);
    } finally {
      this.#inflight = false;
    }
  }

  #emit(what: IdentityChange): void {
    const c = this.#current;
    if (c === null) return;
    for (const l of this.#listeners) {
      try {
        l(c, what);
      } catch (e) {
        this.#log.error('workload identity listener failed', { error: e instanceof Error ? e.message : String(e) });
      }
    }
  }
}

function splitPem(text: string): string[] {
  return text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g) ?? [];
}
