// A gateway's config: one listener per server port of every Gateway that selects it, and a route
// table per port built from the VirtualServices bound to those Gateways.

import type { Cluster, ClusterEndpoints, GatewayServer, GatewayTlsServer, Listener, PassthroughRoute, RouteTable, VirtualHost, WorkloadMetadata } from '../../api/index.ts';
import { hostsIntersect, labelsMatch, resolveShortName, type MeshSnapshot, type PodModel } from '../../model/index.ts';
import { buildClusters, type ClusterRef } from './clusters.ts';
import { listenerName } from './names.ts';
import { passthroughRoutes, routesFromVirtualService, type RouteContext } from './routes.ts';
import type { SecurityContext } from './security.ts';
import { workloadMetadata } from './workload.ts';

const INGRESS_TARGET_PORTS: Record<number, number> = { 80: 8080, 443: 8443 };

const TERMINATING = new Set(['SIMPLE', 'MUTUAL', 'ISTIO_MUTUAL', 'OPTIONAL_MUTUAL']);

/** A terminating server's TLS settings with `credentialName` resolved to the gateway namespace's secret files. */
function tlsServer(server: GatewayServer, gatewayNs: string, ctx: SecurityContext): GatewayTlsServer {
  const tls = server.tls ?? {};
  const out: GatewayTlsServer = {
    hosts: server.hosts.map((h) => {
      const slash = h.indexOf('/');
      return (slash < 0 ? h : h.slice(slash + 1)).toLowerCase();
    }),
    mode: (tls.mode ?? 'SIMPLE') as GatewayTlsServer['mode'],
    source: '',
  };
  const credential = tls.credentialName ?? tls.credentialNames?.[0];
  if (credential !== undefined) {
    out.source = `credentialName ${gatewayNs}/${credential}`;
    const version = ctx.secretVersion?.(gatewayNs, credential);
    if (version !== undefined) out.credentialVersion = version;
    if (ctx.secretsDir !== undefined) {
      const dir = `${ctx.secretsDir}/${gatewayNs}/${credential}`;
      out.serverCertificate = `${dir}/tls.crt`;
      out.privateKey = `${dir}/tls.key`;
      if (out.mode === 'MUTUAL' || out.mode === 'OPTIONAL_MUTUAL') out.caCertificates = `${dir}/ca.crt`;
    }
  } else {
    const first = tls.tlsCertificates?.[0];
    const cert = tls.serverCertificate ?? first?.serverCertificate;
    const key = tls.privateKey ?? first?.privateKey;
    if (cert !== undefined) out.serverCertificate = cert;
    if (key !== undefined) out.privateKey = key;
    const ca = tls.caCertificates ?? first?.caCertificates;
    if (ca !== undefined) out.caCertificates = ca;
    out.source = cert ?? (out.mode === 'ISTIO_MUTUAL' ? 'mesh identity' : 'no certificate');
  }
  if (tls.subjectAltNames && tls.subjectAltNames.length > 0) out.subjectAltNames = [...tls.subjectAltNames];
  if (tls.minProtocolVersion) out.minProtocolVersion = tls.minProtocolVersion;
  if (tls.maxProtocolVersion) out.maxProtocolVersion = tls.maxProtocolVersion;
  if (tls.cipherSuites && tls.cipherSuites.length > 0) out.cipherSuites = [...tls.cipherSuites];
  return out;
}

/** Server hosts may be `namespace/host`; `*` or `.` for the namespace part. */
function serverHostAllows(serverHost: string, vsNamespace: string, gwNamespace: string, host: string): boolean {
  const slash = serverHost.indexOf('/');
  const ns = slash < 0 ? '*' : serverHost.slice(0, slash);
  const h = slash < 0 ? serverHost : serverHost.slice(slash + 1);
  if (ns !== '*' && !(ns === '.' ? vsNamespace === gwNamespace : ns === vsNamespace)) return false;
  return hostsIntersect(h.toLowerCase(), host);
}

export function generateGateway(snap: MeshSnapshot, pod: PodModel, ctx: SecurityContext): {
  listeners: Listener[]; routes: RouteTable[]; clusters: Cluster[]; endpoints: ClusterEndpoints[]; workload: WorkloadMetadata;
} {
  const refs = new Map<string, ClusterRef>();
  // port -> servers (with their Gateway's namespace/name)
  const byPort = new Map<number, { gw: string; gwNs: string; server: GatewayServer }[]>();
  for (const gw of snap.gateways) {
    if (!gw.spec.selector || !labelsMatch(gw.spec.selector, pod.labels)) continue;
    const gwNs = gw.metadata.namespace ?? 'default';
    for (const server of gw.spec.servers ?? []) {
      const proto = server.port.protocol.toUpperCase();
      const terminates = proto === 'HTTPS' && TERMINATING.has(server.tls?.mode ?? 'SIMPLE');
      const passthrough = (proto === 'HTTPS' || proto === 'TLS') && server.tls?.mode === 'PASSTHROUGH';
      if (proto !== 'HTTP' && proto !== 'HTTP2' && proto !== 'GRPC' && !terminates && !passthrough) continue; // TCP and terminated TLS-to-TCP servers: later features
      // The ingress gateway's Service sends 80 to 8080 and 443 to 8443: servers on either number share a listener.
      const port = INGRESS_TARGET_PORTS[server.port.number] ?? server.port.number;
      const list = byPort.get(port) ?? [];
      list.push({ gw: `${gwNs}/${gw.metadata.name}`, gwNs, server });
      byPort.set(port, list);
    }
  }
  const listeners: Listener[] = [];
  const routes: RouteTable[] = [];
  for (const port of [...byPort.keys()].sort((a, b) => a - b)) {
    const servers = byPort.get(port) ?? [];
    const table = `http.${port}`;
    const listener: Listener = { name: listenerName('0.0.0.0', port), direction: 'gateway', address: '0.0.0.0', port, protocol: 'HTTP', routeTable: table };
    const isPassthrough = (s: GatewayServer) => s.tls?.mode === 'PASSTHROUGH';
    const tlsServers = servers.filter((s) => s.server.port.protocol.toUpperCase() === 'HTTPS' && !isPassthrough(s.server)).map((s) => tlsServer(s.server, pod.namespace, ctx));
    const passthrough = servers.filter((s) => isPassthrough(s.server));
    if (passthrough.length > 0) {
      const pt: PassthroughRoute[] = [];
      for (const vs of snap.virtualServices) {
        const vsNs = vs.metadata.namespace ?? 'default';
        for (const { gw, gwNs, server } of passthrough) {
          if (!(vs.spec.gateways ?? []).some((g) => (g.includes('/') ? g : `${vsNs}/${g}`) === gw)) continue;
          const hostsOk = (vs.spec.hosts ?? []).some((h) => server.hosts.some((sh) => serverHostAllows(sh, vsNs, gwNs, h === '*' ? '*' : resolveShortName(h, vsNs, snap.domainSuffix))));
          if (!hostsOk) continue;
          const rctx: RouteContext = { snap, pod, port, gateway: gw, referenced: refs };
          for (const r of passthroughRoutes(vs, rctx, server.port.number)) if (!pt.some((x) => x.name === r.name)) pt.push(r);
        }
      }
      listener.passthrough = pt;
    }
    if (tlsServers.length > 0) listener.tls = tlsServers;
    else {
      const redirect = servers.filter((s) => s.server.tls?.httpsRedirect === true).flatMap((s) => tlsServer(s.server, pod.namespace, ctx).hosts);
      if (redirect.length > 0) listener.httpsRedirectHosts = [...new Set(redirect)].sort();
    }
    listeners.push(listener);
    // Virtual hosts by domain; VirtualServices for the same host on a gateway are merged in age order.
    const vhosts = new Map<string, VirtualHost>();
    for (const vs of snap.virtualServices) {
      const vsNs = vs.metadata.namespace ?? 'default';
      for (const { gw, gwNs, server } of servers) {
        const bound = (vs.spec.gateways ?? []).some((g) => (g.includes('/') ? g : `${vsNs}/${g}`) === gw);
        if (!bound) continue;
        const ctx: RouteContext = { snap, pod, port, gateway: gw, referenced: refs };
        for (const h of vs.spec.hosts ?? []) {
          const host = h === '*' ? '*' : resolveShortName(h, vsNs, snap.domainSuffix);
          if (!server.hosts.some((sh) => serverHostAllows(sh, vsNs, gwNs, host))) continue;
          let vh = vhosts.get(host);
          if (!vh) {
            vh = { name: `${host}:${port}`, domains: host === '*' ? ['*'] : [host, `${host}:${port}`], routes: [] };
            vhosts.set(host, vh);
          }
          const seen = new Set(vh.routes.map((r) => r.name));
          for (const r of routesFromVirtualService(vs, ctx)) if (!seen.has(r.name)) vh.routes.push(r);
        }
      }
    }
    routes.push({ name: table, virtualHosts: [...vhosts.values()].sort((a, b) => (a.name < b.name ? -1 : 1)) });
  }
  const { clusters, endpoints } = buildClusters(snap, pod, refs);
  return { listeners, routes, clusters, endpoints, workload: workloadMetadata(snap, pod) };
}
