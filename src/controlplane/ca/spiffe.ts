// SPIFFE identities of workloads: spiffe://<trust domain>/ns/<namespace>/sa/<service account>.

import { CaError, CaErrors } from './errors.ts';

// A trust domain is a lower-case DNS-like name (SPIFFE allows [a-z0-9._-]).
const TRUST_DOMAIN = /^[a-z0-9]([a-z0-9._-]{0,253}[a-z0-9])?$/;
// Kubernetes names: a namespace is a DNS-1123 label, a service account a DNS-1123 subdomain.
// Neither can hold '/', so the path cannot be bent into another identity.
const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/;

export interface WorkloadName {
  namespace: string;
  serviceAccount: string;
}

export function checkTrustDomain(td: string): void {
  if (!TRUST_DOMAIN.test(td)) throw new CaError(CaErrors.BAD_OPTION, `trust domain ${JSON.stringify(td)} is not a valid SPIFFE trust domain`);
}

export function spiffeId(trustDomain: string, id: WorkloadName): string {
  if (!DNS_LABEL.test(id.namespace)) throw new CaError(CaErrors.BAD_OPTION, `namespace ${JSON.stringify(id.namespace)} is not a DNS-1123 label`);
  if (!DNS_SUBDOMAIN.test(id.serviceAccount)) throw new CaError(CaErrors.BAD_OPTION, `service account ${JSON.stringify(id.serviceAccount)} is not a DNS-1123 subdomain`);
  return `spiffe://${trustDomain}/ns/${id.namespace}/sa/${id.serviceAccount}`;
}
