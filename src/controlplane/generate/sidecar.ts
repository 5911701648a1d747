// A sidecar's config: outbound route tables (one per service port), clusters and endpoints for
// every service, and inbound listeners that hand traffic to the local app.

import type { Cluster, ClusterEndpoints, Listener, RouteTable, VirtualHost, WorkloadMetadata } from '../../api/index.ts';
import { hostMatches, labelsMatch, resolveShortName, type MeshSnapshot, type PodModel, type ServiceModel } from '../../model/index.ts';
import { workloadMetadata } from './workload.ts';
import { buildClusters, serviceClusterRefs, type ClusterRef } from './clusters.ts';
import { inboundClusterName, listenerName } from './names.ts';
import { defaultRoute, routesFromVirtualService, type RouteContext } from './routes.ts';
import { inboundMtlsMode } from './security.ts';

function vsAppliesToMesh(gateways: string[] | undefined): boolean {
  return !gateways || gateways.length === 0 || gateways.includes('mesh');
}

function visible(exportTo: string[] | undefined, own: string, ns: string): boolean {
  if (!exportTo || exportTo.length === 0 || exportTo.includes('*')) return true;
  return exportTo.some((e) => (e === '.' ? own === ns : e === ns));
}

/** The names a client in `fromNs` may use for a service: FQDN, `name.ns.svc`, `name.ns`, and `name` in its own namespace. */
export function serviceDomains(svc: ServiceModel, port: number, fromNs: string): string[] {
  const names = new Set<string>([svc.hostname]);
  if (svc.source === 'kubernetes') {
    names.add(`${svc.name}.${svc.namespace}.svc`);
    names.add(`${svc.name}.${svc.namespace}`);
    if (svc.namespace === fromNs) names.add(svc.name);
  }
  const out: string[] = [];
  for (const n of names) out.push(n, `${n}:${port}`);
  return out;
}

export function generateSidecar(snap: MeshSnapshot, pod: PodModel): {
  listeners: Listener[]; routes: RouteTable[]; clusters: Cluster[]; endpoints: ClusterEndpoints[]; workload: WorkloadMetadata;
} {
  const refs = new Map<string, ClusterRef>();
  serviceClusterRefs(snap, pod, refs);
  const ports = [...new Set(snap.services.flatMap((s) => s.ports.map((p) => p.port)))].sort((a, b) => a - b);
  // Mesh-bound VirtualServices this pod can see, with their hosts resolved once (oldest first).
  const meshVs = snap.virtualServices
    .filter((vs) => vsAppliesToMesh(vs.spec.gateways) && visible(vs.spec.exportTo, vs.metadata.namespace ?? 'default', pod.namespace))
    .map((vs) => ({ vs, hosts: (vs.spec.hosts ?? []).map((h) => resolveShortName(h, vs.metadata.namespace ?? 'default', snap.domainSuffix)) }));
  const routes: RouteTable[] = [];
  for (const port of ports) {
    const virtualHosts: VirtualHost[] = [];
    const ctx: RouteContext = { snap, pod, port, gateway: 'mesh', referenced: refs };
    for (const svc of snap.services) {
      if (!svc.ports.some((p) => p.port === port)) continue;
      // The oldest VirtualService naming this host wins; later ones for the same host are conflicts.
      const vs = meshVs.find((v) => v.hosts.some((h) => hostMatches(h, svc.hostname)))?.vs;
      const r = vs ? routesFromVirtualService(vs, ctx) : [defaultRoute(svc.hostname, port, ctx)];
      virtualHosts.push({ name: `${svc.hostname}:${port}`, domains: serviceDomains(svc, port, pod.namespace), routes: r });
    }
    routes.push({ name: String(port), virtualHosts });
  }
  const { clusters, endpoints } = buildClusters(snap, pod, refs);
  const listeners: Listener[] = [];
  if (pod.ip) {
    for (const cp of pod.containerPorts) {
      const target = pod.appPorts[String(cp.port)];
      if (!target) continue;
      const cluster = inboundClusterName(cp.port);
      listeners.push({
        name: listenerName(pod.ip, cp.port), direction: 'inbound', address: pod.ip, port: cp.port, protocol: 'HTTP', cluster,
        mtls: inboundMtlsMode(snap, pod, cp.port),
      });
      const colon = target.lastIndexOf(':');
      const inbound: Cluster = { name: cluster, direction: 'inbound', port: cp.port, lbPolicy: 'ROUND_ROBIN' };
      // The service this port serves, for telemetry: the first (by name) that selects the pod and targets this port.
      const svc = servingService(snap, pod, cp);
      if (svc !== undefined) {
        inbound.service = svc.hostname;
        inbound.serviceName = svc.name;
        inbound.serviceNamespace = svc.namespace;
      }
      clusters.push(inbound);
      endpoints.push({ cluster, endpoints: [{ address: target.slice(0, colon), port: Number(target.slice(colon + 1)) }] });
    }
  }
  return { listeners, routes, clusters, endpoints, workload: workloadMetadata(snap, pod) };
}

function servingService(snap: MeshSnapshot, pod: PodModel, cp: { port: number; name?: string }): ServiceModel | undefined {
  return snap.services.find((s) =>
    s.source === 'kubernetes' && s.namespace === pod.namespace && s.selector !== undefined && labelsMatch(s.selector, pod.labels)
    && s.ports.some((p) => p.targetPort === cp.port || (cp.name !== undefined && p.targetPort === cp.name)));
}
