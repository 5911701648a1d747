// Drives the real `isthmus` program as a user would: a mesh started with `up` in its own
// ISTHMUS_HOME, CLI commands run as separate processes, HTTP through the ingress with curl.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { createServer } from 'node:net';

export const ROOT = resolve(import.meta.dirname, '../..');
export const BIN = join(ROOT, 'bin', 'isthmus.js');

export function buildOnce(): void {
  const r = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('build failed');
}

export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const p = typeof a === 'object' && a ? a.port : 0;
      s.close(() => res(p));
    });
  });
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export class Mesh {
  proc: ChildProcess | undefined;
  home: string;
  ingress = '';
  /** `127.0.0.1:PORT` of the gateway's HTTPS servers. */
  ingressHttps = '';
  controlPlane = '';
  controlPlanePid = 0;
  output = '';

  constructor() {
    this.home = mkdtempSync(join(tmpdir(), 'isthmus-e2e-'));
  }

  env(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env, ISTHMUS_HOME: this.home };
    delete env['HTTP_PROXY'];
    delete env['http_proxy'];
    return env;
  }

  /** Starts `isthmus up` and resolves when it reports ready. */
  async up(args: string[] = [], timeoutMs = 60_000): Promise<void> {
    const ingressPort = await freePort();
    const controlPort = await freePort();
    const httpsPort = await freePort();
    const proc = spawn(process.execPath, [BIN, 'up', '--ingress-port', String(ingressPort), '--ingress-https-port', String(httpsPort), '--control-port', String(controlPort), ...args], {
      cwd: ROOT, env: this.env(), stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.proc = proc;
    proc.stderr!.on('data', (d: Buffer) => (this.output += d.toString()));
    const rl = createInterface({ input: proc.stdout! });
    await new Promise<void>((res, rej) => {
      const timer = setTimeout(() => rej(new Error(`mesh not ready in ${timeoutMs} ms:\n${this.output}`)), timeoutMs);
      rl.on('line', (line) => {
        this.output += line + '\n';
        if (line.startsWith('{"event":"ready"')) {
          const ev = JSON.parse(line) as { ingress: string; ingressHttps: string; controlPlane: string; controlPlanePid: number };
          this.ingress = ev.ingress;
          this.ingressHttps = ev.ingressHttps;
          this.controlPlane = ev.controlPlane;
          this.controlPlanePid = ev.controlPlanePid;
          clearTimeout(timer);
          res();
        }
      });
      proc.once('exit', (code) => {
        clearTimeout(timer);
        rej(new Error(`isthmus up exited with ${code}:\n${this.output}`));
      });
    });
  }

  /** Runs one CLI command to completion. */
  cli(args: string[], input?: string): Promise<CliResult> {
    return new Promise((res) => {
      const p = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: this.env(), stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      p.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
      p.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      if (input !== undefined) p.stdin!.end(input);
      p.on('exit', (code) => res({ code, stdout, stderr }));
    });
  }

  /** Stops the mesh with SIGTERM and waits for `up` to exit. */
  async down(): Promise<number | null> {
    const p = this.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return p?.exitCode ?? null;
    const exited = new Promise<number | null>((res) => p.once('exit', (code) => res(code)));
    p.kill('SIGTERM');
    const timer = setTimeout(() => p.kill('SIGKILL'), 15_000);
    const code = await exited;
    clearTimeout(timer);
    return code;
  }

  cleanup(): void {
    rmSync(this.home, { recursive: true, force: true });
  }
}

export async function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Headers }> {
  const res = await fetch(url, { headers, redirect: 'manual', signal: AbortSignal.timeout(20_000) });
  return { status: res.status, body: await res.text(), headers: res.headers };
}

export function curl(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync('curl', ['-sS', '--max-time', '20', ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Which reviews version rendered a product page. */
export function reviewsVersion(html: string): 'v1' | 'v2' | 'v3' | 'error' {
  if (html.includes('Sorry, product reviews are currently unavailable')) return 'error';
  if (html.includes('class="stars text-red-500"')) return 'v3';
  if (html.includes('class="stars text-black-500"')) return 'v2';
  return 'v1';
}

/** The reviews pod named on the page ("Reviews served by: reviews-v2-..."). */
export function reviewsPod(html: string): string | undefined {
  return /Reviews served by: (reviews-v\d-[a-z0-9]+-[a-z0-9]+)/.exec(html)?.[1];
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
