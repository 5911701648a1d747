// The immutable view of the mesh that generators read: resources grouped and indexed once per
// version. Built from a list of resources; does no I/O.

import {
  DEFAULT_DOMAIN_SUFFIX, DEFAULT_MESH_CONFIG, PodAnnotations, ROOT_NAMESPACE, groupKind,
  type DestinationRuleSpec, type GatewaySpec, type KubeServiceSpec, type PodSpec, type Resource,
  type ServiceEntrySpec, type VirtualServiceSpec, type AuthorizationPolicySpec, type PeerAuthenticationSpec,
  type RequestAuthenticationSpec, type LocalityLbSetting,
} from '../api/index.ts';
import { resolveShortName } from './hosts.ts';
import { localityFromLabels, normalizeLocality } from './locality.ts';

export interface ServicePortModel {
  name: string;
  port: number;
  /** Numeric target port, or a container port name to look up per pod. */
  targetPort: number | string;
  protocol: string;
}

export interface ServiceEndpointModel {
  address: string;
  port?: number;
  ports?: Record<string, number>;
  labels?: Record<string, string>;
  /** `region/zone/subzone`: the entry's `locality`, else its locality labels. */
  locality?: string;
}

export interface ServiceModel {
  hostname: string;
  name: string;
  namespace: string;
  ports: ServicePortModel[];
  /** Kubernetes Services and ServiceEntries with workloadSelector select pods. */
  selector?: Record<string, string>;
  /** ServiceEntry static endpoints. */
  staticEndpoints?: ServiceEndpointModel[];
  source: 'kubernetes' | 'serviceentry';
}

export interface PodModel {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  ip: string;
  serviceAccount: string;
  ready: boolean;
  /** containerPort -> `host:port` where the app listens. */
  appPorts: Record<string, string>;
  containerPorts: { port: number; name?: string }[];
  hasSidecar: boolean;
  /** `region/zone/subzone` from the pod's locality labels (see locality.ts); absent when unknown. */
  locality?: string;
}

export interface MeshSnapshot {
  readonly version: number;
  readonly domainSuffix: string;
  readonly rootNamespace: string;
  readonly resources: readonly Resource[];
  readonly services: readonly ServiceModel[];
  readonly serviceByHost: ReadonlyMap<string, ServiceModel>;
  readonly pods: readonly PodModel[];
  readonly podById: ReadonlyMap<string, PodModel>;
  /** Ordered by creation time, then namespace/name (the order Istio resolves conflicts in). */
  readonly virtualServices: readonly Resource<VirtualServiceSpec>[];
  readonly destinationRules: readonly Resource<DestinationRuleSpec>[];
  readonly gateways: readonly Resource<GatewaySpec>[];
  /** SPIFFE trust domain of workload identities (`spiffe://<trustDomain>/ns/<ns>/sa/<sa>`). */
  readonly trustDomain: string;
  /** Security policies, oldest first (Istio resolves conflicts in favour of the oldest). */
  readonly peerAuthentications: readonly Resource<PeerAuthenticationSpec>[];
  readonly authorizationPolicies: readonly Resource<AuthorizationPolicySpec>[];
  readonly requestAuthentications: readonly Resource<RequestAuthenticationSpec>[];
  /** MeshConfig `localityLbSetting`: locality load balancing where no DestinationRule sets its own. */
  readonly localityLbSetting: LocalityLbSetting;
}

function byAge(a: Resource, b: Resource): number {
  const ta = a.metadata.creationTimestamp ?? '';
  const tb = b.metadata.creationTimestamp ?? '';
  if (ta !== tb) return ta < tb ? -1 : 1;
  const ka = `${a.metadata.namespace ?? ''}/${a.metadata.name}`;
  const kb = `${b.metadata.namespace ?? ''}/${b.metadata.name}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

export function podModel(r: Resource<PodSpec>): PodModel {
  const ann = r.metadata.annotations ?? {};
  let appPorts: Record<string, string> = {};
  try {
    appPorts = JSON.parse(ann[PodAnnotations.appPorts] ?? '{}') as Record<string, string>;
  } catch {
    appPorts = {};
  }
  const status = (r.status ?? {}) as { podIP?: string; phase?: string; ready?: boolean };
  const containerPorts: { port: number; name?: string }[] = [];
  for (const c of r.spec.containers ?? []) {
    for (const p of c.ports ?? []) containerPorts.push(p.name ? { port: p.containerPort, name: p.name } : { port: p.containerPort });
  }
  const pod: PodModel = {
    name: r.metadata.name,
    namespace: r.metadata.namespace ?? 'default',
    labels: r.metadata.labels ?? {},
    ip: status.podIP ?? '',
    serviceAccount: r.spec.serviceAccountName ?? 'default',
    ready: status.phase === 'Running' && status.ready !== false,
    appPorts,
    containerPorts,
    hasSidecar: ann[PodAnnotations.sidecar] !== undefined,
  };
  const locality = localityFromLabels(pod.labels);
  if (locality !== undefined) pod.locality = locality;
  return pod;
}

export function buildSnapshot(
  resources: readonly Resource[],
  version: number,
  opts: { domainSuffix?: string; rootNamespace?: string; trustDomain?: string; localityLbSetting?: LocalityLbSetting } = {},
): MeshSnapshot {
  const domainSuffix = opts.domainSuffix ?? DEFAULT_DOMAIN_SUFFIX;
  const sorted = [...resources].sort(byAge);
  const services: ServiceModel[] = [];
  const pods: PodModel[] = [];
  const virtualServices: Resource<VirtualServiceSpec>[] = [];
  const destinationRules: Resource<DestinationRuleSpec>[] = [];
  const gateways: Resource<GatewaySpec>[] = [];
  const peerAuthentications: Resource<PeerAuthenticationSpec>[] = [];
  const authorizationPolicies: Resource<AuthorizationPolicySpec>[] = [];
  const requestAuthentications: Resource<RequestAuthenticationSpec>[] = [];
  for (const r of sorted) {
    const ns = r.metadata.namespace ?? 'default';
    switch (groupKind(r)) {
      case 'core/Service': {
        const spec = r.spec as KubeServiceSpec;
        const svc: ServiceModel = {
          hostname: `${r.metadata.name}.${ns}.svc.${domainSuffix}`,
          name: r.metadata.name,
          namespace: ns,
          ports: (spec.ports ?? []).map((p) => ({
            name: p.name ?? '',
            port: p.port,
            targetPort: p.targetPort ?? p.port,
            protocol: p.appProtocol ?? p.protocol ?? 'TCP',
          })),
          source: 'kubernetes',
        };
        if (spec.selector) svc.selector = spec.selector;
        services.push(svc);
        break;
      }
      case 'networking.istio.io/ServiceEntry': {
        const spec = r.spec as ServiceEntrySpec;
        for (const host of spec.hosts ?? []) {
          const svc: ServiceModel = {
            hostname: host.toLowerCase(),
            name: r.metadata.name,
            namespace: ns,
            ports: (spec.ports ?? []).map((p) => ({
              name: p.name ?? '',
              port: p.number,
              targetPort: p.targetPort ?? p.number,
              protocol: p.protocol ?? 'TCP',
            })),
            source: 'serviceentry',
          };
          if (spec.workloadSelector?.labels) svc.selector = spec.workloadSelector.labels;
          if (spec.endpoints) {
            svc.staticEndpoints = spec.endpoints.map((e) => {
              const ep: ServiceEndpointModel = { address: e.address ?? host };
              if (e.ports) ep.ports = e.ports;
              if (e.labels) ep.labels = e.labels;
              const locality = normalizeLocality(e.locality) ?? localityFromLabels(e.labels);
              if (locality !== undefined) ep.locality = locality;
              return ep;
            });
          } else if (!spec.workloadSelector && (spec.resolution === 'DNS' || spec.resolution === 'DNS_ROUND_ROBIN')) {
            svc.staticEndpoints = [{ address: host }];
          }
          services.push(svc);
        }
        break;
      }
      case 'core/Pod':
        pods.push(podModel(r as Resource<PodSpec>));
        break;
      case 'networking.istio.io/VirtualService':
        virtualServices.push(r as Resource<VirtualServiceSpec>);
        break;
      case 'networking.istio.io/DestinationRule':
        destinationRules.push(r as Resource<DestinationRuleSpec>);
        break;
      case 'networking.istio.io/Gateway':
        gateways.push(r as Resource<GatewaySpec>);
        break;
      case 'security.istio.io/PeerAuthentication':
        peerAuthentications.push(r as Resource<PeerAuthenticationSpec>);
        break;
      case 'security.istio.io/AuthorizationPolicy':
        authorizationPolicies.push(r as Resource<AuthorizationPolicySpec>);
        break;
      case 'security.istio.io/RequestAuthentication':
        requestAuthentications.push(r as Resource<RequestAuthenticationSpec>);
        break;
      default:
        break;
    }
  }
  const serviceByHost = new Map<string, ServiceModel>();
  // Kubernetes Services win over ServiceEntries for the same host; otherwise the oldest wins.
  for (const s of services) if (s.source === 'kubernetes') serviceByHost.set(s.hostname, s);
  for (const s of services) if (!serviceByHost.has(s.hostname)) serviceByHost.set(s.hostname, s);
  const podById = new Map(pods.map((p) => [`${p.name}.${p.namespace}`, p] as const));
  return {
    version,
    domainSuffix,
    rootNamespace: opts.rootNamespace ?? ROOT_NAMESPACE,
    resources: sorted,
    services: [...serviceByHost.values()].sort((a, b) => (a.hostname < b.hostname ? -1 : a.hostname > b.hostname ? 1 : 0)),
    serviceByHost,
    pods,
    podById,
    virtualServices,
    destinationRules,
    gateways,
    trustDomain: opts.trustDomain ?? DEFAULT_DOMAIN_SUFFIX,
    peerAuthentications,
    authorizationPolicies,
    requestAuthentications,
    localityLbSetting: opts.localityLbSetting ?? DEFAULT_MESH_CONFIG.localityLbSetting,
  };
}

/** `spiffe://<trust domain>/ns/<namespace>/sa/<service account>`. */
export function spiffeId(trustDomain: string, namespace: string, serviceAccount: string): string {
  return `spiffe://${trustDomain}/ns/${namespace}/sa/${serviceAccount}`;
}

export { resolveShortName };
