// Durations in generated config: Istio's Go-style text (`10s`, `1.5s`, `500ms`, `1h30m`) as
// milliseconds. Validation has already rejected malformed text; this only has to read it.

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;

/** Milliseconds, or undefined when `v` is not a duration string. */
export function durationMs(v: unknown): number | undefined {
  if (typeof v !== 'string') return undefined;
  const text = v.trim();
  if (text === '0') return 0;
  if (text === '') return undefined;
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < text.length) {
    const m = PART.exec(text);
    if (m === null) return undefined;
    total += Number(m[1]) * (UNIT_MS[m[2] ?? ''] ?? Number.NaN);
  }
  // Round away float noise (1.1s is 1100ms), keeping sub-millisecond values.
  return Number.isFinite(total) ? Math.round(total * 1e6) / 1e6 : undefined;
}
