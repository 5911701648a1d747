export * from './hosts.ts';
export * from './snapshot.ts';
