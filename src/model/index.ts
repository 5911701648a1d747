export * from './hosts.ts';
export * from './snapshot.ts';
export * from './locality.ts';
