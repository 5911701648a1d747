// The Kubernetes kinds the mesh reads. Real manifests carry many fields the mesh has no use for
// (resources, probes, volumes, securityContext, ...): those are accepted and kept. The fields the
// mesh does read are type-checked.

import { z } from 'zod';
import { int32, loose, str, strList, strMap } from './common.ts';

const LabelSelector = loose({ matchLabels: strMap, matchExpressions: z.array(z.unknown()) });

export const SERVICE_TYPES = ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'] as const;
export const PORT_PROTOCOLS = ['TCP', 'UDP', 'SCTP'] as const;

export const KubeServiceSpec = loose({
  selector: strMap,
  ports: z.array(
    loose({
      name: str,
      port: int32,
      targetPort: z.union([int32, str]),
      protocol: z.enum(PORT_PROTOCOLS),
      appProtocol: str,
      nodePort: int32,
    }),
  ),
  type: z.enum(SERVICE_TYPES),
  clusterIP: str,
});

export const Container = loose({
  name: str,
  image: str,
  command: strList,
  args: strList,
  env: z.array(loose({ name: str, value: str })),
  ports: z.array(loose({ containerPort: int32, name: str, protocol: z.enum(PORT_PROTOCOLS), hostPort: int32 })),
  workingDir: str,
});

export const PodSpec = loose({
  serviceAccountName: str,
  containers: z.array(Container),
  initContainers: z.array(Container),
});

export const DeploymentSpec = loose({
  replicas: int32,
  selector: LabelSelector,
  template: loose({
    metadata: loose({ labels: strMap, annotations: strMap }),
    spec: PodSpec,
  }),
});

/** Namespace and ServiceAccount carry nothing the mesh reads in their spec. */
export const AnySpec = z.looseObject({});
