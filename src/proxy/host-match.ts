// Host patterns as Istio writes them: exact, `*`, or `*.suffix` (a wildcard covers one or more labels).

/** Whether lower-case `host` matches `pattern` (lower-case; `*`, `*.example.com` or exact). */
export function hostMatchesPattern(pattern: string, host: string): boolean {
  if (pattern === '*') return true;
  if (pattern.startsWith('*')) return host.endsWith(pattern.slice(1)) && host.length > pattern.length - 1;
  return pattern === host;
}
