// The configuration the control plane computes for one proxy and pushes to it. It is plain JSON,
// sorted and deterministic, so it can be hashed, diffed and kept as golden files. The proxy
// compiles it once per version into routers and pools; nothing here is evaluated per request
// except through that compiled form.

import type { AuthzAction, AuthzRule, JWTRule } from './security.ts';

export type ProxyRole = 'sidecar' | 'gateway';

/** Who a proxy is. Sent by the proxy when it connects; the control plane fills in the rest from the registry. */
export interface ProxyNode {
  /** `<pod>.<namespace>`, as Istio names proxies. */
  id: string;
  role: ProxyRole;
  podName: string;
  namespace: string;
}

export interface StringMatcher {
  exact?: string;
  prefix?: string;
  /** Full-string match (anchored), RE2-compatible subset of JavaScript regex. */
  regex?: string;
}

export interface HeaderMatcher {
  /** Lower-case header name; `:authority`, `:method`, `:scheme`, `:path` are not used here. */
  name: string;
  /** Absent means "present with any value". */
  match?: StringMatcher;
  /** True for `withoutHeaders`: the route matches when this header does NOT match. */
  invert?: boolean;
}

export interface QueryMatcher {
  name: string;
  /** Absent means "present with any value". */
  match?: StringMatcher;
}

/** One ORed alternative of a VirtualService http route; every set field must match (AND). */
export interface RouteMatch {
  path?: StringMatcher;
  ignoreUriCase?: boolean;
  scheme?: StringMatcher;
  method?: StringMatcher;
  authority?: StringMatcher;
  headers?: HeaderMatcher[];
  queryParams?: QueryMatcher[];
}

export interface WeightedCluster {
  cluster: string;
  weight: number;
  /** The destination's own `headers` (VirtualService `route[].headers`), applied when it is picked. */
  headers?: { request?: HeaderOps; response?: HeaderOps };
}

export interface HeaderOps {
  set?: Record<string, string>;
  add?: Record<string, string>;
  remove?: string[];
}

export interface RouteAction {
  /** Relative weights; the proxy picks one per request. Empty means 503 (no destination). */
  clusters: WeightedCluster[];
}

export interface DirectResponseAction {
  status: number;
  body?: string;
}

export interface Route {
  /** `<vs namespace>/<vs name>#<http index>[.<match index>]`, or `default` for the route with no VirtualService. */
  name: string;
  match: RouteMatch;
  route?: RouteAction;
  directResponse?: DirectResponseAction;
  /**
   * The VirtualService http route as written (timeout, retries, fault, headers, ...). Carried
   * so later features can act on it and `proxy-config routes` can show it.
   */
  policy?: Record<string, unknown>;
  /** Traffic mirroring (`mirror`/`mirrors`): copies go to these clusters, responses dropped. */
  mirrors?: MirrorTarget[];
}

export interface MirrorTarget {
  cluster: string;
  /** Share of requests mirrored, 0-100 (Istio's default is 100). */
  percentage: number;
}

export interface VirtualHost {
  name: string;
  /** Lower-case `host` and `host:port` forms; `*.suffix` and `*` wildcards allowed. */
  domains: string[];
  routes: Route[];
}

export interface RouteTable {
  /** `<port>` for sidecar outbound, `http.<port>` for gateways. */
  name: string;
  virtualHosts: VirtualHost[];
}

export interface Listener {
  /** `<address>_<port>`, as Envoy names them. */
  name: string;
  direction: 'outbound' | 'inbound' | 'gateway';
  address: string;
  port: number;
  protocol: 'HTTP';
  /** Route table for HTTP listeners that route (gateway). */
  routeTable?: string;
  /** Inbound: the cluster that reaches the local app. */
  cluster?: string;
  /**
   * Inbound: the peer authentication mode after PeerAuthentication resolution (workload, then
   * namespace, then mesh; port-level settings applied). Absent means PERMISSIVE.
   */
  mtls?: InboundMtlsMode;
  /** Gateway: TLS servers on this port (SNI picks one); absent for plain HTTP. */
  tls?: GatewayTlsServer[];
  /** Gateway: hosts of plain HTTP servers with `tls.httpsRedirect`; their requests get a 301 to https. */
  httpsRedirectHosts?: string[];
  /**
   * Gateway: TLS passthrough routes (VirtualService `tls` routes bound to PASSTHROUGH servers).
   * A connection whose ClientHello names one of `sniHosts` is sent on, still encrypted, to a
   * weighted cluster; in order, first match wins.
   */
  passthrough?: PassthroughRoute[];
}

export interface PassthroughRoute {
  /** `<vs namespace>/<vs name>#tls<index>`. */
  name: string;
  /** Lower-case SNI hosts; `*.suffix` and `*` allowed. */
  sniHosts: string[];
  clusters: WeightedCluster[];
}

export type InboundMtlsMode = 'DISABLE' | 'PERMISSIVE' | 'STRICT';

/** One Gateway server's TLS settings, with `credentialName` already resolved to files. */
export interface GatewayTlsServer {
  /** Lower-case server hosts (no namespace part); `*` and `*.suffix` allowed. */
  hosts: string[];
  mode: 'SIMPLE' | 'MUTUAL' | 'PASSTHROUGH' | 'ISTIO_MUTUAL' | 'OPTIONAL_MUTUAL';
  serverCertificate?: string;
  privateKey?: string;
  caCertificates?: string;
  subjectAltNames?: string[];
  minProtocolVersion?: string;
  maxProtocolVersion?: string;
  cipherSuites?: string[];
  /** Where the credential came from, for messages (`credentialName` or file paths). */
  source: string;
  /** Content hash of the `credentialName` secret, so a changed secret is a new config version. */
  credentialVersion?: string;
}

/** How a sidecar or gateway talks TLS to an upstream (DestinationRule `tls`, or auto mTLS). */
export interface UpstreamTls {
  mode: 'ISTIO_MUTUAL' | 'SIMPLE' | 'MUTUAL';
  sni?: string;
  /** Accepted peer SANs (URI or DNS); empty means any cert the roots verify (SIMPLE/MUTUAL) or the endpoint's identity (ISTIO_MUTUAL). */
  subjectAltNames?: string[];
  /** SIMPLE/MUTUAL: CA bundle file; absent means the system roots. */
  caCertificates?: string;
  /** MUTUAL: client certificate and key files. */
  clientCertificate?: string;
  privateKey?: string;
  insecureSkipVerify?: boolean;
}

/** RING_HASH and MAGLEV: a DestinationRule `consistentHash` (its details are in `Cluster.policy`). */
export type LbPolicy = 'ROUND_ROBIN' | 'LEAST_REQUEST' | 'RANDOM' | 'PASSTHROUGH' | 'RING_HASH' | 'MAGLEV';

/**
 * A cluster's DestinationRule traffic policy, resolved for its subset and port (subset over top
 * level, port level over its own level) and typed. Durations are milliseconds.
 *
 * What is filled in: a section the rule does not set is absent, and the proxy uses its own
 * defaults. Inside a section that is set, fields are as written, except where a documented
 * default decides behaviour once the section exists: `outlierDetection` (every field),
 * `retryBudget` (percent 20, minRetryConcurrency 3), `warmup` (minimumPercent 10, aggression 1)
 * and the hash table sizes (ringHash 1024, maglev 65537). Connection-pool limits left unset
 * mean "unlimited" or the proxy's own timeouts, so they stay absent.
 */
export interface ClusterPolicy {
  loadBalancer?: ClusterLoadBalancer;
  connectionPool?: ClusterConnectionPool;
  outlierDetection?: ClusterOutlierDetection;
  retryBudget?: ClusterRetryBudget;
}

export interface ClusterLoadBalancer {
  /** `simple`, with LEAST_CONN read as LEAST_REQUEST; absent for UNSPECIFIED or consistentHash. */
  simple?: 'ROUND_ROBIN' | 'LEAST_REQUEST' | 'RANDOM' | 'PASSTHROUGH';
  consistentHash?: ConsistentHashPolicy;
  /** As written (distribute, failover, failoverPriority, enabled). */
  localityLbSetting?: Record<string, unknown>;
  /** `warmup`, or the deprecated `warmupDurationSecs` when `warmup` is not set. */
  warmup?: { durationMs: number; minimumPercent: number; aggression: number };
}

/** One hash key at most (none: the proxy picks as if there were no key), and exactly one algorithm. */
export interface ConsistentHashPolicy {
  httpHeaderName?: string;
  /** `ttlMs` absent: the cookie is only read, never set; 0 asks for a session cookie. */
  httpCookie?: { name: string; path?: string; ttlMs?: number };
  useSourceIp?: boolean;
  httpQueryParameterName?: string;
  /** The default algorithm (also when only the deprecated `minimumRingSize` is given). */
  ringHash?: { minimumRingSize: number };
  maglev?: { tableSize: number };
}

export interface ClusterConnectionPool {
  tcp?: {
    maxConnections?: number;
    connectTimeoutMs?: number;
    tcpKeepalive?: { probes?: number; timeMs?: number; intervalMs?: number };
    maxConnectionDurationMs?: number;
    idleTimeoutMs?: number;
  };
  http?: {
    http1MaxPendingRequests?: number;
    http2MaxRequests?: number;
    /** 0 means unlimited. */
    maxRequestsPerConnection?: number;
    maxRetries?: number;
    idleTimeoutMs?: number;
    h2UpgradePolicy?: 'DEFAULT' | 'DO_NOT_UPGRADE' | 'UPGRADE';
    useClientProtocol?: boolean;
    maxConcurrentStreams?: number;
  };
}

/** Every field filled with Istio's default when the rule has `outlierDetection`. 0 errors disables that check. */
export interface ClusterOutlierDetection {
  consecutive5xxErrors: number;
  consecutiveGatewayErrors: number;
  consecutiveLocalOriginFailures: number;
  splitExternalLocalOriginErrors: boolean;
  intervalMs: number;
  baseEjectionTimeMs: number;
  maxEjectionPercent: number;
  minHealthPercent: number;
}

export interface ClusterRetryBudget {
  /** Concurrent retries as a percentage of active plus pending requests. */
  percent: number;
  minRetryConcurrency: number;
}

export interface Cluster {
  /** `outbound|<port>|<subset>|<fqdn>` or `inbound|<port>||`. */
  name: string;
  direction: 'outbound' | 'inbound';
  /** The service's FQDN (inbound: the first service that selects the pod on this port). */
  service?: string;
  /** Short name and namespace of that service, for telemetry (`destination_service_name`/`_namespace`). */
  serviceName?: string;
  serviceNamespace?: string;
  port: number;
  subset?: string;
  lbPolicy: LbPolicy;
  /** The DestinationRule traffic policy that applies, as written, for display. */
  trafficPolicy?: Record<string, unknown>;
  /** That traffic policy resolved for this cluster's subset and port, typed and defaulted. */
  policy?: ClusterPolicy;
  /**
   * TLS to every endpoint, from the DestinationRule's `tls` (mode DISABLE leaves it absent and
   * sets `tlsDisabled`). Absent: auto mTLS decides per endpoint (`Endpoint.mtls`).
   */
  tls?: UpstreamTls;
  /** The DestinationRule said `tls.mode: DISABLE`: plaintext even to sidecars. */
  tlsDisabled?: boolean;
  /**
   * Locality `distribute` for this proxy's locality: `region/zone/subzone` of each endpoint
   * locality that takes traffic, with its relative weight. The proxy first picks a locality by
   * weight (among those with a healthy endpoint), then an endpoint in it by `lbPolicy`. An
   * endpoint whose locality is not listed takes no traffic. Absent: no locality weighting.
   */
  localityWeights?: Record<string, number>;
}

export interface Endpoint {
  address: string;
  port: number;
  /** Pod name for display; absent for ServiceEntry endpoints. */
  pod?: string;
  labels?: Record<string, string>;
  /**
   * Auto mTLS: the endpoint has a sidecar that accepts mTLS on this port, so the client uses
   * ISTIO_MUTUAL and expects this SPIFFE identity. Absent: plaintext.
   */
  mtls?: { identity: string };
  /** The endpoint's workload, for telemetry labels (pods only). */
  workload?: WorkloadMetadata;
  /** `region/zone/subzone` (parts may be empty), from the pod's labels or the WorkloadEntry/ServiceEntry endpoint. */
  locality?: string;
  /**
   * Locality failover priority relative to this proxy (0, the default, is preferred). The proxy
   * sends traffic to the lowest priority that has healthy endpoints, spilling over to the next
   * as endpoints are ejected (Envoy's priority levels with its 1.4 overprovisioning factor).
   * Set only when locality load balancing applies (enabled, and the cluster has outlier detection).
   */
  priority?: number;
}

export interface ClusterEndpoints {
  cluster: string;
  endpoints: Endpoint[];
}

/**
 * Who a workload is, as telemetry labels it (Istio's `source_*`/`destination_*` labels): from the
 * pod's labels, namespace and service account.
 */
export interface WorkloadMetadata {
  /** The workload (Deployment) name: the pod name without its ReplicaSet and pod suffixes. */
  name: string;
  namespace: string;
  /** `app` label (or `app.kubernetes.io/name`), '' when absent. */
  app: string;
  /** `version` label (or `app.kubernetes.io/version`), '' when absent. */
  version: string;
  /** `service.istio.io/canonical-name`, else the app label, else the workload name. */
  canonicalService: string;
  /** `service.istio.io/canonical-revision`, else the version label, else `latest`. */
  canonicalRevision: string;
  /** SPIFFE identity; '' when unknown. */
  principal: string;
  /** Cluster ID (`Kubernetes` on one machine, as Istio's default). */
  cluster: string;
}

export interface ProxyConfig {
  /** Content version: a stable hash of everything below. */
  version: string;
  node: ProxyNode;
  /** Sidecars: the outbound HTTP listener routes by request port, using route table `<port>`. */
  listeners: Listener[];
  routes: RouteTable[];
  clusters: Cluster[];
  endpoints: ClusterEndpoints[];
  /** Proxy behaviour switches from the mesh config; absent means the defaults. */
  options?: ProxyOptions;
  /** Absent: no mesh identity, no policies (tests and tools may omit it). */
  security?: ProxySecurity;
  /** The proxy's own workload, for telemetry labels; absent in tests and tools that omit it. */
  workload?: WorkloadMetadata;
}

export interface ProxyOptions {
  /** false: the proxy's own responses carry no `x-isthmus-reason` header (default true). */
  reasonHeader?: boolean;
}

/** Identity, trust, and the request policies that apply to this proxy's workload. */
export interface ProxySecurity {
  trustDomain: string;
  /** `spiffe://<trust domain>/ns/<namespace>/sa/<service account>` of this proxy's workload. */
  identity: string;
  /** PEM root certificates this proxy trusts for mesh mTLS (more than one while roots rotate). */
  roots: string[];
  /** AuthorizationPolicies selecting this workload, in namespace/name order. */
  authorization: AuthzPolicyConfig[];
  /** RequestAuthentication JWT rules selecting this workload, with JWKS resolved by the control plane. */
  jwtRules: JwtRuleConfig[];
  /** Gateways: trusted proxies in front that append to X-Forwarded-For (remote.ip, remoteIpBlocks). */
  numTrustedProxies?: number;
}

export interface AuthzPolicyConfig {
  /** `<namespace>/<name>`. */
  name: string;
  action: AuthzAction;
  rules: AuthzRule[];
  /** `istio.io/dry-run: "true"`: evaluate and log, enforce nothing. */
  dryRun?: boolean;
  /** CUSTOM: the mesh config's extension provider, resolved. */
  provider?: ExtAuthzProvider;
}

/** An `envoyExtAuthzHttp` extension provider from the mesh config. */
export interface ExtAuthzProvider {
  name: string;
  /** Base URL of the authorizer, e.g. `http://127.0.0.1:9000`. */
  url: string;
  pathPrefix?: string;
  timeoutMs: number;
  failOpen: boolean;
  /** Request headers sent to the authorizer (lower-case); empty means the defaults Envoy sends. */
  includeRequestHeadersInCheck: string[];
  /** Authorizer response headers copied to the upstream request on allow. */
  headersToUpstreamOnAllow: string[];
  /** Authorizer response headers copied to the client response on deny. */
  headersToDownstreamOnDeny: string[];
  statusOnError: number;
}

export interface JwtRuleConfig extends JWTRule {
  /** `<namespace>/<name>#<index>` of the RequestAuthentication rule. */
  name: string;
  /** JWKS JSON: inline `jwks`, or what the control plane fetched from `jwksUri`. */
  resolvedJwks?: string;
  /** Why the JWKS could not be had; tokens for this issuer are then rejected (401). */
  jwksError?: string;
}
