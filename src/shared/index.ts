export * from './errors.ts';
export * from './stable.ts';
export * from './log.ts';
export * from './pod-credential.ts';
export * from './duration.ts';
export * from './prometheus.ts';
