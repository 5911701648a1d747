// Workload metadata for telemetry: the labels Istio's standard metrics carry for a pod.

import type { WorkloadMetadata } from '../../api/index.ts';
import { spiffeId, type MeshSnapshot, type PodModel } from '../../model/index.ts';

/** `reviews-v1-7f9c6b5d4-x2k9p` → `reviews-v1`; a name without those suffixes is its own workload. */
export function workloadName(podName: string): string {
  const m = /^(.+)-[a-z0-9]{5,10}-[a-z0-9]{1,5}$/.exec(podName);
  return m !== null ? (m[1] as string) : podName;
}

export function workloadMetadata(snap: MeshSnapshot, pod: PodModel): WorkloadMetadata {
  const l = pod.labels;
  const name = workloadName(pod.name);
  const app = l['app'] ?? l['app.kubernetes.io/name'] ?? '';
  const version = l['version'] ?? l['app.kubernetes.io/version'] ?? '';
  return {
    name,
    namespace: pod.namespace,
    app,
    version,
    canonicalService: l['service.istio.io/canonical-name'] ?? (app !== '' ? app : name),
    canonicalRevision: l['service.istio.io/canonical-revision'] ?? (version !== '' ? version : 'latest'),
    principal: pod.serviceAccount ? spiffeId(snap.trustDomain, pod.namespace, pod.serviceAccount) : '',
    cluster: 'Kubernetes',
  };
}
