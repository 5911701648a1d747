// "Did you mean" for misspelt field names: the closest known name within a small edit distance.

/** Edit distance counting insertions, deletions, substitutions and adjacent swaps as one each. */
export function editDistance(a: string, b: string): number {
  const n = a.length;
  const m = b.length;
  if (n === 0) return m;
  if (m === 0) return n;
  // Three rolling rows: i-2, i-1, i.
  let prev2 = new Array<number>(m + 1).fill(0);
  let prev = Array.from({ length: m + 1 }, (_, j) => j);
  let cur = new Array<number>(m + 1).fill(0);
  for (let i = 1; i <= n; i++) {
    cur[0] = i;
    for (let j = 1; j <= m; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, (prev2[j - 2] ?? 0) + 1);
      cur[j] = v;
    }
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  return prev[m] ?? 0;
}

/** Lower case without `_` or `-`, so `retry_on` and `RetryOn` both meet `retryOn`. */
function fold(s: string): string {
  return s.toLowerCase().replace(/[_-]/g, '');
}

/**
 * The known name closest to `unknown`, if close enough: same name modulo case and `_`, or at most
 * one edit for short names and two for names of six characters or more.
 */
export function suggest(unknown: string, known: Iterable<string>): string | undefined {
  const u = fold(unknown);
  const limit = u.length >= 6 ? 2 : 1;
  let best: string | undefined;
  let bestScore = Number.POSITIVE_INFINITY;
  for (const k of known) {
    const d = editDistance(u, fold(k));
    if (d < bestScore) {
      best = k;
      bestScore = d;
    }
  }
  return bestScore <= limit && best !== undefined && best !== unknown ? best : undefined;
}
