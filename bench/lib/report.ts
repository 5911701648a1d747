// The benchmark's result shape, the ratios derived from it and the text table printed at the end.

export type ShapeId = 'direct' | 'nginx' | 'isthmus';

export interface ThroughputResult {
  connections: number;
  /** Median over rounds. */
  requestsPerSecond: number;
  rounds: number[];
  non2xx: number;
  socketErrors: number;
  /** CPU per request of the shape's proxy processes (the upstream for `direct`), µs, median over rounds. */
  cpuUserMicros: number;
  cpuSystemMicros: number;
}

export interface LatencyResult {
  rate: number;
  connections: number;
  /** Milliseconds, median over rounds. */
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
  /** CPU cores the shape's proxy processes used while serving `rate` req/s. */
  cpuCores: number;
  non200: number;
  errors: number;
  unanswered: number;
  /** Requests the generator's timer took up more than 1 ms late, and its worst lag: noise indicators. */
  generatorLate: number;
  generatorMaxLagMs: number;
  rounds: Record<string, number>[];
}

export interface ShapeResult {
  id: ShapeId;
  label: string;
  /** What is measured for memory and CPU. */
  processes: { name: string; pids: number[] }[];
  throughput: ThroughputResult[];
  latency: LatencyResult | null;
  rssIdleBytes: number;
  rssLoadedBytes: number;
  /** Per process (by name), for the per-sidecar target. */
  rssIdleByProcess: Record<string, number>;
  rssLoadedByProcess: Record<string, number>;
}

export interface Ratios {
  throughputC16: number | null;
  throughputC64: number | null;
  p50: number | null;
  p99: number | null;
  addedOverDirectMs: Record<'nginx' | 'isthmus', { p50: number; p90: number; p99: number } | null>;
  sidecarRssIdleMB: Record<string, number>;
  sidecarRssLoadedMB: Record<string, number>;
  sidecarRssTargetMB: number;
}

export interface BenchResult {
  startedAt: string;
  settings: { durationSeconds: number; warmupSeconds: number; rounds: number; quick: boolean; rate: number; latencyConnections: number; proxyProgram: string };
  machine: { cpus: number; cpuModel: string; node: string; nginx: string; wrk: string; loadAverageBefore: number[]; loadAverageAfter: number[]; otherBusyCoresBefore: number; otherBusyCoresAfter: number; stealShareDuringMeasurements: number };
  shapes: ShapeResult[];
  ratios: Ratios;
  micro?: unknown;
  notes: string[];
}

export const SIDECAR_RSS_TARGET_MB = 60;

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

const MB = 1024 * 1024;
const ratio = (a: number | undefined, b: number | undefined): number | null => (a !== undefined && b !== undefined && b > 0 && Number.isFinite(a) ? a / b : null);

function rps(s: ShapeResult | undefined, c: number): number | undefined {
  return s?.throughput.find((t) => t.connections === c)?.requestsPerSecond;
}

export function computeRatios(shapes: readonly ShapeResult[]): Ratios {
  const by = (id: ShapeId) => shapes.find((s) => s.id === id);
  const direct = by('direct');
  const nginx = by('nginx');
  const isthmus = by('isthmus');
  const added = (s: ShapeResult | undefined) =>
    s?.latency != null && direct?.latency != null
      ? { p50: s.latency.p50Ms - direct.latency.p50Ms, p90: s.latency.p90Ms - direct.latency.p90Ms, p99: s.latency.p99Ms - direct.latency.p99Ms }
      : null;
  const perProcessMB = (m: Record<string, number> | undefined) => Object.fromEntries(Object.entries(m ?? {}).map(([k, v]) => [k, v / MB]));
  return {
    throughputC16: ratio(rps(isthmus, 16), rps(nginx, 16)),
    throughputC64: ratio(rps(isthmus, 64), rps(nginx, 64)),
    p50: ratio(isthmus?.latency?.p50Ms, nginx?.latency?.p50Ms),
    p99: ratio(isthmus?.latency?.p99Ms, nginx?.latency?.p99Ms),
    addedOverDirectMs: { nginx: added(nginx), isthmus: added(isthmus) },
    sidecarRssIdleMB: perProcessMB(isthmus?.rssIdleByProcess),
    sidecarRssLoadedMB: perProcessMB(isthmus?.rssLoadedByProcess),
    sidecarRssTargetMB: SIDECAR_RSS_TARGET_MB,
  };
}

const int = (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? '-' : Math.round(n).toLocaleString('en-US'));
const ms = (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? '-' : n.toFixed(3));
const x = (n: number | null) => (n === null ? '-' : `${n.toFixed(2)}x`);
const mb = (b: number) => (b / MB).toFixed(0);
const plus = (n: number) => `${n >= 0 ? '+' : ''}${n.toFixed(3)}`;

function table(rows: string[][], rightAlign: (col: number) => boolean): string {
  const widths = (rows[0] as string[]).map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (rightAlign(i) ? c.padStart(widths[i] as number) : c.padEnd(widths[i] as number))).join('   ').trimEnd()).join('\n');
}

export function formatReport(r: BenchResult): string {
  const nginx = r.shapes.find((s) => s.id === 'nginx');
  const header = ['shape', 'c16 req/s', 'c64 req/s', 'CPU/req c16 (usr+sys)', 'p50@1k ms', 'p90@1k ms', 'p99@1k ms', 'CPU@1k', 'RSS idle / loaded'];
  const rows = [header];
  for (const s of r.shapes) {
    const vsNginx = (v: number | undefined, ref: number | undefined, invert = false) =>
      s.id === 'isthmus' && v !== undefined && ref !== undefined && ref > 0 ? ` (${x(invert ? ref / v : v / ref)})` : '';
    const c16 = s.throughput.find((t) => t.connections === 16);
    const lat = s.latency;
    rows.push([
      s.label,
      `${int(rps(s, 16))}${vsNginx(rps(s, 16), rps(nginx, 16))}`,
      `${int(rps(s, 64))}${vsNginx(rps(s, 64), rps(nginx, 64))}`,
      c16 === undefined ? '-' : `${c16.cpuUserMicros.toFixed(1)} + ${c16.cpuSystemMicros.toFixed(1)} µs`,
      ms(lat?.p50Ms),
      ms(lat?.p90Ms),
      `${ms(lat?.p99Ms)}${vsNginx(lat?.p99Ms, nginx?.latency?.p99Ms)}`,
      lat === null ? '-' : lat.cpuCores.toFixed(2),
      `${mb(s.rssIdleBytes)} / ${mb(s.rssLoadedBytes)} MB`,
    ]);
  }
  const out: string[] = [];
  out.push(table(rows, (i) => i > 0));
  out.push(
    `(req/s: wrk -t1, ${r.settings.durationSeconds} s, median of ${r.settings.rounds} round(s); latency: ${r.settings.rate} req/s paced over ${r.settings.latencyConnections} connections;`,
    ' CPU and RSS: the shape\'s proxy processes together, both proxies of a pair, the upstream for direct; (x) = isthmus / nginx)',
  );
  out.push('');
  const q = r.ratios;
  out.push(`isthmus / nginx throughput:   c16 ${x(q.throughputC16)}   c64 ${x(q.throughputC64)}   (1.00x = as fast as the nginx pair)`);
  out.push(`isthmus / nginx latency at ${r.settings.rate} req/s:   p50 ${x(q.p50)}   p99 ${x(q.p99)}   (lower is better)`);
  for (const id of ['nginx', 'isthmus'] as const) {
    const a = q.addedOverDirectMs[id];
    if (a !== null) out.push(`added over direct, ${id} pair:   p50 ${plus(a.p50)} ms   p90 ${plus(a.p90)} ms   p99 ${plus(a.p99)} ms`);
  }
  const side = Object.entries(q.sidecarRssIdleMB);
  if (side.length > 0) {
    const parts = side.map(([name, v]) => `${name} ${v.toFixed(0)} MB idle / ${(q.sidecarRssLoadedMB[name] ?? NaN).toFixed(0)} MB loaded`);
    const worst = Math.max(...side.map(([, v]) => v));
    out.push(`sidecar RSS:   ${parts.join(',   ')}   (target ${q.sidecarRssTargetMB} MB idle: ${worst <= q.sidecarRssTargetMB ? 'within' : `over by ${(worst - q.sidecarRssTargetMB).toFixed(0)} MB`})`);
  }
  if (r.notes.length > 0) {
    out.push('');
    for (const n of r.notes) out.push(`note: ${n}`);
  }
  return out.join('\n');
}
