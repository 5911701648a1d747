// Mesh-wide settings, read from a MeshConfig YAML file in Istio's shape (the `mesh` key of
// istio's ConfigMap): trust domain, root namespace, workload certificate lifetime, the
// extension providers that AuthorizationPolicy CUSTOM names, and mesh-wide locality load balancing.

export interface MeshExtAuthzProvider {
  name: string;
  /** Service host (`ext-authz.foo.svc.cluster.local`, a short name, or an address). */
  service: string;
  port: number;
  pathPrefix?: string;
  timeoutMs: number;
  failOpen: boolean;
  statusOnError: number;
  includeRequestHeadersInCheck: string[];
  headersToUpstreamOnAllow: string[];
  headersToDownstreamOnDeny: string[];
}

/**
 * Istio's LocalityLoadBalancerSetting, as MeshConfig `localityLbSetting` or a DestinationRule's
 * `trafficPolicy.loadBalancer.localityLbSetting` writes it. `enabled` absent means enabled.
 */
export interface LocalityLbSetting {
  enabled?: boolean;
  /** From the proxy's locality (`region/zone/subzone`, `*` wildcards) to weights per upstream locality. */
  distribute?: { from: string; to: Record<string, number> }[];
  /** Region to region: where traffic goes once the proxy's own region has no healthy endpoint. */
  failover?: { from: string; to: string }[];
  /** Ordered label names (or `label=value`) that rank endpoints by how many leading labels match. */
  failoverPriority?: string[];
}

export interface MeshConfig {
  trustDomain: string;
  rootNamespace: string;
  /** Workload certificate lifetime, from `defaultConfig.proxyMetadata.SECRET_TTL` (default 24h). */
  workloadCertTtlMs: number;
  extensionProviders: MeshExtAuthzProvider[];
  /** `defaultConfig.gatewayTopology.numTrustedProxies`: proxies in front of gateways that add X-Forwarded-For. */
  numTrustedProxies: number;
  /** `defaultConfig.proxyMetadata.ISTHMUS_REASON_HEADER: "false"` turns off `x-isthmus-reason`. */
  reasonHeader: boolean;
  /** `localityLbSetting`: applies to every cluster whose DestinationRule sets none (default: enabled). */
  localityLbSetting: LocalityLbSetting;
}

export const DEFAULT_MESH_CONFIG: MeshConfig = {
  trustDomain: 'cluster.local',
  rootNamespace: 'istio-system',
  workloadCertTtlMs: 24 * 3600 * 1000,
  extensionProviders: [],
  numTrustedProxies: 0,
  reasonHeader: true,
  localityLbSetting: { enabled: true },
};
