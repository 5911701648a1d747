// The mesh certificate authority: signs workload CSRs for the SPIFFE identity the caller proved,
// with a self-signed root of its own (rotatable with an overlap) or an operator's plug-in CA.
//
// Root rotation, self-signed mode only:
//
//   rotateRoot()          switchAt = now + grace            retireAt = switch + workload TTL
//   ───────────┬────────────────────────┬────────────────────────────────┬──────────────
//   bundle     [old]  →  [new, old]      │  [new, old]                    │  [new]
//   signs with old       old             │  new                           │  new
//              overlap: proxies receive the new bundle    old leaves expire
//
// The grace period is the time every proxy needs to receive the new bundle (at the latest with its
// next certificate, i.e. half a TTL); after the switch the old root stays trusted until every
// leaf it signed has expired, or until finishRotation().

import type { SignResponse } from '../../api/index.ts';
import type { Logger } from '../../shared/index.ts';
import { readCsr } from './csr.ts';
import { CaError, CaErrors } from './errors.ts';
import { issueLeaf } from './issue-leaf.ts';
import { loadPluginCa } from './plugin-ca.ts';
import { ROOT_FILES, RootStore, type RotationState } from './root-store.ts';
import type { RootMaterial } from './self-signed-root.ts';
import { makeSigner, type Signer } from './signer.ts';
import { checkTrustDomain, spiffeId, type WorkloadName } from './spiffe.ts';

export interface CertificateAuthorityOptions {
  /** State directory: the self-signed root and rotation state (mode 0700). */
  dir: string;
  /** SPIFFE trust domain, e.g. `cluster.local`. */
  trustDomain: string;
  /** Istio `cacerts` directory; when given, its intermediate signs and no root is created. */
  pluginDir?: string;
  /** Lifetime of a workload certificate. */
  workloadTtlMs: number;
  /** How long a new root is trusted before it signs (default: one workload TTL). */
  rotationGraceMs?: number;
  log: Logger;
}

export interface CaStats {
  /** Certificates issued. */
  issued: number;
  /** Sign requests refused (bad CSR, wrong identity, unsupported key, expired signer). */
  refused: number;
  /** Total time spent in sign(), ms. */
  signMs: number;
}

export type CaRotationStatus = Readonly<RotationState>;

export type BundleListener = (roots: readonly string[]) => void;

/** setTimeout's longest delay; longer waits re-arm when they fire. */
const MAX_TIMER_MS = 2_147_483_647;
const RETRY_AFTER_ERROR_MS = 10_000;
const MIN_TTL_MS = 1_000;

export class CertificateAuthority {
  readonly trustDomain: string;
  readonly mode: 'self-signed' | 'plugin';
  readonly workloadTtlMs: number;
  readonly rotationGraceMs: number;
  #log: Logger;
  #store: RootStore | null;
  #signer: Signer;
  #nextSigner: Signer | null = null;
  #roots: readonly string[];
  #listeners = new Set<BundleListener>();
  #timer: NodeJS.Timeout | null = null;
  #closed = false;
  /** Serialises rotation steps (API calls and timers). */
  #steps: Promise<void> = Promise.resolve();
  #issued = 0;
  #refused = 0;
  #signMs = 0;

  private constructor(opts: CertificateAuthorityOptions, store: RootStore | null, signer: Signer, roots: readonly string[]) {
    this.trustDomain = opts.trustDomain;
    this.mode = store === null ? 'plugin' : 'self-signed';
    this.workloadTtlMs = opts.workloadTtlMs;
    this.rotationGraceMs = opts.rotationGraceMs ?? opts.workloadTtlMs;
    this.#log = opts.log;
    this.#store = store;
    this.#signer = signer;
    this.#roots = Object.freeze([...roots]);
  }

  static async open(opts: CertificateAuthorityOptions): Promise<CertificateAuthority> {
    checkTrustDomain(opts.trustDomain);
    if (!Number.isFinite(opts.workloadTtlMs) || opts.workloadTtlMs < MIN_TTL_MS) throw new CaError(CaErrors.BAD_OPTION, `workloadTtlMs must be at least ${MIN_TTL_MS} ms`);
    if (opts.rotationGraceMs !== undefined && !(opts.rotationGraceMs >= 0)) throw new CaError(CaErrors.BAD_OPTION, 'rotationGraceMs must be 0 or more');
    if (opts.pluginDir !== undefined) {
      const plugin = await loadPluginCa(opts.pluginDir);
      opts.log.info('CA uses the plug-in certificates', { dir: opts.pluginDir, roots: plugin.roots.length });
      return new CertificateAuthority(opts, null, plugin.signer, plugin.roots);
    }
    const store = await RootStore.open(opts.dir, opts.log);
    const signer = await rootSigner(store.signing, store.dir, false);
    const ca = new CertificateAuthority(opts, store, signer, store.bundle);
    if (store.next !== null) ca.#nextSigner = await rootSigner(store.next, store.dir, true);
    await ca.#advance();
    return ca;
  }

  /** The trust bundle: every root a peer must accept now (PEM, newest first). */
  get roots(): readonly string[] {
    return this.#roots;
  }

  get stats(): CaStats {
    return { issued: this.#issued, refused: this.#refused, signMs: this.#signMs };
  }

  /** The rotation under way, or null. */
  get rotation(): CaRotationStatus | null {
    return this.#store?.rotation ?? null;
  }

  spiffeId(identity: WorkloadName): string {
    return spiffeId(this.trustDomain, identity);
  }

  /**
   * Signs a workload CSR for `identity`, the namespace and service account the caller proved (with
   * its pod credential). The CSR must ask for exactly that SPIFFE ID as its only SAN. Throws a
   * CaError (ISTHMUS_ERR_CA_*) saying why when it refuses.
   */
  async sign(csrPem: string, identity: WorkloadName): Promise<SignResponse> {
    const t0 = performance.now();
    try {
      const expected = spiffeId(this.trustDomain, identity);
      const csr = await readCsr(csrPem);
      if (csr.uris.length === 0) throw new CaError(CaErrors.CSR_IDENTITY, `cannot sign CSR: URI SAN is missing (expected ${expected})`);
      if (csr.sans.length !== 1 || csr.uris[0] !== expected) {
        throw new CaError(CaErrors.CSR_IDENTITY, `cannot sign CSR: it asks for [${csr.sans.join(', ')}] but the caller may only have ${expected}`);
      }
      const signer = this.#signer;
      const roots = this.#roots;
      const leaf = await issueLeaf(signer, csr.spki, expected, this.workloadTtlMs);
      this.#issued++;
      return { certChain: [leaf.pem, ...signer.chain], roots: [...roots], notAfter: leaf.notAfter.toISOString() };
    } catch (e) {
      this.#refused++;
      throw e;
    } finally {
      this.#signMs += performance.now() - t0;
    }
  }

  /** Calls `listener` with the new bundle whenever it changes; returns an unsubscribe function. */
  onBundleChange(listener: BundleListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Starts a root rotation: a new root joins the trust bundle now and starts signing after the
   * grace period (default `rotationGraceMs`). Self-signed mode only.
   */
  rotateRoot(opts: { graceMs?: number } = {}): Promise<void> {
    return this.#step(async () => {
      const store = this.#selfSigned('rotate the root');
      const grace = opts.graceMs ?? this.rotationGraceMs;
      if (!(grace >= 0)) throw new CaError(CaErrors.BAD_OPTION, 'graceMs must be 0 or more');
      const now = Date.now();
      await store.begin(now + grace, now);
      this.#nextSigner = await rootSigner(store.next!, store.dir, true);
      this.#setRoots(store.bundle);
      await this.#advanceLocked();
    });
  }

  /**
   * Ends the rotation now: the new root signs and the old one leaves the bundle. Leaves the old
   * root signed stop verifying at peers that take the new bundle, so call this only when they
   * have all been renewed (or to drop a compromised root).
   */
  finishRotation(): Promise<void> {
    return this.#step(async () => {
      const store = this.#selfSigned('finish a root rotation');
      if (store.rotation === null) return;
      if (store.rotation.phase === 'overlap') await this.#switchLocked(Date.now());
      await store.retire();
      this.#setRoots(store.bundle);
      this.#arm();
    });
  }

  close(): void {
    this.#closed = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #selfSigned(what: string): RootStore {
    if (this.#store === null) throw new CaError(CaErrors.ROTATION, `cannot ${what}: the CA uses plug-in certificates; rotate them by replacing the cacerts files`);
    return this.#store;
  }

  #step(fn: () => Promise<void>): Promise<void> {
    const run = this.#steps.then(fn);
    this.#steps = run.catch(() => {});
    return run;
  }

  #advance(): Promise<void> {
    return this.#step(() => this.#advanceLocked());
  }

  /** Takes every rotation step that is due, then arms the timer for the next one. */
  async #advanceLocked(): Promise<void> {
    const store = this.#store;
    if (store === null) return;
    const now = Date.now();
    const r = store.rotation;
    if (r?.phase === 'overlap' && now >= r.switchAt) await this.#switchLocked(now);
    const r2 = store.rotation;
    if (r2?.phase === 'switched' && r2.retireAt !== null && now >= r2.retireAt) {
      await store.retire();
      this.#setRoots(store.bundle);
    }
    this.#arm();
  }

  async #switchLocked(now: number): Promise<void> {
    const store = this.#store!;
    // The old root's last leaf, issued just before now, expires one TTL from now (rounded up to
    // the second), and its holder renews it at half that.
    await store.switchToNext(now + this.workloadTtlMs + 1_000);
    this.#signer = this.#nextSigner ?? (await rootSigner(store.signing, store.dir, false));
    this.#nextSigner = null;
    this.#setRoots(store.bundle);
  }

  #arm(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    const r = this.#store?.rotation;
    if (this.#closed || r === undefined || r === null) return;
    const due = r.phase === 'overlap' ? r.switchAt : (r.retireAt ?? Infinity);
    if (due === Infinity) return;
    this.#schedule(Math.max(0, due - Date.now()));
  }

  #schedule(ms: number): void {
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#advance().catch((e: unknown) => {
        this.#log.error('root rotation step failed; retrying', { error: e instanceof Error ? e.message : String(e) });
        if (!this.#closed && this.#timer === null) this.#schedule(RETRY_AFTER_ERROR_MS);
      });
    }, Math.min(ms, MAX_TIMER_MS));
    this.#timer.unref();
  }

  #setRoots(roots: readonly string[]): void {
    if (roots.length === this.#roots.length && roots.every((r, i) => r === this.#roots[i])) return;
    this.#roots = Object.freeze([...roots]);
    for (const l of this.#listeners) {
      try {
        l(this.#roots);
      } catch (e) {
        this.#log.error('trust bundle listener failed', { error: e instanceof Error ? e.message : String(e) });
      }
    }
  }
}

function rootSigner(m: RootMaterial, dir: string, next: boolean): Promise<Signer> {
  return makeSigner({
    certPem: m.certPem,
    keyPem: m.keyPem,
    chain: [],
    chainNotAfter: Infinity,
    certFile: `${dir}/${next ? ROOT_FILES.nextCert : ROOT_FILES.cert}`,
    keyFile: `${dir}/${next ? ROOT_FILES.nextKey : ROOT_FILES.key}`,
    code: CaErrors.STATE_INVALID,
  });
}
