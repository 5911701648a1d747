// The configuration the control plane computes for one proxy and pushes to it. It is plain JSON,
// sorted and deterministic, so it can be hashed, diffed and kept as golden files. The proxy
// compiles it once per version into routers and pools; nothing here is evaluated per request
// except through that compiled form.

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
}

export type LbPolicy = 'ROUND_ROBIN' | 'LEAST_REQUEST' | 'RANDOM' | 'PASSTHROUGH';

export interface Cluster {
  /** `outbound|<port>|<subset>|<fqdn>` or `inbound|<port>||`. */
  name: string;
  direction: 'outbound' | 'inbound';
  service?: string;
  port: number;
  subset?: string;
  lbPolicy: LbPolicy;
  /** The DestinationRule traffic policy that applies, as written, for later features. */
  trafficPolicy?: Record<string, unknown>;
}

export interface Endpoint {
  address: string;
  port: number;
  /** Pod name for display; absent for ServiceEntry endpoints. */
  pod?: string;
  labels?: Record<string, string>;
}

export interface ClusterEndpoints {
  cluster: string;
  endpoints: Endpoint[];
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
}
