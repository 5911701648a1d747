// `isthmus ca status` and `isthmus ca rotate-root`: the mesh CA's trust bundle and root rotation.

import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { meshHome, readMeshInfo, type ControlPlaneClient } from '../../runtime/index.ts';
import { CliError, clientFor, out } from '../context.ts';
import { table, toJson } from '../output.ts';

type CaRoots = Awaited<ReturnType<ControlPlaneClient['caRoots']>>;
type CaRotation = NonNullable<CaRoots['rotation']>;
export type CaMode = 'self-signed' | 'plugin' | 'unknown';

export interface RootSummary {
  subject: string;
  issuer: string;
  serial: string;
  notBefore: string;
  notAfter: string;
  sha256: string;
  /** new (trusted, not signing yet), signing, previous (trusted until its leaves expire), trusted (plug-in). */
  state: 'new' | 'signing' | 'previous' | 'trusted';
  pem: string;
}

export interface CaStatus {
  trustDomain: string;
  mode: CaMode;
  rotation: { phase: CaRotation['phase']; startedAt: string; switchAt: string; retireAt: string | null } | null;
  roots: RootSummary[];
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.000Z$/, 'Z');
const name = (dn: string) => dn.split('\n').filter((x) => x !== '').join(', ') || '(empty)';

/** The self-signed root's file in a local mesh's state directory (the platform's --ca-dir). */
const SELF_SIGNED_ROOT = join('state', 'ca', 'root-cert.pem');

/**
 * How the CA signs. The control plane's answer may say so; otherwise a local mesh tells by its
 * state directory: a self-signed CA keeps the root it signs with (or signed with, mid-rotation)
 * there, a plug-in CA keeps none of the bundle's roots there.
 */
export function caMode(res: CaRoots, selfSignedRootPem: string | null | undefined): CaMode {
  if (res.mode === 'self-signed' || res.mode === 'plugin') return res.mode;
  if (res.rotation !== null) return 'self-signed';
  if (selfSignedRootPem === undefined) return 'unknown';
  if (selfSignedRootPem === null) return 'plugin';
  let own: X509Certificate;
  try {
    own = new X509Certificate(selfSignedRootPem);
  } catch {
    return 'plugin';
  }
  return res.roots.some((pem) => new X509Certificate(pem).raw.equals(own.raw)) ? 'self-signed' : 'plugin';
}

/** The trust bundle with each root's part in the rotation. */
export function caStatus(res: CaRoots, mode: CaMode): CaStatus {
  const r = res.rotation;
  const stateOf = (i: number): RootSummary['state'] => {
    if (mode === 'plugin') return 'trusted';
    if (r?.phase === 'overlap') return i === 0 ? 'new' : 'signing';
    if (r?.phase === 'switched') return i === 0 ? 'signing' : 'previous';
    return i === 0 ? 'signing' : 'trusted';
  };
  const roots = res.roots.map((pem, i): RootSummary => {
    const c = new X509Certificate(pem);
    return {
      subject: name(c.subject), issuer: name(c.issuer), serial: c.serialNumber,
      notBefore: iso(Date.parse(c.validFrom)), notAfter: iso(Date.parse(c.validTo)),
      sha256: c.fingerprint256, state: stateOf(i), pem: c.toString(),
    };
  });
  return {
    trustDomain: res.trustDomain,
    mode,
    rotation: r === null ? null : { phase: r.phase, startedAt: iso(r.startedAt), switchAt: iso(r.switchAt), retireAt: r.retireAt === null ? null : iso(r.retireAt) },
    roots,
  };
}

function inTime(at: string, now: number): string {
  const s = Math.round((Date.parse(at) - now) / 1000);
  if (s <= 0) return 'due now';
  if (s < 120) return `in ${s}s`;
  const m = Math.floor(s / 60);
  return m < 120 ? `in ${m}m${s % 60 ? `${s % 60}s` : ''}` : `in ${Math.floor(m / 60)}h${m % 60 ? `${m % 60}m` : ''}`;
}

/** One line on the rotation: what is trusted, what signs, and what comes next. */
export function rotationLine(s: CaStatus, now = Date.now()): string {
  const r = s.rotation;
  if (r === null) return 'none';
  if (r.phase === 'overlap') return `overlap (since ${r.startedAt}): the new root is trusted; the current root signs until ${r.switchAt} (${inTime(r.switchAt, now)})`;
  const until = r.retireAt === null ? 'until the rotation is finished' : `until ${r.retireAt} (${inTime(r.retireAt, now)})`;
  return `switched (at ${r.switchAt}): the new root signs; the previous root stays trusted ${until}`;
}

const MODE_TEXT: Record<CaMode, string> = {
  'self-signed': 'self-signed (the mesh made its own root; rotate it with `isthmus ca rotate-root`)',
  plugin: 'plug-in (the operator\'s cacerts: their intermediate signs; rotate by replacing those files)',
  unknown: 'unknown (the control plane does not say, and it is not the local mesh)',
};

export function renderStatus(s: CaStatus, now = Date.now()): string {
  const rows = s.roots.map((x) => [x.subject, x.serial, x.notAfter, x.state]);
  return `Trust domain:  ${s.trustDomain}\nMode:          ${MODE_TEXT[s.mode]}\nRotation:      ${rotationLine(s, now)}\nRoots:         ${s.roots.length}\n\n` +
    table(['SUBJECT', 'SERIAL', 'NOT AFTER', 'STATE'], rows);
}

/** Reads the local mesh's self-signed root when `client` talks to the local mesh; undefined when it does not. */
function localSelfSignedRoot(client: ControlPlaneClient): string | null | undefined {
  const info = readMeshInfo();
  if (info === undefined || info.controlPlane.replace(/\/$/, '') !== client.baseUrl) return undefined;
  const file = join(info.home || meshHome(), SELF_SIGNED_ROOT);
  if (!existsSync(file)) return null;
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

async function status(client: ControlPlaneClient): Promise<CaStatus> {
  const res = await client.caRoots();
  return caStatus(res, caMode(res, localSelfSignedRoot(client)));
}

/** Proxies that do not yet run a config trusting `root` (connected ones with a mesh identity). */
async function notTrusting(client: ControlPlaneClient, root: string): Promise<string[]> {
  const want = new X509Certificate(root).raw;
  const pending: string[] = [];
  for (const p of await client.proxies()) {
    if (!p.connected) continue;
    let ok = false;
    try {
      const cfg = await client.proxyConfig(p.id);
      const roots = cfg.security?.roots;
      ok = roots === undefined || (p.acked === cfg.version && roots.some((pem) => new X509Certificate(pem).raw.equals(want)));
    } catch {
      ok = false; // disconnected between the two calls: asked again on the next round
    }
    if (!ok) pending.push(p.id);
  }
  return pending;
}

function parseTimeout(v: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(v.trim());
  if (m === null) throw new CliError(`error: --timeout ${JSON.stringify(v)} is not a duration (e.g. 60s, 500ms, 2m)`);
  const n = Number(m[1]);
  return Math.round(m[2] === 'ms' ? n : m[2] === 'm' ? n * 60_000 : n * 1000);
}

export function registerCa(program: Command): void {
  const ca = program.command('ca').description('The mesh certificate authority: trust bundle, signing mode and root rotation');
  ca
    .command('status')
    .description('Show the trust domain, how the CA signs (self-signed or plug-in), the trusted roots and any root rotation under way')
    .option('-o, --output <format>', 'json')
    .option('--server <url>', 'control plane address (default: the running mesh)')
    .action(async (o: { output?: string; server?: string }) => {
      if (o.output !== undefined && o.output !== 'json') throw new CliError(`error: unable to match a printer suitable for the output format "${o.output}", allowed formats are: json`);
      const s = await status(clientFor(o.server));
      out(o.output === 'json' ? toJson(s) : renderStatus(s));
    });
  ca
    .command('rotate-root')
    .description('Start a root rotation (self-signed CA): a new root is trusted at once and signs after a grace period; the old one stays trusted until its certificates expire')
    .option('--wait', 'return when every connected proxy runs a config that trusts the new root', false)
    .option('--timeout <duration>', 'how long --wait waits', '60s')
    .option('-o, --output <format>', 'json')
    .option('--server <url>', 'control plane address (default: the running mesh)')
    .action(async (o: { wait: boolean; timeout: string; output?: string; server?: string }) => {
      if (o.output !== undefined && o.output !== 'json') throw new CliError(`error: unable to match a printer suitable for the output format "${o.output}", allowed formats are: json`);
      const timeoutMs = parseTimeout(o.timeout);
      const client = clientFor(o.server);
      const t0 = performance.now();
      const started = await client.rotateRoot();
      const s = await status(client);
      const newRoot = started.roots[0];
      if (o.output === 'json') out(toJson(s));
      else out(`root rotation started\n${renderStatus(s)}`);
      if (!o.wait || newRoot === undefined) return;
      const end = Date.now() + timeoutMs;
      for (;;) {
        const pending = await notTrusting(client, newRoot);
        if (pending.length === 0) break;
        if (Date.now() >= end) throw new CliError(`error: after ${o.timeout}, ${pending.length} proxies do not yet trust the new root: ${pending.join(', ')}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      if (o.output !== 'json') out(`every connected proxy trusts the new root (${Math.round(performance.now() - t0)} ms)\n`);
    });
}
