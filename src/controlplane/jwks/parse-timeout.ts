import { durationMs } from '../../shared/index.ts';
// A JWTRule `timeout` (a protobuf Duration as written in YAML: `5s`, `1.5s`, `500ms`, `1m30s`)
// in milliseconds.

/** Milliseconds for `d`, or `fallback` when it is absent or not a duration. At least 1 ms. */
export function parseTimeoutMs(d: string | number | undefined, fallback: number): number {
  if (typeof d === 'number') return Number.isFinite(d) && d > 0 ? Math.max(1, d) : fallback;
  const total = durationMs(d);
  return total !== undefined && total > 0 ? Math.max(1, Math.round(total)) : fallback;
}
