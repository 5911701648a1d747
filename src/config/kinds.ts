// The kinds a manifest may contain, the versions each is served under, and the schema of each.

import { z } from 'zod';
import { Kinds, type KindName } from '../api/index.ts';
import { bool, message, ObjectMeta } from './schemas/common.ts';
import { AnySpec, DeploymentSpec, KubeServiceSpec } from './schemas/kube.ts';
import { DestinationRuleSpec, GatewaySpec, ServiceEntrySpec, VirtualServiceSpec } from './schemas/networking.ts';
import { AuthorizationPolicySpec, PeerAuthenticationSpec, RequestAuthenticationSpec } from './schemas/security.ts';

export interface SupportedKind {
  kind: KindName;
  /** API group; empty for the Kubernetes core group (`apiVersion: v1`). */
  group: string;
  versions: readonly string[];
  namespaced: boolean;
}

interface KindDef extends SupportedKind {
  /** The whole document: apiVersion, kind, metadata, spec and any kind-specific top-level fields. */
  schema: z.ZodType;
  /** Whether a missing `spec` is left missing (and reported) rather than read as `{}`. */
  specRequired: boolean;
}

const ISTIO_VERSIONS = ['v1', 'v1beta1', 'v1alpha3'] as const;
const SECURITY_VERSIONS = ['v1', 'v1beta1'] as const;

function envelope(spec: z.ZodType, extra: z.ZodRawShape = {}): z.ZodType {
  return message({ apiVersion: z.string(), kind: z.string(), metadata: ObjectMeta, spec, status: z.unknown(), ...extra });
}

function def(kind: KindName, versions: readonly string[], spec: z.ZodType, opts: { specRequired?: boolean; extra?: z.ZodRawShape } = {}): KindDef {
  const info = Kinds[kind];
  return { kind, group: info.group, versions, namespaced: info.namespaced, schema: envelope(spec, opts.extra), specRequired: opts.specRequired ?? false };
}

const DEFS: readonly KindDef[] = [
  def('VirtualService', ISTIO_VERSIONS, VirtualServiceSpec),
  def('DestinationRule', ISTIO_VERSIONS, DestinationRuleSpec),
  def('Gateway', ISTIO_VERSIONS, GatewaySpec),
  def('ServiceEntry', ISTIO_VERSIONS, ServiceEntrySpec),
  def('PeerAuthentication', SECURITY_VERSIONS, PeerAuthenticationSpec),
  def('AuthorizationPolicy', SECURITY_VERSIONS, AuthorizationPolicySpec),
  def('RequestAuthentication', SECURITY_VERSIONS, RequestAuthenticationSpec),
  def('Namespace', ['v1'], AnySpec),
  def('Service', ['v1'], KubeServiceSpec),
  def('ServiceAccount', ['v1'], AnySpec, {
    extra: { secrets: z.array(z.unknown()), imagePullSecrets: z.array(z.unknown()), automountServiceAccountToken: bool },
  }),
  def('Deployment', ['v1'], DeploymentSpec, { specRequired: true }),
];

/** The kinds `parseManifests` accepts, with their served versions. */
export const SUPPORTED_KINDS: readonly SupportedKind[] = DEFS.map(({ kind, group, versions, namespaced }) => ({ kind, group, versions, namespaced }));

/** `VirtualService (networking.istio.io/v1, v1beta1, v1alpha3), ..., Service (v1), ...` */
export function describeSupportedKinds(): string {
  return SUPPORTED_KINDS.map((k) => `${k.kind} (${k.group === '' ? '' : `${k.group}/`}${k.versions.join(', ')})`).join(', ');
}

export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

export type KindLookup = { ok: true; def: KindDef } | { ok: false; code: 'ISTHMUS_ERR_CONFIG_UNKNOWN_KIND' | 'ISTHMUS_ERR_CONFIG_UNSUPPORTED_VERSION'; message: string };

export function lookupKind(apiVersion: string, kind: string): KindLookup {
  const { group, version } = splitApiVersion(apiVersion);
  const sameKind = DEFS.filter((d) => d.kind === kind);
  const match = sameKind.find((d) => d.group === group);
  if (match !== undefined) {
    if (match.versions.includes(version)) return { ok: true, def: match };
    const served = match.versions.map((v) => (match.group === '' ? v : `${match.group}/${v}`)).join(', ');
    return { ok: false, code: 'ISTHMUS_ERR_CONFIG_UNSUPPORTED_VERSION', message: `${kind} is not served as ${apiVersion}; use ${served}` };
  }
  if (kind === 'Pod' && group === '') {
    return { ok: false, code: 'ISTHMUS_ERR_CONFIG_UNKNOWN_KIND', message: 'kind Pod is not accepted in manifests: pods are started by the platform from Deployments' };
  }
  const elsewhere = sameKind[0];
  const hint = elsewhere === undefined ? '' : ` (${kind} is served by ${elsewhere.group === '' ? 'apiVersion v1' : `group ${elsewhere.group}`})`;
  return {
    ok: false,
    code: 'ISTHMUS_ERR_CONFIG_UNKNOWN_KIND',
    message: `unsupported kind ${kind} in ${apiVersion}${hint}; supported kinds: ${describeSupportedKinds()}`,
  };
}
