export * from './common.ts';
export * from './networking.ts';
export * from './security.ts';
export * from './kube.ts';
export * from './known-fields.ts';
