// The runtime contract shared by the four programs: where to listen, who we are, and where the
// other Bookinfo services live. Everything comes from environment variables so the local platform
// (or Kubernetes) can place each workload; tests pass their own object instead of process.env.

import { hostname } from 'node:os';

export type Env = Readonly<Record<string, string | undefined>>;

/** An environment variable, with unset and blank treated alike. */
export function envValue(env: Env, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

export function listenAddress(env: Env): { host: string; port: number } {
  const host = envValue(env, 'HOST') ?? '127.0.0.1';
  const rawPort = envValue(env, 'PORT') ?? '9080';
  const port = Number(rawPort);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`cannot listen: PORT ${JSON.stringify(rawPort)} is not a TCP port number`);
  }
  return { host, port };
}

export type BookinfoService = 'details' | 'reviews' | 'ratings';

/**
 * Base URL of a Bookinfo service: `http://<name>[.<SERVICES_DOMAIN>]:<port>`, where the name comes
 * from `<SVC>_HOSTNAME` (default: the service name) and the port from `<SVC>_SERVICE_PORT`
 * (default 9080). The domain is appended to overridden names too.
 */
export function serviceUrl(env: Env, service: BookinfoService): string {
  const upper = service.toUpperCase();
  const domain = envValue(env, 'SERVICES_DOMAIN');
  const name = envValue(env, `${upper}_HOSTNAME`) ?? service;
  const port = envValue(env, `${upper}_SERVICE_PORT`) ?? '9080';
  const host = domain === undefined ? name : `${name}.${domain}`;
  return `http://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`;
}

/** Pod name as the platform reports it (Kubernetes sets HOSTNAME to the pod name). */
export function podName(env: Env): string {
  return envValue(env, 'HOSTNAME') ?? hostname();
}

export function envFlag(env: Env, name: string, fallback: boolean): boolean {
  const v = envValue(env, name);
  if (v === undefined) return fallback;
  return /^(1|true|yes|on)$/i.test(v);
}
