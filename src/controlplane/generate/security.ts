// Security config for one proxy: the inbound mTLS mode per port (PeerAuthentication), the
// identity a client should expect from each endpoint (auto mTLS), DestinationRule TLS, and the
// AuthorizationPolicies and RequestAuthentication rules that select the workload.

import {
  DRY_RUN_ANNOTATION,
  type AuthzPolicyConfig, type ClientTlsSpec, type ExtAuthzProvider, type InboundMtlsMode, type JwtRuleConfig, type MeshExtAuthzProvider,
  type PeerAuthenticationSpec, type PeerMtlsMode, type PolicyTargetReference, type ProxySecurity, type Resource,
  type UpstreamTls, type WorkloadSelector,
} from '../../api/index.ts';
import { labelsMatch, resolveShortName, spiffeId, type MeshSnapshot, type PodModel } from '../../model/index.ts';

/** What the control plane knows beyond the snapshot: trust roots, fetched JWKS, mesh config. */
export interface SecurityContext {
  /** PEM roots every proxy trusts (the CA's bundle). */
  roots: readonly string[];
  /** A fetched JWKS for a `jwksUri`, or why there is none yet. */
  jwks?: (uri: string, timeout?: string) => { jwks?: string; error?: string; pending?: boolean };
  /** The mesh config's `envoyExtAuthzHttp` extension providers, by name. */
  extensionProviders?: ReadonlyMap<string, MeshExtAuthzProvider>;
  /** Where `credentialName` secrets live: `<secretsDir>/<namespace>/<name>/{tls.crt,tls.key,ca.crt}`. */
  secretsDir?: string;
  /** false: proxies leave out `x-isthmus-reason` (mesh config). */
  reasonHeader?: boolean;
  /** Mesh config `defaultConfig.gatewayTopology.numTrustedProxies` (gateways only). */
  numTrustedProxies?: number;
  /** Content version of a secret, or undefined when there is none. */
  secretVersion?: (namespace: string, name: string) => string | undefined;
}

export const EMPTY_SECURITY_CONTEXT: SecurityContext = { roots: [] };

function ns(r: Resource): string {
  return r.metadata.namespace ?? 'default';
}

function selects(selector: WorkloadSelector | undefined, pod: PodModel): boolean {
  return selector?.matchLabels !== undefined && Object.keys(selector.matchLabels).length > 0 && labelsMatch(selector.matchLabels, pod.labels);
}

function hasSelector(selector: WorkloadSelector | undefined): boolean {
  return selector?.matchLabels !== undefined && Object.keys(selector.matchLabels).length > 0;
}

function effective(mode: PeerMtlsMode | undefined): InboundMtlsMode | undefined {
  return mode === undefined || mode === 'UNSET' ? undefined : mode;
}

/**
 * The PeerAuthentication mode for a workload's port: PERMISSIVE unless the mesh policy (root
 * namespace, no selector), then the namespace policy, then the workload policy (selector), then
 * its port-level setting say otherwise; UNSET inherits. The oldest policy of each level wins.
 */
export function inboundMtlsMode(snap: MeshSnapshot, pod: PodModel, port: number): InboundMtlsMode {
  let mesh: Resource<PeerAuthenticationSpec> | undefined;
  let namespace: Resource<PeerAuthenticationSpec> | undefined;
  let workload: Resource<PeerAuthenticationSpec> | undefined;
  for (const pa of snap.peerAuthentications) {
    const paNs = ns(pa);
    if (!hasSelector(pa.spec.selector)) {
      if (paNs === snap.rootNamespace) mesh ??= pa;
      if (paNs === pod.namespace) namespace ??= pa;
    } else if (paNs === pod.namespace && selects(pa.spec.selector, pod)) workload ??= pa;
  }
  let mode: InboundMtlsMode = 'PERMISSIVE';
  for (const p of [mesh, namespace, workload]) mode = effective(p?.spec.mtls?.mode) ?? mode;
  const portLevel = workload?.spec.portLevelMtls?.[String(port)];
  return effective(portLevel?.mode) ?? mode;
}

/** Auto mTLS: the identity to expect from an endpoint pod, or undefined for plaintext (no sidecar, or its port says DISABLE). */
export function endpointMtls(snap: MeshSnapshot, pod: PodModel, port: number): { identity: string } | undefined {
  if (!pod.hasSidecar) return undefined;
  if (inboundMtlsMode(snap, pod, port) === 'DISABLE') return undefined;
  return { identity: spiffeId(snap.trustDomain, pod.namespace, pod.serviceAccount) };
}

/** DestinationRule TLS as the proxy applies it; `disabled` for mode DISABLE, undefined when auto mTLS decides. */
export function upstreamTls(spec: ClientTlsSpec | undefined): { tls?: UpstreamTls; disabled?: boolean } {
  if (spec === undefined || spec.mode === undefined) return {};
  if (spec.mode === 'DISABLE') return { disabled: true };
  const tls: UpstreamTls = { mode: spec.mode };
  if (spec.sni) tls.sni = spec.sni;
  if (spec.subjectAltNames && spec.subjectAltNames.length > 0) tls.subjectAltNames = [...spec.subjectAltNames];
  if (spec.mode !== 'ISTIO_MUTUAL') {
    if (spec.caCertificates) tls.caCertificates = spec.caCertificates;
    if (spec.mode === 'MUTUAL') {
      if (spec.clientCertificate) tls.clientCertificate = spec.clientCertificate;
      if (spec.privateKey) tls.privateKey = spec.privateKey;
    }
    if (spec.insecureSkipVerify) tls.insecureSkipVerify = true;
  }
  return { tls };
}

/** targetRefs: a Kubernetes Gateway (its pods carry `gateway.networking.k8s.io/gateway-name`) or a Service (the pods it selects). */
function targetsPod(snap: MeshSnapshot, refs: readonly PolicyTargetReference[], policyNs: string, pod: PodModel): boolean {
  if (pod.namespace !== policyNs) return false;
  return refs.some((ref) => {
    if (ref.kind === 'Gateway') return pod.labels['gateway.networking.k8s.io/gateway-name'] === ref.name;
    if (ref.kind === 'Service') {
      const svc = snap.services.find((s) => s.source === 'kubernetes' && s.name === ref.name && s.namespace === policyNs);
      return svc?.selector !== undefined && labelsMatch(svc.selector, pod.labels);
    }
    return false;
  });
}

/** Whether a policy with this selector/targetRefs, in namespace `policyNs`, applies to the pod. */
export function policyApplies(
  snap: MeshSnapshot,
  spec: { selector?: WorkloadSelector; targetRef?: PolicyTargetReference; targetRefs?: PolicyTargetReference[] },
  policyNs: string,
  pod: PodModel,
): boolean {
  const refs = spec.targetRefs ?? (spec.targetRef ? [spec.targetRef] : undefined);
  if (refs !== undefined && refs.length > 0) return targetsPod(snap, refs, policyNs, pod);
  if (hasSelector(spec.selector)) return policyNs === pod.namespace && selects(spec.selector, pod);
  return policyNs === snap.rootNamespace || policyNs === pod.namespace;
}

function byName(a: { name: string }, b: { name: string }): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/**
 * An extension provider's address: a mesh service resolves to one of its ready pods (the
 * authorizer is called directly, in plaintext); anything else is used as a host name or address.
 */
function resolveProvider(snap: MeshSnapshot, p: MeshExtAuthzProvider, fromNs: string): ExtAuthzProvider {
  const host = resolveShortName(p.service, fromNs, snap.domainSuffix);
  const svc = snap.serviceByHost.get(host) ?? snap.serviceByHost.get(p.service);
  let url = `http://${p.service.includes(':') ? `[${p.service}]` : p.service}:${p.port}`;
  const sp = svc?.ports.find((x) => x.port === p.port);
  if (svc?.selector && sp) {
    const pod = snap.pods.find((x) => x.ready && x.ip && x.namespace === svc.namespace && labelsMatch(svc.selector, x.labels));
    const target = typeof sp.targetPort === 'number' ? sp.targetPort : pod?.containerPorts.find((c) => c.name === sp.targetPort)?.port;
    if (pod && target !== undefined) url = `http://${pod.ip}:${target}`;
  }
  const out: ExtAuthzProvider = {
    name: p.name, url, timeoutMs: p.timeoutMs, failOpen: p.failOpen, statusOnError: p.statusOnError,
    includeRequestHeadersInCheck: [...p.includeRequestHeadersInCheck],
    headersToUpstreamOnAllow: [...p.headersToUpstreamOnAllow],
    headersToDownstreamOnDeny: [...p.headersToDownstreamOnDeny],
  };
  if (p.pathPrefix !== undefined) out.pathPrefix = p.pathPrefix;
  return out;
}

export function authorizationFor(snap: MeshSnapshot, pod: PodModel, ctx: SecurityContext): AuthzPolicyConfig[] {
  const out: AuthzPolicyConfig[] = [];
  for (const ap of snap.authorizationPolicies) {
    if (!policyApplies(snap, ap.spec, ns(ap), pod)) continue;
    const action = ap.spec.action ?? 'ALLOW';
    const p: AuthzPolicyConfig = { name: `${ns(ap)}/${ap.metadata.name}`, action, rules: ap.spec.rules ?? [] };
    if (ap.metadata.annotations?.[DRY_RUN_ANNOTATION] === 'true') p.dryRun = true;
    if (action === 'CUSTOM') {
      const provider = ctx.extensionProviders?.get(ap.spec.provider?.name ?? '');
      // Without a known provider the proxy denies what the policy matches (fail closed).
      if (provider) p.provider = resolveProvider(snap, provider, ns(ap));
    }
    out.push(p);
  }
  return out.sort(byName);
}

export function jwtRulesFor(snap: MeshSnapshot, pod: PodModel, ctx: SecurityContext): JwtRuleConfig[] {
  const out: JwtRuleConfig[] = [];
  const sorted = [...snap.requestAuthentications].sort((a, b) => byName({ name: `${ns(a)}/${a.metadata.name}` }, { name: `${ns(b)}/${b.metadata.name}` }));
  for (const ra of sorted) {
    if (!policyApplies(snap, ra.spec, ns(ra), pod)) continue;
    (ra.spec.jwtRules ?? []).forEach((rule, i) => {
      const r: JwtRuleConfig = { ...rule, name: `${ns(ra)}/${ra.metadata.name}#${i}` };
      if (rule.jwks !== undefined) r.resolvedJwks = rule.jwks;
      else if (rule.jwksUri !== undefined) {
        const got = ctx.jwks?.(rule.jwksUri, rule.timeout);
        if (got?.jwks !== undefined) r.resolvedJwks = got.jwks;
        else r.jwksError = got?.error ?? (got?.pending ? `JWKS from ${rule.jwksUri} not fetched yet` : `JWKS from ${rule.jwksUri} is not available`);
      }
      out.push(r);
    });
  }
  return out;
}

export function proxySecurity(snap: MeshSnapshot, pod: PodModel, ctx: SecurityContext, role: 'sidecar' | 'gateway' = 'sidecar'): ProxySecurity {
  const out: ProxySecurity = {
    trustDomain: snap.trustDomain,
    identity: spiffeId(snap.trustDomain, pod.namespace, pod.serviceAccount),
    roots: [...ctx.roots],
    authorization: authorizationFor(snap, pod, ctx),
    jwtRules: jwtRulesFor(snap, pod, ctx),
  };
  if (role === 'gateway' && ctx.numTrustedProxies !== undefined && ctx.numTrustedProxies > 0) out.numTrustedProxies = ctx.numTrustedProxies;
  return out;
}
