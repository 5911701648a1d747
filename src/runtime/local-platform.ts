// The local platform: Kubernetes-shaped manifests become processes on this machine. It starts
// the control plane, one sidecar per pod beside the app, and the ingress gateway; registers
// pods with the control plane; restarts what crashes; and stops everything it started.

import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import {
  PodAnnotations, ROOT_NAMESPACE, groupKind,
  type Container, type DeploymentSpec, type Resource,
} from '../api/index.ts';
import { createLogger, issuePodCredential, loadOrCreateKey } from '../shared/index.ts';
import { Child } from './child.ts';
import { ControlPlaneClient } from './cp-client.ts';
import { removeMeshInfo, writeMeshInfo } from './mesh-home.ts';
import { PodAddressPool, podName } from './pod-names.ts';
import { freePort, waitForPort } from './ports.ts';
import { PrometheusServer, type ScrapeTarget } from './prometheus.ts';
import { expandVars } from './expand-vars.ts';

const log = createLogger('platform');

export interface SourcedResource {
  resource: Resource;
  /** Directory of the manifest the resource came from: the working directory of its processes. */
  dir: string;
}

export interface LocalPlatformOptions {
  /** The package's dist/ directory (programs to run). */
  distDir: string;
  home: string;
  resources: SourcedResource[];
  ingressPort: number;
  /** Host port of the gateway's HTTPS servers (Gateway ports 443 and 8443). */
  ingressHttpsPort?: number;
  controlPort: number;
  bindAddress?: string;
  podAddressPrefix?: string;
  /** A MeshConfig file for the control plane (trust domain, certificate lifetime, extension providers). */
  meshConfigFile?: string;
  /** Trust domain, for the proxies' certificate requests (must match the mesh config's). */
  trustDomain?: string;
  /** Istio-style `cacerts` directory to plug into the CA. */
  cacertsDir?: string;
  /** Run Prometheus (this binary, on this 127.0.0.1 port) scraping the control plane and every proxy. */
  prometheus?: { binary: string; port: number };
}

interface ProcSpec {
  name: string;
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
  logFile: string;
  pipeStdin: boolean;
}

interface PodRun {
  resource: Resource;
  name: string;
  namespace: string;
  ip: string;
  sidecar?: Child;
  outboundPort?: number;
  /** The running proxy's admin port (from its `listening` event), scraped by Prometheus. */
  adminPort?: number;
  apps: { spec: ProcSpec; child?: Child; restarts: number; port: number; host: string }[];
  gateway: boolean;
}

const GATEWAY_LABELS = { app: 'istio-ingressgateway', istio: 'ingressgateway' };
const INJECT = 'sidecar.istio.io/inject';


export class LocalPlatform {
  #cp: Child | undefined;
  #cpPort: number;
  #pods: PodRun[] = [];
  #stopping = false;
  #addresses: PodAddressPool;
  #platformKey: Buffer | null = null;
  #prometheus: PrometheusServer | undefined;
  ingressPort = 0;
  /** Prometheus' URL once it is ready. */
  prometheusUrl: string | undefined;
  /** Why Prometheus is not running, when it was asked for and failed; the mesh runs without it. */
  prometheusError: string | undefined;

  constructor(readonly opts: LocalPlatformOptions) {
    this.#cpPort = opts.controlPort;
    this.#addresses = new PodAddressPool(opts.podAddressPrefix);
  }

  get controlPlaneUrl(): string {
    return `http://127.0.0.1:${this.#cpPort}`;
  }

  get pods(): readonly { name: string; namespace: string; ip: string; gateway: boolean }[] {
    return this.#pods;
  }

  #cli(): ControlPlaneClient {
    return new ControlPlaneClient(this.controlPlaneUrl);
  }

  /** Where the CA, the platform key and `credentialName` secrets live. */
  get stateDir(): string {
    return join(this.opts.home, 'state');
  }

  async start(): Promise<void> {
    // The key that signs each pod's credential: what a proxy shows the CA to get its identity.
    this.#platformKey = await loadOrCreateKey(join(this.stateDir, 'platform.key'));
    await this.#startControlPlane(false);
    writeMeshInfo({ pid: process.pid, controlPlane: this.controlPlaneUrl, ingress: '', home: this.opts.home, startedAt: new Date().toISOString() });
    // Prometheus starts beside the pods, not before them: the mesh does not wait on it.
    const prometheus = this.#startPrometheus();
    const client = this.#cli();
    // Namespaces the mesh always has, then everything from the manifests in one apply.
    const base: Resource[] = [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' }, spec: {} },
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ROOT_NAMESPACE }, spec: {} },
    ];
    const applied = await client.apply({ resources: [...base, ...this.opts.resources.map((s) => s.resource)] });
    const rejected = applied.results.filter((r) => r.diagnostics.some((d) => d.severity === 'error'));
    if (rejected.length) {
      throw new Error(rejected.map((r) => `${r.kind} ${r.namespace ?? ''}/${r.name}: ${r.diagnostics.map((d) => `${d.path}: ${d.message}`).join('; ')}`).join('\n'));
    }
    const starts: Promise<void>[] = [this.#startGateway()];
    for (const s of this.opts.resources) {
      if (groupKind(s.resource) !== 'apps/Deployment') continue;
      const spec = s.resource.spec as DeploymentSpec;
      for (let i = 0; i < (spec.replicas ?? 1); i++) starts.push(this.#startPod(s.resource as Resource<DeploymentSpec>, s.dir));
    }
    const results = await Promise.allSettled(starts);
    await prometheus;
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed.length) throw new Error(failed.map((f) => (f.reason as Error).message).join('\n'));
    writeMeshInfo({
      pid: process.pid, controlPlane: this.controlPlaneUrl, ingress: `http://${this.opts.bindAddress ?? '127.0.0.1'}:${this.ingressPort}`, home: this.opts.home, startedAt: new Date().toISOString(),
      ...(this.prometheusUrl !== undefined ? { prometheus: this.prometheusUrl } : {}),
    });
  }

  /** Starts Prometheus if asked to; a failure is reported (prometheusError), never fatal. */
  async #startPrometheus(): Promise<void> {
    const o = this.opts.prometheus;
    if (o === undefined) return;
    const server = new PrometheusServer({
      binary: o.binary,
      dir: join(this.stateDir, 'prometheus'),
      port: o.port === 0 ? await freePort() : o.port,
      controlPlane: `127.0.0.1:${this.#cpPort}`,
      logFile: join(this.opts.home, 'logs', 'prometheus.log'),
    });
    this.#prometheus = server;
    server.setTargets(this.#scrapeTargets());
    try {
      await server.start();
      this.prometheusUrl = server.url;
      log.info('prometheus is ready', { url: server.url });
    } catch (e) {
      this.prometheusError = (e as Error).message;
      log.warn('prometheus did not start; the mesh runs without it', { error: e });
      await server.stop();
    }
  }

  /** Every running proxy's admin address, labelled as Kubernetes pod discovery would label it. */
  #scrapeTargets(): ScrapeTarget[] {
    const out: ScrapeTarget[] = [];
    for (const p of this.#pods) {
      if (p.adminPort === undefined) continue;
      const labels = p.resource.metadata.labels ?? {};
      const t: ScrapeTarget = { address: `127.0.0.1:${p.adminPort}`, namespace: p.namespace, pod: p.name, role: p.gateway ? 'gateway' : 'sidecar' };
      if (labels['app'] !== undefined) t.app = labels['app'];
      if (labels['version'] !== undefined) t.version = labels['version'];
      out.push(t);
    }
    return out;
  }

  #updateTargets(): void {
    try {
      this.#prometheus?.setTargets(this.#scrapeTargets());
    } catch (e) {
      log.warn('cannot write the Prometheus targets file', { error: e });
    }
  }

  async #startControlPlane(resume: boolean): Promise<void> {
    const args = [join(this.opts.distDir, 'controlplane.js'), '--port', String(this.#cpPort), '--state', join(this.stateDir, 'store.json'), '--exit-with-stdin',
      '--ca-dir', join(this.stateDir, 'ca'), '--platform-key', join(this.stateDir, 'platform.key'), '--secrets-dir', join(this.stateDir, 'secrets')];
    if (this.opts.meshConfigFile !== undefined) args.push('--mesh-config', this.opts.meshConfigFile);
    if (this.opts.cacertsDir !== undefined) args.push('--cacerts', this.opts.cacertsDir);
    if (resume) args.push('--resume');
    const cp = new Child({ name: 'control plane', command: process.execPath, args, logFile: join(this.opts.home, 'logs', 'controlplane.log'), pipeStdin: true });
    this.#cp = cp;
    const ev = await cp.waitEvent((e) => e.event === 'listening', 15_000, 'the control plane to listen');
    this.#cpPort = Number(ev['port']);
    void cp.exited.then(({ code, signal }) => {
      if (this.#stopping || this.#cp !== cp) return;
      log.warn('control plane exited; restarting it (proxies keep serving their last config)', { code, signal });
      const retry = (delay: number) => setTimeout(() => {
        if (this.#stopping) return;
        this.#startControlPlane(true).then(
          () => log.info('control plane is back', { address: this.controlPlaneUrl }),
          (e: unknown) => { log.error('control plane restart failed', { error: e }); retry(Math.min(delay * 2, 5000)); },
        );
      }, delay);
      retry(200);
    });
  }

  /** The process id of the control plane (to show it, or for a user to kill it). */
  get controlPlanePid(): number | undefined {
    return this.#cp?.pid;
  }

  async #register(run: PodRun, phase: 'Pending' | 'Running', ready: boolean): Promise<void> {
    const r = { ...run.resource, status: { phase, ready, podIP: run.ip, startTime: run.resource.metadata.creationTimestamp } };
    await this.#cli().apply({ resources: [r], platform: true });
  }

  #sidecarSpec(run: PodRun, role: 'sidecar' | 'gateway'): ProcSpec {
    const serviceAccount = (run.resource.spec as { serviceAccountName?: string }).serviceAccountName ?? 'default';
    const args = [join(this.opts.distDir, 'proxy.js'), '--role', role, '--pod', run.name, '--namespace', run.namespace,
      '--discovery', this.controlPlaneUrl, '--admin', '127.0.0.1:0', '--exit-with-stdin',
      '--service-account', serviceAccount, '--trust-domain', this.opts.trustDomain ?? 'cluster.local'];
    const env: NodeJS.ProcessEnv = { ...process.env };
    if (this.#platformKey !== null) {
      env['ISTHMUS_POD_CREDENTIAL'] = issuePodCredential(this.#platformKey, { namespace: run.namespace, pod: run.name, serviceAccount, issuedAt: Date.now() });
    }
    // The outbound port is fixed per pod, so a restarted sidecar is where the app's HTTP_PROXY points.
    if (role === 'sidecar') args.push('--outbound', `127.0.0.1:${run.outboundPort ?? 0}`);
    else {
      // As Istio's ingress Service does: 80 and 8080 are the HTTP port, 443 and 8443 the HTTPS one.
      const https = this.opts.ingressHttpsPort;
      const map = `8080=${this.opts.ingressPort},80=${this.opts.ingressPort}${https !== undefined ? `,8443=${https},443=${https}` : ''}`;
      args.push('--bind-address', this.opts.bindAddress ?? '127.0.0.1', '--port-map', map);
    }
    return { name: `${run.name} istio-proxy`, command: process.execPath, args, env, cwd: this.opts.home, logFile: join(this.opts.home, 'logs', run.namespace, run.name, 'istio-proxy.log'), pipeStdin: true };
  }

  async #startProxy(run: PodRun, role: 'sidecar' | 'gateway'): Promise<{ outbound: number | null }> {
    const sc = new Child(this.#sidecarSpec(run, role));
    run.sidecar = sc;
    const listening = await sc.waitEvent((e) => e.event === 'listening', 15_000, 'its proxy to listen');
    if (typeof listening['admin'] === 'number' && run.sidecar === sc) {
      run.adminPort = listening['admin'];
      this.#updateTargets();
    }
    const first = await sc.waitEvent((e) => e.event === 'config', 15_000, 'its proxy to receive config');
    if (first['status'] !== 'applied') throw new Error(`${run.name}: its proxy rejected its config: ${String(first['error'])}`);
    void sc.exited.then(() => {
      if (this.#stopping || run.sidecar !== sc) return;
      delete run.adminPort;
      this.#updateTargets();
      log.warn('proxy exited; restarting it', { pod: run.name });
      setTimeout(() => {
        if (!this.#stopping) this.#startProxy(run, role).catch((e: unknown) => log.error('proxy restart failed', { pod: run.name, error: e }));
      }, 500);
    });
    return { outbound: listening['outbound'] === null ? null : Number(listening['outbound']) };
  }

  async #startGateway(): Promise<void> {
    const name = podName('istio-ingressgateway', GATEWAY_LABELS);
    const run: PodRun = {
      name, namespace: ROOT_NAMESPACE, ip: this.#addresses.allocate(), apps: [], gateway: true,
      resource: {
        apiVersion: 'v1', kind: 'Pod',
        metadata: { name, namespace: ROOT_NAMESPACE, labels: { ...GATEWAY_LABELS }, annotations: { [PodAnnotations.owner]: 'istio-ingressgateway' } },
        spec: { serviceAccountName: 'istio-ingressgateway-service-account', containers: [{ name: 'istio-proxy', ports: [{ containerPort: 8080, name: 'http2' }] }] },
      },
    };
    this.#pods.push(run);
    await this.#register(run, 'Pending', false);
    await this.#startProxy(run, 'gateway');
    // The ingress port opens once a Gateway selects the gateway; without one there is nothing to wait for.
    const hasGateway = this.opts.resources.some((s) => groupKind(s.resource) === 'networking.istio.io/Gateway');
    if (hasGateway) await waitForPort(this.opts.bindAddress ?? '127.0.0.1', this.opts.ingressPort, 15_000, () => !run.sidecar?.running);
    await this.#register(run, 'Running', true);
    this.ingressPort = this.opts.ingressPort;
  }

  async #startPod(dep: Resource<DeploymentSpec>, dir: string): Promise<void> {
    const ns = dep.metadata.namespace ?? 'default';
    const tpl = dep.spec.template;
    const name = podName(dep.metadata.name, tpl);
    const ip = this.#addresses.allocate();
    const containers = tpl.spec.containers ?? [];
    // `sidecar.istio.io/inject: "false"` (annotation or label), as in Istio: the app listens on the
    // pod address itself and talks to others directly, outside the mesh.
    const injected = (tpl.metadata?.annotations?.[INJECT] ?? tpl.metadata?.labels?.[INJECT] ?? 'true') !== 'false';
    const appPorts: Record<string, string> = {};
    const apps: PodRun['apps'] = [];
    for (const c of containers) {
      const ports = c.ports ?? [];
      let first = 0;
      for (const p of ports) {
        const port = injected ? await freePort() : p.containerPort;
        appPorts[String(p.containerPort)] = `${injected ? '127.0.0.1' : ip}:${port}`;
        if (!first) first = port;
      }
      apps.push({ spec: { name: `${name} ${c.name}`, command: '', args: [], env: {}, cwd: dir, logFile: join(this.opts.home, 'logs', ns, name, `${c.name}.log`), pipeStdin: false }, restarts: 0, port: first, host: injected ? '127.0.0.1' : ip });
    }
    const labels = { ...(tpl.metadata?.labels ?? {}) };
    const annotations: Record<string, string> = { ...(tpl.metadata?.annotations ?? {}), [PodAnnotations.appPorts]: JSON.stringify(appPorts), [PodAnnotations.owner]: dep.metadata.name };
    if (injected) annotations[PodAnnotations.sidecar] = '{"containers":["istio-proxy"]}';
    const run: PodRun = {
      name, namespace: ns, ip, apps, gateway: false,
      resource: { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns, labels, annotations }, spec: tpl.spec },
    };
    if (injected) run.outboundPort = await freePort();
    this.#pods.push(run);
    await this.#register(run, 'Pending', false);
    const outbound = injected ? (await this.#startProxy(run, 'sidecar')).outbound : null;
    if (outbound !== null) annotations[PodAnnotations.outbound] = `127.0.0.1:${outbound}`;
    containers.forEach((c, i) => {
      const a = apps[i];
      if (a) a.spec = this.#appSpec(run, c, a.spec, a.port, a.host, outbound);
    });
    await Promise.all(apps.map((a) => this.#startApp(run, a)));
    await this.#register(run, 'Running', true);
  }

  #appSpec(run: PodRun, c: Container, base: ProcSpec, port: number, host: string, outbound: number | null): ProcSpec {
    const dir = base.cwd;
    const env: Record<string, string | undefined> = { ...process.env };
    for (const k of ['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy']) delete env[k];
    Object.assign(env, {
      HOSTNAME: run.name, POD_NAME: run.name, POD_NAMESPACE: run.namespace, POD_IP: run.ip,
      SERVICE_ACCOUNT: (run.resource.spec as { serviceAccountName?: string }).serviceAccountName ?? 'default',
      ISTHMUS_DIST: this.opts.distDir, HOST: host,
    });
    if (outbound !== null) Object.assign(env, { HTTP_PROXY: `http://127.0.0.1:${outbound}`, http_proxy: `http://127.0.0.1:${outbound}` });
    if (port) env['PORT'] = String(port);
    for (const e of c.env ?? []) env[e.name] = expandVars(e.value ?? '', env);
    const argv = [...(c.command ?? []), ...(c.args ?? [])].map((s) => expandVars(s, env));
    if (argv.length === 0) throw new Error(`pod ${run.name}: container ${c.name} has no command; the local platform runs containers by their command and args`);
    const [cmd, ...args] = argv as [string, ...string[]];
    return { ...base, command: cmd === 'node' ? process.execPath : cmd, args, env, cwd: c.workingDir ? resolve(dir, c.workingDir) : dir };
  }

  async #startApp(run: PodRun, a: PodRun['apps'][number]): Promise<void> {
    const child = new Child(a.spec);
    a.child = child;
    if (a.port) await waitForPort(a.host, a.port, 20_000, () => !child.running);
    void child.exited.then(({ code, signal }) => {
      if (this.#stopping || a.child !== child) return;
      a.restarts++;
      const delay = Math.min(1000 * 2 ** Math.min(a.restarts - 1, 4), 10_000);
      log.warn('app exited; restarting it', { pod: run.name, container: a.spec.name, code, signal, inMs: delay });
      void this.#register(run, 'Running', false).catch(() => {});
      setTimeout(() => {
        if (this.#stopping) return;
        this.#startApp(run, a).then(
          () => this.#register(run, 'Running', true),
          (e: unknown) => log.error('app restart failed', { pod: run.name, error: e }),
        ).catch(() => {});
      }, delay);
    });
  }

  /** Stops every process this platform started: apps first, then proxies, then the control plane. */
  async stop(): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    await Promise.all([this.#prometheus?.stop(), ...this.#pods.flatMap((p) => p.apps.map((a) => a.child?.stop() ?? Promise.resolve()))]);
    await Promise.all(this.#pods.map((p) => p.sidecar?.stop() ?? Promise.resolve()));
    await this.#cp?.stop();
    removeMeshInfo(this.opts.home, process.pid);
  }
}

/** Reads manifest files for `up`; the caller parses and reports errors. */
export function manifestDir(file: string): string {
  return file === '-' ? process.cwd() : dirname(resolve(file));
}

export function readManifest(file: string): string {
  return readFileSync(file === '-' ? 0 : file, 'utf8');
}
