// Reads process facts from Linux /proc: resident memory, CPU time, children. Used to weigh each
// proxy shape (nginx master + workers, or a Node process) before and after load.

import { readdirSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

/** Fields of /proc/<pid>/stat after the `(comm)` field, which may itself contain spaces. */
function statFields(pid: number): string[] | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return s.slice(s.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** Whether the process exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  const f = statFields(pid);
  return f !== null && f[0] !== 'Z';
}

/** Direct children of `pid` (scans /proc; fine for the handful of calls a run makes). */
export function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const f = statFields(Number(name));
    if (f !== null && Number(f[1]) === pid) out.push(Number(name));
  }
  return out;
}

/** `pid` and all its descendants. */
export function processTree(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) out.push(...childrenOf(out[i] as number));
  return out;
}

/** VmRSS in bytes, or 0 when the process is gone. */
export function rssBytes(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
    return m === null ? 0 : Number(m[1]) * 1024;
  } catch {
    return 0;
  }
}

/** Summed VmRSS of a process and its descendants (an nginx master and its workers). */
export function treeRssBytes(pid: number): number {
  return processTree(pid).reduce((sum, p) => sum + rssBytes(p), 0);
}

let ticksPerSecond: number | null = null;
function clockTicks(): number {
  if (ticksPerSecond === null) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

export interface CpuTime {
  /** Seconds in user space. */
  user: number;
  /** Seconds in the kernel on the process's behalf. */
  system: number;
}

/** User and system CPU seconds used so far by the given processes together. */
export function cpuTime(pids: readonly number[]): CpuTime {
  const hz = clockTicks();
  let user = 0;
  let system = 0;
  for (const pid of pids) {
    const f = statFields(pid);
    if (f === null) continue;
    // utime and stime are fields 14 and 15 of stat; f starts at field 3.
    user += Number(f[11]) / hz;
    system += Number(f[12]) / hz;
  }
  return { user, system };
}

/**
 * CPU time of this process's children that have exited and been waited for (cutime and cstime
 * of /proc/self/stat): the way to weigh short-lived load generators, whose own /proc entries are
 * gone when they end. Read before and after a batch, with no other child ending in between.
 */
export function reapedChildrenCpuTime(): CpuTime {
  const hz = clockTicks();
  const f = statFields(process.pid);
  // cutime and cstime are fields 16 and 17 of stat.
  return f === null ? { user: 0, system: 0 } : { user: Number(f[13]) / hz, system: Number(f[14]) / hz };
}

export interface MachineJiffies {
  busy: number;
  /** Time the hypervisor gave this machine's CPUs to someone else. */
  steal: number;
  total: number;
}

/** The machine's CPU time counters so far, from /proc/stat. */
export function machineJiffies(): MachineJiffies {
  const line = readFileSync('/proc/stat', 'latin1').split('\n')[0] ?? '';
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  // user nice system idle iowait irq softirq steal: idle and iowait are not busy.
  return { busy: total - (f[3] ?? 0) - (f[4] ?? 0), steal: f[7] ?? 0, total };
}

/** Share of CPU time stolen by the hypervisor between two readings (0..1). */
export function stealShare(a: MachineJiffies, b: MachineJiffies): number {
  return b.total > a.total ? (b.steal - a.steal) / (b.total - a.total) : 0;
}

/** CPU cores busy on the whole machine (steal included), averaged over `ms`: other load that would skew a run. */
export async function machineBusyCores(ms: number, cores: number): Promise<number> {
  const a = machineJiffies();
  await new Promise((r) => setTimeout(r, ms));
  const b = machineJiffies();
  return b.total > a.total ? ((b.busy - a.busy) / (b.total - a.total)) * cores : 0;
}
