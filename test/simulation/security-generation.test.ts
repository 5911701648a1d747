// What the control plane generates for security, on the Bookinfo fixture: PeerAuthentication
// resolution (mesh, namespace, workload, port level; UNSET inherits; oldest wins), auto mTLS per
// endpoint, DestinationRule TLS, and which AuthorizationPolicies and RequestAuthentication rules
// reach which proxy.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Cluster, Endpoint, Listener, ProxyConfig, ProxyNode } from '../../src/api/index.ts';
import { generateProxyConfig } from '../../src/controlplane/generate/index.ts';
import { bookinfoSnapshot } from '../support/fixtures.ts';

const sidecar = (app: string): ProxyNode => ({ id: `${app}-5d8f9c7b6-pod0.default`, role: 'sidecar', podName: `${app}-5d8f9c7b6-pod0`, namespace: 'default' });
const gateway: ProxyNode = { id: 'istio-ingressgateway-5d8f9c7b6-gw0.istio-system', role: 'gateway', podName: 'istio-ingressgateway-5d8f9c7b6-gw0', namespace: 'istio-system' };

function pa(ns: string, name: string, spec: string): string {
  return `---\napiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: ${name}, namespace: ${ns}}\nspec:\n${spec}\n`;
}

function inbound(cfg: ProxyConfig): Listener {
  const l = cfg.listeners.find((x) => x.direction === 'inbound');
  assert.ok(l);
  return l;
}

function endpointOf(cfg: ProxyConfig, cluster: string): Endpoint {
  const e = cfg.endpoints.find((x) => x.cluster === cluster)?.endpoints[0];
  assert.ok(e, cluster);
  return e;
}

function clusterOf(cfg: ProxyConfig, name: string): Cluster {
  const c = cfg.clusters.find((x) => x.name === name);
  assert.ok(c, name);
  return c;
}

test('PeerAuthentication: PERMISSIVE by default; mesh, namespace and workload levels, UNSET inherits, port level wins', () => {
  const mode = (yaml: string, app = 'ratings-v1') => inbound(generateProxyConfig(bookinfoSnapshot([], yaml), sidecar(app))).mtls;
  assert.equal(mode(''), 'PERMISSIVE');
  assert.equal(mode(pa('istio-system', 'default', '  mtls: {mode: STRICT}')), 'STRICT');
  assert.equal(mode(pa('istio-system', 'default', '  mtls: {mode: STRICT}') + pa('default', 'default', '  mtls: {mode: PERMISSIVE}')), 'PERMISSIVE');
  assert.equal(mode(pa('istio-system', 'default', '  mtls: {mode: STRICT}') + pa('default', 'default', '  mtls: {mode: UNSET}')), 'STRICT');
  const workload = pa('default', 'default', '  mtls: {mode: STRICT}') + pa('default', 'ratings', '  selector: {matchLabels: {app: ratings}}\n  mtls: {mode: DISABLE}');
  assert.equal(mode(workload), 'DISABLE');
  assert.equal(mode(workload, 'details-v1'), 'STRICT', 'a workload policy touches only the pods it selects');
  const portLevel = pa('default', 'ratings', '  selector: {matchLabels: {app: ratings}}\n  mtls: {mode: STRICT}\n  portLevelMtls:\n    9080: {mode: PERMISSIVE}');
  assert.equal(mode(portLevel), 'PERMISSIVE');
  const portUnset = pa('default', 'ratings', '  selector: {matchLabels: {app: ratings}}\n  mtls: {mode: STRICT}\n  portLevelMtls:\n    9080: {mode: UNSET}');
  assert.equal(mode(portUnset), 'STRICT');
  // A policy in another namespace, or a mesh-level one outside the root namespace, changes nothing here.
  assert.equal(mode(pa('foo', 'default', '  mtls: {mode: STRICT}')), 'PERMISSIVE');
});

test('auto mTLS: endpoints with a sidecar carry their SPIFFE identity; a DISABLE server gets plaintext; DestinationRule TLS wins', () => {
  const cluster = 'outbound|9080||ratings.default.svc.cluster.local';
  let cfg = generateProxyConfig(bookinfoSnapshot(), sidecar('reviews-v3'));
  assert.deepEqual(endpointOf(cfg, cluster).mtls, { identity: 'spiffe://cluster.local/ns/default/sa/bookinfo-ratings' });
  assert.equal(clusterOf(cfg, cluster).tls, undefined);

  cfg = generateProxyConfig(bookinfoSnapshot([], pa('default', 'ratings', '  selector: {matchLabels: {app: ratings}}\n  mtls: {mode: DISABLE}')), sidecar('reviews-v3'));
  assert.equal(endpointOf(cfg, cluster).mtls, undefined);

  // Replaces the sample's `ratings` DestinationRule (the oldest rule for a host wins).
  const dr = (tls: string) => `---\napiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: ratings, namespace: default}\nspec:\n  host: ratings\n  trafficPolicy:\n    tls: ${tls}\n`;
  cfg = generateProxyConfig(bookinfoSnapshot([], dr('{mode: DISABLE}')), sidecar('reviews-v3'));
  assert.equal(clusterOf(cfg, cluster).tlsDisabled, true);
  cfg = generateProxyConfig(bookinfoSnapshot([], dr('{mode: SIMPLE, sni: ratings.example.com, caCertificates: /etc/ca.pem, subjectAltNames: [ratings.example.com]}')), sidecar('reviews-v3'));
  assert.deepEqual(clusterOf(cfg, cluster).tls, { mode: 'SIMPLE', sni: 'ratings.example.com', caCertificates: '/etc/ca.pem', subjectAltNames: ['ratings.example.com'] });
  cfg = generateProxyConfig(bookinfoSnapshot([], dr('{mode: ISTIO_MUTUAL}')), sidecar('reviews-v3'));
  assert.deepEqual(clusterOf(cfg, cluster).tls, { mode: 'ISTIO_MUTUAL' });
});

test('AuthorizationPolicy reach: root namespace for all, a namespace for its pods, a selector for matching pods; dry-run and CUSTOM providers', () => {
  const ap = (ns: string, name: string, spec: string, annotations = '') =>
    `---\napiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: ${name}, namespace: ${ns}${annotations}}\nspec:\n${spec}\n`;
  const yaml = ap('istio-system', 'mesh-deny', '  action: DENY\n  rules:\n  - to:\n    - operation: {paths: ["/admin"]}')
    + ap('default', 'allow-nothing', '  {}')
    + ap('default', 'ratings-viewer', '  selector: {matchLabels: {app: ratings}}\n  rules:\n  - to:\n    - operation: {methods: ["GET"]}', ', annotations: {"istio.io/dry-run": "true"}')
    + ap('foo', 'elsewhere', '  {}');
  const names = (app: string) => (generateProxyConfig(bookinfoSnapshot([], yaml), sidecar(app)).security?.authorization ?? []).map((p) => `${p.name}:${p.action}${p.dryRun ? ':dry-run' : ''}`);
  assert.deepEqual(names('ratings-v1'), ['default/allow-nothing:ALLOW', 'default/ratings-viewer:ALLOW:dry-run', 'istio-system/mesh-deny:DENY']);
  assert.deepEqual(names('details-v1'), ['default/allow-nothing:ALLOW', 'istio-system/mesh-deny:DENY']);
  // The gateway lives in the root namespace: it gets the mesh-wide policy only.
  const gw = generateProxyConfig(bookinfoSnapshot([], yaml), gateway).security?.authorization ?? [];
  assert.deepEqual(gw.map((p) => p.name), ['istio-system/mesh-deny']);

  const custom = ap('default', 'ext', '  selector: {matchLabels: {app: ratings}}\n  action: CUSTOM\n  provider: {name: my-authz}\n  rules:\n  - to:\n    - operation: {paths: ["/x"]}');
  const snap = bookinfoSnapshot([], custom);
  const providers = new Map([['my-authz', { name: 'my-authz', service: 'details.default.svc.cluster.local', port: 9080, timeoutMs: 500, failOpen: false, statusOnError: 403, includeRequestHeadersInCheck: ['x-ext-authz'], headersToUpstreamOnAllow: [], headersToDownstreamOnDeny: [] }]]);
  const p = generateProxyConfig(snap, sidecar('ratings-v1'), { roots: ['ROOT'], extensionProviders: providers }).security?.authorization[0];
  assert.equal(p?.action, 'CUSTOM');
  assert.match(p?.provider?.url ?? '', /^http:\/\/127\.1\.0\.\d+:9080$/, 'the service resolves to a ready pod');
  const unknown = generateProxyConfig(snap, sidecar('ratings-v1')).security?.authorization[0];
  assert.equal(unknown?.provider, undefined, 'an unknown provider is left out; the proxy then denies what the policy matches');
});

test('RequestAuthentication: inline JWKS as is, jwksUri through the fetched copy, and why a missing one is missing', () => {
  const yaml = `---\napiVersion: security.istio.io/v1\nkind: RequestAuthentication\nmetadata: {name: jwt, namespace: default}\nspec:\n  selector: {matchLabels: {app: productpage}}\n  jwtRules:\n  - issuer: a\n    jwks: '{"keys":[{"kty":"oct","k":"AAAA"}]}'\n  - issuer: b\n    jwksUri: http://127.0.0.1:1/jwks.json\n    timeout: 2s\n`;
  const seen: [string, string | undefined][] = [];
  const cfg = generateProxyConfig(bookinfoSnapshot([], yaml), sidecar('productpage-v1'), {
    roots: [],
    jwks: (uri, timeout) => {
      seen.push([uri, timeout]);
      return { pending: true };
    },
  });
  const rules = cfg.security?.jwtRules ?? [];
  assert.equal(rules.length, 2);
  assert.equal(rules[0]?.name, 'default/jwt#0');
  assert.equal(rules[0]?.resolvedJwks, '{"keys":[{"kty":"oct","k":"AAAA"}]}');
  assert.equal(rules[1]?.resolvedJwks, undefined);
  assert.match(rules[1]?.jwksError ?? '', /not fetched yet/);
  assert.deepEqual(seen, [['http://127.0.0.1:1/jwks.json', '2s']]);
  assert.deepEqual(generateProxyConfig(bookinfoSnapshot([], yaml), sidecar('details-v1')).security?.jwtRules, []);
});

test('the security section names the proxy identity and carries the roots; a roots change is a new config version', () => {
  const a = generateProxyConfig(bookinfoSnapshot(), sidecar('reviews-v2'), { roots: ['ROOT-A'] });
  assert.equal(a.security?.identity, 'spiffe://cluster.local/ns/default/sa/bookinfo-reviews');
  assert.equal(a.security?.trustDomain, 'cluster.local');
  const b = generateProxyConfig(bookinfoSnapshot(), sidecar('reviews-v2'), { roots: ['ROOT-A', 'ROOT-B'] });
  assert.notEqual(a.version, b.version);
});

test('Gateway PASSTHROUGH: VirtualService tls routes become SNI routes on the gateway listener (443 served on 8443)', () => {
  const yaml = `---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: mygateway, namespace: default}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    tls: {mode: PASSTHROUGH}
    hosts: ["nginx.example.com"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: nginx, namespace: default}
spec:
  hosts: ["nginx.example.com"]
  gateways: ["mygateway"]
  tls:
  - match:
    - port: 443
      sniHosts: ["nginx.example.com"]
    route:
    - destination: {host: details, port: {number: 9080}}
`;
  const cfg = generateProxyConfig(bookinfoSnapshot([], yaml), gateway);
  const l = cfg.listeners.find((x) => x.port === 8443);
  assert.ok(l, 'a listener on 8443');
  assert.deepEqual(l.passthrough, [{ name: 'default/nginx#tls0', sniHosts: ['nginx.example.com'], clusters: [{ cluster: 'outbound|9080||details.default.svc.cluster.local', weight: 100 }] }]);
  assert.equal(l.tls, undefined);
  assert.ok(cfg.clusters.some((c) => c.name === 'outbound|9080||details.default.svc.cluster.local'));
});

test('numTrustedProxies from the mesh config reaches gateways only', () => {
  const ctx = { roots: [], numTrustedProxies: 1 };
  assert.equal(generateProxyConfig(bookinfoSnapshot(), gateway, ctx).security?.numTrustedProxies, 1);
  assert.equal(generateProxyConfig(bookinfoSnapshot(), sidecar('ratings-v1'), ctx).security?.numTrustedProxies, undefined);
});
