// Duration strings as VirtualServices carry them: protobuf JSON (`1.5s`) and the Go forms Istio
// also accepts (`500ms`, `2m`, `1h30m`). Parsed once per config version.

const UNIT_MS: Readonly<Record<string, number>> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001, µs: 0.001, ns: 0.000001 };
const PART = /(\d+(?:\.\d*)?|\.\d+)(ms|us|µs|ns|h|m|s)/y;

/** Milliseconds for a duration string, or null when it is not one (negative durations are not). */
export function parseDurationMs(v: unknown): number | null {
  if (typeof v !== 'string') return null;
  const s = v.trim();
  if (s === '') return null;
  if (s === '0') return 0;
  let ms = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < s.length) {
    const m = PART.exec(s);
    if (m === null) return null;
    ms += Number(m[1]) * (UNIT_MS[m[2] as string] as number);
  }
  return Number.isFinite(ms) ? ms : null;
}
