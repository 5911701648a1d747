// Which DestinationRule applies to a host, seen from a proxy: the proxy's own namespace first,
// then the service's namespace, then the root namespace (Istio's lookup order). Within one
// namespace an exact host beats a wildcard, and the oldest rule wins a tie. A rule with a
// `workloadSelector` applies only to the workloads it selects in its own namespace, and there it
// comes before the namespace's rules without one.

import type { DestinationRuleSpec, Resource } from '../../api/index.ts';
import { hostMatches, labelsMatch, resolveShortName, type MeshSnapshot, type ServiceModel } from '../../model/index.ts';

function visibleTo(r: Resource<DestinationRuleSpec>, namespace: string): boolean {
  const exportTo = r.spec.exportTo;
  if (!exportTo || exportTo.length === 0 || exportTo.includes('*')) return true;
  const own = r.metadata.namespace ?? 'default';
  return exportTo.some((e) => (e === '.' ? own === namespace : e === namespace));
}

export function destinationRuleFor(
  snap: MeshSnapshot,
  service: ServiceModel | undefined,
  hostname: string,
  proxy: { namespace: string; labels: Record<string, string> },
): Resource<DestinationRuleSpec> | undefined {
  const proxyNamespace = proxy.namespace;
  const order = [proxyNamespace, service?.namespace, snap.rootNamespace].filter((n): n is string => n !== undefined);
  for (const ns of order) {
    // Workload-scoped rules first (only in the proxy's namespace, only when they select it), then the others.
    for (const scoped of ns === proxyNamespace ? [true, false] : [false]) {
      let wildcard: Resource<DestinationRuleSpec> | undefined;
      for (const dr of snap.destinationRules) {
        if ((dr.metadata.namespace ?? 'default') !== ns || !visibleTo(dr, proxyNamespace)) continue;
        const selector = dr.spec.workloadSelector;
        if ((selector !== undefined) !== scoped) continue;
        if (selector !== undefined && !labelsMatch(selector.matchLabels ?? {}, proxy.labels)) continue;
        const host = resolveShortName(dr.spec.host, ns, snap.domainSuffix);
        if (host === hostname) return dr;
        if (wildcard === undefined && host.includes('*') && hostMatches(host, hostname)) wildcard = dr;
      }
      if (wildcard) return wildcard;
    }
  }
  return undefined;
}
