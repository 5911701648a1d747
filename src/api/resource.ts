// Kubernetes-shaped resource envelope shared by every kind the mesh reads.

export interface ObjectMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** Set by the control plane's store. */
  creationTimestamp?: string;
  resourceVersion?: string;
  generation?: number;
  uid?: string;
}

export interface Resource<Spec = unknown> {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  /** Kinds without a spec (Namespace, ServiceAccount) carry `{}` here. */
  spec: Spec;
  /** Written by the platform (Pod), never by users. */
  status?: Record<string, unknown>;
}

/** Kinds are addressed by group + kind; the version is kept as written. */
export const Kinds = {
  VirtualService: { group: 'networking.istio.io', kind: 'VirtualService', plural: 'virtualservices', short: ['vs'], namespaced: true },
  DestinationRule: { group: 'networking.istio.io', kind: 'DestinationRule', plural: 'destinationrules', short: ['dr'], namespaced: true },
  Gateway: { group: 'networking.istio.io', kind: 'Gateway', plural: 'gateways', short: ['gw'], namespaced: true },
  ServiceEntry: { group: 'networking.istio.io', kind: 'ServiceEntry', plural: 'serviceentries', short: ['se'], namespaced: true },
  PeerAuthentication: { group: 'security.istio.io', kind: 'PeerAuthentication', plural: 'peerauthentications', short: ['pa'], namespaced: true },
  AuthorizationPolicy: { group: 'security.istio.io', kind: 'AuthorizationPolicy', plural: 'authorizationpolicies', short: ['ap'], namespaced: true },
  RequestAuthentication: { group: 'security.istio.io', kind: 'RequestAuthentication', plural: 'requestauthentications', short: ['ra'], namespaced: true },
  Namespace: { group: '', kind: 'Namespace', plural: 'namespaces', short: ['ns'], namespaced: false },
  Service: { group: '', kind: 'Service', plural: 'services', short: ['svc'], namespaced: true },
  ServiceAccount: { group: '', kind: 'ServiceAccount', plural: 'serviceaccounts', short: ['sa'], namespaced: true },
  Deployment: { group: 'apps', kind: 'Deployment', plural: 'deployments', short: ['deploy'], namespaced: true },
  Pod: { group: '', kind: 'Pod', plural: 'pods', short: ['po'], namespaced: true },
} as const;

export type KindName = keyof typeof Kinds;
export type KindInfo = (typeof Kinds)[KindName];

export function kindByName(name: string): KindInfo | undefined {
  const n = name.toLowerCase();
  for (const info of Object.values(Kinds)) {
    if (info.kind.toLowerCase() === n || info.plural === n || info.kind.toLowerCase() + 's' === n) return info;
    if ((info.short as readonly string[]).includes(n)) return info;
  }
  return undefined;
}

/** `group/kind` as a stable key: `networking.istio.io/VirtualService`, `core/Service`. */
export function groupKind(r: { apiVersion: string; kind: string }): string {
  const slash = r.apiVersion.indexOf('/');
  const group = slash < 0 ? 'core' : r.apiVersion.slice(0, slash);
  return `${group}/${r.kind}`;
}

/** Store key of one resource: `group/kind/namespace/name` (namespace empty for cluster-scoped). */
export function resourceKey(r: Resource): string {
  return `${groupKind(r)}/${r.metadata.namespace ?? ''}/${r.metadata.name}`;
}

export const DEFAULT_NAMESPACE = 'default';
export const ROOT_NAMESPACE = 'istio-system';
export const DEFAULT_DOMAIN_SUFFIX = 'cluster.local';
