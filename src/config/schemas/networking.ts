// networking.istio.io VirtualService, DestinationRule, Gateway and ServiceEntry, every field of
// the 1.27 API (v1, v1beta1 and v1alpha3 share these shapes). Fields the mesh does not act on
// yet are accepted and kept as written.

import { z } from 'zod';
import { bool, double, duration, int32, message, str, strList, strMap, uint32, uint64 } from './common.ts';

// ---- shared --------------------------------------------------------------------------------

export const Percent = message({ value: double });
export const PortSelector = message({ number: uint32 });
export const StringMatch = message({ exact: str, prefix: str, regex: str });
export const Destination = message({ host: str, subset: str, port: PortSelector });

// ---- VirtualService ------------------------------------------------------------------------

export const HeaderOperations = message({ set: strMap, add: strMap, remove: strList });
export const Headers = message({ request: HeaderOperations, response: HeaderOperations });

export const HTTPMatchRequest = message({
  name: str,
  uri: StringMatch,
  scheme: StringMatch,
  method: StringMatch,
  authority: StringMatch,
  headers: z.record(z.string(), StringMatch),
  port: uint32,
  sourceLabels: strMap,
  gateways: strList,
  queryParams: z.record(z.string(), StringMatch),
  ignoreUriCase: bool,
  withoutHeaders: z.record(z.string(), StringMatch),
  sourceNamespace: str,
  statPrefix: str,
});

export const HTTPRouteDestination = message({ destination: Destination, weight: int32, headers: Headers });
export const RouteDestination = message({ destination: Destination, weight: int32 });

export const L4MatchAttributes = message({
  destinationSubnets: strList,
  port: uint32,
  sourceSubnet: str,
  sourceLabels: strMap,
  gateways: strList,
  sourceNamespace: str,
});

export const TLSMatchAttributes = message({
  sniHosts: strList,
  destinationSubnets: strList,
  port: uint32,
  sourceLabels: strMap,
  gateways: strList,
  sourceNamespace: str,
});

export const HTTPRedirect = message({
  uri: str,
  authority: str,
  port: uint32,
  derivePort: z.enum(['FROM_PROTOCOL_DEFAULT', 'FROM_REQUEST_PORT']),
  scheme: str,
  redirectCode: uint32,
});

export const HTTPBody = message({ string: str, bytes: str });
export const HTTPDirectResponse = message({ status: uint32, body: HTTPBody });
export const Delegate = message({ name: str, namespace: str });
export const RegexRewrite = message({ match: str, rewrite: str });
export const HTTPRewrite = message({ uri: str, authority: str, uriRegexRewrite: RegexRewrite });

export const HTTPRetry = message({
  attempts: int32,
  perTryTimeout: duration,
  retryOn: str,
  retryRemoteLocalities: bool,
  retryIgnorePreviousHosts: bool,
  backoff: duration,
});

export const CorsPolicy = message({
  allowOrigin: strList,
  allowOrigins: z.array(StringMatch),
  allowMethods: strList,
  allowHeaders: strList,
  exposeHeaders: strList,
  maxAge: duration,
  allowCredentials: bool,
  unmatchedPreflights: z.enum(['UNSPECIFIED', 'FORWARD', 'IGNORE']),
});

export const Delay = message({ percent: int32, fixedDelay: duration, exponentialDelay: duration, percentage: Percent });
export const Abort = message({ httpStatus: int32, grpcStatus: str, http2Error: str, percentage: Percent });
export const HTTPFaultInjection = message({ delay: Delay, abort: Abort });
export const HTTPMirrorPolicy = message({ destination: Destination, percentage: Percent });

export const HTTPRoute = message({
  name: str,
  match: z.array(HTTPMatchRequest),
  route: z.array(HTTPRouteDestination),
  redirect: HTTPRedirect,
  directResponse: HTTPDirectResponse,
  delegate: Delegate,
  rewrite: HTTPRewrite,
  timeout: duration,
  retries: HTTPRetry,
  fault: HTTPFaultInjection,
  mirror: Destination,
  mirrors: z.array(HTTPMirrorPolicy),
  mirrorPercent: uint32,
  mirrorPercentage: Percent,
  corsPolicy: CorsPolicy,
  headers: Headers,
});

export const TLSRoute = message({ match: z.array(TLSMatchAttributes), route: z.array(RouteDestination) });
export const TCPRoute = message({ match: z.array(L4MatchAttributes), route: z.array(RouteDestination) });

export const VirtualServiceSpec = message({
  hosts: strList,
  gateways: strList,
  http: z.array(HTTPRoute),
  tls: z.array(TLSRoute),
  tcp: z.array(TCPRoute),
  exportTo: strList,
});

// ---- DestinationRule -----------------------------------------------------------------------

export const SIMPLE_LB = ['UNSPECIFIED', 'LEAST_CONN', 'RANDOM', 'PASSTHROUGH', 'ROUND_ROBIN', 'LEAST_REQUEST'] as const;
export const CLIENT_TLS_MODES = ['DISABLE', 'SIMPLE', 'MUTUAL', 'ISTIO_MUTUAL'] as const;
export const H2_UPGRADE_POLICIES = ['DEFAULT', 'DO_NOT_UPGRADE', 'UPGRADE'] as const;

export const HTTPCookie = message({ name: str, path: str, ttl: duration });

export const ConsistentHashLB = message({
  httpHeaderName: str,
  httpCookie: HTTPCookie,
  useSourceIp: bool,
  httpQueryParameterName: str,
  ringHash: message({ minimumRingSize: uint64 }),
  maglev: message({ tableSize: uint64 }),
  minimumRingSize: uint64,
});

export const LocalityLoadBalancerSetting = message({
  distribute: z.array(message({ from: str, to: z.record(z.string(), uint32) })),
  failover: z.array(message({ from: str, to: str })),
  failoverPriority: strList,
  enabled: bool,
});

export const WarmupConfiguration = message({ duration, minimumPercent: double, aggression: double });

export const LoadBalancerSettings = message({
  simple: z.enum(SIMPLE_LB),
  consistentHash: ConsistentHashLB,
  localityLbSetting: LocalityLoadBalancerSetting,
  warmupDurationSecs: duration,
  warmup: WarmupConfiguration,
});

export const ConnectionPoolSettings = message({
  tcp: message({
    maxConnections: int32,
    connectTimeout: duration,
    tcpKeepalive: message({ probes: uint32, time: duration, interval: duration }),
    maxConnectionDuration: duration,
    idleTimeout: duration,
  }),
  http: message({
    http1MaxPendingRequests: int32,
    http2MaxRequests: int32,
    maxRequestsPerConnection: int32,
    maxRetries: int32,
    idleTimeout: duration,
    h2UpgradePolicy: z.enum(H2_UPGRADE_POLICIES),
    useClientProtocol: bool,
    maxConcurrentStreams: int32,
  }),
});

export const OutlierDetection = message({
  consecutiveErrors: int32,
  splitExternalLocalOriginErrors: bool,
  consecutiveLocalOriginFailures: uint32,
  consecutiveGatewayErrors: uint32,
  consecutive5xxErrors: uint32,
  interval: duration,
  baseEjectionTime: duration,
  maxEjectionPercent: int32,
  minHealthPercent: int32,
});

export const ClientTLSSettings = message({
  mode: z.enum(CLIENT_TLS_MODES),
  clientCertificate: str,
  privateKey: str,
  caCertificates: str,
  credentialName: str,
  subjectAltNames: strList,
  sni: str,
  insecureSkipVerify: bool,
  caCrl: str,
});

export const PortTrafficPolicy = message({
  port: PortSelector,
  loadBalancer: LoadBalancerSettings,
  connectionPool: ConnectionPoolSettings,
  outlierDetection: OutlierDetection,
  tls: ClientTLSSettings,
});

export const TrafficPolicy = message({
  loadBalancer: LoadBalancerSettings,
  connectionPool: ConnectionPoolSettings,
  outlierDetection: OutlierDetection,
  tls: ClientTLSSettings,
  portLevelSettings: z.array(PortTrafficPolicy),
  tunnel: message({ protocol: str, targetHost: str, targetPort: uint32 }),
  proxyProtocol: message({ version: z.enum(['V1', 'V2']) }),
  retryBudget: message({ percent: double, minRetryConcurrency: uint32 }),
});

export const Subset = message({ name: str, labels: strMap, trafficPolicy: TrafficPolicy });

export const DestinationRuleSpec = message({
  host: str,
  trafficPolicy: TrafficPolicy,
  subsets: z.array(Subset),
  exportTo: strList,
  workloadSelector: message({ matchLabels: strMap }),
});

// ---- Gateway -------------------------------------------------------------------------------

export const SERVER_TLS_MODES = ['PASSTHROUGH', 'SIMPLE', 'MUTUAL', 'AUTO_PASSTHROUGH', 'ISTIO_MUTUAL', 'OPTIONAL_MUTUAL'] as const;
export const TLS_PROTOCOLS = ['TLS_AUTO', 'TLSV1_0', 'TLSV1_1', 'TLSV1_2', 'TLSV1_3'] as const;

export const GatewayPort = message({ number: uint32, protocol: str, name: str, targetPort: uint32 });

export const ServerTLSSettings = message({
  httpsRedirect: bool,
  mode: z.enum(SERVER_TLS_MODES),
  serverCertificate: str,
  privateKey: str,
  caCertificates: str,
  caCrl: str,
  credentialName: str,
  credentialNames: strList,
  tlsCertificates: z.array(message({ serverCertificate: str, privateKey: str, caCertificates: str })),
  subjectAltNames: strList,
  verifyCertificateSpki: strList,
  verifyCertificateHash: strList,
  minProtocolVersion: z.enum(TLS_PROTOCOLS),
  maxProtocolVersion: z.enum(TLS_PROTOCOLS),
  cipherSuites: strList,
});

export const Server = message({ port: GatewayPort, bind: str, hosts: strList, tls: ServerTLSSettings, defaultEndpoint: str, name: str });

export const GatewaySpec = message({ servers: z.array(Server), selector: strMap });

// ---- ServiceEntry --------------------------------------------------------------------------

export const SE_LOCATIONS = ['MESH_EXTERNAL', 'MESH_INTERNAL'] as const;
export const SE_RESOLUTIONS = ['NONE', 'STATIC', 'DNS', 'DNS_ROUND_ROBIN'] as const;

export const ServicePort = message({ number: uint32, protocol: str, name: str, targetPort: uint32 });

export const WorkloadEntry = message({
  address: str,
  ports: z.record(z.string(), uint32),
  labels: strMap,
  network: str,
  locality: str,
  weight: uint32,
  serviceAccount: str,
});

export const ServiceEntrySpec = message({
  hosts: strList,
  addresses: strList,
  ports: z.array(ServicePort),
  location: z.enum(SE_LOCATIONS),
  resolution: z.enum(SE_RESOLUTIONS),
  endpoints: z.array(WorkloadEntry),
  workloadSelector: message({ labels: strMap }),
  exportTo: strList,
  subjectAltNames: strList,
});
