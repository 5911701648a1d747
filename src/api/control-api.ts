// JSON bodies of the control plane's HTTP API (apply, delete, get, proxy status), shared by the
// server, the CLI and the local platform.

import type { Resource } from './resource.ts';

export interface ApiDiagnostic {
  severity: 'error' | 'warning';
  code: string;
  path: string;
  message: string;
}

export interface ApplyRequest {
  resources: Resource[];
  dryRun?: boolean;
  /** Only the platform (local runtime) writes Pods. */
  platform?: boolean;
}

export interface ApplyResult {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
  action?: 'created' | 'configured' | 'unchanged';
  diagnostics: ApiDiagnostic[];
}

export interface ApplyResponse {
  results: ApplyResult[];
  revision: number;
  /** With `?wait=1`: which proxies took the new config. */
  propagation?: { synced: string[]; pending: string[]; nacked: string[] };
}

export interface DeleteRequest {
  resources: { apiVersion?: string; kind: string; namespace?: string; name: string }[];
}

export interface DeleteResult {
  kind: string;
  namespace?: string;
  name: string;
  action: 'deleted' | 'notfound';
}

export const API = {
  apply: '/v1/apply',
  delete: '/v1/delete',
  resources: '/v1/resources',
  proxies: '/v1/proxies',
  info: '/v1/info',
  /** POST a CSR with the pod's credential; returns a workload certificate. */
  sign: '/v1/ca/sign',
  /** GET the current trust bundle (root certificates, PEM). */
  roots: '/v1/ca/roots',
  /** POST a TLS secret for gateways' `credentialName`; GET lists them (names only). */
  secrets: '/v1/secrets',
  health: '/healthz',
} as const;

/** One proxy as the control plane sees it (`isthmus proxy-status`). */
export interface ProxyStatus {
  id: string;
  role: 'sidecar' | 'gateway';
  pod: string;
  namespace: string;
  connected: boolean;
  /** The version last generated for it (sent, or already running when it reconnected). */
  sent?: string;
  acked?: string;
  nacked?: { version: string; error: string };
  lastSeen: string;
  connectedAt?: string;
  generateError?: string;
}

/** Body of POST /v1/ca/sign. The credential proves which pod (and so which identity) asks. */
export interface SignRequest {
  /** PKCS#10 CSR, PEM, carrying one URI SAN: the SPIFFE identity asked for. */
  csr: string;
  /** The per-pod credential the platform gave the proxy (ISTHMUS_POD_CREDENTIAL). */
  credential: string;
}

export interface SignResponse {
  /** Leaf first, then intermediates up to (not including) the root; PEM. */
  certChain: string[];
  /** Trusted roots (more than one while roots rotate); PEM. */
  roots: string[];
  /** ISO time the leaf expires. */
  notAfter: string;
}

/** Files a gateway credential may hold, as Istio's secrets name them. */
export const SECRET_FILES = ['tls.crt', 'tls.key', 'ca.crt'] as const;
export type SecretFile = (typeof SECRET_FILES)[number];

/** Body of POST /v1/secrets: PEM contents by file name. */
export interface SecretRequest {
  namespace: string;
  name: string;
  data: Partial<Record<SecretFile, string>>;
}

export interface SecretInfo {
  namespace: string;
  name: string;
  files: SecretFile[];
  version: string;
}
