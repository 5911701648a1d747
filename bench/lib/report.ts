// The benchmark's result shape, the ratios derived from it and the text tables printed at the end.

import type { ClusterPolicy } from '../../src/api/index.ts';
import type { HandshakeResult } from './handshake-load.ts';

export type ShapeId = 'direct' | 'nginx' | 'isthmus' | 'nginx-tls' | 'isthmus-mtls';

/** Each Isthmus pair and the nginx pair of the same form it is compared with. */
export const COMPARISONS = [
  { isthmus: 'isthmus', nginx: 'nginx', label: 'isthmus / nginx' },
  { isthmus: 'isthmus-mtls', nginx: 'nginx-tls', label: 'isthmus mTLS / nginx TLS' },
] as const satisfies readonly { isthmus: ShapeId; nginx: ShapeId; label: string }[];

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

export interface PairRatios {
  throughputC16: number | null;
  throughputC64: number | null;
  p50: number | null;
  p99: number | null;
}

export interface Ratios extends PairRatios {
  /** The mTLS pair against the nginx TLS pair; null when the security scenarios were skipped. */
  mtls: PairRatios | null;
  addedOverDirectMs: Partial<Record<ShapeId, { p50: number; p90: number; p99: number } | null>>;
  /** Every Isthmus sidecar process, by name (plain and mTLS pairs). */
  sidecarRssIdleMB: Record<string, number>;
  sidecarRssLoadedMB: Record<string, number>;
  sidecarRssTargetMB: number;
  /** Every nginx proxy instance (master + worker), by name. */
  nginxRssIdleMB: Record<string, number>;
  nginxRssLoadedMB: Record<string, number>;
}

export interface HandshakeSummary {
  label: string;
  /** Medians over rounds. */
  handshakesPerSecond: number;
  serverCpuMs: number;
  clientCpuMs: number;
  /** The answer to one connection, as checked before the load: its size, protocol and cipher. */
  expectedBytes: number;
  protocol: string;
  cipher: string;
  /** Connections that did not get the whole checked answer, over all rounds. */
  incomplete: number;
  rounds: HandshakeResult[];
}

export interface HandshakeScenario {
  tool: string;
  clients: number;
  secondsPerRun: number;
  nginx: HandshakeSummary;
  isthmus: HandshakeSummary;
  /** isthmus / nginx handshakes per second (higher is better). */
  ratio: number | null;
  /** isthmus / nginx server CPU per handshake (lower is better). */
  serverCpuRatio: number | null;
}

/** One side (without or with) of a scenario that alternates a config on the plain pair. */
export interface AlternatedVariant {
  /** Median over every measurement of the variant. */
  requestsPerSecond: number;
  rounds: number[];
  cpuUserMicros: number;
  cpuSystemMicros: number;
  non2xx: number;
  socketErrors: number;
}

export type AuthzVariant = AlternatedVariant;

export interface AuthzScenario {
  policy: string;
  rules: number;
  connections: number;
  /** Measurements per variant. */
  samples: number;
  without: AuthzVariant;
  with: AuthzVariant;
  /** Throughput lost to the policy, percent of `without` (negative: the policy run was faster, i.e. noise). */
  overheadPercent: number;
  /** Extra CPU per request of the pair with the policy, µs (user + kernel). */
  cpuAddedMicros: number;
  targetPercent: number;
}

export interface PolicyScenario {
  /** The route's `policy` and the outbound cluster's `policy` on the client sidecar, as pushed. */
  routePolicy: Record<string, unknown>;
  clusterPolicy: ClusterPolicy;
  connections: number;
  rounds: number;
  /** Measurements per variant. */
  samples: number;
  without: AlternatedVariant;
  with: AlternatedVariant;
  /** Throughput lost to the policy, percent of `without` (negative: the policy runs were faster, i.e. noise). */
  overheadPercent: number;
  /** Extra CPU per request of the pair with the policy, µs (user + kernel). */
  cpuAddedMicros: number;
  /** The same, percent of the pair's CPU per request without the policy. */
  cpuAddedPercent: number;
  targetPercent: number;
}

export interface SecurityResult {
  rounds: number;
  handshakes: HandshakeScenario;
  authz: AuthzScenario;
  /** VmRSS of every proxy process after the security scenarios (the handshake load included), MB. */
  rssAfterMB: Record<string, number>;
}

export interface BenchResult {
  startedAt: string;
  settings: { durationSeconds: number; warmupSeconds: number; rounds: number; quick: boolean; rate: number; latencyConnections: number; proxyProgram: string };
  machine: { cpus: number; cpuModel: string; node: string; nginx: string; wrk: string; openssl: string; loadAverageBefore: number[]; loadAverageAfter: number[]; otherBusyCoresBefore: number; otherBusyCoresAfter: number; stealShareDuringMeasurements: number };
  shapes: ShapeResult[];
  ratios: Ratios;
  security?: SecurityResult;
  policy?: PolicyScenario;
  micro?: unknown;
  notes: string[];
}

export const SIDECAR_RSS_TARGET_MB = 60;
export const AUTHZ_TARGET_PERCENT = 5;
export const POLICY_TARGET_PERCENT = 10;

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

function pairRatios(isthmus: ShapeResult | undefined, nginx: ShapeResult | undefined): PairRatios {
  return {
    throughputC16: ratio(rps(isthmus, 16), rps(nginx, 16)),
    throughputC64: ratio(rps(isthmus, 64), rps(nginx, 64)),
    p50: ratio(isthmus?.latency?.p50Ms, nginx?.latency?.p50Ms),
    p99: ratio(isthmus?.latency?.p99Ms, nginx?.latency?.p99Ms),
  };
}

export function computeRatios(shapes: readonly ShapeResult[]): Ratios {
  const by = (id: ShapeId) => shapes.find((s) => s.id === id);
  const direct = by('direct');
  const added = (s: ShapeResult | undefined) =>
    s?.latency != null && direct?.latency != null
      ? { p50: s.latency.p50Ms - direct.latency.p50Ms, p90: s.latency.p90Ms - direct.latency.p90Ms, p99: s.latency.p99Ms - direct.latency.p99Ms }
      : null;
  const perProcessMB = (ids: ShapeId[], pick: (s: ShapeResult) => Record<string, number>) =>
    Object.fromEntries(ids.flatMap((id) => Object.entries(by(id) === undefined ? {} : pick(by(id) as ShapeResult)).map(([k, v]) => [k, v / MB])));
  const sidecars: ShapeId[] = ['isthmus', 'isthmus-mtls'];
  const nginxes: ShapeId[] = ['nginx', 'nginx-tls'];
  const hasTls = by('isthmus-mtls') !== undefined && by('nginx-tls') !== undefined;
  return {
    ...pairRatios(by('isthmus'), by('nginx')),
    mtls: hasTls ? pairRatios(by('isthmus-mtls'), by('nginx-tls')) : null,
    addedOverDirectMs: Object.fromEntries(shapes.filter((s) => s.id !== 'direct').map((s) => [s.id, added(s)])),
    sidecarRssIdleMB: perProcessMB(sidecars, (s) => s.rssIdleByProcess),
    sidecarRssLoadedMB: perProcessMB(sidecars, (s) => s.rssLoadedByProcess),
    sidecarRssTargetMB: SIDECAR_RSS_TARGET_MB,
    nginxRssIdleMB: perProcessMB(nginxes, (s) => s.rssIdleByProcess),
    nginxRssLoadedMB: perProcessMB(nginxes, (s) => s.rssLoadedByProcess),
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

/** The shape an Isthmus shape is compared with, if any. */
function referenceOf(id: ShapeId): ShapeId | null {
  return COMPARISONS.find((c) => c.isthmus === id)?.nginx ?? null;
}

const pct = (n: number) => `${n >= 0 ? '+' : ''}${n.toFixed(1)}%`;

export function formatReport(r: BenchResult): string {
  const by = (id: ShapeId) => r.shapes.find((s) => s.id === id);
  const header = ['shape', 'c16 req/s', 'c64 req/s', 'CPU/req c16 (usr+sys)', 'p50@1k ms', 'p90@1k ms', 'p99@1k ms', 'CPU@1k', 'RSS idle / loaded'];
  const rows = [header];
  for (const s of r.shapes) {
    const refId = referenceOf(s.id);
    const ref = refId === null ? undefined : by(refId);
    const vsRef = (v: number | undefined, refValue: number | undefined, invert = false) =>
      ref !== undefined && v !== undefined && refValue !== undefined && refValue > 0 ? ` (${x(invert ? refValue / v : v / refValue)})` : '';
    const c16 = s.throughput.find((t) => t.connections === 16);
    const lat = s.latency;
    rows.push([
      s.label,
      `${int(rps(s, 16))}${vsRef(rps(s, 16), rps(ref, 16))}`,
      `${int(rps(s, 64))}${vsRef(rps(s, 64), rps(ref, 64))}`,
      c16 === undefined ? '-' : `${c16.cpuUserMicros.toFixed(1)} + ${c16.cpuSystemMicros.toFixed(1)} µs`,
      ms(lat?.p50Ms),
      ms(lat?.p90Ms),
      `${ms(lat?.p99Ms)}${vsRef(lat?.p99Ms, ref?.latency?.p99Ms)}`,
      lat === null ? '-' : lat.cpuCores.toFixed(2),
      `${mb(s.rssIdleBytes)} / ${mb(s.rssLoadedBytes)} MB`,
    ]);
  }
  const out: string[] = [];
  out.push(table(rows, (i) => i > 0));
  out.push(
    `(req/s: wrk -t1, ${r.settings.durationSeconds} s, median of ${r.settings.rounds} round(s); latency: ${r.settings.rate} req/s paced over ${r.settings.latencyConnections} connections;`,
    " CPU and RSS: the shape's proxy processes together, both proxies of a pair, the upstream for direct;",
    ` (x) = isthmus / nginx${by('isthmus-mtls') !== undefined ? ', and isthmus mTLS / nginx TLS for the TLS pairs' : ''})`,
  );
  out.push('');
  const q = r.ratios;
  const pairLines = (label: string, p: PairRatios) => [
    `${label} throughput:   c16 ${x(p.throughputC16)}   c64 ${x(p.throughputC64)}   (1.00x = as fast as the nginx pair)`,
    `${label} latency at ${r.settings.rate} req/s:   p50 ${x(p.p50)}   p99 ${x(p.p99)}   (lower is better)`,
  ];
  out.push(...pairLines('isthmus / nginx', q));
  if (q.mtls !== null) out.push(...pairLines('isthmus mTLS / nginx TLS', q.mtls));
  for (const s of r.shapes) {
    const a = q.addedOverDirectMs[s.id];
    if (a != null) out.push(`added over direct, ${s.label}:   p50 ${plus(a.p50)} ms   p90 ${plus(a.p90)} ms   p99 ${plus(a.p99)} ms`);
  }
  const side = Object.entries(q.sidecarRssIdleMB);
  if (side.length > 0) {
    const parts = side.map(([name, v]) => `${name} ${v.toFixed(0)} / ${(q.sidecarRssLoadedMB[name] ?? NaN).toFixed(0)} MB`);
    const worst = Math.max(...side.map(([, v]) => v));
    out.push(`sidecar RSS, idle / loaded:   ${parts.join(',   ')}   (target ${q.sidecarRssTargetMB} MB idle: ${worst <= q.sidecarRssTargetMB ? 'within' : `over by ${(worst - q.sidecarRssTargetMB).toFixed(0)} MB`})`);
  }
  const ngx = Object.entries(q.nginxRssIdleMB);
  if (ngx.length > 0) {
    out.push(`nginx RSS (master + worker), idle / loaded:   ${ngx.map(([name, v]) => `${name} ${v.toFixed(0)} / ${(q.nginxRssLoadedMB[name] ?? NaN).toFixed(0)} MB`).join(',   ')}`);
  }
  if (r.security !== undefined) out.push('', formatSecurity(r.security));
  if (r.policy !== undefined) out.push('', formatPolicy(r.policy));
  if (r.notes.length > 0) {
    out.push('');
    for (const n of r.notes) out.push(`note: ${n}`);
  }
  return out.join('\n');
}

function formatSecurity(sec: SecurityResult): string {
  const out: string[] = [];
  const h = sec.handshakes;
  out.push(
    `mTLS handshakes: a new connection per request, client certificate, Connection: close (${h.tool}, ${h.clients} client processes, ${h.secondsPerRun} s per run, median of ${sec.rounds} rounds)`,
  );
  const rows = [['server', 'handshakes/s', 'server CPU/handshake', 'client CPU/handshake', 'protocol', 'answer']];
  for (const [s, isIsthmus] of [[h.nginx, false], [h.isthmus, true]] as const) {
    rows.push([
      s.label,
      `${int(s.handshakesPerSecond)}${isIsthmus ? ` (${x(h.ratio)})` : ''}`,
      `${s.serverCpuMs.toFixed(2)} ms${isIsthmus ? ` (${x(h.serverCpuRatio)})` : ''}`,
      `${s.clientCpuMs.toFixed(2)} ms`,
      `${s.protocol} ${s.cipher}`,
      `${s.expectedBytes} B${s.incomplete > 0 ? `, ${s.incomplete} incomplete` : ''}`,
    ]);
  }
  out.push(table(rows, (i) => i >= 1 && i <= 3));
  out.push(
    `isthmus / nginx new mTLS connections per second: ${x(h.ratio)}   server CPU per handshake: ${x(h.serverCpuRatio)} (lower is better; the clients share the two cores, so handshakes/s understates the servers' difference)`,
  );
  out.push('');
  const a = sec.authz;
  out.push(`authorization: the plain pair, server sidecar without and with one ALLOW policy of ${a.rules} rules (the request matches the last), wrk -t1 -c${a.connections}, ${a.samples} runs each, alternated`);
  const arows = [['server sidecar', `c${a.connections} req/s`, 'CPU/req (usr+sys)', 'non-2xx / socket errors']];
  for (const [label, v] of [['no policy', a.without], [`${a.rules}-rule ALLOW policy`, a.with]] as const) {
    arows.push([label, int(v.requestsPerSecond), `${v.cpuUserMicros.toFixed(1)} + ${v.cpuSystemMicros.toFixed(1)} µs`, `${v.non2xx} / ${v.socketErrors}`]);
  }
  out.push(table(arows, (i) => i > 0));
  out.push(
    `authorization overhead: throughput ${pct(-a.overheadPercent)} with the policy, CPU per request ${a.cpuAddedMicros >= 0 ? '+' : ''}${a.cpuAddedMicros.toFixed(1)} µs (target: under ${a.targetPercent}% throughput lost: ${a.overheadPercent < a.targetPercent ? 'within' : 'over'})`,
  );
  return out.join('\n');
}

function formatPolicy(p: PolicyScenario): string {
  const out: string[] = [];
  out.push(
    `traffic policy: the plain pair, client sidecar's route and cluster without and with a policy (route: timeout, retries, request and response header rules; cluster: connection pool, outlier detection), wrk -t1 -c${p.connections}, ${p.samples} runs each, alternated`,
  );
  const rows = [['client sidecar', `c${p.connections} req/s`, 'CPU/req (usr+sys)', 'non-2xx / socket errors']];
  for (const [label, v] of [['plain route and cluster', p.without], ['route and cluster policy', p.with]] as const) {
    rows.push([label, int(v.requestsPerSecond), `${v.cpuUserMicros.toFixed(1)} + ${v.cpuSystemMicros.toFixed(1)} µs`, `${v.non2xx} / ${v.socketErrors}`]);
  }
  out.push(table(rows, (i) => i > 0));
  const cpu = `${p.cpuAddedMicros >= 0 ? '+' : ''}${p.cpuAddedMicros.toFixed(1)} µs (${pct(p.cpuAddedPercent)})`;
  out.push(
    `traffic policy overhead: throughput ${pct(-p.overheadPercent)} with the policy, CPU per request ${cpu} (target: under ${p.targetPercent}% throughput lost: ${p.overheadPercent < p.targetPercent ? 'within' : 'over'})`,
  );
  return out.join('\n');
}
