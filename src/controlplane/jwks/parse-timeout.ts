// A JWTRule `timeout` (a protobuf Duration as written in YAML: `5s`, `1.5s`, `500ms`, `1m30s`)
// in milliseconds.

const UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001, µs: 0.001, ns: 0.000001 };
const PART = /(\d+(?:\.\d+)?|\.\d+)(h|ms|m|s|us|µs|ns)/y;

/** Milliseconds for `d`, or `fallback` when it is absent or not a duration. At least 1 ms. */
export function parseTimeoutMs(d: string | number | undefined, fallback: number): number {
  if (typeof d === 'number') return Number.isFinite(d) && d > 0 ? Math.max(1, d) : fallback;
  if (d === undefined || d === '') return fallback;
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < d.length) {
    const m = PART.exec(d);
    if (m === null) return fallback;
    total += Number(m[1]) * (UNIT_MS[m[2] as string] as number);
  }
  return total > 0 ? Math.max(1, Math.round(total)) : fallback;
}
