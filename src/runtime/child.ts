// A supervised child process: output to a log file, JSON events from stdout lines, and a stop
// that escalates from SIGTERM to SIGKILL.

import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';

export interface ChildOptions {
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  logFile: string;
  /** Keep stdin open as a pipe so the child can exit when we go away. */
  pipeStdin?: boolean;
}

/**
 * util-linux's setpriv, where present: it asks the kernel to send the child SIGTERM when the
 * platform dies, even by SIGKILL, then execs the program (no extra process). Without it, our own
 * programs still exit when their stdin pipe closes, but a user's app would be orphaned.
 */
const SETPRIV = process.platform === 'linux' ? ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p)) : undefined;

export type ChildEvent = Record<string, unknown> & { event: string };

export class Child {
  readonly proc: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #events: ChildEvent[] = [];
  #waiters: { pred: (e: ChildEvent) => boolean; resolve: (e: ChildEvent) => void }[] = [];
  #log: WriteStream;
  exitCode: number | null | undefined;

  constructor(readonly opts: ChildOptions) {
    mkdirSync(dirname(opts.logFile), { recursive: true });
    this.#log = createWriteStream(opts.logFile, { flags: 'a' });
    const [command, args] = SETPRIV ? [SETPRIV, ['--pdeathsig', 'TERM', '--', opts.command, ...opts.args]] : [opts.command, opts.args];
    this.proc = spawn(command, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: [opts.pipeStdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
    this.proc.stderr?.pipe(this.#log, { end: false });
    const rl = createInterface({ input: this.proc.stdout! });
    rl.on('line', (line) => {
      this.#log.write(line + '\n');
      if (!line.startsWith('{')) return;
      try {
        const ev = JSON.parse(line) as ChildEvent;
        if (typeof ev.event !== 'string') return;
        this.#events.push(ev);
        if (this.#events.length > 100) this.#events.shift();
        for (const w of [...this.#waiters]) {
          if (w.pred(ev)) {
            this.#waiters.splice(this.#waiters.indexOf(w), 1);
            w.resolve(ev);
          }
        }
      } catch {
        /* not an event line */
      }
    });
    this.proc.stdin?.on('error', () => {});
    this.exited = new Promise((resolve) => {
      this.proc.once('exit', (code, signal) => {
        this.exitCode = code;
        resolve({ code, signal });
      });
      this.proc.once('error', (e) => {
        this.#log.write(`failed to start: ${e.message}\n`);
        this.exitCode = -1;
        resolve({ code: -1, signal: null });
      });
    });
    void this.exited.then(() => this.#log.end());
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  get running(): boolean {
    return this.exitCode === undefined;
  }

  /** The first event (past or future) satisfying `pred`; rejects if the child exits first or on timeout. */
  waitEvent(pred: (e: ChildEvent) => boolean, timeoutMs: number, what: string): Promise<ChildEvent> {
    const seen = this.#events.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.opts.name}: timed out after ${timeoutMs} ms waiting for ${what} (log: ${this.opts.logFile})`)), timeoutMs);
      const waiter = { pred, resolve: (e: ChildEvent) => { clearTimeout(timer); resolve(e); } };
      this.#waiters.push(waiter);
      void this.exited.then(({ code, signal }) => {
        clearTimeout(timer);
        const i = this.#waiters.indexOf(waiter);
        if (i >= 0) {
          this.#waiters.splice(i, 1);
          reject(new Error(`${this.opts.name} exited (${signal ?? `code ${code}`}) before ${what} (log: ${this.opts.logFile})`));
        }
      });
    });
  }

  async stop(graceMs = 3000): Promise<void> {
    if (!this.running) return;
    this.proc.kill('SIGTERM');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}
