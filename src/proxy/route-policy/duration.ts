import { durationMs } from '../../shared/index.ts';

/** Milliseconds for a duration string, or null when it is not one (negative durations are not). */
export function parseDurationMs(v: unknown): number | null {
  return durationMs(v) ?? null;
}
