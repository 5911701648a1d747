export { CertificateAuthority, type CertificateAuthorityOptions, type CaStats, type CaRotationStatus, type BundleListener } from './certificate-authority.ts';
export { CaErrors, CaError, type CaErrorCode } from './errors.ts';
export { ROOT_FILES } from './root-store.ts';
export { PLUGIN_FILES } from './plugin-ca.ts';
export { MAX_CSR_PEM_LENGTH } from './csr.ts';
export type { WorkloadName } from './spiffe.ts';
