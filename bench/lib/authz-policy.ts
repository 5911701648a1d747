// The AuthorizationPolicy of the authorization scenario: one ALLOW policy of 20 rules on the
// server sidecar, of the shapes real meshes write (principals and namespaces, paths with prefixes
// and suffixes, methods, hosts, ports, request headers). The benchmark's request (`GET /`, Host
// `upstream:9080`, plaintext, so no peer identity) matches only the last rule: the engine checks
// all 20 before it allows. `DENIED_PATH` matches none, to check the policy is enforced at all.

import type { AuthzPolicyConfig, AuthzRule } from '../../src/api/index.ts';
import { SERVICE_HOST } from './mesh-config.ts';

export const AUTHZ_RULES = 20;
/** A path the benchmark's method and host reach but no rule allows: 403 with the policy in force. */
export const DENIED_PATH = '/not-allowed';

const rules: AuthzRule[] = [
  { from: [{ source: { principals: ['cluster.local/ns/frontend/sa/web'] } }], to: [{ operation: { methods: ['GET'], paths: ['/api/*'] } }] },
  { from: [{ source: { principals: ['cluster.local/ns/ops/sa/*'] } }] },
  { to: [{ operation: { methods: ['POST'], paths: ['/api/v1/orders'] } }] },
  { when: [{ key: 'request.headers[x-api-key]', values: ['k-1', 'k-2', 'k-3'] }] },
  { from: [{ source: { namespaces: ['monitoring'] } }], to: [{ operation: { paths: ['/metrics'] } }] },
  { to: [{ operation: { methods: ['GET'], paths: ['/healthz', '/readyz'] } }] },
  { from: [{ source: { principals: ['cluster.local/ns/default/sa/bookinfo-productpage'] } }], to: [{ operation: { methods: ['GET'], paths: ['/reviews/*'] } }] },
  { when: [{ key: 'request.headers[x-tenant]', values: ['acme', 'globex'] }] },
  { to: [{ operation: { methods: ['PUT', 'PATCH'], paths: ['/api/v1/items/*'] } }] },
  { to: [{ operation: { hosts: ['*.example.com'] } }] },
  { to: [{ operation: { methods: ['GET', 'HEAD'], paths: ['/static/*', '*.css', '*.js'] } }] },
  { from: [{ source: { namespaces: ['ops', 'platform'] } }], when: [{ key: 'request.headers[x-debug]', values: ['1'] }] },
  { from: [{ source: { principals: ['cluster.local/ns/default/sa/bookinfo-reviews'] } }], to: [{ operation: { methods: ['GET'], paths: ['/ratings/*'] } }] },
  { to: [{ operation: { paths: ['/api/v2/*'], notMethods: ['DELETE'] } }] },
  { when: [{ key: 'request.headers[authorization]', values: ['Bearer *'] }] },
  { to: [{ operation: { methods: ['POST'], paths: ['/graphql'] } }] },
  { from: [{ source: { principals: ['cluster.local/ns/batch/sa/reporter'] } }], to: [{ operation: { methods: ['GET'], paths: ['/reports/*'] } }] },
  { to: [{ operation: { ports: ['8443'] } }] },
  { when: [{ key: 'request.headers[user-agent]', values: ['probe/*', 'kube-probe/*'] }] },
  // The benchmark's request: GET / on the service's host.
  { to: [{ operation: { hosts: [SERVICE_HOST], methods: ['GET'], paths: ['/'] } }] },
];

export const benchAuthorizationPolicy: AuthzPolicyConfig = { name: 'default/bench-allow', action: 'ALLOW', rules };
