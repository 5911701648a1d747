// Envoy-style names, so `proxy-config` output reads like istioctl's.

export function outboundClusterName(port: number, subset: string | undefined, host: string): string {
  return `outbound|${port}|${subset ?? ''}|${host}`;
}

export function inboundClusterName(port: number): string {
  return `inbound|${port}||`;
}

export function listenerName(address: string, port: number): string {
  return `${address}_${port}`;
}
