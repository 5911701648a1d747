// security.istio.io PeerAuthentication, AuthorizationPolicy and RequestAuthentication, every
// field of the 1.27 API (v1 and v1beta1 share these shapes).

import { z } from 'zod';
import { bool, duration, message, str, strList, strMap } from './common.ts';

// ---- shared --------------------------------------------------------------------------------

export const WorkloadSelector = message({ matchLabels: strMap });
export const PolicyTargetReference = message({ group: str, kind: str, name: str, namespace: str });

// ---- PeerAuthentication --------------------------------------------------------------------

export const PEER_MTLS_MODES = ['UNSET', 'DISABLE', 'PERMISSIVE', 'STRICT'] as const;

export const MutualTLS = message({ mode: z.enum(PEER_MTLS_MODES) });

export const PeerAuthenticationSpec = message({
  selector: WorkloadSelector,
  mtls: MutualTLS,
  /** Keys are port numbers; YAML reads `80:` as a number, JSON objects keep it as the string "80". */
  portLevelMtls: z.record(z.string(), MutualTLS),
});

// ---- AuthorizationPolicy -------------------------------------------------------------------

export const AUTHZ_ACTIONS = ['ALLOW', 'DENY', 'AUDIT', 'CUSTOM'] as const;

export const Source = message({
  principals: strList,
  notPrincipals: strList,
  requestPrincipals: strList,
  notRequestPrincipals: strList,
  namespaces: strList,
  notNamespaces: strList,
  serviceAccounts: strList,
  notServiceAccounts: strList,
  ipBlocks: strList,
  notIpBlocks: strList,
  remoteIpBlocks: strList,
  notRemoteIpBlocks: strList,
});

export const Operation = message({
  hosts: strList,
  notHosts: strList,
  ports: strList,
  notPorts: strList,
  methods: strList,
  notMethods: strList,
  paths: strList,
  notPaths: strList,
});

export const Condition = message({ key: str, values: strList, notValues: strList });

export const AuthzRule = message({
  from: z.array(message({ source: Source })),
  to: z.array(message({ operation: Operation })),
  when: z.array(Condition),
});

export const AuthorizationPolicySpec = message({
  selector: WorkloadSelector,
  targetRef: PolicyTargetReference,
  targetRefs: z.array(PolicyTargetReference),
  rules: z.array(AuthzRule),
  action: z.enum(AUTHZ_ACTIONS),
  provider: message({ name: str }),
});

// ---- RequestAuthentication -----------------------------------------------------------------

export const JWTHeader = message({ name: str, prefix: str });
export const ClaimToHeader = message({ header: str, claim: str });

export const JWTRule = message({
  issuer: str,
  audiences: strList,
  jwksUri: str,
  /** The proto field name, which Istio's CRD also lists; the validator asks for `jwksUri`. */
  jwks_uri: str,
  jwks: str,
  fromHeaders: z.array(JWTHeader),
  fromParams: strList,
  outputPayloadToHeader: str,
  fromCookies: strList,
  forwardOriginalToken: bool,
  outputClaimToHeaders: z.array(ClaimToHeader),
  timeout: duration,
});

export const RequestAuthenticationSpec = message({
  selector: WorkloadSelector,
  targetRef: PolicyTargetReference,
  targetRefs: z.array(PolicyTargetReference),
  jwtRules: z.array(JWTRule),
});
