// Durations as Istio accepts them: Go-style strings such as `10s`, `1.5s`, `500ms`, `1m`, `1h30m`
// (units ns, us/µs, ms, s, m, h; a fraction on any component; `0` alone needs no unit).
// Arithmetic is done in integer nanoseconds so that `1.1s` is exactly 1100ms.

const UNIT_NS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  'µs': 1_000n, // U+00B5 micro sign
  'μs': 1_000n, // U+03BC Greek mu
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

const MAX_NS = (1n << 63n) - 1n;
const COMPONENT = /^(\d*)(?:\.(\d*))?(ns|us|µs|μs|ms|s|m|h)/;

/** Nanoseconds, or undefined when `s` is not a duration (or does not fit in 64 bits, as in Go). */
export function parseDurationNanos(s: string): bigint | undefined {
  let rest = s;
  let negative = false;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    negative = rest[0] === '-';
    rest = rest.slice(1);
  }
  if (rest === '0') return 0n;
  if (rest === '') return undefined;
  let total = 0n;
  while (rest !== '') {
    const m = COMPONENT.exec(rest);
    if (!m) return undefined;
    const whole = m[1] ?? '';
    const frac = m[2] ?? '';
    if (whole === '' && frac === '') return undefined;
    const unit = UNIT_NS[m[3] ?? ''];
    if (unit === undefined) return undefined;
    total += BigInt(whole === '' ? '0' : whole) * unit;
    if (frac !== '') total += (BigInt(frac) * unit) / 10n ** BigInt(frac.length);
    if (total > MAX_NS) return undefined;
    rest = rest.slice(m[0].length);
  }
  return negative ? -total : total;
}

/** Milliseconds (possibly fractional or negative), or undefined when `s` is not a duration. */
export function parseDuration(s: string): number | undefined {
  const ns = parseDurationNanos(s);
  return ns === undefined ? undefined : Number(ns) / 1e6;
}

/**
 * Milliseconds for a non-negative duration string (surrounding spaces allowed), or undefined —
 * what the control plane and the proxy read from configs that validation has already checked.
 */
export function durationMs(v: unknown): number | undefined {
  if (typeof v !== 'string') return undefined;
  const t = v.trim();
  if (t.startsWith('-') || t.startsWith('+')) return undefined;
  return parseDuration(t);
}
