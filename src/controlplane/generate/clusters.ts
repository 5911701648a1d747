// Clusters and their endpoints for every destination a proxy's routes refer to.

import type { Cluster, ClusterEndpoints, Endpoint } from '../../api/index.ts';
import { labelsMatch, type MeshSnapshot, type PodModel, type ServiceModel } from '../../model/index.ts';
import { destinationRuleFor } from './destination-rules.ts';
import { applyLocalityLb, effectiveLocalitySetting } from './locality.ts';
import { outboundClusterName } from './names.ts';
import { workloadMetadata } from './workload.ts';
import { endpointMtls, upstreamTls } from './security.ts';
import { clusterPolicyOf, lbPolicyOf, mergeTrafficPolicy } from './traffic-policy.ts';

function endpointsFor(snap: MeshSnapshot, svc: ServiceModel | undefined, port: number, subsetLabels: Record<string, string> | undefined): Endpoint[] {
  if (!svc) return [];
  const sp = svc.ports.find((p) => p.port === port);
  if (!sp) return [];
  const out: Endpoint[] = [];
  if (svc.staticEndpoints) {
    for (const e of svc.staticEndpoints) {
      if (subsetLabels && !labelsMatch(subsetLabels, e.labels)) continue;
      const p = (sp.name ? e.ports?.[sp.name] : undefined) ?? e.port ?? (typeof sp.targetPort === 'number' ? sp.targetPort : port);
      const ep: Endpoint = { address: e.address, port: p };
      if (e.labels) ep.labels = e.labels;
      if (e.locality !== undefined) ep.locality = e.locality;
      out.push(ep);
    }
  } else if (svc.selector) {
    for (const pod of snap.pods) {
      if (!pod.ready || !pod.ip) continue;
      if (svc.source === 'kubernetes' && pod.namespace !== svc.namespace) continue;
      if (!labelsMatch(svc.selector, pod.labels) || (subsetLabels && !labelsMatch(subsetLabels, pod.labels))) continue;
      let target: number | undefined;
      if (typeof sp.targetPort === 'number') target = sp.targetPort;
      else target = pod.containerPorts.find((c) => c.name === sp.targetPort)?.port;
      if (target === undefined) continue;
      const ep: Endpoint = { address: pod.ip, port: target, pod: pod.name, labels: pod.labels, workload: workloadMetadata(snap, pod) };
      if (pod.locality !== undefined) ep.locality = pod.locality;
      const mtls = endpointMtls(snap, pod, target);
      if (mtls) ep.mtls = mtls;
      out.push(ep);
    }
  }
  return out.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : a.port - b.port));
}

export interface ClusterRef {
  host: string;
  port: number;
  subset?: string;
}

/** Clusters for `refs` as `proxy` (the sidecar's or gateway's pod) sees them. */
export function buildClusters(
  snap: MeshSnapshot,
  proxy: PodModel,
  refs: ReadonlyMap<string, ClusterRef>,
): { clusters: Cluster[]; endpoints: ClusterEndpoints[] } {
  const clusters: Cluster[] = [];
  const endpoints: ClusterEndpoints[] = [];
  for (const [name, ref] of [...refs].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const svc = snap.serviceByHost.get(ref.host);
    const dr = destinationRuleFor(snap, svc, ref.host, proxy);
    const subset = ref.subset !== undefined ? dr?.spec.subsets?.find((s) => s.name === ref.subset) : undefined;
    const written = subset?.trafficPolicy ?? dr?.spec.trafficPolicy;
    // One merge decides every section, TLS included, so they cannot disagree on precedence.
    const merged = mergeTrafficPolicy(dr?.spec, ref.subset, ref.port);
    const policy = clusterPolicyOf(merged);
    const cluster: Cluster = {
      name,
      direction: 'outbound',
      service: ref.host,
      port: ref.port,
      lbPolicy: lbPolicyOf(policy),
    };
    if (ref.subset !== undefined) cluster.subset = ref.subset;
    if (svc) {
      cluster.serviceName = svc.name;
      cluster.serviceNamespace = svc.namespace;
    }
    if (written) cluster.trafficPolicy = written as Record<string, unknown>;
    if (policy) cluster.policy = policy;
    const { tls, disabled } = upstreamTls(merged?.tls);
    if (tls) cluster.tls = tls;
    if (disabled) cluster.tlsDisabled = true;
    clusters.push(cluster);
    // A subset the DestinationRule does not define selects nothing: requests get 503 (no healthy upstream).
    const eps = ref.subset !== undefined && !subset ? [] : endpointsFor(snap, svc, ref.port, subset?.labels ?? undefined);
    const locality = effectiveLocalitySetting(policy?.loadBalancer?.localityLbSetting, snap.localityLbSetting);
    applyLocalityLb(cluster, eps, proxy, locality, merged?.outlierDetection !== undefined);
    endpoints.push({ cluster: name, endpoints: eps });
  }
  return { clusters, endpoints };
}

/** Every service port and every DestinationRule subset is a cluster, as Istio generates them. */
export function serviceClusterRefs(snap: MeshSnapshot, proxy: PodModel, into: Map<string, ClusterRef>): void {
  for (const svc of snap.services) {
    const dr = destinationRuleFor(snap, svc, svc.hostname, proxy);
    for (const p of svc.ports) {
      into.set(outboundClusterName(p.port, undefined, svc.hostname), { host: svc.hostname, port: p.port });
      for (const s of dr?.spec.subsets ?? []) {
        into.set(outboundClusterName(p.port, s.name, svc.hostname), { host: svc.hostname, port: p.port, subset: s.name });
      }
    }
  }
}
