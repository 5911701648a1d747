// generate(snapshot, node, security context) -> ProxyConfig: the one entry point. Pure and
// deterministic: the output depends on nothing but its arguments, so it can be cached by them.

import type { ProxyConfig, ProxyNode } from '../../api/index.ts';
import { IsthmusError, stableHash } from '../../shared/index.ts';
import type { MeshSnapshot } from '../../model/index.ts';
import { generateGateway } from './gateway.ts';
import { EMPTY_SECURITY_CONTEXT, proxySecurity, type SecurityContext } from './security.ts';
import { generateSidecar } from './sidecar.ts';

export const GenerateErrors = {
  UNKNOWN_PROXY: 'ISTHMUS_ERR_GENERATE_UNKNOWN_PROXY',
  INCONSISTENT: 'ISTHMUS_ERR_GENERATE_INCONSISTENT',
} as const;

export function generateProxyConfig(snap: MeshSnapshot, node: ProxyNode, ctx: SecurityContext = EMPTY_SECURITY_CONTEXT): ProxyConfig {
  const pod = snap.podById.get(`${node.podName}.${node.namespace}`);
  if (!pod) throw new IsthmusError(GenerateErrors.UNKNOWN_PROXY, `no pod ${node.namespace}/${node.podName} is registered for proxy ${node.id}`);
  const parts = node.role === 'gateway' ? generateGateway(snap, pod, ctx) : generateSidecar(snap, pod);
  const body: Omit<ProxyConfig, 'version'> = { node, ...parts, security: proxySecurity(snap, pod, ctx, node.role) };
  if (ctx.reasonHeader === false) body.options = { reasonHeader: false };
  checkConsistent(body);
  return { version: stableHash(body), ...body };
}

/** Every route's cluster exists and every cluster has an endpoint list (possibly empty). */
export function checkConsistent(c: Omit<ProxyConfig, 'version'>): void {
  const clusters = new Set(c.clusters.map((x) => x.name));
  const withEndpoints = new Set(c.endpoints.map((x) => x.cluster));
  const tables = new Set(c.routes.map((r) => r.name));
  for (const t of c.routes) {
    for (const vh of t.virtualHosts) {
      for (const r of vh.routes) {
        for (const wc of r.route?.clusters ?? []) {
          if (!clusters.has(wc.cluster)) throw new IsthmusError(GenerateErrors.INCONSISTENT, `route ${r.name} refers to missing cluster ${wc.cluster}`);
        }
      }
    }
  }
  for (const cl of c.clusters) {
    if (!withEndpoints.has(cl.name)) throw new IsthmusError(GenerateErrors.INCONSISTENT, `cluster ${cl.name} has no endpoint list`);
  }
  for (const l of c.listeners) {
    if (l.routeTable && !tables.has(l.routeTable)) throw new IsthmusError(GenerateErrors.INCONSISTENT, `listener ${l.name} refers to missing route table ${l.routeTable}`);
    if (l.cluster && !clusters.has(l.cluster)) throw new IsthmusError(GenerateErrors.INCONSISTENT, `listener ${l.name} refers to missing cluster ${l.cluster}`);
  }
}
