// Host name rules shared by the registry and the generators (Istio's short-name resolution).

import { DEFAULT_DOMAIN_SUFFIX } from '../api/index.ts';

/** `reviews` in namespace `default` -> `reviews.default.svc.cluster.local`; names with a dot are kept. */
export function resolveShortName(host: string, namespace: string, domainSuffix = DEFAULT_DOMAIN_SUFFIX): string {
  const h = host.toLowerCase();
  if (h === '*' || h.includes('.')) return h;
  return `${h}.${namespace}.svc.${domainSuffix}`;
}

/** Does `pattern` (exact, `*`, or `*.suffix`) cover `host`? */
export function hostMatches(pattern: string, host: string): boolean {
  if (pattern === '*') return true;
  if (pattern.startsWith('*.')) return host.endsWith(pattern.slice(1)) || host === pattern.slice(2);
  return pattern === host;
}

/** Do two host patterns overlap (either covers the other)? */
export function hostsIntersect(a: string, b: string): boolean {
  return hostMatches(a, b) || hostMatches(b, a);
}

export function labelsMatch(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  if (!selector) return true;
  for (const [k, v] of Object.entries(selector)) if (labels?.[k] !== v) return false;
  return true;
}
