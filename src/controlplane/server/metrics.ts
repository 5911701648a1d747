// The control plane's own metrics, served as Prometheus text at GET /metrics. Named in the spirit
// of istiod's pilot_* and citadel_* metrics; docs/tasks/observability.md lists them.
//
// Counters are kept as events happen (a held series, one addition); gauges of current state
// (connected proxies, resources in the store) are read when scraped.

import { Registry, type CounterSeries, type HistogramSeries } from '../../shared/index.ts';

/** Kept in step with package.json's version. */
export const ISTHMUS_VERSION = '0.1.0';

/** Seconds: 1 ms to 10 s, as istiod's push-time buckets. */
const PUSH_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

export type PushResult = 'success' | 'error' | 'nack';
export type CertRefusal = 'credential' | 'unregistered' | 'csr';

export interface MetricsSources {
  /** Connected proxies by role. */
  proxies(): { role: string; connected: boolean }[];
  /** The resources in the store, for counts by kind. */
  resources(): { apiVersion: string; kind: string }[];
  /** The store's revision. */
  revision(): number;
}

function groupOf(apiVersion: string): string {
  const i = apiVersion.indexOf('/');
  return i < 0 ? 'core' : apiVersion.slice(0, i);
}

export class ControlPlaneMetrics {
  readonly registry = new Registry();
  readonly #pushes;
  readonly #pushResult: Record<PushResult, CounterSeries>;
  readonly pushDuration: HistogramSeries;
  readonly #rejected;
  readonly #issued: CounterSeries;
  readonly #refused;
  readonly #startedAt = Date.now() / 1000;

  constructor(src: MetricsSources) {
    const r = this.registry;
    this.#pushes = r.counter({
      name: 'isthmus_config_pushes_total',
      help: 'Config pushes to proxies, by result: success (sent to the proxy), error (the control plane could not generate its config; nothing sent), nack (the proxy rejected a config it was sent).',
      labelNames: ['result'],
    });
    this.#pushResult = { success: this.#pushes.labels('success'), error: this.#pushes.labels('error'), nack: this.#pushes.labels('nack') };
    this.pushDuration = r.histogram({
      name: 'isthmus_config_push_duration_seconds',
      help: 'Time from a config change (or a proxy connecting) to the new config being written to the proxy\'s discovery stream, per proxy.',
      buckets: PUSH_BUCKETS,
    }).labels();
    const connected = r.gauge({ name: 'isthmus_connected_proxies', help: 'Proxies connected to the discovery server now, by role (sidecar, gateway).', labelNames: ['role'] });
    for (const role of ['sidecar', 'gateway']) connected.labels(role);
    this.#rejected = r.counter({
      name: 'isthmus_config_rejected_total',
      help: 'Resources refused at apply because validation found errors, by API group and kind.',
      labelNames: ['group', 'kind'],
    });
    const resources = r.gauge({ name: 'isthmus_config_resources', help: 'Resources in the config store now, by API group and kind.', labelNames: ['group', 'kind'] });
    const revision = r.gauge({ name: 'isthmus_config_revision', help: 'The config store\'s revision: it grows by one with every change.' });
    this.#issued = r.counter({ name: 'isthmus_ca_certificates_issued_total', help: 'Workload certificates the CA signed.' }).labels();
    this.#refused = r.counter({
      name: 'isthmus_ca_certificate_requests_refused_total',
      help: 'Certificate requests the CA refused, by reason: credential (bad pod credential), unregistered (no such pod with that service account), csr (the CSR itself was refused).',
      labelNames: ['reason'],
    });
    for (const reason of ['credential', 'unregistered', 'csr']) this.#refused.labels(reason);
    r.gauge({ name: 'isthmus_build_info', help: 'Always 1; the labels say which Isthmus and Node.js run the control plane.', labelNames: ['version', 'node'] })
      .labels(ISTHMUS_VERSION, process.version).set(1);
    const start = r.gauge({ name: 'process_start_time_seconds', help: 'Start time of the process since the Unix epoch, in seconds.' });
    start.set(Math.round(this.#startedAt));
    const rss = r.gauge({ name: 'process_resident_memory_bytes', help: 'Resident memory size in bytes.' });
    const cpu = r.counter({ name: 'process_cpu_seconds_total', help: 'User and system CPU time spent, in seconds.' }).labels();

    r.onCollect(() => {
      connected.zero();
      for (const p of src.proxies()) if (p.connected) connected.labels(p.role).inc();
      resources.zero();
      for (const res of src.resources()) resources.labels(groupOf(res.apiVersion), res.kind).inc();
      revision.set(src.revision());
      rss.set(process.memoryUsage.rss());
      const u = process.cpuUsage();
      cpu.value = (u.user + u.system) / 1e6;
    });
  }

  push(result: PushResult, n = 1): void {
    this.#pushResult[result].inc(n);
  }

  rejected(apiVersion: string, kind: string): void {
    this.#rejected.labels(groupOf(apiVersion), kind).inc();
  }

  issued(): void {
    this.#issued.inc();
  }

  refused(reason: CertRefusal): void {
    this.#refused.labels(reason).inc();
  }

  render(): string {
    return this.registry.render();
  }
}
