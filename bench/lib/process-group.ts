// Every process the benchmark starts goes through one ProcessGroup, so that every exit path
// (normal end, a thrown error, Ctrl-C, SIGTERM) stops all of them, descendants included (nginx
// workers are grandchildren of the benchmark).

import { type ChildProcess, spawn } from 'node:child_process';
import { isAlive, processTree } from './proc-stats.ts';

const TAIL_BYTES = 8192;

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class Child {
  readonly name: string;
  readonly proc: ChildProcess;
  readonly pid: number;
  /** Resolves when the process has exited and its output has been read (see the constructor). */
  readonly exited: Promise<ExitStatus>;
  exitStatus: ExitStatus | null = null;
  /** Everything the process printed on stdout. */
  stdout = '';
  #tail = '';
  #lineWaiters: { test: (line: string) => boolean; resolve: (line: string) => void }[] = [];
  #partial = '';
  /** Descendants seen while the process was alive, so they can be killed if it dies first. */
  #knownTree: number[] = [];

  constructor(name: string, proc: ChildProcess) {
    if (proc.pid === undefined) throw new Error(`${name}: could not start`);
    this.name = name;
    this.proc = proc;
    this.pid = proc.pid;
    // 'exit' can come before the last of stdout has been read (a wrk or s_time summary printed
    // just before exiting would be cut off); 'close' comes after the pipes are drained, but waits
    // for any descendant still holding them. So: the exit status from 'exit', then 'close', or
    // 500 ms at most.
    this.exited = new Promise((resolve) => {
      let closed = false;
      proc.once('close', () => (closed = true));
      proc.once('exit', (code, signal) => {
        this.exitStatus = { code, signal };
        const status = this.exitStatus;
        if (closed) return resolve(status);
        const timer = setTimeout(() => resolve(status), 500);
        timer.unref();
        proc.once('close', () => {
          clearTimeout(timer);
          resolve(status);
        });
      });
    });
    proc.stdout?.setEncoding('utf8');
    proc.stderr?.setEncoding('utf8');
    proc.stdout?.on('data', (chunk: string) => this.#onStdout(chunk));
    proc.stderr?.on('data', (chunk: string) => this.#keep(chunk));
  }

  #keep(chunk: string): void {
    this.#tail = (this.#tail + chunk).slice(-TAIL_BYTES);
  }

  #onStdout(chunk: string): void {
    this.stdout += chunk;
    if (this.stdout.length > 1 << 20) this.stdout = this.stdout.slice(-(1 << 19));
    this.#keep(chunk);
    this.#partial += chunk;
    let nl: number;
    while ((nl = this.#partial.indexOf('\n')) !== -1) {
      const line = this.#partial.slice(0, nl);
      this.#partial = this.#partial.slice(nl + 1);
      this.#lineWaiters = this.#lineWaiters.filter((w) => {
        if (!w.test(line)) return true;
        w.resolve(line);
        return false;
      });
    }
  }

  /** The last few KB of stdout and stderr, for error messages. */
  get outputTail(): string {
    return this.#tail.trimEnd();
  }

  /** Waits for a stdout line that passes `test`; rejects on exit or after `timeoutMs`. */
  waitForLine(test: (line: string) => boolean, timeoutMs: number, what: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => fail(`timed out after ${timeoutMs} ms waiting for ${what}`), timeoutMs);
      const fail = (why: string) => {
        clearTimeout(timer);
        this.#lineWaiters = this.#lineWaiters.filter((w) => w.resolve !== ok);
        reject(new Error(`${this.name}: ${why}${this.outputTail ? `; its output:\n${indent(this.outputTail)}` : ''}`));
      };
      const ok = (line: string) => {
        clearTimeout(timer);
        resolve(line);
      };
      this.#lineWaiters.push({ test, resolve: ok });
      void this.exited.then((s) => fail(`exited (${describeExit(s)}) before ${what}`));
    });
  }

  /** Remembers the current descendants (call once the process has forked its workers). */
  rememberTree(): void {
    if (this.exitStatus === null) this.#knownTree = processTree(this.pid);
  }

  /** This process and every descendant known now or earlier. */
  tree(): number[] {
    const live = this.exitStatus === null ? processTree(this.pid) : [];
    return [...new Set([...live, ...this.#knownTree])];
  }
}

export function describeExit(s: ExitStatus): string {
  return s.signal !== null ? `signal ${s.signal}` : `exit code ${s.code}`;
}

function indent(s: string): string {
  return s
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* already gone */
  }
}

export class ProcessGroup {
  readonly #children = new Set<Child>();

  /** Starts a process with piped stdout/stderr and tracks it until the group stops. */
  spawn(name: string, command: string, args: readonly string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Child {
    const proc = spawn(command, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    // A binary that cannot run is reported through 'error'; without a listener it would crash the run.
    proc.on('error', () => {});
    if (proc.pid === undefined) throw new Error(`${name}: cannot run ${JSON.stringify(command)} (is it installed and on PATH?)`);
    const child = new Child(name, proc);
    this.#children.add(child);
    return child;
  }

  /** Stops one child: SIGTERM, then SIGKILL for it and its descendants after `graceMs`. */
  async stop(child: Child, graceMs = 3000): Promise<void> {
    const tree = child.tree();
    if (child.exitStatus === null) signal(child.pid, 'SIGTERM');
    const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), graceMs).unref());
    await Promise.race([child.exited, timer]);
    // Workers normally exit with their master; anything left is killed.
    for (const pid of tree) if (isAlive(pid)) signal(pid, 'SIGKILL');
    if (child.exitStatus === null) await Promise.race([child.exited, new Promise((r) => setTimeout(r, 1000).unref())]);
    this.#children.delete(child);
  }

  /** Stops every tracked child, in reverse start order (clients before servers). */
  async stopAll(graceMs = 3000): Promise<void> {
    const all = [...this.#children].reverse();
    await Promise.all(all.map((c) => this.stop(c, graceMs)));
  }

  /** Last resort from a synchronous 'exit' handler: SIGKILL everything still tracked. */
  killAllNow(): void {
    for (const c of this.#children) for (const pid of c.tree()) signal(pid, 'SIGKILL');
    this.#children.clear();
  }

  get size(): number {
    return this.#children.size;
  }
}
