// Every VirtualService http route field and every DestinationRule traffic-policy field, from YAML
// through the control plane's generation to what the proxy compiles from it (route policy,
// cluster runtime, the router) -- all in-process, no sockets.
//
// Coverage checklist: field -> test ("[name]" = a test in this file; other files named in full).
//
// VirtualService http route
//   match.uri exact/prefix/regex, ignoreUriCase, method, scheme, authority .. [vs match: uri, ignoreUriCase, method, scheme, authority]
//   match.headers exact/prefix/regex/present, withoutHeaders ............... [vs match: headers and withoutHeaders]
//   match.queryParams exact/regex/present ................................. [vs match: queryParams]
//   match.port ............................................................ [vs match: port picks the route table's routes]
//   match.sourceLabels, match.sourceNamespace ............................. bookinfo-routing.test.ts 'sourceLabels and sourceNamespace are decided per proxy'
//   match.gateways; VirtualService gateways and exportTo .................. [vs match.gateways, VirtualService gateways and exportTo]
//   http[].name, match[].name ............................................. [vs route and match names]
//   route[].destination host/subset/port, weight, headers ................. [vs route: destination port, weights, destination headers]
//   redirect uri/authority/port/derivePort/scheme/redirectCode ............ [vs redirect: <case>] (table)
//   directResponse status, body string/bytes .............................. [vs directResponse: status, body string and bytes]
//   delegate .............................................................. delegate-generation.test.ts (whole file)
//   rewrite uri/authority/uriRegexRewrite ................................. [vs rewrite: uri, authority, uriRegexRewrite]
//   timeout ............................................................... [vs timeout]
//   retries attempts/perTryTimeout/retryOn/retryRemoteLocalities/
//           retryIgnorePreviousHosts/backoff, default when absent ......... [vs retries: <case>] (table)
//   fault delay fixedDelay/percentage/percent, abort httpStatus/grpcStatus/percentage
//                                                                         [vs fault: delay and abort]
//   mirror, mirrorPercentage, mirrorPercent, mirrors[] destination/percentage
//                                                                         [vs mirror, mirrorPercentage, mirrorPercent, mirrors]
//   corsPolicy allowOrigins/allowMethods/allowHeaders/exposeHeaders/maxAge/
//              allowCredentials/unmatchedPreflights ....................... [vs corsPolicy: every field]
//   headers request/response set/add/remove ............................... [vs headers: request and response set, add, remove]
//
// DestinationRule
//   loadBalancer.simple (every value) ..................................... [dr loadBalancer.simple: <value>] (table)
//   consistentHash httpHeaderName/httpCookie(name,path,ttl)/useSourceIp/httpQueryParameterName
//                                                                         [dr consistentHash: <key>] (table)
//   consistentHash ringHash.minimumRingSize, maglev.tableSize, deprecated minimumRingSize
//                                                                         [dr consistentHash: hash algorithms and table sizes]
//   loadBalancer.localityLbSetting ........................................ locality-generation.test.ts (whole file); [dr loadBalancer.localityLbSetting]
//   loadBalancer.warmup duration/minimumPercent/aggression, warmupDurationSecs
//                                                                         [dr loadBalancer.warmup and warmupDurationSecs]
//   connectionPool.tcp maxConnections/connectTimeout/tcpKeepalive(probes,time,interval)/
//                      maxConnectionDuration/idleTimeout .................. [dr connectionPool: every tcp and http field]
//   connectionPool.http http1MaxPendingRequests/http2MaxRequests/maxRequestsPerConnection/
//                       maxRetries/idleTimeout/h2UpgradePolicy/useClientProtocol/maxConcurrentStreams
//                                                                         [dr connectionPool: every tcp and http field]
//   outlierDetection (every field) ........................................ [dr outlierDetection: every field, defaults, ejection]
//   outlierDetection.consecutiveErrors (deprecated) ....................... [dr outlierDetection: deprecated consecutiveErrors]
//   tls mode/sni/subjectAltNames/caCertificates/clientCertificate/privateKey/insecureSkipVerify
//                                                                         [dr tls: <mode>] (table); security-generation.test.ts (auto mTLS)
//   retryBudget percent/minRetryConcurrency ............................... [dr retryBudget]
//   exportTo .............................................................. [dr exportTo]
//   workloadSelector ...................................................... [dr workloadSelector], [dr workloadSelector: a rule applies to the workloads it selects, ...]
//
// Precedence (top level, subset, port level)
//   top level alone, on every subset and port ............................. [precedence: top level, its port level, a subset, a subset over a port-level result]
//   top-level port-level entry replaces the top level whole on its port,
//     unset sections fall back to defaults, its retryBudget is dropped .... (same test)
//   subset replaces the top level section by section; subset retryBudget .. (same test)
//   subset over the top level's port-level result ......................... (same test)
//   subset port-level entry overrides all four sections, set or not;
//     it drops the subset's retryBudget (the top level's stays) ........... [precedence: a subset port-level entry overrides all four sections]
//   first port-level entry for a port wins; entries for other ports ignored [precedence: the first port-level entry for a port wins] + the test above
//   tls follows the same rules ............................................ [precedence: tls at every level]

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Cluster, ClusterOutlierDetection, Endpoint, ProxyConfig, ProxyNode, Route } from '../../src/api/index.ts';
import { generateProxyConfig } from '../../src/controlplane/generate/index.ts';
import { compileConfig, simulate, type RouteRequest } from '../../src/proxy/index.ts';
import type { CompiledRoute } from '../../src/proxy/router.ts';
import { ClusterRuntime, EndpointRuntime } from '../../src/proxy/load-balancer.ts';
import { hashKey } from '../../src/proxy/consistent-hash.ts';
import { compileRoutePolicy, DEFAULT_RETRY_POLICY, routePolicyFilters, type HeaderOperations, type RoutePolicyOptions } from '../../src/proxy/route-policy/index.ts';
import { exchange, run, type PolicyExchange } from '../../src/proxy/route-policy/test-support.ts';
import type { FakeRequest } from '../../src/proxy/jwt/fake-exchange.ts';
import { bookinfoSnapshot } from '../support/fixtures.ts';

// ---- fixture: `multi`, a service with two HTTP ports and two versions -------------------------

const MULTI = 'multi.default.svc.cluster.local';
const mc = (port: number, subset = '') => `outbound|${port}|${subset}|${MULTI}`;

const deployment = (name: string, ns: string, labels: Record<string, string>, replicas: number, ports: number[]) => `---
apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: ${ns}}
spec:
  replicas: ${replicas}
  selector: {matchLabels: ${JSON.stringify(labels)}}
  template:
    metadata: {labels: ${JSON.stringify(labels)}}
    spec:
      containers: [{name: app, image: app, ports: [${ports.map((p) => `{containerPort: ${p}}`).join(', ')}]}]
`;

const MULTI_YAML = `---
apiVersion: v1
kind: Service
metadata: {name: multi, namespace: default}
spec:
  ports: [{port: 8080, name: http}, {port: 9090, name: http-admin}]
  selector: {app: multi}
${deployment('multi-v1', 'default', { app: 'multi', version: 'v1' }, 2, [8080, 9090])}${deployment('multi-v2', 'default', { app: 'multi', version: 'v2' }, 1, [8080, 9090])}${deployment('sleep', 'team', { app: 'sleep' }, 1, [80])}---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: multi, namespace: default}
spec:
  host: multi
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
`;

const sidecar = (app: string, ns = 'default'): ProxyNode => ({ id: `${app}-5d8f9c7b6-pod0.${ns}`, role: 'sidecar', podName: `${app}-5d8f9c7b6-pod0`, namespace: ns });
const productpage = sidecar('productpage-v1');
const teamSleep = sidecar('sleep', 'team');

/** Generated config for `node` with the fixture plus `yaml` (a later resource of the same name replaces the fixture's). */
function gen(yaml: string, node: ProxyNode = productpage): ProxyConfig {
  return generateProxyConfig(bookinfoSnapshot([], MULTI_YAML + yaml), node);
}

/** A resource as a YAML document (JSON is YAML), for table-driven cases. */
function doc(kind: 'VirtualService' | 'DestinationRule', spec: Record<string, unknown>, name = 'multi', namespace = 'default'): string {
  return `---\n${JSON.stringify({ apiVersion: 'networking.istio.io/v1', kind, metadata: { name, namespace }, spec })}\n`;
}

const SUBSETS = [{ name: 'v1', labels: { version: 'v1' } }, { name: 'v2', labels: { version: 'v2' } }];
const drDoc = (spec: Record<string, unknown>) => doc('DestinationRule', { host: 'multi', subsets: SUBSETS, ...spec });
/** A VirtualService for multi whose http routes are given as objects. */
const vsDoc = (http: unknown[], extra: Record<string, unknown> = {}) => doc('VirtualService', { hosts: ['multi'], http, ...extra });

function clusterOf(cfg: ProxyConfig, name: string): Cluster {
  const c = cfg.clusters.find((x) => x.name === name);
  assert.ok(c, `cluster ${name}`);
  return c;
}

function runtimeOf(cfg: ProxyConfig, name: string): ClusterRuntime {
  const rt = compileConfig(cfg).clusters.get(name);
  assert.ok(rt, `cluster runtime ${name}`);
  return rt;
}

function routesOf(cfg: ProxyConfig, port = 8080): Route[] {
  const vh = cfg.routes.find((t) => t.name === String(port))?.virtualHosts.find((v) => v.name === `${MULTI}:${port}`);
  assert.ok(vh, `virtual host ${MULTI}:${port}`);
  return vh.routes;
}

function req(path: string, o: { headers?: Record<string, string>; method?: string; port?: number; authority?: string; scheme?: string } = {}): RouteRequest {
  const port = o.port ?? 8080;
  const r: RouteRequest = { authority: o.authority ?? `multi:${port}`, path, method: o.method ?? 'GET', headers: o.headers ?? {}, port };
  if (o.scheme !== undefined) r.scheme = o.scheme;
  return r;
}

/** The proxy's compiled route for a request (fails the test on a miss). */
function compiledRoute(cfg: ProxyConfig, r: RouteRequest): CompiledRoute {
  const route = compileConfig(cfg).resolve(r);
  assert.ok(typeof route !== 'string', `no route: ${String(route)}`);
  return route;
}

/** Runs a request through the compiled route's policy filters, as the live proxy does before forwarding. */
function throughFilters(route: CompiledRoute, r: FakeRequest, random?: () => number): PolicyExchange {
  const opts: RoutePolicyOptions = { routeName: route.name };
  if (route.match !== undefined) opts.match = route.match;
  if (random !== undefined) opts.random = random;
  return run(routePolicyFilters(route.routePolicy, opts), exchange(r));
}

const routeName = (cfg: ProxyConfig, r: RouteRequest) => simulate(cfg, r).route;

const OD_DEFAULTS: ClusterOutlierDetection = {
  consecutive5xxErrors: 5, consecutiveGatewayErrors: 0, consecutiveLocalOriginFailures: 5, splitExternalLocalOriginErrors: false,
  intervalMs: 10_000, baseEjectionTimeMs: 30_000, maxEjectionPercent: 10, minHealthPercent: 0,
};

// =================================================================================================
// VirtualService
// =================================================================================================

test('vs match: uri, ignoreUriCase, method, scheme, authority', () => {
  const cfg = gen(`---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: multi, namespace: default}
spec:
  hosts: [multi]
  http:
  - name: exact
    match: [{uri: {exact: /exact}}]
    route: [{destination: {host: multi, subset: v1}}]
  - name: nocase
    match: [{uri: {prefix: /Case}, ignoreUriCase: true}]
    route: [{destination: {host: multi, subset: v1}}]
  - name: regex
    match: [{uri: {regex: '/items/[0-9]+'}}]
    route: [{destination: {host: multi, subset: v1}}]
  - name: method
    match: [{method: {exact: DELETE}}]
    route: [{destination: {host: multi, subset: v2}}]
  - name: scheme
    match: [{scheme: {exact: https}}]
    route: [{destination: {host: multi, subset: v2}}]
  - name: authority
    match: [{authority: {prefix: multi.default.svc}}]
    route: [{destination: {host: multi, subset: v2}}]
  - name: rest
    route: [{destination: {host: multi}}]
`);
  assert.deepEqual(routesOf(cfg).map((r) => [r.name, r.match]), [
    ['default/multi#exact', { path: { exact: '/exact' } }],
    ['default/multi#nocase', { path: { prefix: '/Case' }, ignoreUriCase: true }],
    ['default/multi#regex', { path: { regex: '/items/[0-9]+' } }],
    ['default/multi#method', { method: { exact: 'DELETE' } }],
    ['default/multi#scheme', { scheme: { exact: 'https' } }],
    ['default/multi#authority', { authority: { prefix: 'multi.default.svc' } }],
    ['default/multi#rest', {}],
  ]);
  const cases: [RouteRequest, string][] = [
    [req('/exact'), 'exact'],
    [req('/exact/more'), 'rest'],
    [req('/CASE/x'), 'nocase'],
    [req('/case'), 'nocase'],
    [req('/items/42'), 'regex'],
    [req('/items/42x'), 'rest'],
    [req('/x', { method: 'DELETE' }), 'method'],
    [req('/x', { method: 'delete' }), 'rest'],
    [req('/x', { scheme: 'https' }), 'scheme'],
    [req('/x', { authority: `${MULTI}:8080` }), 'authority'],
    [req('/x'), 'rest'],
  ];
  for (const [r, want] of cases) assert.equal(routeName(cfg, r), `default/multi#${want}`, `${r.method} ${r.path} ${r.authority} ${r.scheme ?? ''}`);
  assert.equal(simulate(cfg, req('/exact')).cluster, mc(8080, 'v1'));
  assert.equal(simulate(cfg, req('/x')).cluster, mc(8080));
});

test('vs match: headers and withoutHeaders', () => {
  const cfg = gen(vsDoc([
    {
      name: 'all',
      match: [{ headers: { 'X-Exact': { exact: 'a' }, 'x-prefix': { prefix: 'pre' }, 'x-regex': { regex: 'v[0-9]' }, 'x-present': {} } }],
      route: [{ destination: { host: 'multi', subset: 'v1' } }],
    },
    { name: 'without', match: [{ uri: { prefix: '/w' }, withoutHeaders: { 'x-env': { exact: 'prod' }, 'x-debug': {} } }], route: [{ destination: { host: 'multi', subset: 'v2' } }] },
    { name: 'rest', route: [{ destination: { host: 'multi' } }] },
  ]));
  assert.deepEqual(routesOf(cfg)[0]?.match, {
    headers: [
      { name: 'x-exact', match: { exact: 'a' } },
      { name: 'x-prefix', match: { prefix: 'pre' } },
      { name: 'x-present' },
      { name: 'x-regex', match: { regex: 'v[0-9]' } },
    ],
  });
  assert.deepEqual(routesOf(cfg)[1]?.match, {
    path: { prefix: '/w' },
    headers: [{ name: 'x-debug', invert: true }, { name: 'x-env', match: { exact: 'prod' }, invert: true }],
  });
  const all = { 'x-exact': 'a', 'x-prefix': 'prefix', 'x-regex': 'v1', 'x-present': '' };
  assert.equal(routeName(cfg, req('/', { headers: all })), 'default/multi#all');
  for (const [k, v] of [['x-exact', 'A'], ['x-prefix', 'xpre'], ['x-regex', 'v10']] as const) {
    assert.equal(routeName(cfg, req('/', { headers: { ...all, [k]: v } })), 'default/multi#rest', `${k}: ${v}`);
  }
  const { 'x-present': _, ...noPresent } = all;
  assert.equal(routeName(cfg, req('/', { headers: noPresent })), 'default/multi#rest', 'a header matched for presence must be there');
  assert.equal(routeName(cfg, req('/w')), 'default/multi#without');
  assert.equal(routeName(cfg, req('/w', { headers: { 'x-env': 'dev' } })), 'default/multi#without');
  assert.equal(routeName(cfg, req('/w', { headers: { 'x-env': 'prod' } })), 'default/multi#rest');
  assert.equal(routeName(cfg, req('/w', { headers: { 'x-debug': '' } })), 'default/multi#rest');
});

test('vs match: queryParams', () => {
  const cfg = gen(vsDoc([
    { name: 'q', match: [{ queryParams: { exact: { exact: '1' }, re: { regex: '[a-z]+' }, flag: {} } }], route: [{ destination: { host: 'multi', subset: 'v1' } }] },
    { name: 'empty', match: [{ queryParams: { bare: { exact: '' } } }], route: [{ destination: { host: 'multi', subset: 'v2' } }] },
    { name: 'rest', route: [{ destination: { host: 'multi' } }] },
  ]));
  assert.deepEqual(routesOf(cfg)[0]?.match, { queryParams: [{ name: 'exact', match: { exact: '1' } }, { name: 'flag' }, { name: 're', match: { regex: '[a-z]+' } }] });
  assert.equal(routeName(cfg, req('/p?exact=1&re=abc&flag')), 'default/multi#q');
  assert.equal(routeName(cfg, req('/p?flag=x&re=abc&exact=1')), 'default/multi#q', 'order does not matter');
  assert.equal(routeName(cfg, req('/p?exact=1&re=ab1&flag')), 'default/multi#rest', 'the regex matches the whole value');
  assert.equal(routeName(cfg, req('/p?exact=1&re=abc')), 'default/multi#rest', 'flag must be present');
  assert.equal(routeName(cfg, req('/p?bare')), 'default/multi#empty', 'exact "" matches ?key');
});

test('vs match: port picks the route table\'s routes', () => {
  const cfg = gen(vsDoc([
    { name: 'admin', match: [{ port: 9090 }], route: [{ destination: { host: 'multi', subset: 'v2' } }] },
    { name: 'rest', route: [{ destination: { host: 'multi', subset: 'v1' } }] },
  ]));
  assert.deepEqual(routesOf(cfg, 8080).map((r) => r.name), ['default/multi#rest']);
  assert.deepEqual(routesOf(cfg, 9090).map((r) => r.name), ['default/multi#admin', 'default/multi#rest']);
  assert.equal(simulate(cfg, req('/', { port: 9090 })).cluster, mc(9090, 'v2'), 'a destination without a port takes the port being routed');
  assert.equal(simulate(cfg, req('/', { port: 8080 })).cluster, mc(8080, 'v1'));
});

test('vs match.gateways, VirtualService gateways and exportTo', () => {
  // Match-level gateways: `mesh` keeps the match for sidecars, a gateway name alone drops it.
  const cfg = gen(vsDoc([
    { name: 'gw', match: [{ gateways: ['bookinfo-gateway'] }], route: [{ destination: { host: 'multi', subset: 'v2' } }] },
    { name: 'mesh', match: [{ gateways: ['mesh'], uri: { prefix: '/m' } }], route: [{ destination: { host: 'multi', subset: 'v1' } }] },
    { name: 'rest', route: [{ destination: { host: 'multi' } }] },
  ], { gateways: ['mesh', 'bookinfo-gateway'] }));
  assert.deepEqual(routesOf(cfg).map((r) => r.name), ['default/multi#mesh', 'default/multi#rest']);
  assert.equal(simulate(cfg, req('/m')).cluster, mc(8080, 'v1'));

  // A VirtualService bound to a gateway only does not reach sidecars: the default route stays.
  const gwOnly = gen(vsDoc([{ route: [{ destination: { host: 'multi', subset: 'v2' } }] }], { gateways: ['bookinfo-gateway'] }));
  assert.deepEqual(routesOf(gwOnly).map((r) => r.name), ['default']);

  // exportTo: "." keeps it to its namespace.
  const vs = vsDoc([{ route: [{ destination: { host: 'multi', subset: 'v2' } }] }], { exportTo: ['.'] });
  assert.equal(simulate(gen(vs), req('/')).cluster, mc(8080, 'v2'));
  assert.equal(simulate(gen(vs, teamSleep), req('/', { authority: `${MULTI}:8080` })).cluster, mc(8080), 'not visible in team: the default route');
  const toTeam = vsDoc([{ route: [{ destination: { host: 'multi', subset: 'v2' } }] }], { exportTo: ['team'] });
  assert.equal(simulate(gen(toTeam, teamSleep), req('/', { authority: `${MULTI}:8080` })).cluster, mc(8080, 'v2'));
  assert.equal(simulate(gen(toTeam), req('/')).cluster, mc(8080), 'exported to team only: not its own namespace');
});

test('vs route and match names', () => {
  const cfg = gen(vsDoc([
    { name: 'two', match: [{ name: 'first', uri: { prefix: '/a' } }, { uri: { prefix: '/b' } }], route: [{ destination: { host: 'multi' } }] },
    { route: [{ destination: { host: 'multi' } }] },
  ]));
  assert.deepEqual(routesOf(cfg).map((r) => r.name), ['default/multi#two.first', 'default/multi#two.1', 'default/multi#1']);
  assert.equal(routeName(cfg, req('/b')), 'default/multi#two.1');
});

test('vs route: destination port, weights, destination headers', () => {
  const cfg = gen(vsDoc([
    { name: 'port', match: [{ uri: { prefix: '/admin' } }], route: [{ destination: { host: 'multi', subset: 'v1', port: { number: 9090 } } }] },
    {
      name: 'split',
      route: [
        { destination: { host: 'multi', subset: 'v1' }, weight: 0 },
        { destination: { host: 'multi', subset: 'v2' }, weight: 75, headers: { request: { set: { 'x-to': 'v2' } }, response: { add: { 'x-from': 'v2' } } } },
        { destination: { host: 'reviews.default.svc.cluster.local' }, weight: 25 },
      ],
    },
  ]));
  const [port, split] = routesOf(cfg);
  assert.deepEqual(port?.route?.clusters, [{ cluster: mc(9090, 'v1'), weight: 100 }], 'an explicit port; a single destination takes all traffic');
  assert.equal(simulate(cfg, req('/admin')).cluster, mc(9090, 'v1'));
  assert.deepEqual(split?.route?.clusters, [
    { cluster: mc(8080, 'v2'), weight: 75, headers: { request: { set: { 'x-to': 'v2' } }, response: { add: { 'x-from': 'v2' } } } },
    { cluster: 'outbound|9080||reviews.default.svc.cluster.local', weight: 25 },
  ], 'weight 0 drops the destination; another service\'s only port');
  assert.equal(simulate(cfg, req('/'), { random: 0.74 }).cluster, mc(8080, 'v2'));
  assert.equal(simulate(cfg, req('/'), { random: 0.75 }).cluster, 'outbound|9080||reviews.default.svc.cluster.local');
  const compiled = compiledRoute(cfg, req('/'));
  assert.deepEqual(compiled.destinations?.headers.map((h) => h && { request: h.request?.set, response: h.response?.add }), [
    { request: [['x-to', 'v2']], response: [['x-from', 'v2']] },
    null,
  ]);
});

// ---- redirect -------------------------------------------------------------------------------

const REDIRECTS: { name: string; redirect: Record<string, unknown>; status: number; location: string }[] = [
  { name: 'uri (the query is kept)', redirect: { uri: '/new' }, status: 301, location: 'http://multi:8080/new?x=1' },
  { name: 'authority (its own port or none)', redirect: { authority: 'other.example' }, status: 301, location: 'http://other.example/old?x=1' },
  { name: 'port', redirect: { port: 9443 }, status: 301, location: 'http://multi:9443/old?x=1' },
  { name: 'scheme', redirect: { scheme: 'https' }, status: 301, location: 'https://multi:8080/old?x=1' },
  { name: 'derivePort FROM_PROTOCOL_DEFAULT', redirect: { scheme: 'https', derivePort: 'FROM_PROTOCOL_DEFAULT' }, status: 301, location: 'https://multi/old?x=1' },
  { name: 'derivePort FROM_REQUEST_PORT', redirect: { authority: 'other.example', derivePort: 'FROM_REQUEST_PORT' }, status: 301, location: 'http://other.example:8080/old?x=1' },
  { name: 'redirectCode', redirect: { uri: '/new?y=2', redirectCode: 308 }, status: 308, location: 'http://multi:8080/new?y=2' },
];

for (const c of REDIRECTS) {
  test(`vs redirect: ${c.name}`, () => {
    const cfg = gen(vsDoc([{ name: 'r', redirect: c.redirect }]));
    const [route] = routesOf(cfg);
    assert.equal(route?.route, undefined, 'a redirect route forwards nowhere');
    assert.deepEqual(route?.policy, { redirect: c.redirect });
    const compiled = compiledRoute(cfg, req('/old?x=1'));
    assert.equal(compiled.routePolicy.redirect?.code, c.status);
    const ex = throughFilters(compiled, { path: '/old?x=1', authority: 'multi:8080' });
    assert.equal(ex.passed, false);
    assert.equal(ex.status, c.status);
    assert.equal(ex.replyHeader('location'), c.location);
  });
}

test('vs directResponse: status, body string and bytes', () => {
  const cfg = gen(vsDoc([
    { name: 'str', match: [{ uri: { exact: '/s' } }], directResponse: { status: 418, body: { string: 'teapot' } } },
    { name: 'bytes', match: [{ uri: { exact: '/b' } }], directResponse: { status: 200, body: { bytes: Buffer.from('hello bytes').toString('base64') } } },
    { name: 'none', directResponse: { status: 204 } },
  ]));
  assert.deepEqual(routesOf(cfg).map((r) => [r.directResponse, r.route]), [
    [{ status: 418, body: 'teapot' }, undefined],
    [{ status: 200, body: 'hello bytes' }, undefined],
    [{ status: 204 }, undefined],
  ]);
  for (const [path, status, body] of [['/s', 418, 'teapot'], ['/b', 200, 'hello bytes'], ['/x', 204, '']] as const) {
    const s = simulate(cfg, req(path));
    assert.equal(s.status, status, path);
    assert.equal(s.cluster, null);
    assert.equal(compiledRoute(cfg, req(path)).directBody, body);
  }
});

test('vs rewrite: uri, authority, uriRegexRewrite', () => {
  const cfg = gen(vsDoc([
    { name: 'prefix', match: [{ uri: { prefix: '/old/' } }], rewrite: { uri: '/new/', authority: 'backend.internal' }, route: [{ destination: { host: 'multi' } }] },
    { name: 'regex', match: [{ uri: { prefix: '/v1/' } }], rewrite: { uriRegexRewrite: { match: '^/v1/(.*)$', rewrite: '/v2/\\1' } }, route: [{ destination: { host: 'multi' } }] },
  ]));
  assert.deepEqual(routesOf(cfg)[0]?.policy, { rewrite: { uri: '/new/', authority: 'backend.internal' } });
  assert.deepEqual(routesOf(cfg)[1]?.policy, { rewrite: { uriRegexRewrite: { match: '^/v1/(.*)$', rewrite: '/v2/\\1' } } });

  const prefix = compiledRoute(cfg, req('/old/a?q=1'));
  assert.equal(prefix.routePolicy.rewrite?.uri, '/new/');
  assert.equal(prefix.routePolicy.rewrite?.authority, 'backend.internal');
  let ex = throughFilters(prefix, { path: '/old/a?q=1' });
  assert.equal(ex.passed, true);
  assert.equal(ex.upstreamPath, '/new/a?q=1', 'the matched prefix is replaced');
  assert.equal(ex.upstreamAuthority, 'backend.internal');

  const regex = compiledRoute(cfg, req('/v1/items/7'));
  ex = throughFilters(regex, { path: '/v1/items/7?q=1' });
  assert.equal(ex.upstreamPath, '/v2/items/7?q=1');
  assert.equal(ex.upstreamAuthority, null);
});

test('vs timeout', () => {
  const cfg = gen(vsDoc([
    { name: 't', match: [{ uri: { prefix: '/t' } }], timeout: '1.5s', route: [{ destination: { host: 'multi' } }] },
    { name: 'none', route: [{ destination: { host: 'multi' } }] },
  ]));
  assert.deepEqual(routesOf(cfg).map((r) => r.policy), [{ timeout: '1.5s' }, undefined]);
  assert.equal(compiledRoute(cfg, req('/t')).routePolicy.timeoutMs, 1500);
  // Config validation rejects a timeout under 1ms; the proxy would read 0 as "disabled".
  assert.throws(() => gen(vsDoc([{ timeout: '0s', route: [{ destination: { host: 'multi' } }] }])), /greater than 1ms/);
  assert.equal(compileRoutePolicy({ timeout: '0s' }).policy.timeoutMs, null);
  assert.equal(compiledRoute(cfg, req('/')).routePolicy.timeoutMs, null, 'default: no timeout');
});

// ---- retries --------------------------------------------------------------------------------

const RETRIES: { name: string; retries: Record<string, unknown> | undefined; want: typeof DEFAULT_RETRY_POLICY }[] = [
  { name: 'absent: 2 retries on connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes (503)', retries: undefined, want: DEFAULT_RETRY_POLICY },
  {
    name: 'every field',
    retries: { attempts: 3, perTryTimeout: '2s', retryOn: 'gateway-error,connect-failure,429', retryRemoteLocalities: true, retryIgnorePreviousHosts: false, backoff: '100ms' },
    want: {
      attempts: 3, perTryTimeoutMs: 2000, retryOn: ['gateway-error', 'connect-failure', 'retriable-status-codes'], retriableStatusCodes: [429],
      retryRemoteLocalities: true, retryIgnorePreviousHosts: false, backoffBaseMs: 100,
    },
  },
  { name: 'attempts only: the default conditions, previous hosts ignored, 25ms backoff', retries: { attempts: 5 }, want: { ...DEFAULT_RETRY_POLICY, attempts: 5 } },
  { name: 'attempts 0 disables retries', retries: { attempts: 0 }, want: { ...DEFAULT_RETRY_POLICY, attempts: 0 } },
  { name: 'retryOn without codes: no retriable status codes', retries: { attempts: 1, retryOn: '5xx' }, want: { ...DEFAULT_RETRY_POLICY, attempts: 1, retryOn: ['5xx'], retriableStatusCodes: [] } },
];

for (const c of RETRIES) {
  test(`vs retries: ${c.name}`, () => {
    const http: Record<string, unknown> = { route: [{ destination: { host: 'multi' } }] };
    if (c.retries !== undefined) http['retries'] = c.retries;
    const cfg = gen(vsDoc([http]));
    assert.deepEqual(routesOf(cfg)[0]?.policy, c.retries === undefined ? undefined : { retries: c.retries });
    assert.deepEqual({ ...compiledRoute(cfg, req('/')).routePolicy.retries }, { ...c.want });
  });
}

test('vs fault: delay and abort', () => {
  const cfg = gen(vsDoc([
    { name: 'delay', match: [{ uri: { prefix: '/d' } }], fault: { delay: { fixedDelay: '5s', percentage: { value: 12.5 } } }, route: [{ destination: { host: 'multi' } }] },
    { name: 'percent', match: [{ uri: { prefix: '/p' } }], fault: { delay: { fixedDelay: '1s', percent: 30 } }, route: [{ destination: { host: 'multi' } }] },
    { name: 'http', match: [{ uri: { prefix: '/h' } }], fault: { abort: { httpStatus: 503, percentage: { value: 100 } } }, route: [{ destination: { host: 'multi' } }] },
    { name: 'grpc', match: [{ uri: { prefix: '/g' } }], fault: { abort: { grpcStatus: 'UNAVAILABLE', percentage: { value: 40 } } }, route: [{ destination: { host: 'multi' } }] },
    { name: 'both', fault: { delay: { fixedDelay: '10ms', percentage: { value: 100 } }, abort: { httpStatus: 418, percentage: { value: 0 } } }, route: [{ destination: { host: 'multi' } }] },
  ]));
  assert.deepEqual(routesOf(cfg)[1]?.policy, { fault: { delay: { fixedDelay: '1s', percent: 30 } } }, 'as written, deprecated field included');
  const fault = (path: string) => compiledRoute(cfg, req(path)).routePolicy.fault;
  assert.deepEqual(fault('/d'), { delay: { ms: 5000, percentage: 12.5 }, abort: null });
  assert.deepEqual(fault('/p'), { delay: { ms: 1000, percentage: 30 }, abort: null }, 'the deprecated integer percent');
  assert.deepEqual(fault('/h'), { delay: null, abort: { httpStatus: 503, grpcStatus: null, percentage: 100 } });
  assert.deepEqual(fault('/g'), { delay: null, abort: { httpStatus: null, grpcStatus: 14, percentage: 40 } });
  assert.deepEqual(fault('/'), { delay: { ms: 10, percentage: 100 }, abort: { httpStatus: 418, grpcStatus: null, percentage: 0 } });

  const aborted = throughFilters(compiledRoute(cfg, req('/h')), { path: '/h' });
  assert.equal(aborted.status, 503);
  assert.equal(aborted.flags, 'FI');
  assert.equal(aborted.passed, false);
  const grpcRoute = compiledRoute(cfg, req('/g'));
  assert.equal(throughFilters(grpcRoute, { path: '/g' }, () => 0.39).responseHeaders['grpc-status'], '14');
  assert.equal(throughFilters(grpcRoute, { path: '/g' }, () => 0.4).passed, true, '40%: a draw of 0.40 is not aborted');
});

test('vs mirror, mirrorPercentage, mirrorPercent, mirrors', () => {
  const cfg = gen(vsDoc([
    { name: 'pct', match: [{ uri: { prefix: '/a' } }], route: [{ destination: { host: 'multi', subset: 'v1' } }], mirror: { host: 'multi', subset: 'v2' }, mirrorPercentage: { value: 12.5 } },
    { name: 'legacy', match: [{ uri: { prefix: '/b' } }], route: [{ destination: { host: 'multi', subset: 'v1' } }], mirror: { host: 'multi', subset: 'v2', port: { number: 9090 } }, mirrorPercent: 30 },
    { name: 'all', match: [{ uri: { prefix: '/c' } }], route: [{ destination: { host: 'multi', subset: 'v1' } }], mirror: { host: 'reviews' } },
    {
      name: 'list',
      route: [{ destination: { host: 'multi', subset: 'v1' } }],
      mirrors: [{ destination: { host: 'multi', subset: 'v2' }, percentage: { value: 50 } }, { destination: { host: 'ratings', subset: 'v1' } }],
    },
  ]));
  const rs = routesOf(cfg);
  assert.deepEqual(rs.map((r) => r.mirrors), [
    [{ cluster: mc(8080, 'v2'), percentage: 12.5 }],
    [{ cluster: mc(9090, 'v2'), percentage: 30 }],
    [{ cluster: 'outbound|9080||reviews.default.svc.cluster.local', percentage: 100 }],
    [{ cluster: mc(8080, 'v2'), percentage: 50 }, { cluster: 'outbound|9080|v1|ratings.default.svc.cluster.local', percentage: 100 }],
  ]);
  assert.deepEqual(rs[1]?.policy, { mirror: { host: 'multi', subset: 'v2', port: { number: 9090 } }, mirrorPercent: 30 });
  for (const name of [mc(9090, 'v2'), 'outbound|9080||reviews.default.svc.cluster.local', 'outbound|9080|v1|ratings.default.svc.cluster.local']) clusterOf(cfg, name);
  // The proxy keeps the mirror targets on the compiled route; mirroring does not change the primary destination.
  assert.deepEqual(compiledRoute(cfg, req('/')).mirrors, rs[3]?.mirrors);
  assert.equal(simulate(cfg, req('/a')).cluster, mc(8080, 'v1'));
});

test('vs corsPolicy: every field', () => {
  const cors = {
    allowOrigins: [{ exact: 'https://a.example' }, { prefix: 'https://b.' }, { regex: 'https://[a-z]+\\.c\\.example' }],
    allowMethods: ['GET', 'POST'],
    allowHeaders: ['x-a', 'x-b'],
    exposeHeaders: ['x-exposed'],
    maxAge: '24h',
    allowCredentials: true,
    unmatchedPreflights: 'IGNORE',
  };
  const cfg = gen(vsDoc([
    { name: 'cors', match: [{ uri: { prefix: '/c' } }], corsPolicy: cors, route: [{ destination: { host: 'multi' } }] },
    { name: 'fwd', corsPolicy: { allowOrigins: [{ exact: 'https://a.example' }] }, route: [{ destination: { host: 'multi' } }] },
  ]));
  assert.deepEqual(routesOf(cfg)[0]?.policy, { corsPolicy: cors });
  const route = compiledRoute(cfg, req('/c'));
  const c = route.routePolicy.cors;
  assert.ok(c);
  assert.deepEqual([c.allowMethods, c.allowHeaders, c.exposeHeaders, c.maxAge, c.allowCredentials, c.forwardUnmatchedPreflights], ['GET,POST', 'x-a,x-b', 'x-exposed', '86400', true, false]);
  for (const o of ['https://a.example', 'https://b.anything', 'https://zz.c.example']) assert.equal(c.originMatches(o), true, o);
  for (const o of ['https://a.example.evil', 'http://b.x', 'https://c.example']) assert.equal(c.originMatches(o), false, o);

  const preflight = (origin: string, r = route) =>
    throughFilters(r, { method: 'OPTIONS', path: '/c', headers: { origin, 'access-control-request-method': 'POST' } });
  const ok = preflight('https://b.example');
  assert.equal(ok.passed, false);
  assert.equal(ok.status, 200);
  assert.deepEqual(Object.fromEntries(ok.replyHeaders), {
    'access-control-allow-origin': 'https://b.example', 'access-control-allow-credentials': 'true', 'access-control-allow-methods': 'GET,POST',
    'access-control-allow-headers': 'x-a,x-b', 'access-control-max-age': '86400',
  });
  const ignored = preflight('https://evil.example');
  assert.equal(ignored.passed, false, 'IGNORE: an unmatched preflight is answered here');
  assert.deepEqual(ignored.replyHeaders, []);
  assert.equal(preflight('https://evil.example', compiledRoute(cfg, req('/'))).passed, true, 'FORWARD (the default): it goes upstream');

  const actual = throughFilters(route, { path: '/c', headers: { origin: 'https://a.example' } });
  assert.equal(actual.passed, true);
  assert.deepEqual(actual.responseLines().sort(), ['access-control-allow-credentials: true', 'access-control-allow-origin: https://a.example', 'access-control-expose-headers: x-exposed']);
});

test('vs headers: request and response set, add, remove', () => {
  const headers = {
    request: { set: { 'x-set': 'one' }, add: { 'x-add': 'two' }, remove: ['x-drop'] },
    response: { set: { 'x-rset': 'r1' }, add: { 'x-radd': 'r2' }, remove: ['server'] },
  };
  const cfg = gen(vsDoc([{ headers, route: [{ destination: { host: 'multi' } }] }]));
  assert.deepEqual(routesOf(cfg)[0]?.policy, { headers });
  const route = compiledRoute(cfg, req('/'));
  const ops = (h: HeaderOperations | null) => h && { set: h.set, add: h.add, remove: h.remove };
  assert.deepEqual(ops(route.routePolicy.requestHeaders), { set: [['x-set', 'one']], add: [['x-add', 'two']], remove: ['x-drop'] });
  assert.deepEqual(ops(route.routePolicy.responseHeaders), { set: [['x-rset', 'r1']], add: [['x-radd', 'r2']], remove: ['server'] });
  const ex = throughFilters(route, { headers: { 'x-set': 'old', 'x-add': 'first', 'x-drop': 'gone', 'x-keep': 'k' } });
  assert.equal(ex.passed, true);
  assert.equal(ex.upstreamHeader('x-set'), 'one');
  assert.equal(ex.upstreamHeader('x-add'), 'first,two');
  assert.equal(ex.upstreamHeader('x-drop'), undefined);
  assert.equal(ex.upstreamHeader('x-keep'), 'k');
  assert.deepEqual(ex.responseLines(), ['x-rset: r1', 'x-radd: r2']);
  assert.equal(ex.responseHeaderOps.drops('server'), true);
});

// =================================================================================================
// DestinationRule fields
// =================================================================================================

const SIMPLE_LB: [string, string | undefined, string][] = [
  ['ROUND_ROBIN', 'ROUND_ROBIN', 'ROUND_ROBIN'],
  ['LEAST_REQUEST', 'LEAST_REQUEST', 'LEAST_REQUEST'],
  ['LEAST_CONN', 'LEAST_REQUEST', 'LEAST_REQUEST'],
  ['RANDOM', 'RANDOM', 'RANDOM'],
  ['PASSTHROUGH', 'PASSTHROUGH', 'PASSTHROUGH'],
  ['UNSPECIFIED', undefined, 'ROUND_ROBIN'],
];

for (const [simple, policy, lbPolicy] of SIMPLE_LB) {
  test(`dr loadBalancer.simple: ${simple}`, () => {
    const cfg = gen(drDoc({ trafficPolicy: { loadBalancer: { simple } } }));
    for (const name of [mc(8080), mc(8080, 'v1'), mc(9090, 'v2')]) {
      const c = clusterOf(cfg, name);
      assert.deepEqual(c.policy, policy === undefined ? undefined : { loadBalancer: { simple: policy } }, name);
      assert.equal(c.lbPolicy, lbPolicy, name);
      assert.equal(runtimeOf(cfg, name).lbPolicy, lbPolicy);
    }
    if (lbPolicy !== 'PASSTHROUGH') assert.equal(simulate(cfg, req('/')).status, 200);
  });
}

const HASH_KEYS: { name: string; hash: Record<string, unknown>; want: Record<string, unknown>; request: { headers?: Record<string, string>; path?: string; clientAddress?: string }; key: string }[] = [
  { name: 'httpHeaderName', hash: { httpHeaderName: 'X-User' }, want: { httpHeaderName: 'X-User' }, request: { headers: { 'x-user': 'alice' } }, key: 'alice' },
  {
    name: 'httpCookie with path and ttl', hash: { httpCookie: { name: 'session', path: '/app', ttl: '1h' } },
    want: { httpCookie: { name: 'session', path: '/app', ttlMs: 3_600_000 } }, request: { headers: { cookie: 'a=1; session=s-42' } }, key: 's-42',
  },
  { name: 'httpCookie without ttl', hash: { httpCookie: { name: 'session' } }, want: { httpCookie: { name: 'session' } }, request: { headers: { cookie: 'session=z' } }, key: 'z' },
  { name: 'useSourceIp', hash: { useSourceIp: true }, want: { useSourceIp: true }, request: { clientAddress: '10.1.2.3' }, key: '10.1.2.3' },
  { name: 'httpQueryParameterName', hash: { httpQueryParameterName: 'user' }, want: { httpQueryParameterName: 'user' }, request: { path: '/p?a=1&user=bob' }, key: 'bob' },
];

for (const c of HASH_KEYS) {
  test(`dr consistentHash: ${c.name}`, () => {
    const cfg = gen(drDoc({ trafficPolicy: { loadBalancer: { consistentHash: c.hash } } }));
    const cluster = clusterOf(cfg, mc(8080, 'v1'));
    assert.deepEqual(cluster.policy, { loadBalancer: { consistentHash: { ...c.want, ringHash: { minimumRingSize: 1024 } } } });
    assert.equal(cluster.lbPolicy, 'RING_HASH');
    const rt = runtimeOf(cfg, mc(8080, 'v1'));
    assert.ok(rt.hash?.table, 'the proxy builds a hash table');
    const headers = new Map(Object.entries(c.request.headers ?? {}));
    const hreq = { header: (n: string) => headers.get(n), path: c.request.path ?? '/', clientAddress: c.request.clientAddress ?? '127.0.0.1' };
    assert.equal(hashKey(rt.hash.policy, hreq), c.key);
    // The same key always lands on the same endpoint.
    const first = rt.pickFor(hreq)?.key;
    assert.ok(first);
    for (let i = 0; i < 5; i++) assert.equal(rt.pickFor(hreq)?.key, first);
  });
}

test('dr consistentHash: hash algorithms and table sizes', () => {
  const lb = (consistentHash: Record<string, unknown>) => {
    const cfg = gen(drDoc({ trafficPolicy: { loadBalancer: { consistentHash } } }));
    const c = clusterOf(cfg, mc(8080));
    assert.ok(runtimeOf(cfg, mc(8080)).hash?.table);
    return [c.lbPolicy, c.policy?.loadBalancer?.consistentHash];
  };
  assert.deepEqual(lb({ httpHeaderName: 'x', ringHash: { minimumRingSize: 2048 } }), ['RING_HASH', { httpHeaderName: 'x', ringHash: { minimumRingSize: 2048 } }]);
  assert.deepEqual(lb({ httpHeaderName: 'x', ringHash: {} }), ['RING_HASH', { httpHeaderName: 'x', ringHash: { minimumRingSize: 1024 } }]);
  assert.deepEqual(lb({ httpHeaderName: 'x', minimumRingSize: 4096 }), ['RING_HASH', { httpHeaderName: 'x', ringHash: { minimumRingSize: 4096 } }], 'the deprecated field');
  assert.deepEqual(lb({ httpHeaderName: 'x', maglev: { tableSize: 1031 } }), ['MAGLEV', { httpHeaderName: 'x', maglev: { tableSize: 1031 } }]);
  // Config validation requires a prime maglev tableSize, so generation's 65537 default is not reachable from YAML.
  assert.throws(() => gen(drDoc({ trafficPolicy: { loadBalancer: { consistentHash: { httpHeaderName: 'x', maglev: {} } } } })), /tableSize must be set for maglev/);
});

test('dr loadBalancer.localityLbSetting', () => {
  // The full behaviour (priorities, distribute weights) is in locality-generation.test.ts; here:
  // the setting reaches the cluster policy as written, next to a simple policy.
  const locality = { enabled: true, failover: [{ from: 'us-east', to: 'us-west' }] };
  const cfg = gen(drDoc({ trafficPolicy: { loadBalancer: { simple: 'ROUND_ROBIN', localityLbSetting: locality } } }));
  assert.deepEqual(clusterOf(cfg, mc(8080)).policy, { loadBalancer: { simple: 'ROUND_ROBIN', localityLbSetting: locality } });
});

test('dr loadBalancer.warmup and warmupDurationSecs', () => {
  let cfg = gen(drDoc({ trafficPolicy: { loadBalancer: { simple: 'ROUND_ROBIN', warmup: { duration: '60s', minimumPercent: 25, aggression: 2 } } } }));
  const cluster = clusterOf(cfg, mc(8080, 'v1'));
  assert.deepEqual(cluster.policy?.loadBalancer?.warmup, { durationMs: 60_000, minimumPercent: 25, aggression: 2 });
  // The proxy: an endpoint that joins an existing cluster warms up; those there from the start do not.
  const eps = cfg.endpoints.find((e) => e.cluster === cluster.name)?.endpoints ?? [];
  assert.equal(eps.length, 2);
  const rts = (list: Endpoint[]) => list.map((e) => new EndpointRuntime(e));
  const before = new ClusterRuntime(cluster, rts(eps.slice(0, 1)));
  const after = new ClusterRuntime(cluster, rts(eps));
  const t0 = Date.now();
  after.inherit(before, t0);
  const [old, joined] = after.endpoints as [EndpointRuntime, EndpointRuntime];
  assert.equal(after.warmupFactor(old, t0), 1);
  assert.equal(after.warmupFactor(joined, t0), 0.25, 'minimumPercent');
  assert.ok(Math.abs(after.warmupFactor(joined, t0 + 30_000) - Math.SQRT1_2) < 1e-9, 'aggression 2: (1/2)^(1/2) half way');
  assert.equal(after.warmupFactor(joined, t0 + 60_000), 1);

  cfg = gen(drDoc({ trafficPolicy: { loadBalancer: { warmupDurationSecs: '30s' } } }));
  assert.deepEqual(clusterOf(cfg, mc(8080)).policy?.loadBalancer?.warmup, { durationMs: 30_000, minimumPercent: 10, aggression: 1 }, 'the deprecated field, with the defaults');
  cfg = gen(drDoc({ trafficPolicy: { loadBalancer: { warmupDurationSecs: '30s', warmup: { duration: '5s' } } } }));
  assert.deepEqual(clusterOf(cfg, mc(8080)).policy?.loadBalancer?.warmup, { durationMs: 5000, minimumPercent: 10, aggression: 1 }, 'warmup wins');
});

test('dr connectionPool: every tcp and http field', () => {
  const cfg = gen(`---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: multi, namespace: default}
spec:
  host: multi
  trafficPolicy:
    connectionPool:
      tcp:
        maxConnections: 100
        connectTimeout: 250ms
        tcpKeepalive: {probes: 3, time: 7200s, interval: 75s}
        maxConnectionDuration: 1h
        idleTimeout: 5m
      http:
        http1MaxPendingRequests: 10
        http2MaxRequests: 50
        maxRequestsPerConnection: 5
        maxRetries: 3
        idleTimeout: 30s
        h2UpgradePolicy: DO_NOT_UPGRADE
        useClientProtocol: true
        maxConcurrentStreams: 64
  subsets:
  - {name: v1, labels: {version: v1}}
  - name: v2
    labels: {version: v2}
    trafficPolicy:
      connectionPool: {tcp: {maxConnections: 1}}
`);
  assert.deepEqual(clusterOf(cfg, mc(8080, 'v1')).policy, {
    connectionPool: {
      tcp: { maxConnections: 100, connectTimeoutMs: 250, tcpKeepalive: { probes: 3, timeMs: 7_200_000, intervalMs: 75_000 }, maxConnectionDurationMs: 3_600_000, idleTimeoutMs: 300_000 },
      http: {
        http1MaxPendingRequests: 10, http2MaxRequests: 50, maxRequestsPerConnection: 5, maxRetries: 3, idleTimeoutMs: 30_000,
        h2UpgradePolicy: 'DO_NOT_UPGRADE', useClientProtocol: true, maxConcurrentStreams: 64,
      },
    },
  });
  // The proxy: circuit-breaker limits, and the settings that shape each upstream connection.
  const rt = runtimeOf(cfg, mc(8080, 'v1'));
  assert.deepEqual(rt.limits, { maxConnections: 100, maxPending: 10, maxRequests: 50, maxRequestsPerConnection: 5, maxRetries: 3 });
  assert.equal(rt.counted, true);
  const conn = rt.endpoints[0]?.conn;
  assert.deepEqual(conn && { ...conn, key: undefined }, { connectTimeoutMs: 250, keepAliveMs: 7_200_000, maxConnectionDurationMs: 3_600_000, idleTimeoutMs: 30_000, key: undefined });

  // A subset's connectionPool replaces the section whole: nothing else of the top level's stays.
  assert.deepEqual(clusterOf(cfg, mc(8080, 'v2')).policy, { connectionPool: { tcp: { maxConnections: 1 } } });
  const v2 = runtimeOf(cfg, mc(8080, 'v2'));
  assert.deepEqual(v2.limits, { maxConnections: 1, maxPending: Infinity, maxRequests: Infinity, maxRequestsPerConnection: 0, maxRetries: Infinity });
  assert.equal(v2.endpoints[0]?.conn, null, 'no connection settings: the proxy defaults');
  assert.notEqual(v2.endpoints[0]?.poolKey, rt.endpoints[0]?.poolKey);
  assert.equal(runtimeOf(gen(''), mc(8080)).limits, null, 'no connectionPool: no limits');
});

test('dr outlierDetection: every field, defaults, ejection', () => {
  let cfg = gen(drDoc({
    trafficPolicy: {
      outlierDetection: {
        consecutive5xxErrors: 2, consecutiveGatewayErrors: 4, consecutiveLocalOriginFailures: 3, splitExternalLocalOriginErrors: true,
        interval: '5s', baseEjectionTime: '1m', maxEjectionPercent: 100, minHealthPercent: 50,
      },
    },
  }));
  const od: ClusterOutlierDetection = {
    consecutive5xxErrors: 2, consecutiveGatewayErrors: 4, consecutiveLocalOriginFailures: 3, splitExternalLocalOriginErrors: true,
    intervalMs: 5000, baseEjectionTimeMs: 60_000, maxEjectionPercent: 100, minHealthPercent: 50,
  };
  assert.deepEqual(clusterOf(cfg, mc(8080, 'v1')).policy, { outlierDetection: od });
  const rt = runtimeOf(cfg, mc(8080, 'v1'));
  assert.deepEqual(rt.outliers?.cfg, od);
  // Two 5xx in a row eject the endpoint: picks go to the other one.
  const [a, b] = rt.endpoints as [EndpointRuntime, EndpointRuntime];
  rt.report(a, { kind: 'status', status: 500 });
  assert.equal(rt.outliers?.ejected(a.key, Date.now()), false);
  rt.report(a, { kind: 'status', status: 500 });
  assert.equal(rt.outliers?.ejected(a.key, Date.now()), true);
  for (let i = 0; i < 4; i++) assert.equal(rt.pick()?.key, b.key);

  cfg = gen(drDoc({ trafficPolicy: { outlierDetection: {} } }));
  assert.deepEqual(clusterOf(cfg, mc(8080)).policy, { outlierDetection: OD_DEFAULTS }, 'present but empty: every default');
  assert.equal(runtimeOf(gen(''), mc(8080)).outliers, null, 'absent: no outlier detection');
});

test('dr outlierDetection: deprecated consecutiveErrors', () => {
  const cfg = gen(drDoc({ trafficPolicy: { outlierDetection: { consecutiveErrors: 2, maxEjectionPercent: 100 } } }));
  assert.deepEqual(clusterOf(cfg, mc(8080, 'v1')).policy?.outlierDetection, { ...OD_DEFAULTS, consecutive5xxErrors: 0, consecutiveGatewayErrors: 2, maxEjectionPercent: 100 },
    'gateway errors only (502, 503, 504), the 5xx check off');
  const rt = runtimeOf(cfg, mc(8080, 'v1'));
  const [a, b] = rt.endpoints as [EndpointRuntime, EndpointRuntime];
  for (let i = 0; i < 3; i++) rt.report(a, { kind: 'status', status: 500 });
  assert.equal(rt.outliers?.ejected(a.key, Date.now()), false, '500 is not a gateway error');
  rt.report(b, { kind: 'status', status: 502 });
  rt.report(b, { kind: 'status', status: 503 });
  assert.equal(rt.outliers?.ejected(b.key, Date.now()), true);
  const explicit = gen(drDoc({ trafficPolicy: { outlierDetection: { consecutiveErrors: 2, consecutive5xxErrors: 7 } } }));
  assert.deepEqual(clusterOf(explicit, mc(8080)).policy?.outlierDetection, { ...OD_DEFAULTS, consecutive5xxErrors: 7, consecutiveGatewayErrors: 2 }, 'a current field wins over it');
});

const TLS_CASES: { mode: string; tls: Record<string, unknown>; want: Partial<Cluster> }[] = [
  {
    mode: 'SIMPLE', tls: { mode: 'SIMPLE', sni: 'api.example', subjectAltNames: ['api.example'], caCertificates: '/etc/ca.pem' },
    want: { tls: { mode: 'SIMPLE', sni: 'api.example', subjectAltNames: ['api.example'], caCertificates: '/etc/ca.pem' } },
  },
  { mode: 'SIMPLE with insecureSkipVerify', tls: { mode: 'SIMPLE', insecureSkipVerify: true }, want: { tls: { mode: 'SIMPLE', insecureSkipVerify: true } } },
  {
    mode: 'MUTUAL', tls: { mode: 'MUTUAL', clientCertificate: '/etc/c.pem', privateKey: '/etc/k.pem', caCertificates: '/etc/ca.pem' },
    want: { tls: { mode: 'MUTUAL', clientCertificate: '/etc/c.pem', privateKey: '/etc/k.pem', caCertificates: '/etc/ca.pem' } },
  },
  { mode: 'ISTIO_MUTUAL', tls: { mode: 'ISTIO_MUTUAL', sni: 'multi' }, want: { tls: { mode: 'ISTIO_MUTUAL', sni: 'multi' } } },
  { mode: 'DISABLE', tls: { mode: 'DISABLE' }, want: { tlsDisabled: true } },
];

for (const c of TLS_CASES) {
  test(`dr tls: ${c.mode}`, () => {
    const cfg = gen(drDoc({ trafficPolicy: { tls: c.tls } }));
    const cluster = clusterOf(cfg, mc(8080, 'v1'));
    assert.deepEqual({ tls: cluster.tls, tlsDisabled: cluster.tlsDisabled }, { tls: undefined, tlsDisabled: undefined, ...c.want });
    assert.equal(cluster.policy, undefined, 'tls is the cluster TLS, not part of the policy');
    const ep = runtimeOf(cfg, mc(8080, 'v1')).endpoints[0];
    assert.equal(ep?.tls?.kind ?? null, c.mode === 'DISABLE' ? null : c.mode === 'ISTIO_MUTUAL' ? 'mesh' : 'file');
    if (c.mode === 'DISABLE') assert.equal(ep?.poolKey, ep?.key, 'plaintext even though the endpoint has a sidecar');
  });
}

test('dr retryBudget', () => {
  let cfg = gen(drDoc({ trafficPolicy: { retryBudget: { percent: 50, minRetryConcurrency: 1 } } }));
  assert.deepEqual(clusterOf(cfg, mc(8080)).policy, { retryBudget: { percent: 50, minRetryConcurrency: 1 } });
  const rt = runtimeOf(cfg, mc(8080));
  assert.deepEqual(rt.retryBudget, { percent: 50, minRetryConcurrency: 1 });
  assert.equal(rt.counted, true);
  rt.circuit.requests = 10;
  rt.circuit.retries = 4;
  assert.equal(rt.retryAllowed(), true, '4 retries < 50% of 10 requests');
  rt.circuit.retries = 5;
  assert.equal(rt.retryAllowed(), false);
  rt.circuit.requests = 0;
  rt.circuit.retries = 0;
  assert.equal(rt.retryAllowed(), true, 'minRetryConcurrency 1 with nothing in flight');
  rt.circuit.retries = 1;
  assert.equal(rt.retryAllowed(), false);

  cfg = gen(drDoc({ trafficPolicy: { retryBudget: {} } }));
  assert.deepEqual(clusterOf(cfg, mc(8080)).policy, { retryBudget: { percent: 20, minRetryConcurrency: 3 } }, 'the defaults');
  assert.equal(runtimeOf(gen(''), mc(8080)).retryBudget, null);
});

test('dr exportTo', () => {
  const dr = drDoc({ exportTo: ['.'], trafficPolicy: { loadBalancer: { simple: 'LEAST_REQUEST' } } });
  assert.equal(clusterOf(gen(dr), mc(8080)).lbPolicy, 'LEAST_REQUEST', 'visible in its own namespace');
  const team = gen(dr, teamSleep);
  assert.equal(clusterOf(team, mc(8080)).lbPolicy, 'ROUND_ROBIN', 'not exported to team');
  assert.equal(clusterOf(team, mc(8080)).policy, undefined);
  assert.equal(team.clusters.some((c) => c.name === mc(8080, 'v1')), false, 'nor are its subsets');
  const toTeam = gen(drDoc({ exportTo: ['team'], trafficPolicy: { loadBalancer: { simple: 'RANDOM' } } }), teamSleep);
  assert.equal(clusterOf(toTeam, mc(8080, 'v1')).lbPolicy, 'RANDOM');
});

test('dr workloadSelector', () => {
  // A workload-scoped rule must not reach workloads it does not select.
  const dr = drDoc({ workloadSelector: { matchLabels: { app: 'productpage' } }, trafficPolicy: { loadBalancer: { simple: 'RANDOM' } } });
  const other = gen(dr, sidecar('reviews-v1'));
  assert.equal(clusterOf(other, mc(8080)).lbPolicy, 'ROUND_ROBIN');
  assert.equal(clusterOf(other, mc(8080)).policy, undefined);
});

test('dr workloadSelector: a rule applies to the workloads it selects, before the namespace-wide rule', () => {
  const scoped = drDoc({ workloadSelector: { matchLabels: { app: 'productpage' } }, trafficPolicy: { loadBalancer: { simple: 'RANDOM' } } });
  const wide = doc('DestinationRule', { host: 'multi', subsets: SUBSETS, trafficPolicy: { loadBalancer: { simple: 'LEAST_REQUEST' } } }, 'multi-wide');
  assert.equal(clusterOf(gen(scoped), mc(8080)).lbPolicy, 'RANDOM', 'productpage is selected');
  const both = scoped + wide;
  assert.equal(clusterOf(gen(both), mc(8080)).lbPolicy, 'RANDOM', 'the selecting rule wins for productpage');
  assert.equal(clusterOf(gen(both, sidecar('reviews-v1')), mc(8080)).lbPolicy, 'LEAST_REQUEST', 'others get the namespace-wide rule');
});

// =================================================================================================
// Precedence
// =================================================================================================

test('precedence: top level, its port level, a subset, a subset over a port-level result', () => {
  const cfg = gen(`---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: multi, namespace: default}
spec:
  host: multi
  trafficPolicy:
    loadBalancer: {simple: LEAST_REQUEST}
    connectionPool: {tcp: {maxConnections: 10}}
    outlierDetection: {consecutive5xxErrors: 7}
    tls: {mode: SIMPLE, sni: top.example}
    retryBudget: {percent: 30}
    portLevelSettings:
    - port: {number: 9090}
      loadBalancer: {simple: RANDOM}
  subsets:
  - {name: v1, labels: {version: v1}}
  - name: v2
    labels: {version: v2}
    trafficPolicy:
      connectionPool: {http: {maxRetries: 1}}
      retryBudget: {percent: 60, minRetryConcurrency: 1}
`);
  const TOP = {
    loadBalancer: { simple: 'LEAST_REQUEST' },
    connectionPool: { tcp: { maxConnections: 10 } },
    outlierDetection: { ...OD_DEFAULTS, consecutive5xxErrors: 7 },
    retryBudget: { percent: 30, minRetryConcurrency: 3 },
  };
  const V2 = { connectionPool: { http: { maxRetries: 1 } }, retryBudget: { percent: 60, minRetryConcurrency: 1 } };
  const want: Record<string, { policy: unknown; lb: string; tls: boolean }> = {
    // The top level applies to the service-wide cluster and a subset without a policy.
    [mc(8080)]: { policy: TOP, lb: 'LEAST_REQUEST', tls: true },
    [mc(8080, 'v1')]: { policy: TOP, lb: 'LEAST_REQUEST', tls: true },
    // On 9090 the port-level entry replaces the top level whole: no pool, no outlier detection,
    // no tls (auto mTLS decides), and no retryBudget (not a port-level field).
    [mc(9090)]: { policy: { loadBalancer: { simple: 'RANDOM' } }, lb: 'RANDOM', tls: false },
    [mc(9090, 'v1')]: { policy: { loadBalancer: { simple: 'RANDOM' } }, lb: 'RANDOM', tls: false },
    // The subset replaces connectionPool whole (tcp gone) and the retryBudget; the rest is the top level's.
    [mc(8080, 'v2')]: { policy: { ...TOP, ...V2 }, lb: 'LEAST_REQUEST', tls: true },
    // The subset over the top level's port-level result.
    [mc(9090, 'v2')]: { policy: { loadBalancer: { simple: 'RANDOM' }, ...V2 }, lb: 'RANDOM', tls: false },
  };
  const compiled = compileConfig(cfg);
  for (const [name, w] of Object.entries(want)) {
    const c = clusterOf(cfg, name);
    assert.deepEqual(c.policy, w.policy, name);
    assert.equal(c.lbPolicy, w.lb, name);
    assert.deepEqual(c.tls, w.tls ? { mode: 'SIMPLE', sni: 'top.example' } : undefined, name);
    const rt = compiled.clusters.get(name);
    assert.equal(rt?.lbPolicy, w.lb, name);
    assert.deepEqual(rt?.retryBudget ?? null, (w.policy as { retryBudget?: unknown }).retryBudget ?? null, name);
    assert.equal(rt?.outliers !== null, (w.policy as { outlierDetection?: unknown }).outlierDetection !== undefined, name);
  }
  assert.equal(compiled.clusters.get(mc(9090, 'v2'))?.limits?.maxRetries, 1);
  assert.equal(compiled.clusters.get(mc(8080, 'v2'))?.limits?.maxConnections, Infinity, 'the subset pool replaced the top-level one');
  assert.equal(compiled.clusters.get(mc(9090))?.limits, null);
});

test('precedence: a subset port-level entry overrides all four sections', () => {
  const cfg = gen(`---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: multi, namespace: default}
spec:
  host: multi
  trafficPolicy:
    loadBalancer: {simple: LEAST_REQUEST}
    connectionPool: {tcp: {maxConnections: 10}}
    outlierDetection: {consecutive5xxErrors: 7}
    tls: {mode: SIMPLE, sni: top.example}
    retryBudget: {percent: 30}
  subsets:
  - name: v1
    labels: {version: v1}
    trafficPolicy:
      loadBalancer: {simple: RANDOM}
      outlierDetection: {consecutive5xxErrors: 9}
      retryBudget: {percent: 90}
      portLevelSettings:
      - port: {number: 7070}
        loadBalancer: {consistentHash: {useSourceIp: true}}
      - port: {number: 9090}
        connectionPool: {http: {http2MaxRequests: 5}}
  - {name: v2, labels: {version: v2}}
`);
  // 8080: the subset's sections over the top level's; the entry for 7070 (not a port of this
  // cluster) and the one for 9090 do not apply.
  assert.deepEqual(clusterOf(cfg, mc(8080, 'v1')).policy, {
    loadBalancer: { simple: 'RANDOM' },
    connectionPool: { tcp: { maxConnections: 10 } },
    outlierDetection: { ...OD_DEFAULTS, consecutive5xxErrors: 9 },
    retryBudget: { percent: 90, minRetryConcurrency: 3 },
  });
  assert.deepEqual(clusterOf(cfg, mc(8080, 'v1')).tls, { mode: 'SIMPLE', sni: 'top.example' });
  // 9090: the subset's entry decides loadBalancer, connectionPool, outlierDetection and tls,
  // set or not -- neither the subset's nor the top level's values survive. The entry drops the
  // subset's retryBudget; the top level's (not port-level) stays.
  const v1admin = clusterOf(cfg, mc(9090, 'v1'));
  assert.deepEqual(v1admin.policy, { connectionPool: { http: { http2MaxRequests: 5 } }, retryBudget: { percent: 30, minRetryConcurrency: 3 } });
  assert.equal(v1admin.lbPolicy, 'ROUND_ROBIN');
  assert.equal(v1admin.tls, undefined);
  assert.equal(v1admin.tlsDisabled, undefined);
  const rt = runtimeOf(cfg, mc(9090, 'v1'));
  assert.equal(rt.lbPolicy, 'ROUND_ROBIN');
  assert.equal(rt.outliers, null);
  assert.deepEqual(rt.limits, { maxConnections: Infinity, maxPending: Infinity, maxRequests: 5, maxRequestsPerConnection: 0, maxRetries: Infinity });
  assert.deepEqual(rt.retryBudget, { percent: 30, minRetryConcurrency: 3 });
  // Other subsets and the service-wide cluster keep the top level on both ports.
  for (const name of [mc(9090), mc(9090, 'v2'), mc(8080, 'v2')]) assert.equal(clusterOf(cfg, name).lbPolicy, 'LEAST_REQUEST', name);
});

test('precedence: the first port-level entry for a port wins', () => {
  const cfg = gen(`---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: multi, namespace: default}
spec:
  host: multi
  trafficPolicy:
    portLevelSettings:
    - port: {number: 9090}
      loadBalancer: {simple: RANDOM}
    - port: {number: 9090}
      loadBalancer: {simple: LEAST_REQUEST}
      connectionPool: {tcp: {maxConnections: 1}}
  subsets:
  - {name: v1, labels: {version: v1}}
  - name: v2
    labels: {version: v2}
    trafficPolicy:
      portLevelSettings:
      - port: {number: 8080}
        outlierDetection: {consecutive5xxErrors: 3}
      - port: {number: 8080}
        loadBalancer: {simple: PASSTHROUGH}
`);
  assert.deepEqual(clusterOf(cfg, mc(9090)).policy, { loadBalancer: { simple: 'RANDOM' } });
  assert.deepEqual(clusterOf(cfg, mc(9090, 'v1')).policy, { loadBalancer: { simple: 'RANDOM' } });
  assert.equal(clusterOf(cfg, mc(8080)).policy, undefined, 'no entry for 8080 at the top level, and nothing else set');
  assert.deepEqual(clusterOf(cfg, mc(8080, 'v2')).policy, { outlierDetection: { ...OD_DEFAULTS, consecutive5xxErrors: 3 } });
  assert.equal(clusterOf(cfg, mc(8080, 'v2')).lbPolicy, 'ROUND_ROBIN');
  assert.deepEqual(clusterOf(cfg, mc(9090, 'v2')).policy, { loadBalancer: { simple: 'RANDOM' } }, 'the subset has no entry for 9090: the top level\'s');
});

test('precedence: tls at every level', () => {
  const cfg = gen(`---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: multi, namespace: default}
spec:
  host: multi
  trafficPolicy:
    tls: {mode: SIMPLE, sni: top.example}
    portLevelSettings:
    - port: {number: 9090}
      tls: {mode: DISABLE}
  subsets:
  - {name: v1, labels: {version: v1}}
  - name: v2
    labels: {version: v2}
    trafficPolicy:
      tls: {mode: ISTIO_MUTUAL}
      portLevelSettings:
      - port: {number: 9090}
        loadBalancer: {simple: RANDOM}
`);
  const tlsOf = (name: string) => {
    const c = clusterOf(cfg, name);
    return c.tlsDisabled === true ? 'DISABLE' : (c.tls?.mode ?? 'auto');
  };
  assert.deepEqual(
    [mc(8080), mc(9090), mc(8080, 'v1'), mc(9090, 'v1'), mc(8080, 'v2'), mc(9090, 'v2')].map(tlsOf),
    ['SIMPLE', 'DISABLE', 'SIMPLE', 'DISABLE', 'ISTIO_MUTUAL', 'auto'],
  );
});
