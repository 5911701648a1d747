// Wires one proxy process together: data-plane listeners, the admin endpoint and the discovery
// client. `main.ts` calls it with parsed flags; tests call it in-process.

import type { Server } from 'node:http';
import type { ProxyNode, ProxyRole } from '../api/index.ts';
import { createLogger, type Logger } from '../shared/index.ts';
import { createAdminServer } from './admin-server.ts';
import type { Timeouts } from './connection-registry.ts';
import { DiscoveryClient } from './discovery-client.ts';
import { type HostPort, Proxy } from './proxy.ts';
import type { IdentitySource } from './mesh-tls.ts';
import { WorkloadIdentity } from './identity/index.ts';

/** One line of the proxy's stdout protocol. */
export type ProxyEvent =
  | { event: 'listening'; outbound: number | null; admin: number }
  | { event: 'config'; version: string; status: 'applied' }
  | { event: 'config'; version: string; status: 'rejected'; error: string };

export interface StartProxyOptions {
  role: ProxyRole;
  podName: string;
  namespace: string;
  /** Control plane base URL; null runs without discovery (tests apply configs directly). */
  discovery: string | null;
  outbound?: HostPort | null;
  admin?: HostPort;
  bindAddress?: string;
  portMap?: ReadonlyMap<number, number>;
  timeouts?: Partial<Timeouts>;
  /** The workload certificate source (a fixed one in tests); see `ca` for the control plane's CA. */
  identity?: IdentitySource;
  /** Get the workload certificate from the control plane's CA (at the discovery URL) with this credential. */
  ca?: { credential: string; trustDomain: string; serviceAccount: string };
  /** Discovery reconnect tuning (tests use short ones). */
  discoveryIdleTimeoutMs?: number;
  onEvent?: (ev: ProxyEvent) => void;
  /** Called once the proxy has stopped (by stop(), SIGTERM handling or POST /quitquitquit). */
  onStopped?: () => void;
  log?: Logger;
}

export interface RunningProxy {
  proxy: Proxy;
  adminPort: number;
  outboundPort: number | null;
  /** Graceful stop: stop accepting, finish in-flight requests for up to `graceMs`. Idempotent. */
  stop(graceMs?: number): Promise<void>;
}

export async function startProxy(o: StartProxyOptions): Promise<RunningProxy> {
  const log = o.log ?? createLogger(`proxy ${o.podName}.${o.namespace}`);
  const emit = o.onEvent ?? (() => {});
  let workload: WorkloadIdentity | null = null;
  if (o.ca !== undefined && o.discovery !== null) {
    workload = new WorkloadIdentity({
      controlPlaneUrl: o.discovery,
      credential: o.ca.credential,
      trustDomain: o.ca.trustDomain,
      namespace: o.namespace,
      serviceAccount: o.ca.serviceAccount,
      log,
    }).start();
  }
  const identity = o.identity ?? workload ?? undefined;
  const proxy = new Proxy({
    role: o.role,
    podName: o.podName,
    namespace: o.namespace,
    outbound: o.role === 'sidecar' ? (o.outbound ?? null) : null,
    ...(o.bindAddress !== undefined ? { bindAddress: o.bindAddress } : {}),
    ...(o.portMap !== undefined ? { portMap: o.portMap } : {}),
    ...(o.timeouts !== undefined ? { timeouts: o.timeouts } : {}),
    ...(identity !== undefined ? { identity } : {}),
    log,
  });
  let stopping: Promise<void> | null = null;
  let failed = false;
  let admin: Server | null = null;
  let discovery: DiscoveryClient | null = null;
  const stop = (graceMs = 2000): Promise<void> =>
    (stopping ??= (async () => {
      discovery?.stop();
      workload?.stop();
      const a = admin;
      const adminClosed = a === null ? Promise.resolve() : new Promise<void>((r) => a.close(() => r()));
      a?.closeAllConnections();
      await proxy.stop(graceMs);
      await adminClosed;
      if (!failed) o.onStopped?.();
    })());

  try {
    await proxy.start();
    const adminAddr = o.admin ?? { host: '127.0.0.1', port: 0 };
    const server = createAdminServer({ proxy, onQuit: () => void stop() });
    admin = server;
    const adminPort = await new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(adminAddr.port, adminAddr.host, () => {
        server.off('error', reject);
        const a = server.address();
        resolve(typeof a === 'object' && a !== null ? a.port : adminAddr.port);
      });
    });
    emit({ event: 'listening', outbound: proxy.outboundPort, admin: adminPort });

    if (o.discovery !== null) {
      const node: ProxyNode = { id: proxy.nodeId, role: o.role, podName: o.podName, namespace: o.namespace };
      discovery = new DiscoveryClient({
        url: o.discovery,
        node,
        log,
        currentVersion: () => proxy.current?.version ?? '',
        onConnect: () => proxy.stats.discoveryConnects++,
        ...(o.discoveryIdleTimeoutMs !== undefined ? { idleTimeoutMs: o.discoveryIdleTimeoutMs } : {}),
        apply: async (config) => {
          const r = await proxy.applyConfig(config);
          const version = typeof config?.version === 'string' ? config.version : '';
          emit(r.ok ? { event: 'config', version, status: 'applied' } : { event: 'config', version, status: 'rejected', error: r.error });
          return r;
        },
      });
      // Serve mesh traffic only with a certificate: take config once the first one is here.
      if (workload !== null) {
        const w = workload;
        const d = discovery;
        void w.ready().then(() => d.start(), () => {});
      } else discovery.start();
    }
    return { proxy, adminPort, outboundPort: proxy.outboundPort, stop };
  } catch (e) {
    failed = true;
    await stop(0);
    throw e;
  }
}
