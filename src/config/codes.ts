// Every diagnostic the config area emits carries one of these codes. Codes are stable: callers
// and tests match on them, so rename nothing; add new ones at the end of their group.

export interface CodeInfo {
  /** Severity the code is usually reported with; a few codes are reported both ways. */
  severity: 'error' | 'warning';
  summary: string;
}

export const ConfigCodes = {
  // Reading the file
  ISTHMUS_ERR_CONFIG_YAML_SYNTAX: { severity: 'error', summary: 'the YAML document could not be parsed' },
  ISTHMUS_ERR_CONFIG_YAML_WARNING: { severity: 'warning', summary: 'the YAML parser reported a warning (unknown tag, ...)' },
  ISTHMUS_ERR_CONFIG_NOT_AN_OBJECT: { severity: 'error', summary: 'a document or List item is not a mapping' },
  ISTHMUS_ERR_CONFIG_UNKNOWN_KIND: { severity: 'error', summary: 'apiVersion/kind is not one the mesh accepts' },
  ISTHMUS_ERR_CONFIG_UNSUPPORTED_VERSION: { severity: 'error', summary: 'a known kind under a version that is not served' },

  // Shape (schema)
  ISTHMUS_ERR_CONFIG_MISSING_FIELD: { severity: 'error', summary: 'a required field is absent or empty' },
  ISTHMUS_ERR_CONFIG_UNKNOWN_FIELD: { severity: 'error', summary: 'a field the API does not define (typos get a suggestion)' },
  ISTHMUS_ERR_CONFIG_INVALID_TYPE: { severity: 'error', summary: 'a value of the wrong type (string where a number is expected, ...)' },
  ISTHMUS_ERR_CONFIG_INVALID_ENUM: { severity: 'error', summary: 'a value outside the enum the field allows' },
  ISTHMUS_ERR_CONFIG_INVALID_VALUE: { severity: 'error', summary: 'a value out of range or malformed, with no more specific code' },
  ISTHMUS_ERR_CONFIG_CONFLICT: { severity: 'error', summary: 'fields that cannot be set together' },
  ISTHMUS_ERR_CONFIG_DUPLICATE: { severity: 'error', summary: 'a name, host or port that must be unique appears twice' },
  ISTHMUS_ERR_CONFIG_DEPRECATED: { severity: 'warning', summary: 'a deprecated field; it still works' },

  // Names and references
  ISTHMUS_ERR_CONFIG_INVALID_NAME: { severity: 'error', summary: 'a metadata name, namespace or other DNS name is not valid' },
  ISTHMUS_ERR_CONFIG_INVALID_LABEL: { severity: 'error', summary: 'a label or annotation key or value is not valid' },
  ISTHMUS_ERR_CONFIG_INVALID_SELECTOR: { severity: 'error', summary: 'a workload selector is not valid' },
  ISTHMUS_ERR_CONFIG_INVALID_HOST: { severity: 'error', summary: 'a host name is not valid where it is used' },
  ISTHMUS_ERR_CONFIG_INVALID_GATEWAY: { severity: 'error', summary: 'a gateway reference is not valid' },
  ISTHMUS_ERR_CONFIG_INVALID_EXPORT_TO: { severity: 'error', summary: 'an exportTo entry is not valid' },
  ISTHMUS_ERR_CONFIG_INVALID_ADDRESS: { severity: 'error', summary: 'an IP address, CIDR or socket path is not valid' },
  ISTHMUS_ERR_CONFIG_INVALID_PORT: { severity: 'error', summary: 'a port number or port name is not valid' },
  ISTHMUS_ERR_CONFIG_INVALID_PROTOCOL: { severity: 'error', summary: 'a port protocol is not one the mesh knows' },

  // Routing
  ISTHMUS_ERR_CONFIG_MISSING_ROUTES: { severity: 'error', summary: 'a VirtualService with no http, tcp or tls routes' },
  ISTHMUS_ERR_CONFIG_INVALID_ROUTE: { severity: 'error', summary: 'an HTTP/TCP/TLS route lacks an action or combines actions that exclude each other' },
  ISTHMUS_ERR_CONFIG_INVALID_DESTINATION: { severity: 'error', summary: 'a route destination is missing or not valid' },
  ISTHMUS_ERR_CONFIG_INVALID_MESH_CONFIG: { severity: 'error', summary: 'a MeshConfig file (isthmus up --mesh-config) that is not valid YAML or has a bad field' },
  ISTHMUS_ERR_CONFIG_INVALID_WEIGHT: { severity: 'error', summary: 'a negative weight, or all weights zero across several destinations' },
  ISTHMUS_ERR_CONFIG_INVALID_MATCH: { severity: 'error', summary: 'a string match sets none or several of exact/prefix/regex, or an empty one' },
  ISTHMUS_ERR_CONFIG_INVALID_REGEX: { severity: 'error', summary: 'a regex that RE2 would not compile, or one longer than 1024' },
  ISTHMUS_ERR_CONFIG_INVALID_HEADER: { severity: 'error', summary: 'a header name or value that cannot be matched or set' },
  ISTHMUS_ERR_CONFIG_INVALID_DURATION: { severity: 'error', summary: 'a duration that is malformed or below 1ms' },
  ISTHMUS_ERR_CONFIG_INVALID_PERCENT: { severity: 'error', summary: 'a percentage outside 0..100' },
  ISTHMUS_ERR_CONFIG_INVALID_RETRY: { severity: 'error', summary: 'a retry policy that is inconsistent or names an unknown retryOn policy' },
  ISTHMUS_ERR_CONFIG_INVALID_FAULT: { severity: 'error', summary: 'a fault injection rule that is incomplete or out of range' },
  ISTHMUS_ERR_CONFIG_INVALID_REDIRECT: { severity: 'error', summary: 'a redirect that changes nothing or uses a non-3xx code' },
  ISTHMUS_ERR_CONFIG_INVALID_REWRITE: { severity: 'error', summary: 'a rewrite that is empty or sets exclusive fields' },
  ISTHMUS_ERR_CONFIG_INVALID_DIRECT_RESPONSE: { severity: 'error', summary: 'a direct response with a bad status or body' },
  ISTHMUS_ERR_CONFIG_INVALID_MIRROR: { severity: 'error', summary: 'a mirror destination or percentage is not valid' },
  ISTHMUS_ERR_CONFIG_INVALID_CORS: { severity: 'error', summary: 'a CORS policy with an unknown method, bad header or max age' },
  ISTHMUS_ERR_CONFIG_INVALID_DELEGATE: { severity: 'error', summary: 'a delegate reference or delegate VirtualService breaks the delegation rules' },

  // Traffic policy
  ISTHMUS_ERR_CONFIG_INVALID_SUBSET: { severity: 'error', summary: 'a subset name is empty, duplicated or not a DNS label' },
  ISTHMUS_ERR_CONFIG_INVALID_TRAFFIC_POLICY: { severity: 'error', summary: 'an empty traffic policy, or tunnel/proxyProtocol/retry budget problems' },
  ISTHMUS_ERR_CONFIG_INVALID_LOAD_BALANCER: { severity: 'error', summary: 'load balancer settings that are inconsistent or out of range' },
  ISTHMUS_ERR_CONFIG_INVALID_CONNECTION_POOL: { severity: 'error', summary: 'an empty connection pool or a negative limit' },
  ISTHMUS_ERR_CONFIG_INVALID_OUTLIER_DETECTION: { severity: 'error', summary: 'outlier detection values out of range or inconsistent' },
  ISTHMUS_ERR_CONFIG_INVALID_TLS: { severity: 'error', summary: 'TLS settings that do not fit the mode or the port protocol' },

  // Gateways and service entries
  ISTHMUS_ERR_CONFIG_INVALID_SERVER: { severity: 'error', summary: 'a Gateway without servers, or a server without hosts' },
  ISTHMUS_ERR_CONFIG_INVALID_ENDPOINT: { severity: 'error', summary: 'a ServiceEntry endpoint that does not fit the resolution or the ports' },
  ISTHMUS_ERR_CONFIG_INVALID_RESOLUTION: { severity: 'error', summary: 'ServiceEntry hosts, addresses or endpoints do not fit the resolution mode' },

  // Kubernetes workloads
  ISTHMUS_ERR_CONFIG_INVALID_WORKLOAD: { severity: 'error', summary: 'a Deployment or Service that Kubernetes would reject' },

  // Security policies
  ISTHMUS_ERR_CONFIG_INVALID_TARGET_REF: { severity: 'error', summary: 'a policy targetRef without kind or name, to a kind policies cannot attach to, or to another namespace' },
  ISTHMUS_ERR_CONFIG_INVALID_MTLS: { severity: 'error', summary: 'PeerAuthentication port-level mTLS without a workload selector, an empty map or a bad port' },
  ISTHMUS_ERR_CONFIG_INVALID_AUTHZ_ACTION: { severity: 'error', summary: 'an AuthorizationPolicy action that cannot work as written (DENY without rules, provider without CUSTOM, ...)' },
  ISTHMUS_ERR_CONFIG_INVALID_AUTHZ_RULE: { severity: 'error', summary: 'an authorization rule with an empty from/to/source/operation, an empty value, or a field CUSTOM cannot use' },
  ISTHMUS_ERR_CONFIG_INVALID_AUTHZ_CONDITION: { severity: 'error', summary: 'a `when` condition with a missing or unknown key, no values, or values that do not fit the key' },
  ISTHMUS_ERR_CONFIG_INVALID_PATH: { severity: 'error', summary: 'an authorization path with an invalid `{*}`/`{**}` template; a `*` that is matched literally is a warning' },
  ISTHMUS_ERR_CONFIG_INVALID_DRY_RUN: { severity: 'error', summary: 'an `istio.io/dry-run` annotation that is not "true" or "false", or on a policy that cannot be dry-run' },
  ISTHMUS_ERR_CONFIG_INVALID_JWT_RULE: { severity: 'error', summary: 'a JWT rule without issuer or jwksUri, with a non-HTTP(S) jwksUri, or an empty token location or claim' },
  ISTHMUS_ERR_CONFIG_INVALID_JWKS: { severity: 'error', summary: 'an inline `jwks` that is not a JSON Web Key Set' },
} as const satisfies Record<string, CodeInfo>;

export type ConfigCode = keyof typeof ConfigCodes;
