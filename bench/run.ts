// `npm run bench`: one mesh hop through two Isthmus sidecars against the same hop through two
// nginx reverse proxies, and the upstream alone, all measured in the same run on 127.0.0.1; then
// the same hop with mTLS between the proxies, and the security scenarios.
//
//   direct upstream     wrk -> upstream (nginx, fixed 1 KB answer)
//   nginx pair          wrk -> nginx (client) -> nginx (server) -> upstream
//   isthmus pair        wrk -> client sidecar -> server sidecar -> upstream   (dist/proxy.js)
//   nginx TLS pair      wrk -> nginx (client) =TLS, client cert=> nginx (server, ssl_verify_client on) -> upstream
//   isthmus mTLS pair   wrk -> client sidecar =mesh mTLS=> server sidecar (STRICT) -> upstream
//
// Throughput: wrk, 1 thread, 16 and 64 connections. Latency: bench/paced-load.ts at a fixed
// 1000 req/s over 16 connections. Memory: VmRSS idle and after load. Shapes alternate inside each
// test so slow drift on the machine hits all of them alike. Then, for at least two rounds:
// new mTLS connections per second against the nginx TLS server and the server sidecar's STRICT
// listener (openssl s_time), and the plain pair with and without a 20-rule AuthorizationPolicy
// on the server sidecar (wrk, alternated); and the plain pair with and without a traffic policy
// on the client sidecar's route (timeout, retries, header rules) and cluster (connection pool,
// outlier detection), alternated the same way. Prints tables and ratios, writes
// bench/results/latest.json. Every process started here is stopped on every exit path.
//
// Environment: BENCH_DURATION (seconds per measurement, default 10), BENCH_QUICK=1 (3 s runs),
// BENCH_ROUNDS (default 1; medians are reported), BENCH_PROXY (proxy program, default
// dist/proxy.js), BENCH_SECURITY=0 (skip the TLS pairs and the security scenarios),
// BENCH_POLICY=0 (skip the traffic policy scenario), BENCH_MICRO=0 (skip the router micro
// benchmark), BENCH_KEEP_TMP=1.

import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { connect } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ProxyConfig } from '../src/api/index.ts';
import { AUTHZ_RULES, benchAuthorizationPolicy, DENIED_PATH } from './lib/authz-policy.ts';
import { checkResponse } from './lib/check-response.ts';
import { type DiscoveryServer, startDiscoveryServer } from './lib/discovery-server.ts';
import { freePorts } from './lib/free-ports.ts';
import { type HandshakeResult, type HandshakeTarget, oneTlsRequest, runHandshakes, sTimePage, sTimeRequest } from './lib/handshake-load.ts';
import { type RunningSidecar, startSidecar } from './lib/isthmus-sidecar.ts';
import { type ClientOptions, clientSidecarConfig, meshSecurity, SERVICE_AUTHORITY, SERVICE_HOST, serverSidecarConfig } from './lib/mesh-config.ts';
import { BODY, type RunningNginx, startNginx } from './lib/nginx.ts';
import { type BenchPki, makeBenchPki, spiffeId, TRUST_DOMAIN } from './lib/pki.ts';
import { cpuTime, machineBusyCores, machineJiffies, rssBytes, stealShare } from './lib/proc-stats.ts';
import { describeExit, ProcessGroup } from './lib/process-group.ts';
import {
  type AlternatedVariant,
  AUTHZ_TARGET_PERCENT,
  type AuthzScenario,
  type BenchResult,
  computeRatios,
  formatReport,
  type HandshakeScenario,
  type HandshakeSummary,
  type LatencyResult,
  median,
  POLICY_TARGET_PERCENT,
  type PolicyScenario,
  type SecurityResult,
  type ShapeId,
  type ShapeResult,
  type ThroughputResult,
} from './lib/report.ts';
import { benchClusterPolicy, benchRoutePolicy, SERVED_BY } from './lib/traffic-policy.ts';
import { runWrk, type WrkResult } from './lib/wrk.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const env = process.env;
const quick = env['BENCH_QUICK'] === '1';
const durationSeconds = Number(env['BENCH_DURATION'] ?? (quick ? 3 : 10));
const warmupSeconds = quick ? 1 : 3;
const rounds = Number(env['BENCH_ROUNDS'] ?? 1);
const proxyProgram = resolve(ROOT, env['BENCH_PROXY'] ?? 'dist/proxy.js');
const security = env['BENCH_SECURITY'] !== '0';
/** The security scenarios are noisier than the pairs' throughput: never fewer than two rounds. */
const securityRounds = Math.max(2, rounds);
const RATE = 1000;
const LATENCY_CONNECTIONS = 16;
const THROUGHPUT_CONNECTIONS = [16, 64] as const;
/** openssl s_time processes making handshakes at once; see bench/lib/handshake-load.ts. */
const HANDSHAKE_CLIENTS = 4;
const AUTHZ_CONNECTIONS = 16;
const policyEnabled = env['BENCH_POLICY'] !== '0';
/** Like the security scenarios, a few percent apart on a shared machine: never fewer than two rounds. */
const policyRounds = Math.max(2, rounds);
const POLICY_CONNECTIONS = 16;

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

/** What a plaintext request to a TLS-only port gets: a reset, a close, or the first line of an answer (never a 200). */
function plaintextAnswer(port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    let got = '';
    const timer = setTimeout(() => s.destroy(), 3000);
    s.once('connect', () => s.write(`GET / HTTP/1.1\r\nHost: ${SERVICE_AUTHORITY}\r\nConnection: close\r\n\r\n`));
    s.on('data', (d: Buffer) => (got += d.toString('latin1')));
    s.on('error', (e: NodeJS.ErrnoException) => (got ||= `error ${e.code ?? e.message}`));
    s.on('close', () => {
      clearTimeout(timer);
      resolve(got === '' ? 'closed without an answer' : (got.split('\r\n')[0] ?? ''));
    });
  });
}

/** Status and headers of one plain GET with the service's Host, and the body's start. */
function statusOf(port: number, path: string): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, headers: { host: SERVICE_AUTHORITY }, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: body.slice(0, 200), headers: res.headers }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path} on 127.0.0.1:${port}: no answer within 5 s`)));
    req.on('error', reject);
    req.end();
  });
}

interface TlsSetup {
  pki: BenchPki;
  nginxTlsServer: RunningNginx;
  nginxTlsClient: RunningNginx;
  mtlsServer: RunningSidecar;
  mtlsClient: RunningSidecar;
  mtlsInboundPort: number;
  /** The handshake client's certificate (a workload identity of the same root). */
  loadgen: { certFile: string; keyFile: string };
}

/** Median of one field over rounds. */
const med = <T>(xs: readonly T[], f: (x: T) => number) => median(xs.map(f));

async function measureHandshakes(tls: TlsSetup): Promise<HandshakeScenario> {
  const request = sTimeRequest(sTimePage(SERVICE_AUTHORITY));
  const targets = [
    { id: 'nginx', label: 'nginx (ssl_verify_client on)', port: tls.nginxTlsServer.port, pids: () => tls.nginxTlsServer.pids() },
    { id: 'isthmus', label: 'isthmus inbound (STRICT)', port: tls.mtlsInboundPort, pids: () => [tls.mtlsServer.child.pid] },
  ] as const;
  const target = (t: (typeof targets)[number]): HandshakeTarget => ({ port: t.port, certFile: tls.loadgen.certFile, keyFile: tls.loadgen.keyFile, caFile: tls.pki.rootFile, serverPids: t.pids() });

  // Before any load: with the client certificate, the request s_time sends gets 200 and the 1 KB
  // body; without one, no 200.
  const checked = new Map<string, { bytes: number; protocol: string; cipher: string }>();
  for (const t of targets) {
    const ok = await oneTlsRequest(target(t), request);
    if (ok.status !== 200 || ok.body !== BODY) {
      throw new Error(`${t.label} on 127.0.0.1:${t.port}: the handshake benchmark's request got ${ok.status} with ${ok.body.length} body bytes${ok.error !== null ? ` (${ok.error})` : ''}`);
    }
    const anonymous = await oneTlsRequest(target(t), request, false);
    if (anonymous.status === 200) throw new Error(`${t.label} on 127.0.0.1:${t.port} answered 200 to a client without a certificate`);
    checked.set(t.id, { bytes: ok.bytes, protocol: ok.protocol, cipher: ok.cipher });
  }

  const warm = Math.max(2, warmupSeconds);
  log(`handshakes: warm-up, ${warm} s of openssl s_time per server`);
  for (const t of targets) await runHandshakes(group, target(t), SERVICE_AUTHORITY, HANDSHAKE_CLIENTS, warm);

  const runs = new Map<string, HandshakeResult[]>();
  for (let round = 0; round < securityRounds; round++) {
    const order = round % 2 === 0 ? targets : [...targets].reverse();
    for (const t of order) {
      log(`security round ${round + 1}/${securityRounds}: new mTLS connections per second, ${t.label}, ${HANDSHAKE_CLIENTS} x openssl s_time -new -time ${durationSeconds}`);
      const r = await runHandshakes(group, target(t), SERVICE_AUTHORITY, HANDSHAKE_CLIENTS, durationSeconds);
      runs.set(t.id, [...(runs.get(t.id) ?? []), r]);
    }
  }
  const summary = (t: (typeof targets)[number]): HandshakeSummary => {
    const rs = runs.get(t.id) ?? [];
    const c = checked.get(t.id) as { bytes: number; protocol: string; cipher: string };
    return {
      label: t.label,
      handshakesPerSecond: med(rs, (r) => r.handshakesPerSecond),
      serverCpuMs: med(rs, (r) => r.serverCpuMs),
      clientCpuMs: med(rs, (r) => r.clientCpuMs),
      expectedBytes: c.bytes,
      protocol: c.protocol,
      cipher: c.cipher,
      // A connection refused or cut short reads less than the checked answer.
      incomplete: rs.reduce((n, r) => n + Math.max(0, Math.round(r.handshakes * (1 - r.bytesPerConnection / c.bytes))), 0),
      rounds: rs,
    };
  };
  const nginx = summary(targets[0]);
  const isthmus = summary(targets[1]);
  return {
    tool: 'openssl s_time -new',
    clients: HANDSHAKE_CLIENTS,
    secondsPerRun: durationSeconds,
    nginx,
    isthmus,
    ratio: nginx.handshakesPerSecond > 0 ? isthmus.handshakesPerSecond / nginx.handshakesPerSecond : null,
    serverCpuRatio: nginx.serverCpuMs > 0 ? isthmus.serverCpuMs / nginx.serverCpuMs : null,
  };
}

type Measured = { wrk: WrkResult; userMicros: number; systemMicros: number };

const variantOf = (rs: readonly Measured[]): AlternatedVariant => ({
  requestsPerSecond: med(rs, (r) => r.wrk.requestsPerSecond),
  rounds: rs.map((r) => r.wrk.requestsPerSecond),
  cpuUserMicros: med(rs, (r) => r.userMicros),
  cpuSystemMicros: med(rs, (r) => r.systemMicros),
  non2xx: sum(rs.map((r) => r.wrk.non2xx)),
  socketErrors: sum(rs.map((r) => r.wrk.socketErrors)),
});

type Variant = 'without' | 'with';

/**
 * Pushes one sidecar of the plain pair `configs.without` and `configs.with` in turn through the
 * stand-in discovery server (which waits for the ACK) and measures the pair with wrk: per round
 * without, with, with, without, so drift during the round weighs on both alike. After each switch,
 * `check` proves the config in force and a wrk warm-up lets V8 optimise the new version's code.
 * Leaves the sidecar on `configs.without`.
 */
async function alternateConfigs(
  pair: Shape,
  pod: string,
  configs: Record<Variant, ProxyConfig>,
  o: { rounds: number; connections: number; phase: string; describe: (v: Variant) => string; check: (v: Variant) => Promise<void> },
): Promise<Record<Variant, Measured[]>> {
  const d = discovery as DiscoveryServer;
  let current: Variant | null = null;
  const use = async (v: Variant) => {
    if (current === v) return;
    await d.push(pod, configs[v]);
    current = v;
    await o.check(v);
    // A new config version compiles new filters: let V8 optimise them before measuring.
    await runWrk(group, pair.port, SERVICE_AUTHORITY, o.connections, warmupSeconds);
  };
  const runs: Record<Variant, Measured[]> = { without: [], with: [] };
  for (let round = 0; round < o.rounds; round++) {
    for (const v of ['without', 'with', 'with', 'without'] as const) {
      await use(v);
      log(`${o.phase} round ${round + 1}/${o.rounds}: isthmus pair ${o.describe(v)}, wrk -t1 -c${o.connections} -d${durationSeconds}s`);
      runs[v].push(await measureThroughput(pair, o.connections, durationSeconds));
    }
  }
  await use('without');
  return runs;
}

async function measureAuthorization(pair: Shape, configs: Record<Variant, ProxyConfig>, serverPod: string): Promise<AuthzScenario> {
  const runs = await alternateConfigs(pair, serverPod, configs, {
    rounds: securityRounds,
    connections: AUTHZ_CONNECTIONS,
    phase: 'security',
    describe: (v) => (v === 'with' ? `with the ${AUTHZ_RULES}-rule AuthorizationPolicy` : 'without AuthorizationPolicy'),
    check: async (v) => {
      if (v === 'with') {
        // The policy is in force: the benchmark's request still passes, a path no rule allows does not.
        await checkResponse('isthmus pair with the AuthorizationPolicy', pair.port, SERVICE_AUTHORITY);
        const denied = await statusOf(pair.port, DENIED_PATH);
        if (denied.status !== 403) throw new Error(`with the AuthorizationPolicy, GET ${DENIED_PATH} answered ${denied.status}, not 403: the policy is not enforced (${denied.body})`);
      } else {
        const open = await statusOf(pair.port, DENIED_PATH);
        if (open.status !== 200) throw new Error(`without the AuthorizationPolicy, GET ${DENIED_PATH} answered ${open.status}, not 200 (${open.body})`);
      }
    },
  });
  const without = variantOf(runs.without);
  const withPolicy = variantOf(runs.with);
  return {
    policy: benchAuthorizationPolicy.name,
    rules: AUTHZ_RULES,
    connections: AUTHZ_CONNECTIONS,
    samples: runs.with.length,
    without,
    with: withPolicy,
    overheadPercent: ((without.requestsPerSecond - withPolicy.requestsPerSecond) / without.requestsPerSecond) * 100,
    cpuAddedMicros: withPolicy.cpuUserMicros + withPolicy.cpuSystemMicros - (without.cpuUserMicros + without.cpuSystemMicros),
    targetPercent: AUTHZ_TARGET_PERCENT,
  };
}

/** The client sidecar's route and outbound cluster without and with the traffic policy (bench/lib/traffic-policy.ts). */
async function measureTrafficPolicy(pair: Shape, configs: Record<Variant, ProxyConfig>, clientPod: string): Promise<PolicyScenario> {
  const runs = await alternateConfigs(pair, clientPod, configs, {
    rounds: policyRounds,
    connections: POLICY_CONNECTIONS,
    phase: 'traffic policy',
    describe: (v) => (v === 'with' ? 'with the route and cluster policy' : 'with the plain route and cluster'),
    check: async (v) => {
      // Both ways the request gets 200 and the 1 KB body; only the policy's route adds the response header.
      await checkResponse(`isthmus pair ${v} the traffic policy`, pair.port, SERVICE_AUTHORITY);
      const r = await statusOf(pair.port, '/');
      const servedBy = r.headers[SERVED_BY.name];
      if (v === 'with' && servedBy !== SERVED_BY.value) {
        throw new Error(`with the traffic policy, GET / answered ${r.status} with ${SERVED_BY.name}: ${JSON.stringify(servedBy)}, not ${JSON.stringify(SERVED_BY.value)}: the route policy is not applied`);
      }
      if (v === 'without' && servedBy !== undefined) throw new Error(`without the traffic policy, GET / still carries ${SERVED_BY.name}: ${JSON.stringify(servedBy)}`);
    },
  });
  const without = variantOf(runs.without);
  const withPolicy = variantOf(runs.with);
  const cpuWithout = without.cpuUserMicros + without.cpuSystemMicros;
  const cpuAddedMicros = withPolicy.cpuUserMicros + withPolicy.cpuSystemMicros - cpuWithout;
  return {
    routePolicy: benchRoutePolicy,
    clusterPolicy: benchClusterPolicy,
    connections: POLICY_CONNECTIONS,
    rounds: policyRounds,
    samples: runs.with.length,
    without,
    with: withPolicy,
    overheadPercent: ((without.requestsPerSecond - withPolicy.requestsPerSecond) / without.requestsPerSecond) * 100,
    cpuAddedMicros,
    cpuAddedPercent: cpuWithout > 0 ? (cpuAddedMicros / cpuWithout) * 100 : NaN,
    targetPercent: POLICY_TARGET_PERCENT,
  };
}

async function main(): Promise<void> {
  const startedAt = new Date().toISOString();
  const loadAverageBefore = loadavg();
  requireTool('wrk', 'wrk');
  requireTool('nginx', 'nginx-light');
  requireTool('curl', 'curl');
  if (security) requireTool('openssl', 'openssl');
  if (!existsSync(proxyProgram)) {
    throw new Error(`${shown(proxyProgram)} is missing: build it with \`node scripts/build.mjs\` (or set BENCH_PROXY to a built proxy program)`);
  }
  if (!(durationSeconds > 0) || !Number.isInteger(rounds) || rounds < 1) throw new Error('BENCH_DURATION must be > 0 and BENCH_ROUNDS an integer >= 1');

  const busyBefore = await machineBusyCores(1000, cpus().length);
  tmp = mkdtempSync(join(tmpdir(), 'isthmus-bench-'));
  const [upstreamPort, nginxServerPort, nginxClientPort, inboundPort, nginxTlsServerPort, nginxTlsClientPort, mtlsInboundPort] = (await freePorts(7)) as [
    number, number, number, number, number, number, number,
  ];

  log(`starting the upstream and the nginx pair (temp dir ${tmp})`);
  const upstream = await startNginx(group, tmp, 'upstream', upstreamPort, { kind: 'upstream' });
  const nginxServer = await startNginx(group, tmp, 'nginx-server', nginxServerPort, { kind: 'proxy', to: upstreamPort });
  const nginxClient = await startNginx(group, tmp, 'nginx-client', nginxClientPort, { kind: 'proxy', to: nginxServerPort });

  // The security scenarios' PKI: a throwaway ECDSA P-256 root; nginx gets leaves made with
  // openssl, the mTLS sidecars ask the stand-in CA to sign their own keys, as in the mesh.
  const SERVER_SA = 'upstream';
  const CLIENT_SA = 'client';
  const NGINX_TLS_NAME = `${SERVICE_HOST}.default.svc.cluster.local`;
  let pki: BenchPki | null = null;
  const credentials = new Map<string, string>();
  if (security) {
    log('making a throwaway ECDSA P-256 root and certificates (openssl)');
    pki = makeBenchPki(tmp);
    for (const sa of [SERVER_SA, CLIENT_SA]) credentials.set(randomBytes(16).toString('hex'), spiffeId(sa));
  }
  const credentialOf = (sa: string) => [...credentials].find(([, id]) => id === spiffeId(sa))?.[0] as string;

  const configs = new Map([
    ['bench-client', clientSidecarConfig('bench-client', inboundPort)],
    ['bench-server', serverSidecarConfig('bench-server', inboundPort, upstreamPort)],
  ]);
  if (pki !== null) {
    const roots = [pki.rootPem];
    configs.set('bench-mtls-client', clientSidecarConfig('bench-mtls-client', mtlsInboundPort, { serverIdentity: spiffeId(SERVER_SA), security: meshSecurity(spiffeId(CLIENT_SA), roots) }));
    configs.set('bench-mtls-server', serverSidecarConfig('bench-mtls-server', mtlsInboundPort, upstreamPort, { mtls: 'STRICT', security: meshSecurity(spiffeId(SERVER_SA), roots) }));
  }
  const ca = pki;
  discovery = await startDiscoveryServer(configs, ca === null ? undefined : { identityFor: (c) => credentials.get(c) ?? null, sign: (csr, id) => ca.signCsr(csr, id) });

  log(`starting the Isthmus pair (${shown(proxyProgram)})`);
  const serverSidecar: RunningSidecar = await startSidecar(group, proxyProgram, 'bench-server', discovery.port, ROOT);
  const clientSidecar: RunningSidecar = await startSidecar(group, proxyProgram, 'bench-client', discovery.port, ROOT);

  const nginxProc = (n: RunningNginx) => ({ name: n.name, pids: n.pids() });
  const sidecarProc = (name: string, sc: RunningSidecar) => ({ name, pids: [sc.child.pid] });
  const isthmusPair: Shape = {
    id: 'isthmus',
    label: 'isthmus pair',
    port: clientSidecar.outboundPort,
    processes: () => [sidecarProc('client sidecar', clientSidecar), sidecarProc('server sidecar', serverSidecar)],
  };
  const shapes: Shape[] = [
    { id: 'direct', label: 'direct upstream', port: upstreamPort, processes: () => [nginxProc(upstream)] },
    { id: 'nginx', label: 'nginx pair', port: nginxClientPort, processes: () => [nginxProc(nginxClient), nginxProc(nginxServer)] },
    isthmusPair,
  ];

  let tls: TlsSetup | null = null;
  if (pki !== null) {
    log('starting the nginx TLS pair and the Isthmus mTLS pair');
    const serverLeaf = pki.leaf('nginx-tls-server', [`DNS:${NGINX_TLS_NAME}`, `URI:${spiffeId(SERVER_SA)}`]);
    const clientLeaf = pki.leaf('nginx-tls-client', [`URI:${spiffeId(CLIENT_SA)}`]);
    const loadgen = pki.leaf('handshake-client', [`URI:${spiffeId('loadgen')}`]);
    const nginxTlsServer = await startNginx(group, tmp, 'nginx-tls-server', nginxTlsServerPort, {
      kind: 'proxy',
      to: upstreamPort,
      serverTls: { certFile: serverLeaf.certFile, keyFile: serverLeaf.keyFile, clientCaFile: pki.rootFile },
    });
    const nginxTlsClient = await startNginx(group, tmp, 'nginx-tls-client', nginxTlsClientPort, {
      kind: 'proxy',
      to: nginxTlsServerPort,
      upstreamTls: { certFile: clientLeaf.certFile, keyFile: clientLeaf.keyFile, trustedFile: pki.rootFile, name: NGINX_TLS_NAME },
    });
    const identity = (sa: string) => ({ credential: credentialOf(sa), serviceAccount: sa, trustDomain: TRUST_DOMAIN });
    const mtlsServer = await startSidecar(group, proxyProgram, 'bench-mtls-server', discovery.port, ROOT, identity(SERVER_SA));
    const mtlsClient = await startSidecar(group, proxyProgram, 'bench-mtls-client', discovery.port, ROOT, identity(CLIENT_SA));
    tls = { pki, nginxTlsServer, nginxTlsClient, mtlsServer, mtlsClient, mtlsInboundPort, loadgen };
    shapes.push(
      { id: 'nginx-tls', label: 'nginx TLS pair', port: nginxTlsClientPort, processes: () => [nginxProc(nginxTlsClient), nginxProc(nginxTlsServer)] },
      {
        id: 'isthmus-mtls',
        label: 'isthmus mTLS pair',
        port: mtlsClient.outboundPort,
        processes: () => [sidecarProc('mtls client sidecar', mtlsClient), sidecarProc('mtls server sidecar', mtlsServer)],
      },
    );
  }

  for (const s of shapes) await checkResponse(s.label, s.port, SERVICE_AUTHORITY);
  if (tls !== null) {
    // The TLS pairs' second hop takes TLS only: their 200s above went over (m)TLS.
    for (const [label, port] of [['the server sidecar\'s STRICT inbound listener', tls.mtlsInboundPort], ['the nginx TLS server', tls.nginxTlsServer.port]] as const) {
      const answer = await plaintextAnswer(port);
      if (answer.startsWith('HTTP/1.1 200') || answer.startsWith('HTTP/1.0 200')) throw new Error(`${label} (127.0.0.1:${port}) answered a plaintext request with 200`);
    }
  }
  log(`all ${shapes.length} shapes answer 200 with the 1 KB body`);

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

  let securityResult: SecurityResult | undefined;
  if (tls !== null) {
    const handshakes = await measureHandshakes(tls);
    const plainServerSecurity = (authorization: (typeof benchAuthorizationPolicy)[]) =>
      serverSidecarConfig('bench-server', inboundPort, upstreamPort, { security: meshSecurity(spiffeId(SERVER_SA), [], authorization) });
    const authz = await measureAuthorization(isthmusPair, { without: plainServerSecurity([]), with: plainServerSecurity([benchAuthorizationPolicy]) }, 'bench-server');
    const rssAfterMB: Record<string, number> = {};
    for (const s of shapes) for (const p of s.processes()) rssAfterMB[p.name] = sum(p.pids.map(rssBytes)) / (1024 * 1024);
    securityResult = { rounds: securityRounds, handshakes, authz, rssAfterMB };
  }
  let policyResult: PolicyScenario | undefined;
  if (policyEnabled) {
    const clientConfig = (o: ClientOptions = {}) => clientSidecarConfig('bench-client', inboundPort, o);
    policyResult = await measureTrafficPolicy(isthmusPair, { without: clientConfig(), with: clientConfig({ routePolicy: benchRoutePolicy, clusterPolicy: benchClusterPolicy }) }, 'bench-client');
  }
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

  if (securityResult !== undefined) {
    for (const h of [securityResult.handshakes.nginx, securityResult.handshakes.isthmus]) {
      if (h.incomplete > 0) notes.push(`${h.label}: about ${h.incomplete} new connections did not get the whole ${h.expectedBytes}-byte answer (refused or cut short)`);
    }
    const a = securityResult.authz;
    for (const [label, v] of [['without', a.without], ['with', a.with]] as const) {
      if (v.non2xx > 0 || v.socketErrors > 0) notes.push(`isthmus pair ${label} the AuthorizationPolicy: ${v.non2xx} non-2xx responses and ${v.socketErrors} socket errors`);
    }
  }

  if (policyResult !== undefined) {
    for (const [label, v] of [['without', policyResult.without], ['with', policyResult.with]] as const) {
      if (v.non2xx > 0 || v.socketErrors > 0) notes.push(`isthmus pair ${label} the traffic policy: ${v.non2xx} non-2xx responses and ${v.socketErrors} socket errors`);
    }
  }

  if (steal > 0.05) {
    notes.push(`the hypervisor took ${(steal * 100).toFixed(0)}% of this machine's CPU time during the measurements (steal): all numbers are noisy`);
  }

  const sidecarStats: Record<string, unknown> = {};
  for (const sc of [clientSidecar, serverSidecar, ...(tls !== null ? [tls.mtlsClient, tls.mtlsServer] : [])]) {
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
      openssl: versionOf('openssl', ['version']),
      loadAverageBefore,
      loadAverageAfter,
      otherBusyCoresBefore: busyBefore,
      otherBusyCoresAfter: busyAfter,
      stealShareDuringMeasurements: steal,
    },
    shapes: results,
    ratios: computeRatios(results),
    ...(securityResult !== undefined ? { security: securityResult } : {}),
    ...(policyResult !== undefined ? { policy: policyResult } : {}),
    ...(micro !== undefined ? { micro } : {}),
    notes,
  };
  const dir = join(ROOT, 'bench/results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'latest.json'), `${JSON.stringify({ ...result, sidecarStats, certificatesIssued: Object.fromEntries(discovery?.issued ?? []) }, null, 2)}\n`);

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
