// `npm run bench`: one mesh hop through two Isthmus sidecars against the same hop through two
// nginx reverse proxies, and the upstream alone, all measured in the same run on 127.0.0.1.
//
//   direct upstream   wrk -> upstream (nginx, fixed 1 KB answer)
//   nginx pair        wrk -> nginx (client) -> nginx (server) -> upstream
//   isthmus pair      wrk -> client sidecar -> server sidecar -> upstream   (dist/proxy.js)
//
// Throughput: wrk, 1 thread, 16 and 64 connections. Latency: bench/paced-load.ts at a fixed
// 1000 req/s over 16 connections. Memory: VmRSS idle and after load. Shapes alternate inside each
// test so slow drift on the machine hits all three alike. Prints a table and ratios, writes
// bench/results/latest.json. Every process started here is stopped on every exit path.
//
// Environment: BENCH_DURATION (seconds per measurement, default 10), BENCH_QUICK=1 (3 s runs),
// BENCH_ROUNDS (default 1; medians are reported), BENCH_PROXY (proxy program, default
// dist/proxy.js), BENCH_MICRO=0 (skip the router micro benchmark), BENCH_KEEP_TMP=1.

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkResponse } from './lib/check-response.ts';
import { type DiscoveryServer, startDiscoveryServer } from './lib/discovery-server.ts';
import { freePorts } from './lib/free-ports.ts';
import { type RunningSidecar, startSidecar } from './lib/isthmus-sidecar.ts';
import { clientSidecarConfig, SERVICE_AUTHORITY, serverSidecarConfig } from './lib/mesh-config.ts';
import { type RunningNginx, startNginx } from './lib/nginx.ts';
import { cpuTime, machineBusyCores, machineJiffies, rssBytes, stealShare } from './lib/proc-stats.ts';
import { describeExit, ProcessGroup } from './lib/process-group.ts';
import { type BenchResult, computeRatios, formatReport, type LatencyResult, median, type ShapeId, type ShapeResult, type ThroughputResult } from './lib/report.ts';
import { runWrk, type WrkResult } from './lib/wrk.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const env = process.env;
const quick = env['BENCH_QUICK'] === '1';
const durationSeconds = Number(env['BENCH_DURATION'] ?? (quick ? 3 : 10));
const warmupSeconds = quick ? 1 : 3;
const rounds = Number(env['BENCH_ROUNDS'] ?? 1);
const proxyProgram = resolve(ROOT, env['BENCH_PROXY'] ?? 'dist/proxy.js');
const RATE = 1000;
const LATENCY_CONNECTIONS = 16;
const THROUGHPUT_CONNECTIONS = [16, 64] as const;

const log = (m: string) => process.stderr.write(`bench: ${m}\n`);
/** A path as the user would type it: relative inside the repository, absolute outside. */
const shown = (p: string) => (relative(ROOT, p).startsWith('..') ? p : relative(ROOT, p));

/** What the measurements need from a shape. */
interface Shape {
  id: ShapeId;
  label: string;
  port: number;
  /** The processes that do the shape's work (for `direct`, the upstream; for pairs, both proxies). */
  processes(): { name: string; pids: number[] }[];
}

const group = new ProcessGroup();
let tmp: string | null = null;
let discovery: DiscoveryServer | null = null;
let cleaning: Promise<void> | null = null;

function cleanup(): Promise<void> {
  return (cleaning ??= (async () => {
    await group.stopAll(3000);
    await discovery?.close();
    if (tmp !== null && env['BENCH_KEEP_TMP'] !== '1') rmSync(tmp, { recursive: true, force: true });
  })());
}

let interrupted = false;
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(sig, () => {
    interrupted = true;
    log(`${sig}: stopping everything started by the benchmark`);
    void cleanup().finally(() => process.exit(sig === 'SIGINT' ? 130 : 143));
  });
}
// Whatever path leads out, nothing started here outlives the run.
process.on('exit', () => group.killAllNow());

function requireTool(bin: string, pkg: string): void {
  if (spawnSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' }).status !== 0) {
    throw new Error(`${bin} is not installed: \`npm run bench\` installs it, or run \`apt-get install -y ${pkg}\``);
  }
}

function versionOf(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return `${r.stdout ?? ''}${r.stderr ?? ''}`.split('\n')[0]?.trim() ?? '';
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const allPids = (s: Shape) => s.processes().flatMap((p) => p.pids);

async function measureThroughput(s: Shape, connections: number, seconds: number): Promise<{ wrk: WrkResult; userMicros: number; systemMicros: number }> {
  const pids = allPids(s);
  const before = cpuTime(pids);
  const wrk = await runWrk(group, s.port, SERVICE_AUTHORITY, connections, seconds);
  const after = cpuTime(pids);
  const perReq = (a: number, b: number) => (wrk.requests > 0 ? ((a - b) / wrk.requests) * 1e6 : NaN);
  return { wrk, userMicros: perReq(after.user, before.user), systemMicros: perReq(after.system, before.system) };
}

interface PacedOutput {
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
  non200: number;
  errors: number;
  unanswered: number;
  late: number;
  maxLagMs: number;
  achievedRate: number;
}

async function measureLatency(s: Shape, seconds: number): Promise<PacedOutput & { cpuCores: number }> {
  const warmupMs = quick ? 500 : 1000;
  const args = [
    '--import',
    'tsx',
    join(ROOT, 'bench/paced-load.ts'),
    '--port',
    String(s.port),
    '--host-header',
    SERVICE_AUTHORITY,
    '--rate',
    String(RATE),
    '--connections',
    String(LATENCY_CONNECTIONS),
    '--duration-ms',
    String(seconds * 1000),
    '--warmup-ms',
    String(warmupMs),
  ];
  const child = group.spawn(`paced-load ${s.id}`, process.execPath, args, { cwd: ROOT });
  const pids = allPids(s);
  const before = cpuTime(pids);
  const guard = setTimeout(() => void group.stop(child, 1000), (seconds + 30) * 1000);
  const status = await child.exited;
  clearTimeout(guard);
  // Load flows for the generator's warm-up plus the measured part, both at the fixed rate; its
  // own start-up adds only idle time, which costs the proxies next to nothing.
  const loadSeconds = warmupMs / 1000 + seconds;
  const after = cpuTime(pids);
  await group.stop(child);
  if (status.code !== 0) throw new Error(`paced load against ${s.label} failed (${describeExit(status)}):\n${child.outputTail}`);
  const line = child.stdout.trim().split('\n').pop() ?? '';
  const out = JSON.parse(line) as PacedOutput;
  return { ...out, cpuCores: (after.user - before.user + after.system - before.system) / loadSeconds };
}

function rssOf(s: Shape): { total: number; byProcess: Record<string, number> } {
  const byProcess: Record<string, number> = {};
  for (const p of s.processes()) byProcess[p.name] = sum(p.pids.map(rssBytes));
  return { total: sum(Object.values(byProcess)), byProcess };
}

async function main(): Promise<void> {
  const startedAt = new Date().toISOString();
  const loadAverageBefore = loadavg();
  requireTool('wrk', 'wrk');
  requireTool('nginx', 'nginx-light');
  requireTool('curl', 'curl');
  if (!existsSync(proxyProgram)) {
    throw new Error(`${shown(proxyProgram)} is missing: build it with \`node scripts/build.mjs\` (or set BENCH_PROXY to a built proxy program)`);
  }
  if (!(durationSeconds > 0) || !Number.isInteger(rounds) || rounds < 1) throw new Error('BENCH_DURATION must be > 0 and BENCH_ROUNDS an integer >= 1');

  const busyBefore = await machineBusyCores(1000, cpus().length);
  tmp = mkdtempSync(join(tmpdir(), 'isthmus-bench-'));
  const [upstreamPort, nginxServerPort, nginxClientPort, inboundPort] = (await freePorts(4)) as [number, number, number, number];

  log(`starting the upstream and the nginx pair (temp dir ${tmp})`);
  const upstream = await startNginx(group, tmp, 'upstream', upstreamPort, { kind: 'upstream' });
  const nginxServer = await startNginx(group, tmp, 'nginx-server', nginxServerPort, { kind: 'proxy', to: upstreamPort });
  const nginxClient = await startNginx(group, tmp, 'nginx-client', nginxClientPort, { kind: 'proxy', to: nginxServerPort });

  log(`starting the Isthmus pair (${shown(proxyProgram)})`);
  const configs = new Map([
    ['bench-client', clientSidecarConfig('bench-client', inboundPort)],
    ['bench-server', serverSidecarConfig('bench-server', inboundPort, upstreamPort)],
  ]);
  discovery = await startDiscoveryServer(configs);
  const serverSidecar: RunningSidecar = await startSidecar(group, proxyProgram, 'bench-server', discovery.port, ROOT);
  const clientSidecar: RunningSidecar = await startSidecar(group, proxyProgram, 'bench-client', discovery.port, ROOT);

  const nginxProc = (n: RunningNginx) => ({ name: n.name, pids: n.pids() });
  const shapes: Shape[] = [
    { id: 'direct', label: 'direct upstream', port: upstreamPort, processes: () => [nginxProc(upstream)] },
    { id: 'nginx', label: 'nginx pair', port: nginxClientPort, processes: () => [nginxProc(nginxClient), nginxProc(nginxServer)] },
    {
      id: 'isthmus',
      label: 'isthmus pair',
      port: clientSidecar.outboundPort,
      processes: () => [
        { name: 'client sidecar', pids: [clientSidecar.child.pid] },
        { name: 'server sidecar', pids: [serverSidecar.child.pid] },
      ],
    },
  ];

  for (const s of shapes) await checkResponse(s.label, s.port, SERVICE_AUTHORITY);
  log('all three shapes answer 200 with the 1 KB body');

  // Idle: started, checked once, before any load.
  await new Promise((r) => setTimeout(r, 500));
  const idle = new Map(shapes.map((s) => [s.id, rssOf(s)]));

  log(`warm-up: ${warmupSeconds} s of wrk -c64 per shape`);
  for (const s of shapes) await runWrk(group, s.port, SERVICE_AUTHORITY, 64, warmupSeconds);

  const jiffiesBefore = machineJiffies();
  const tp = new Map<string, { wrk: WrkResult; userMicros: number; systemMicros: number }[]>();
  const lat = new Map<ShapeId, (PacedOutput & { cpuCores: number })[]>();
  for (let round = 0; round < rounds; round++) {
    // Rotate which shape goes first, so none always runs right after another's load.
    const order = shapes.map((_, i) => shapes[(i + round) % shapes.length] as Shape);
    for (const c of THROUGHPUT_CONNECTIONS) {
      for (const s of order) {
        log(`round ${round + 1}/${rounds}: ${s.label}, wrk -t1 -c${c} -d${durationSeconds}s`);
        const r = await measureThroughput(s, c, durationSeconds);
        const key = `${s.id}/${c}`;
        tp.set(key, [...(tp.get(key) ?? []), r]);
      }
    }
    for (const s of order) {
      log(`round ${round + 1}/${rounds}: ${s.label}, ${RATE} req/s over ${LATENCY_CONNECTIONS} connections for ${durationSeconds} s`);
      const r = await measureLatency(s, durationSeconds);
      lat.set(s.id, [...(lat.get(s.id) ?? []), r]);
    }
  }
  const loaded = new Map(shapes.map((s) => [s.id, rssOf(s)]));
  const steal = stealShare(jiffiesBefore, machineJiffies());

  const notes: string[] = [];
  const results: ShapeResult[] = shapes.map((s) => {
    const throughput: ThroughputResult[] = THROUGHPUT_CONNECTIONS.map((c) => {
      const rs = tp.get(`${s.id}/${c}`) ?? [];
      const non2xx = sum(rs.map((r) => r.wrk.non2xx));
      const socketErrors = sum(rs.map((r) => r.wrk.socketErrors));
      if (non2xx > 0 || socketErrors > 0) notes.push(`${s.label} at c${c}: ${non2xx} non-2xx responses and ${socketErrors} socket errors`);
      return {
        connections: c,
        requestsPerSecond: median(rs.map((r) => r.wrk.requestsPerSecond)),
        rounds: rs.map((r) => r.wrk.requestsPerSecond),
        non2xx,
        socketErrors,
        cpuUserMicros: median(rs.map((r) => r.userMicros)),
        cpuSystemMicros: median(rs.map((r) => r.systemMicros)),
      };
    });
    const ls = lat.get(s.id) ?? [];
    const latency: LatencyResult | null =
      ls.length === 0
        ? null
        : {
            rate: RATE,
            connections: LATENCY_CONNECTIONS,
            p50Ms: median(ls.map((l) => l.p50Ms)),
            p90Ms: median(ls.map((l) => l.p90Ms)),
            p99Ms: median(ls.map((l) => l.p99Ms)),
            p999Ms: median(ls.map((l) => l.p999Ms)),
            maxMs: median(ls.map((l) => l.maxMs)),
            cpuCores: median(ls.map((l) => l.cpuCores)),
            non200: sum(ls.map((l) => l.non200)),
            errors: sum(ls.map((l) => l.errors)),
            unanswered: sum(ls.map((l) => l.unanswered)),
            generatorLate: sum(ls.map((l) => l.late)),
            generatorMaxLagMs: Math.max(...ls.map((l) => l.maxLagMs)),
            rounds: ls.map((l) => ({ ...l }) as unknown as Record<string, number>),
          };
    if (latency !== null && latency.non200 + latency.errors + latency.unanswered > 0) {
      notes.push(`${s.label} at ${RATE} req/s: ${latency.non200} non-200, ${latency.errors} broken, ${latency.unanswered} unanswered`);
    }
    const i = idle.get(s.id);
    const l = loaded.get(s.id);
    return {
      id: s.id,
      label: s.label,
      processes: s.processes(),
      throughput,
      latency,
      rssIdleBytes: i?.total ?? 0,
      rssLoadedBytes: l?.total ?? 0,
      rssIdleByProcess: i?.byProcess ?? {},
      rssLoadedByProcess: l?.byProcess ?? {},
    };
  });
  const worstLag = Math.max(...results.map((r) => r.latency?.generatorMaxLagMs ?? 0));
  if (worstLag > 5) {
    notes.push(`the latency generator's timer ran up to ${worstLag.toFixed(1)} ms late (other load on the machine?); tail latencies are noisy`);
  }

  if (steal > 0.05) {
    notes.push(`the hypervisor took ${(steal * 100).toFixed(0)}% of this machine's CPU time during the measurements (steal): all numbers are noisy`);
  }

  const sidecarStats: Record<string, unknown> = {};
  for (const sc of [clientSidecar, serverSidecar]) {
    try {
      const res = await fetch(`http://127.0.0.1:${sc.adminPort}/stats`);
      sidecarStats[sc.name] = await res.json();
    } catch (e) {
      sidecarStats[sc.name] = { error: (e as Error).message };
    }
  }

  await cleanup();
  const loadAverageAfter = loadavg();
  const busyAfter = await machineBusyCores(1000, cpus().length);
  const otherLoad = Math.max(busyBefore, busyAfter);
  if (otherLoad > 0.2) {
    notes.push(`other processes kept ${otherLoad.toFixed(2)} of ${cpus().length} cores busy before or after the run: all numbers are noisy; compare ratios, or rerun on a quiet machine`);
  }

  let micro: unknown;
  if (env['BENCH_MICRO'] !== '0') {
    log('router micro benchmark');
    try {
      const out = execFileSync(process.execPath, ['--import', 'tsx', join(ROOT, 'bench/router.micro.ts'), '--json'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
      micro = JSON.parse(out.trim().split('\n').pop() ?? 'null');
    } catch (e) {
      notes.push(`router micro benchmark failed: ${(e as Error).message.split('\n')[0]}`);
    }
  }

  const result: BenchResult = {
    startedAt,
    settings: { durationSeconds, warmupSeconds, rounds, quick, rate: RATE, latencyConnections: LATENCY_CONNECTIONS, proxyProgram: shown(proxyProgram) },
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? '',
      node: process.version,
      nginx: versionOf('nginx', ['-v']),
      wrk: versionOf('wrk', ['-v']),
      loadAverageBefore,
      loadAverageAfter,
      otherBusyCoresBefore: busyBefore,
      otherBusyCoresAfter: busyAfter,
      stealShareDuringMeasurements: steal,
    },
    shapes: results,
    ratios: computeRatios(results),
    ...(micro !== undefined ? { micro } : {}),
    notes,
  };
  const dir = join(ROOT, 'bench/results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'latest.json'), `${JSON.stringify({ ...result, sidecarStats }, null, 2)}\n`);

  process.stdout.write(`\n${formatReport(result)}\n`);
  if (micro !== undefined && micro !== null && typeof micro === 'object' && 'summary' in micro) process.stdout.write(`\n${String((micro as { summary: unknown }).summary)}\n`);
  process.stdout.write(`\nwritten: ${relative(ROOT, join(dir, 'latest.json'))}\n`);
}

main().then(
  () => process.exit(0),
  async (e: unknown) => {
    // After a signal, the failure is only the stopped measurement; the signal handler exits.
    if (interrupted) return;
    process.stderr.write(`bench: FAILED: ${(e as Error).message}\n`);
    await cleanup();
    process.exit(1);
  },
);
