// Table columns per kind for `isthmus get`, as kubectl shows Istio's CRDs and core kinds.

import type {
  AuthorizationPolicySpec,
  DeploymentSpec,
  DestinationRuleSpec,
  KubeServiceSpec,
  PeerAuthenticationSpec,
  PodSpec,
  Resource,
  ServiceEntrySpec,
  VirtualServiceSpec,
} from '../api/index.ts';
import { age } from './output.ts';

type Col = [header: string, cell: (r: Resource) => string, wideOnly?: boolean];

const list = (a: string[] | undefined) => (a && a.length ? `[${a.map((x) => `"${x}"`).join(',')}]` : '');

const COLUMNS: Record<string, Col[]> = {
  VirtualService: [
    ['GATEWAYS', (r) => list((r.spec as VirtualServiceSpec).gateways)],
    ['HOSTS', (r) => list((r.spec as VirtualServiceSpec).hosts)],
  ],
  DestinationRule: [['HOST', (r) => (r.spec as DestinationRuleSpec).host ?? '']],
  Gateway: [],
  ServiceEntry: [
    ['HOSTS', (r) => list((r.spec as ServiceEntrySpec).hosts)],
    ['LOCATION', (r) => (r.spec as ServiceEntrySpec).location ?? ''],
    ['RESOLUTION', (r) => (r.spec as ServiceEntrySpec).resolution ?? ''],
  ],
  // As Istio's CRDs print them: the written value, empty when the field is unset.
  PeerAuthentication: [['MODE', (r) => (r.spec as PeerAuthenticationSpec | undefined)?.mtls?.mode ?? '']],
  AuthorizationPolicy: [['ACTION', (r) => (r.spec as AuthorizationPolicySpec | undefined)?.action ?? '']],
  RequestAuthentication: [],
  Service: [
    ['TYPE', (r) => (r.spec as KubeServiceSpec).type ?? 'ClusterIP'],
    ['PORT(S)', (r) => ((r.spec as KubeServiceSpec).ports ?? []).map((p) => `${p.port}/${p.protocol ?? 'TCP'}`).join(',')],
    ['SELECTOR', (r) => Object.entries((r.spec as KubeServiceSpec).selector ?? {}).map(([k, v]) => `${k}=${v}`).join(','), true],
  ],
  Deployment: [
    ['REPLICAS', (r) => String((r.spec as DeploymentSpec).replicas ?? 1)],
  ],
  Pod: [
    ['READY', (r) => ((r.status as { ready?: boolean } | undefined)?.ready ? `${(r.spec as PodSpec).containers.length + 1}/${(r.spec as PodSpec).containers.length + 1}` : `0/${(r.spec as PodSpec).containers.length + 1}`)],
    ['STATUS', (r) => String((r.status as { phase?: string } | undefined)?.phase ?? 'Unknown')],
    ['IP', (r) => String((r.status as { podIP?: string } | undefined)?.podIP ?? ''), true],
    ['SERVICE ACCOUNT', (r) => (r.spec as PodSpec).serviceAccountName ?? 'default', true],
  ],
  ServiceAccount: [],
  Namespace: [['STATUS', () => 'Active']],
};

export function rowsFor(kind: string, items: Resource[], opts: { wide: boolean; allNamespaces: boolean; namespaced: boolean }): { headers: string[]; rows: string[][] } {
  const cols = (COLUMNS[kind] ?? []).filter((c) => !c[2] || opts.wide);
  const showNs = opts.allNamespaces && opts.namespaced;
  const headers = [...(showNs ? ['NAMESPACE'] : []), 'NAME', ...cols.map((c) => c[0]), 'AGE'];
  const now = Date.now();
  const rows = items.map((r) => [
    ...(showNs ? [r.metadata.namespace ?? ''] : []),
    r.metadata.name,
    ...cols.map((c) => c[1](r)),
    age(r.metadata.creationTimestamp, now),
  ]);
  return { headers, rows };
}
