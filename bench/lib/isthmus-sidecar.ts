// Starts the real proxy program (dist/proxy.js) as a sidecar and waits until it has bound its
// listeners and applied its config, using the program's stdout protocol. With `identity`, the
// proxy gets its workload certificate the way it does in the mesh: the platform's per-pod
// credential in ISTHMUS_POD_CREDENTIAL, a fresh key and a CSR to the CA at the discovery URL
// (the benchmark's stand-in CA), and only then its config.

import type { Child, ProcessGroup } from './process-group.ts';

export interface RunningSidecar {
  name: string;
  child: Child;
  outboundPort: number;
  adminPort: number;
  version: string;
}

interface StdoutEvent {
  event?: string;
  outbound?: number | null;
  admin?: number;
  version?: string;
  status?: string;
  error?: string;
}

function parseEvent(line: string): StdoutEvent | null {
  try {
    const v = JSON.parse(line) as unknown;
    return v !== null && typeof v === 'object' ? (v as StdoutEvent) : null;
  } catch {
    return null;
  }
}

export interface SidecarIdentity {
  /** The pod credential the stand-in CA knows this pod by. */
  credential: string;
  serviceAccount: string;
  trustDomain: string;
}

export async function startSidecar(group: ProcessGroup, proxyProgram: string, podName: string, discoveryPort: number, cwd: string, identity?: SidecarIdentity): Promise<RunningSidecar> {
  const args = [
    proxyProgram,
    '--role',
    'sidecar',
    '--pod',
    podName,
    '--namespace',
    'default',
    '--discovery',
    `http://127.0.0.1:${discoveryPort}`,
    '--outbound',
    '127.0.0.1:0',
    '--admin',
    '127.0.0.1:0',
    ...(identity !== undefined ? ['--service-account', identity.serviceAccount, '--trust-domain', identity.trustDomain] : []),
  ];
  // Warnings and errors only: per-request logging would be part of what gets measured.
  const env: NodeJS.ProcessEnv = { ...process.env, ISTHMUS_LOG: 'warn' };
  delete env['ISTHMUS_POD_CREDENTIAL'];
  if (identity !== undefined) env['ISTHMUS_POD_CREDENTIAL'] = identity.credential;
  const child = group.spawn(podName, process.execPath, args, { cwd, env });
  const listening = parseEvent(await child.waitForLine((l) => parseEvent(l)?.event === 'listening', 15000, 'the "listening" event'));
  const configLine = await child.waitForLine((l) => parseEvent(l)?.event === 'config', 15000, 'a "config" event (is discovery reachable?)');
  const config = parseEvent(configLine);
  if (config?.status !== 'applied') {
    throw new Error(`${podName}: the proxy rejected its config: ${config?.error ?? configLine}`);
  }
  if (typeof listening?.outbound !== 'number' || typeof listening.admin !== 'number') {
    throw new Error(`${podName}: unexpected "listening" event: ${JSON.stringify(listening)}`);
  }
  return { name: podName, child, outboundPort: listening.outbound, adminPort: listening.admin, version: config.version ?? '' };
}
