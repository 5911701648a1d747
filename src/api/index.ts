export * from './resource.ts';
export * from './istio.ts';
export * from './security.ts';
export * from './kube.ts';
export * from './proxy-config.ts';
export * from './discovery.ts';
export * from './control-api.ts';
export * from './mesh-config.ts';
