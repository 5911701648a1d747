export { generateProxyConfig, checkConsistent, GenerateErrors } from './proxy-config.ts';
export { serviceDomains } from './sidecar.ts';
export { inboundMtlsMode, EMPTY_SECURITY_CONTEXT, type SecurityContext } from './security.ts';
