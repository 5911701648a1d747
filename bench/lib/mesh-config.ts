// The two proxy configs of the Isthmus pair, written by hand the way the control plane would
// generate them for a service `upstream` on port 9080:
//
//   client sidecar  outbound listener (from the command line), route table "9080"
//                   -> cluster outbound|9080||upstream -> the server sidecar's inbound listener
//   server sidecar  inbound listener 127.0.0.1:<inbound> -> cluster inbound|9080|| -> the upstream
//
// For the mTLS pair the client's endpoint carries the server's SPIFFE identity (auto mTLS) and
// the server's inbound listener is STRICT; both configs carry the security section (identity,
// the throwaway root, AuthorizationPolicies) the control plane would send. The traffic policy
// scenario gives the client's route a `policy` and its outbound cluster a `policy`.

import { createHash } from 'node:crypto';
import type { AuthzPolicyConfig, ClusterPolicy, InboundMtlsMode, ProxyConfig, ProxyNode, ProxySecurity } from '../../src/api/index.ts';

export const SERVICE_HOST = 'upstream';
export const SERVICE_PORT = 9080;
/** The Host header the load generators send to the client sidecar's outbound listener. */
export const SERVICE_AUTHORITY = `${SERVICE_HOST}:${SERVICE_PORT}`;
const OUTBOUND_CLUSTER = `outbound|${SERVICE_PORT}||${SERVICE_HOST}`;
const INBOUND_CLUSTER = `inbound|${SERVICE_PORT}||`;

export function proxyNode(podName: string): ProxyNode {
  return { id: `${podName}.default`, role: 'sidecar', podName, namespace: 'default' };
}

/** Sets `version` to a hash of the rest, as the control plane does. */
function versioned(c: Omit<ProxyConfig, 'version'>): ProxyConfig {
  const version = createHash('sha256').update(JSON.stringify(c)).digest('hex').slice(0, 16);
  return { version, ...c };
}

/** The security section for a workload: its identity, the roots it trusts, the policies selecting it. */
export function meshSecurity(identity: string, roots: string[], authorization: AuthzPolicyConfig[] = []): ProxySecurity {
  return { trustDomain: 'cluster.local', identity, roots, authorization, jwtRules: [] };
}

export interface ClientOptions {
  /** Auto mTLS to the server sidecar, expecting this SPIFFE identity. */
  serverIdentity?: string;
  security?: ProxySecurity;
  /** The route's VirtualService http fields as written (`Route.policy`: timeout, retries, headers, ...). */
  routePolicy?: Record<string, unknown>;
  /** The outbound cluster's resolved DestinationRule traffic policy (`Cluster.policy`). */
  clusterPolicy?: ClusterPolicy;
}

export function clientSidecarConfig(podName: string, serverInboundPort: number, o: ClientOptions = {}): ProxyConfig {
  return versioned({
    node: proxyNode(podName),
    listeners: [],
    routes: [
      {
        name: String(SERVICE_PORT),
        virtualHosts: [
          {
            name: SERVICE_AUTHORITY,
            domains: [SERVICE_HOST, SERVICE_AUTHORITY],
            routes: [
              {
                name: 'default',
                match: { path: { prefix: '/' } },
                route: { clusters: [{ cluster: OUTBOUND_CLUSTER, weight: 100 }] },
                ...(o.routePolicy !== undefined ? { policy: o.routePolicy } : {}),
              },
            ],
          },
        ],
      },
    ],
    clusters: [
      {
        name: OUTBOUND_CLUSTER,
        direction: 'outbound',
        service: SERVICE_HOST,
        port: SERVICE_PORT,
        lbPolicy: 'ROUND_ROBIN',
        ...(o.clusterPolicy !== undefined ? { policy: o.clusterPolicy } : {}),
      },
    ],
    endpoints: [
      {
        cluster: OUTBOUND_CLUSTER,
        endpoints: [{ address: '127.0.0.1', port: serverInboundPort, ...(o.serverIdentity !== undefined ? { mtls: { identity: o.serverIdentity } } : {}) }],
      },
    ],
    ...(o.security !== undefined ? { security: o.security } : {}),
  });
}

export interface ServerOptions {
  /** The inbound listener's peer authentication mode (absent: PERMISSIVE, as without PeerAuthentication). */
  mtls?: InboundMtlsMode;
  security?: ProxySecurity;
}

export function serverSidecarConfig(podName: string, inboundPort: number, upstreamPort: number, o: ServerOptions = {}): ProxyConfig {
  return versioned({
    node: proxyNode(podName),
    listeners: [
      {
        name: `127.0.0.1_${inboundPort}`,
        direction: 'inbound',
        address: '127.0.0.1',
        port: inboundPort,
        protocol: 'HTTP',
        cluster: INBOUND_CLUSTER,
        ...(o.mtls !== undefined ? { mtls: o.mtls } : {}),
      },
    ],
    routes: [],
    clusters: [{ name: INBOUND_CLUSTER, direction: 'inbound', port: SERVICE_PORT, lbPolicy: 'ROUND_ROBIN' }],
    endpoints: [{ cluster: INBOUND_CLUSTER, endpoints: [{ address: '127.0.0.1', port: upstreamPort }] }],
    ...(o.security !== undefined ? { security: o.security } : {}),
  });
}
