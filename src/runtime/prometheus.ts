// A real Prometheus beside the mesh: the `prometheus` binary (Debian's package) runs as a child
// of the platform, with its config and data under $ISTHMUS_HOME/state/prometheus. It scrapes the
// control plane and every proxy's admin port; proxies are found through a file_sd targets file
// the platform rewrites as proxies start, restart and stop, labelled as Kubernetes service
// discovery (with Istio's relabelling) would label them: namespace, pod, app, version.

import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { Child } from './child.ts';

/** Where proxies serve their metrics (Envoy's and Istio's path). */
export const PROXY_METRICS_PATH = '/stats/prometheus';
/** Where the control plane serves its metrics. */
export const CONTROL_PLANE_METRICS_PATH = '/metrics';
/** How often every target is scraped (also the file_sd refresh period). */
export const SCRAPE_INTERVAL = '5s';
export const CONTROL_PLANE_JOB = 'isthmus-controlplane';
export const PROXY_JOB = 'isthmus-proxies';

/** What the mesh says when Prometheus is not installed. */
export const PROMETHEUS_MISSING_NOTE =
  'Prometheus is not installed, so none runs with the mesh; metrics are still at each proxy\'s admin /stats/prometheus and the control plane\'s /metrics (install it with: sudo apt-get install prometheus)';

/** The `prometheus` program on PATH (or Debian's /usr/bin/prometheus), if installed. */
export function findPrometheus(): string | undefined {
  for (const dir of [...(process.env['PATH'] ?? '').split(delimiter).filter(Boolean), '/usr/bin']) {
    const p = join(dir, 'prometheus');
    if (existsSync(p)) return p;
  }
  return undefined;
}

/** One proxy for Prometheus to scrape. */
export interface ScrapeTarget {
  /** `host:port` of its admin server. */
  address: string;
  namespace: string;
  pod: string;
  role: 'sidecar' | 'gateway';
  app?: string;
  version?: string;
}

export interface PrometheusOptions {
  binary: string;
  /** $ISTHMUS_HOME/state/prometheus: config, targets and the TSDB. */
  dir: string;
  port: number;
  /** `host:port` of the control plane. */
  controlPlane: string;
  logFile: string;
}

/** file_sd's JSON: one group per proxy, its labels beside its address. */
export function targetsFile(targets: readonly ScrapeTarget[]): string {
  const groups = [...targets]
    .sort((a, b) => (a.namespace + '/' + a.pod < b.namespace + '/' + b.pod ? -1 : 1))
    .map((t) => {
      const labels: Record<string, string> = { namespace: t.namespace, pod: t.pod, role: t.role };
      if (t.app !== undefined) labels['app'] = t.app;
      if (t.version !== undefined) labels['version'] = t.version;
      return { targets: [t.address], labels };
    });
  return `${JSON.stringify(groups, null, 2)}\n`;
}

/** prometheus.yml (JSON is YAML, and needs no YAML writer). */
export function prometheusConfig(o: { controlPlane: string; targetsPath: string }): string {
  const cfg = {
    global: { scrape_interval: SCRAPE_INTERVAL, scrape_timeout: SCRAPE_INTERVAL, evaluation_interval: SCRAPE_INTERVAL },
    scrape_configs: [
      {
        job_name: CONTROL_PLANE_JOB,
        metrics_path: CONTROL_PLANE_METRICS_PATH,
        static_configs: [{ targets: [o.controlPlane], labels: { app: 'isthmus-controlplane' } }],
      },
      {
        job_name: PROXY_JOB,
        metrics_path: PROXY_METRICS_PATH,
        file_sd_configs: [{ files: [o.targetsPath], refresh_interval: SCRAPE_INTERVAL }],
      },
    ],
  };
  return `# Written by isthmus up at every start; edits are overwritten.\n${JSON.stringify(cfg, null, 2)}\n`;
}

function writeAtomic(path: string, text: string): void {
  // Prometheus watches the file: it must never read half of one.
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

export class PrometheusServer {
  #child: Child | undefined;
  readonly #targetsPath: string;
  #lastTargets = '';

  constructor(readonly opts: PrometheusOptions) {
    this.#targetsPath = join(opts.dir, 'targets', 'proxies.json');
  }

  get #pidFile(): string {
    return join(this.opts.dir, 'prometheus.pid');
  }

  /**
   * A Prometheus left by a platform that died where the kernel could not stop it with us (no
   * setpriv): it would hold the port and the data directory. It is ours if its command line
   * names our config file.
   */
  #killLeftover(): void {
    try {
      const pid = Number(readFileSync(this.#pidFile, 'utf8').trim());
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (pid > 0 && cmdline.includes(`--config.file=${join(this.opts.dir, 'prometheus.yml')}`)) process.kill(pid, 'SIGKILL');
    } catch {
      /* no file, no such process, or no /proc: nothing to do */
    }
  }

  get url(): string {
    return `http://127.0.0.1:${this.opts.port}`;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Writes the config, starts Prometheus and resolves once it answers /-/ready. */
  async start(timeoutMs = 20_000): Promise<void> {
    const { dir } = this.opts;
    mkdirSync(join(dir, 'targets'), { recursive: true });
    this.#killLeftover();
    // Every `up` is a fresh mesh (new pods, fresh config), so its metrics start fresh too: series
    // of the last run's pods would otherwise linger in queries for Prometheus' 5-minute lookback.
    rmSync(join(dir, 'data'), { recursive: true, force: true });
    mkdirSync(join(dir, 'data'), { recursive: true });
    if (this.#lastTargets === '') this.setTargets([]);
    writeAtomic(join(dir, 'prometheus.yml'), prometheusConfig({ controlPlane: this.opts.controlPlane, targetsPath: this.#targetsPath }));
    const child = new Child({
      name: 'prometheus',
      command: this.opts.binary,
      args: [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        '--storage.tsdb.retention.time=2d',
        `--web.listen-address=127.0.0.1:${this.opts.port}`,
        `--web.external-url=${this.url}/`,
      ],
      cwd: dir,
      logFile: this.opts.logFile,
    });
    this.#child = child;
    if (child.pid !== undefined) writeFileSync(this.#pidFile, `${child.pid}\n`);
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!child.running) throw new Error(`prometheus exited (code ${child.exitCode}) before it was ready (log: ${this.opts.logFile})`);
      try {
        const res = await fetch(`${this.url}/-/ready`, { signal: AbortSignal.timeout(1000) });
        await res.body?.cancel();
        if (res.ok) return;
      } catch {
        /* not listening yet */
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`prometheus was not ready within ${timeoutMs} ms (log: ${this.opts.logFile})`);
  }

  /** Rewrites the proxies' targets file (only when it changes). */
  setTargets(targets: readonly ScrapeTarget[]): void {
    const text = targetsFile(targets);
    if (text === this.#lastTargets) return;
    this.#lastTargets = text;
    mkdirSync(join(this.opts.dir, 'targets'), { recursive: true });
    writeAtomic(this.#targetsPath, text);
  }

  async stop(): Promise<void> {
    // Prometheus flushes its head block on SIGTERM; give it a moment before SIGKILL.
    await this.#child?.stop(5000);
    rmSync(this.#pidFile, { force: true });
  }
}
