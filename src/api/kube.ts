// The Kubernetes core subset the mesh reads: Namespace, Service, ServiceAccount, Deployment, Pod.

export interface KubeServicePort {
  name?: string;
  port: number;
  targetPort?: number | string;
  protocol?: string;
  appProtocol?: string;
}

export interface KubeServiceSpec {
  selector?: Record<string, string>;
  ports?: KubeServicePort[];
  type?: string;
  clusterIP?: string;
}

export interface EnvVar {
  name: string;
  value?: string;
}

export interface ContainerPort {
  containerPort: number;
  name?: string;
  protocol?: string;
}

export interface Container {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  ports?: ContainerPort[];
  workingDir?: string;
}

export interface PodSpec {
  serviceAccountName?: string;
  containers: Container[];
}

export interface PodTemplate {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: PodSpec;
}

export interface DeploymentSpec {
  replicas?: number;
  selector?: { matchLabels?: Record<string, string> };
  template: PodTemplate;
}

/**
 * Annotations the local platform sets on the pods it starts: where the app really listens
 * (the sidecar's inbound listener owns podIP:containerPort), and whether a sidecar is present.
 */
export const PodAnnotations = {
  /** JSON object: containerPort -> "host:port" where the app listens. */
  appPorts: 'isthmus.io/app-ports',
  sidecar: 'sidecar.istio.io/status',
  /** Deployment the pod belongs to. */
  owner: 'isthmus.io/owner',
  /** `host:port` of the sidecar's outbound listener (the pod's HTTP_PROXY); absent without a sidecar. */
  outbound: 'isthmus.io/outbound',
} as const;
