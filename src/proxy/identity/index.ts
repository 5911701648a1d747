export {
  WorkloadIdentity,
  type WorkloadIdentityOptions,
  type WorkloadCertificate,
  type TlsIdentity,
  type IdentityChange,
  type IdentityListener,
  type IdentityStats,
} from './workload-identity.ts';
export { IdentityErrors, IdentityError, type IdentityErrorCode } from './errors.ts';
export { peerSpiffeId, checkServerSpiffeId, spiffeIdOf } from './spiffe.ts';
