export { generateProxyConfig, checkConsistent, GenerateErrors } from './proxy-config.ts';
export { serviceDomains } from './sidecar.ts';
