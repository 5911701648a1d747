// The self-signed roots on disk, and the steps of a root rotation, each of which a restart resumes.
//
//   <dir>/root-cert.pem           the root that signs now
//   <dir>/root-key.pem            its key (0600)
//   <dir>/rotation.json           only while a rotation runs: phase and times
//   <dir>/next-root-cert.pem      phase "overlap": the new root, trusted but not yet signing
//   <dir>/next-root-key.pem       its key (0600)
//   <dir>/previous-root-cert.pem  phase "switched": the old root, trusted until its leaves expire
//
// Every file is replaced whole (atomicWrite). rotation.json is the commit point of each step:
// files a step writes before it are ignored (and removed) if it is absent, and a step it records
// is completed on the next start if the process stopped half way.

import { X509Certificate } from 'node:crypto';
import { mkdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../shared/index.ts';
import { atomicWrite, syncDir } from './atomic-write.ts';
import { CaError, CaErrors } from './errors.ts';
import { createRoot, type RootMaterial } from './self-signed-root.ts';

export const ROOT_FILES = {
  cert: 'root-cert.pem',
  key: 'root-key.pem',
  rotation: 'rotation.json',
  nextCert: 'next-root-cert.pem',
  nextKey: 'next-root-key.pem',
  previousCert: 'previous-root-cert.pem',
} as const;

export interface RotationState {
  /** overlap: both roots trusted, the old one signs. switched: the new one signs, the old one is still trusted. */
  phase: 'overlap' | 'switched';
  startedAt: number;
  /** When signing moves to the new root (ms since the epoch). */
  switchAt: number;
  /** Phase switched: when the last leaf of the old root has expired and it leaves the bundle. */
  retireAt: number | null;
}

const KEY_MODE = 0o600;
const CERT_MODE = 0o644;

export class RootStore {
  readonly dir: string;
  #log: Logger;
  #signing: RootMaterial;
  #next: RootMaterial | null;
  #previousCertPem: string | null;
  #rotation: RotationState | null;

  private constructor(dir: string, log: Logger, signing: RootMaterial, next: RootMaterial | null, previous: string | null, rotation: RotationState | null) {
    this.dir = dir;
    this.#log = log;
    this.#signing = signing;
    this.#next = next;
    this.#previousCertPem = previous;
    this.#rotation = rotation;
  }

  /** The root that signs now. */
  get signing(): RootMaterial {
    return this.#signing;
  }

  /** The new root during the overlap phase. */
  get next(): RootMaterial | null {
    return this.#next;
  }

  get rotation(): RotationState | null {
    return this.#rotation === null ? null : { ...this.#rotation };
  }

  /** Trusted roots, newest first. */
  get bundle(): string[] {
    if (this.#next !== null) return [this.#next.certPem, this.#signing.certPem];
    if (this.#previousCertPem !== null) return [this.#signing.certPem, this.#previousCertPem];
    return [this.#signing.certPem];
  }

  #path(name: string): string {
    return join(this.dir, name);
  }

  static async open(dir: string, log: Logger): Promise<RootStore> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const p = (n: string) => join(dir, n);
    let rotation = await readRotation(p(ROOT_FILES.rotation));

    if (rotation?.phase === 'switched' && (await exists(p(ROOT_FILES.nextCert)))) {
      // The switch was recorded but its renames did not all happen: finish them.
      if (await exists(p(ROOT_FILES.nextKey))) await rename(p(ROOT_FILES.nextKey), p(ROOT_FILES.key));
      await rename(p(ROOT_FILES.nextCert), p(ROOT_FILES.cert));
      await syncDir(dir);
      log.info('completed an interrupted switch to the new root');
    }
    if (rotation?.phase === 'switched' && !(await exists(p(ROOT_FILES.previousCert)))) {
      // The retirement was under way: the old root is already gone.
      await unlink(p(ROOT_FILES.rotation));
      rotation = null;
    }
    // Files of a step that was never recorded.
    const stray = rotation === null ? [ROOT_FILES.nextCert, ROOT_FILES.nextKey, ROOT_FILES.previousCert] : rotation.phase === 'overlap' ? [ROOT_FILES.previousCert] : [];
    for (const f of stray) await unlink(p(f)).catch(() => {});

    let signing = await readMaterial(p(ROOT_FILES.cert), p(ROOT_FILES.key), log);
    if (signing === null) {
      if (rotation !== null) throw new CaError(CaErrors.STATE_INVALID, `${p(ROOT_FILES.cert)} is missing but ${p(ROOT_FILES.rotation)} records a rotation`);
      signing = await createRoot();
      // Key first: a certificate on disk always has its key beside it.
      await atomicWrite(p(ROOT_FILES.key), signing.keyPem, KEY_MODE);
      await atomicWrite(p(ROOT_FILES.cert), signing.certPem, CERT_MODE);
      log.info('created a new self-signed mesh root', { file: p(ROOT_FILES.cert), fingerprint: fingerprint(signing.certPem) });
    }
    let next: RootMaterial | null = null;
    let previous: string | null = null;
    if (rotation?.phase === 'overlap') {
      next = await readMaterial(p(ROOT_FILES.nextCert), p(ROOT_FILES.nextKey), log);
      if (next === null) throw new CaError(CaErrors.STATE_INVALID, `${p(ROOT_FILES.rotation)} records a rotation but ${p(ROOT_FILES.nextCert)} is missing`);
    } else if (rotation?.phase === 'switched') {
      previous = await readCert(p(ROOT_FILES.previousCert));
    }
    return new RootStore(dir, log, signing, next, previous, rotation);
  }

  /** Step 1: a new root joins the bundle; the current one keeps signing until `switchAt`. */
  async begin(switchAt: number, now = Date.now()): Promise<void> {
    if (this.#rotation !== null) throw new CaError(CaErrors.ROTATION, `a root rotation is already under way (phase ${this.#rotation.phase})`);
    const next = await createRoot(now);
    await atomicWrite(this.#path(ROOT_FILES.nextKey), next.keyPem, KEY_MODE);
    await atomicWrite(this.#path(ROOT_FILES.nextCert), next.certPem, CERT_MODE);
    const rotation: RotationState = { phase: 'overlap', startedAt: now, switchAt, retireAt: null };
    await writeRotation(this.#path(ROOT_FILES.rotation), rotation);
    this.#next = next;
    this.#rotation = rotation;
    this.#log.info('root rotation started: new root trusted', { fingerprint: fingerprint(next.certPem), switchAt: new Date(switchAt).toISOString() });
  }

  /** Step 2: the new root signs; the old one stays trusted until `retireAt`. */
  async switchToNext(retireAt: number): Promise<void> {
    const r = this.#rotation;
    if (r?.phase !== 'overlap' || this.#next === null) throw new CaError(CaErrors.ROTATION, 'no root rotation is in its overlap phase');
    await atomicWrite(this.#path(ROOT_FILES.previousCert), this.#signing.certPem, CERT_MODE);
    const rotation: RotationState = { ...r, phase: 'switched', retireAt };
    await writeRotation(this.#path(ROOT_FILES.rotation), rotation);
    await rename(this.#path(ROOT_FILES.nextKey), this.#path(ROOT_FILES.key));
    await rename(this.#path(ROOT_FILES.nextCert), this.#path(ROOT_FILES.cert));
    await syncDir(this.dir);
    this.#previousCertPem = this.#signing.certPem;
    this.#signing = this.#next;
    this.#next = null;
    this.#rotation = rotation;
    this.#log.info('root rotation: signing with the new root', { fingerprint: fingerprint(this.#signing.certPem), retireAt: new Date(retireAt).toISOString() });
  }

  /** Step 3: the old root leaves the bundle; the rotation is over. */
  async retire(): Promise<void> {
    if (this.#rotation?.phase !== 'switched') throw new CaError(CaErrors.ROTATION, 'no root rotation has switched to its new root');
    await unlink(this.#path(ROOT_FILES.rotation));
    await unlink(this.#path(ROOT_FILES.previousCert)).catch(() => {});
    await syncDir(this.dir);
    this.#previousCertPem = null;
    this.#rotation = null;
    this.#log.info('root rotation finished: the old root is no longer trusted');
  }
}

export function fingerprint(certPem: string): string {
  return new X509Certificate(certPem).fingerprint256;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

async function readOptional(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new CaError(CaErrors.STATE_INVALID, `cannot read ${path}: ${(e as Error).message}`, { cause: e });
  }
}

async function readCert(path: string): Promise<string> {
  const pem = await readOptional(path);
  if (pem === null) throw new CaError(CaErrors.STATE_INVALID, `${path} is missing`);
  try {
    new X509Certificate(pem);
  } catch (e) {
    throw new CaError(CaErrors.STATE_INVALID, `${path}: not a PEM certificate (${(e as Error).message})`, { cause: e });
  }
  return pem;
}

/** A root's cert and key, or null when neither exists (or only a key left by an interrupted creation). */
async function readMaterial(certPath: string, keyPath: string, log: Logger): Promise<RootMaterial | null> {
  const certPem = await readOptional(certPath);
  const keyPem = await readOptional(keyPath);
  if (certPem === null) return null; // a key alone never signed anything: it is replaced
  if (keyPem === null) throw new CaError(CaErrors.STATE_INVALID, `${keyPath} is missing; ${certPath} cannot be used without its key (remove both to start with a new root)`);
  const mode = (await stat(keyPath)).mode & 0o777;
  if ((mode & 0o077) !== 0) log.warn('CA key file is readable by other users', { file: keyPath, mode: mode.toString(8) });
  await readCert(certPath);
  return { certPem, keyPem };
}

async function readRotation(path: string): Promise<RotationState | null> {
  const text = await readOptional(path);
  if (text === null) return null;
  const bad = (why: string) => new CaError(CaErrors.STATE_INVALID, `${path}: ${why}`);
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw bad(`not JSON (${(e as Error).message})`);
  }
  const o = v as Record<string, unknown>;
  if (typeof v !== 'object' || v === null || o['version'] !== 1) throw bad('expected {"version": 1, ...}');
  const time = (k: string): number => {
    const t = typeof o[k] === 'string' ? Date.parse(o[k]) : NaN;
    if (!Number.isFinite(t)) throw bad(`${k} is not an ISO time`);
    return t;
  };
  if (o['phase'] !== 'overlap' && o['phase'] !== 'switched') throw bad('phase must be "overlap" or "switched"');
  return { phase: o['phase'], startedAt: time('startedAt'), switchAt: time('switchAt'), retireAt: o['phase'] === 'switched' ? time('retireAt') : null };
}

async function writeRotation(path: string, r: RotationState): Promise<void> {
  const iso = (t: number | null) => (t === null ? undefined : new Date(t).toISOString());
  const body = { version: 1, phase: r.phase, startedAt: iso(r.startedAt), switchAt: iso(r.switchAt), retireAt: iso(r.retireAt) };
  await atomicWrite(path, JSON.stringify(body, null, 2) + '\n', CERT_MODE);
}
