// Generation reads durations (already validated) with the shared parser.
export { durationMs } from '../../shared/index.ts';
