// Command-line flags of the proxy program.

import { parseArgs } from 'node:util';
import { IsthmusError } from '../shared/index.ts';
import { ProxyErrorCode } from './errors.ts';
import type { HostPort } from './proxy.ts';
import type { StartProxyOptions } from './start-proxy.ts';

function badFlag(msg: string): never {
  throw new IsthmusError(ProxyErrorCode.BAD_FLAG, msg);
}

export function parseHostPort(flag: string, v: string): HostPort {
  const i = v.lastIndexOf(':');
  const portText = v.slice(i + 1);
  const port = Number(portText);
  if (i <= 0 || portText === '' || !Number.isInteger(port) || port < 0 || port > 65535) badFlag(`--${flag} must be ADDRESS:PORT (got ${JSON.stringify(v)})`);
  return { host: v.slice(0, i).replace(/^\[(.*)\]$/, '$1'), port };
}

export function parsePortMap(v: string): Map<number, number> {
  const m = new Map<number, number>();
  for (const part of v.split(',')) {
    if (part.trim() === '') continue;
    const [a, b, extra] = part.split('=');
    const from = Number(a);
    const to = Number(b);
    if (extra !== undefined || a === '' || b === '' || !Number.isInteger(from) || !Number.isInteger(to) || from <= 0 || from > 65535 || to < 0 || to > 65535) {
      badFlag(`--port-map entries must be CONFIGPORT=PORT (got ${JSON.stringify(part)})`);
    }
    m.set(from, to);
  }
  return m;
}

/** Parses argv (without node and script) into proxy options. Throws IsthmusError BAD_FLAG. */
export function parseProxyFlags(argv: string[], env: NodeJS.ProcessEnv = process.env): Omit<StartProxyOptions, 'onEvent' | 'log'> & { discovery: string; exitWithStdin: boolean } {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        role: { type: 'string' },
        pod: { type: 'string' },
        namespace: { type: 'string' },
        discovery: { type: 'string' },
        outbound: { type: 'string' },
        admin: { type: 'string' },
        'bind-address': { type: 'string' },
        'port-map': { type: 'string' },
        'exit-with-stdin': { type: 'boolean' },
        'service-account': { type: 'string' },
        'trust-domain': { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    badFlag((e as Error).message);
  }
  const role = values.role;
  if (role !== 'sidecar' && role !== 'gateway') badFlag('--role must be sidecar or gateway');
  if (values.pod === undefined || values.pod === '') badFlag('--pod is required');
  if (values.namespace === undefined || values.namespace === '') badFlag('--namespace is required');
  if (values.discovery === undefined) badFlag('--discovery is required');
  try {
    new URL(values.discovery);
  } catch {
    badFlag(`--discovery must be a URL (got ${JSON.stringify(values.discovery)})`);
  }
  return {
    role,
    exitWithStdin: values['exit-with-stdin'] === true,
    podName: values.pod,
    namespace: values.namespace,
    discovery: values.discovery,
    // A sidecar without --outbound still gets an outbound listener, on an ephemeral port.
    outbound: values.outbound !== undefined ? parseHostPort('outbound', values.outbound) : role === 'sidecar' ? { host: '127.0.0.1', port: 0 } : null,
    admin: values.admin !== undefined ? parseHostPort('admin', values.admin) : { host: '127.0.0.1', port: 0 },
    ...(values['bind-address'] !== undefined ? { bindAddress: values['bind-address'] } : {}),
    ...(values['port-map'] !== undefined ? { portMap: parsePortMap(values['port-map']) } : {}),
    // The workload certificate: the platform hands the pod's credential over in the environment
    // (never on the command line, where other users could read it).
    ...(env['ISTHMUS_POD_CREDENTIAL'] ? {
      ca: {
        credential: env['ISTHMUS_POD_CREDENTIAL'],
        trustDomain: values['trust-domain'] ?? 'cluster.local',
        serviceAccount: values['service-account'] ?? 'default',
      },
    } : {}),
  };
}
