// One table of cases across every kind and rule. Each case is a whole document, written as YAML
// and read back through parseManifests, so the schema and the semantic rules both run on it.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { stringify } from 'yaml';
import type { ConfigCode } from './codes.ts';
import { formatDiagnostic, type Diagnostic, type Severity } from './diagnostic.ts';
import { parseManifests } from './parse.ts';

interface Expect {
  code: ConfigCode;
  path?: string;
  message?: string;
  severity?: Severity;
}

interface Case {
  name: string;
  /** The document, written out as YAML; or `yaml`, taken as written (samples from Istio's tasks). */
  doc?: Record<string, unknown>;
  yaml?: string;
  /** Valid: no errors. `clean` also forbids warnings. */
  valid?: 'clean' | 'no-errors';
  expect?: Expect | Expect[];
}

type Spec = Record<string, unknown>;

const vs = (spec: Spec, apiVersion = 'networking.istio.io/v1') => ({ apiVersion, kind: 'VirtualService', metadata: { name: 'test', namespace: 'default' }, spec });
const dr = (spec: Spec) => ({ apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: 'test' }, spec });
const gw = (spec: Spec) => ({ apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: { name: 'test' }, spec });
const se = (spec: Spec) => ({ apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name: 'test' }, spec });
const svc = (spec: Spec, metadata: Spec = { name: 'reviews' }) => ({ apiVersion: 'v1', kind: 'Service', metadata, spec });
const deploy = (spec: Spec) => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec });

/** A VirtualService for `reviews` with one HTTP route built from `route`. */
const http = (route: Spec, extra: Spec = {}) => vs({ hosts: ['reviews'], http: [route], ...extra });
const to = (host = 'reviews', extra: Spec = {}) => ({ destination: { host }, ...extra });
const routeTo = (extra: Spec = {}) => ({ route: [to()], ...extra });
/** An HTTP route with one match. */
const match = (m: Spec) => http(routeTo({ match: [m] }));
const drPolicy = (trafficPolicy: Spec) => dr({ host: 'reviews', trafficPolicy });
const pool = (connectionPool: Spec) => drPolicy({ connectionPool });
const outlier = (outlierDetection: Spec) => drPolicy({ outlierDetection });
const lb = (loadBalancer: Spec) => drPolicy({ loadBalancer });
const server = (s: Spec) => gw({ selector: { istio: 'ingressgateway' }, servers: [s] });
const httpServer = (extra: Spec = {}) => ({ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*'], ...extra });
const httpsServer = (tls: Spec | undefined, extra: Spec = {}) => ({
  port: { number: 443, name: 'https', protocol: 'HTTPS' },
  hosts: ['httpbin.example.com'],
  ...(tls === undefined ? {} : { tls }),
  ...extra,
});
const egress = (extra: Spec = {}) => se({ hosts: ['api.example.com'], ports: [{ number: 443, name: 'https', protocol: 'TLS' }], resolution: 'DNS', location: 'MESH_EXTERNAL', ...extra });
const podSpec = (extra: Spec = {}) => ({ containers: [{ name: 'web', image: 'nginx:1.27', ports: [{ containerPort: 80 }] }], ...extra });
const deployment = (extra: Spec = {}, pod: Spec = podSpec()) =>
  deploy({ replicas: 1, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: pod }, ...extra });

const meta = (name = 'test', namespace = 'foo', annotations?: Record<string, string>) => ({ name, namespace, ...(annotations === undefined ? {} : { annotations }) });
const pa = (spec: Spec, metadata: Spec = meta(), apiVersion = 'security.istio.io/v1') => ({ apiVersion, kind: 'PeerAuthentication', metadata, spec });
const ap = (spec: Spec, metadata: Spec = meta(), apiVersion = 'security.istio.io/v1') => ({ apiVersion, kind: 'AuthorizationPolicy', metadata, spec });
const ra = (spec: Spec, metadata: Spec = meta(), apiVersion = 'security.istio.io/v1') => ({ apiVersion, kind: 'RequestAuthentication', metadata, spec });
const httpbin = { matchLabels: { app: 'httpbin' } };
/** An ALLOW policy for app=httpbin with one rule. */
const apRule = (rule: Spec, extra: Spec = {}) => ap({ selector: httpbin, rules: [rule], ...extra });
const from = (source: Spec, extra: Spec = {}) => apRule({ from: [{ source }] }, extra);
const toOp = (operation: Spec, extra: Spec = {}) => apRule({ to: [{ operation }] }, extra);
const when = (...conditions: Spec[]) => apRule({ when: conditions });
const jwt = (rule: Spec) => ra({ selector: httpbin, jwtRules: [rule] });
/** A public RSA key (RFC 7517, appendix A.1). */
const RSA_KEY = {
  kty: 'RSA',
  e: 'AQAB',
  n: '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
  kid: '2011-04-29',
};
const JWKS = JSON.stringify({ keys: [RSA_KEY] });
const ISSUER = 'testing@secure.istio.io';
const JWKS_URI = 'https://raw.githubusercontent.com/istio/istio/release-1.27/security/tools/jwt/samples/jwks.json';
const DRY_RUN = 'istio.io/dry-run';

const E = (code: ConfigCode, path?: string, message?: string, severity?: Severity): Expect => {
  const e: Expect = { code };
  if (path !== undefined) e.path = path;
  if (message !== undefined) e.message = message;
  if (severity !== undefined) e.severity = severity;
  return e;
};
const W = (code: ConfigCode, path?: string, message?: string): Expect => E(code, path, message, 'warning');

const R0 = 'spec.http[0]';

const cases: Case[] = [
  // ---------------------------------------------------------------- VirtualService: valid
  { name: 'vs: single route', doc: http(routeTo()), valid: 'clean' },
  { name: 'vs: v1beta1 is served', doc: vs({ hosts: ['reviews'], http: [routeTo()] }, 'networking.istio.io/v1beta1'), valid: 'clean' },
  { name: 'vs: v1alpha3 is served', doc: vs({ hosts: ['reviews'], http: [routeTo()] }, 'networking.istio.io/v1alpha3'), valid: 'clean' },
  { name: 'vs: weights above 100 in total are relative', doc: http({ route: [to('a', { weight: 550 }), to('b', { weight: 500 })] }), valid: 'clean' },
  { name: 'vs: weights below 100 in total are relative', doc: http({ route: [to('a', { weight: 49 }), to('b', { weight: 50 })] }), valid: 'clean' },
  { name: 'vs: one destination with weight 0', doc: http({ route: [to('a', { weight: 0 })] }), valid: 'clean' },
  { name: 'vs: redirect alone', doc: http({ redirect: { uri: '/new' } }), valid: 'clean' },
  { name: 'vs: direct response alone', doc: http({ directResponse: { status: 418, body: { string: 'teapot' } } }), valid: 'clean' },
  { name: 'vs: delegate virtual service (no hosts)', doc: vs({ http: [routeTo()] }), valid: 'clean' },
  { name: 'vs: root route delegating', doc: http({ match: [{ uri: { prefix: '/r' } }], delegate: { name: 'reviews-delegate', namespace: 'team' } }), valid: 'clean' },
  { name: 'vs: header present with an empty match', doc: match({ headers: { 'x-debug': {} } }), valid: 'clean' },
  { name: 'vs: RE2 regex with a leading (?i)', doc: match({ uri: { regex: '(?i)^/api/v[0-9]+/.*$' } }), valid: 'clean' },
  { name: 'vs: RE2-only syntax (\\A, \\z, [[:alpha:]], (?P<n>))', doc: match({ uri: { regex: '\\A/(?P<id>[[:alpha:]]+)\\z' } }), valid: 'clean' },
  { name: 'vs: wildcard host bound to a gateway', doc: vs({ hosts: ['*'], gateways: ['bookinfo-gateway'], http: [routeTo()] }), valid: 'clean' },
  { name: 'vs: gateway names mesh, name, ns/name', doc: vs({ hosts: ['reviews'], gateways: ['mesh', 'gw', 'istio-system/gw'], http: [routeTo()] }), valid: 'clean' },
  { name: 'vs: IP host', doc: vs({ hosts: ['10.0.0.1'], tcp: [{ route: [to()] }] }), valid: 'clean' },
  { name: 'vs: retries with status codes', doc: http(routeTo({ retries: { attempts: 3, perTryTimeout: '2s', retryOn: '5xx,503,reset,retriable-status-codes' } })), valid: 'clean' },
  { name: 'vs: retryOn entries are taken as written (a space is part of the entry)', doc: http(routeTo({ retries: { attempts: 3, retryOn: '5xx, 503' } })), expect: E('ISTHMUS_ERR_CONFIG_INVALID_RETRY', `${R0}.retries.retryOn`, '" 503" is not a valid retryOn policy') },
  { name: 'vs: tcp route', doc: vs({ hosts: ['mongo'], tcp: [{ match: [{ port: 27017, destinationSubnets: ['10.0.0.0/8'] }], route: [to('mongo', { weight: 100 })] }] }), valid: 'clean' },
  { name: 'vs: tls route', doc: vs({ hosts: ['nginx.example.com'], gateways: ['gw'], tls: [{ match: [{ port: 443, sniHosts: ['nginx.example.com'] }], route: [to('my-nginx')] }] }), valid: 'clean' },
  { name: 'vs: mirrors with percentages', doc: http(routeTo({ mirrors: [{ destination: { host: 'shadow' }, percentage: { value: 10 } }] })), valid: 'clean' },
  { name: 'vs: exportTo this namespace', doc: vs({ hosts: ['reviews'], exportTo: ['.'], http: [routeTo()] }), valid: 'clean' },
  { name: 'vs: fault delay and abort', doc: http(routeTo({ fault: { delay: { fixedDelay: '7s', percentage: { value: 100 } }, abort: { httpStatus: 500, percentage: { value: 10 } } } })), valid: 'clean' },
  { name: 'vs: cors policy', doc: http(routeTo({ corsPolicy: { allowOrigins: [{ exact: 'https://a.example' }], allowMethods: ['GET', 'OPTIONS'], allowHeaders: ['x-a', '*'], maxAge: '24h', unmatchedPreflights: 'IGNORE' } })), valid: 'clean' },

  // ---------------------------------------------------------------- VirtualService: hosts, gateways, routes
  { name: 'vs: no http, tcp or tls', doc: vs({ hosts: ['reviews'] }), expect: E('ISTHMUS_ERR_CONFIG_MISSING_ROUTES', 'spec', 'http, tcp or tls must be provided in virtual service') },
  { name: 'vs: empty http list', doc: vs({ hosts: ['reviews'], http: [] }), expect: E('ISTHMUS_ERR_CONFIG_MISSING_ROUTES', 'spec') },
  { name: 'vs: invalid host', doc: vs({ hosts: ['foo.ba!r'], http: [routeTo()] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_HOST', 'spec.hosts[0]', 'invalid host "foo.ba!r"') },
  { name: 'vs: partial wildcard host', doc: vs({ hosts: ['foo.*.com'], http: [routeTo()] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_HOST', 'spec.hosts[0]', 'a wildcard is only allowed in the first label') },
  { name: 'vs: * bound to mesh (implicit)', doc: vs({ hosts: ['*'], http: [routeTo()] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_HOST', 'spec.hosts[0]', 'wildcard host * is not allowed for virtual services bound to the mesh gateway') },
  { name: 'vs: * bound to mesh (explicit)', doc: vs({ hosts: ['*'], gateways: ['gw', 'mesh'], http: [routeTo()] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_HOST', 'spec.hosts[0]', 'mesh gateway') },
  { name: 'vs: hosts that overlap through a wildcard', doc: vs({ hosts: ['*.example.com', 'api.example.com'], gateways: ['gw'], http: [routeTo()] }), expect: E('ISTHMUS_ERR_CONFIG_DUPLICATE', 'spec.hosts[1]', 'duplicate hosts in virtual service: *.example.com & api.example.com') },
  { name: 'vs: the same host twice', doc: vs({ hosts: ['reviews', 'reviews'], http: [routeTo()] }), expect: E('ISTHMUS_ERR_CONFIG_DUPLICATE', 'spec.hosts[1]', 'duplicate hosts in virtual service: reviews & reviews') },
  { name: 'vs: invalid gateway name', doc: vs({ hosts: ['reviews'], gateways: ['b@dgateway'], http: [routeTo()] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_GATEWAY', 'spec.gateways[0]', 'invalid gateway name: "b@dgateway"') },
  { name: 'vs: route with no action', doc: http({ match: [{ uri: { prefix: '/' } }] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_ROUTE', R0, 'HTTP route, redirect or direct_response is required') },
  { name: 'vs: route and redirect', doc: http(routeTo({ redirect: { uri: '/x' } })), expect: E('ISTHMUS_ERR_CONFIG_INVALID_ROUTE', R0, 'HTTP route cannot contain both route and redirect') },
  { name: 'vs: redirect and direct response', doc: http({ redirect: { uri: '/x' }, directResponse: { status: 200 } }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_ROUTE', R0, 'HTTP route rule cannot contain both redirect and direct_response') },
  { name: 'vs: route and direct response', doc: http(routeTo({ directResponse: { status: 200 } })), expect: E('ISTHMUS_ERR_CONFIG_INVALID_ROUTE', R0, 'both route and direct_response') },
  { name: 'vs: fault and redirect', doc: http({ redirect: { uri: '/x' }, fault: { abort: { httpStatus: 500 } } }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_ROUTE', R0, 'HTTP route cannot contain both fault and redirect') },
  { name: 'vs: rewrite and redirect', doc: http({ redirect: { uri: '/x' }, rewrite: { uri: '/y' } }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_ROUTE', R0, 'HTTP route rule cannot contain both rewrite and redirect') },
  { name: 'vs: mirror and mirrors', doc: http(routeTo({ mirror: { host: 'a' }, mirrors: [{ destination: { host: 'b' } }] })), expect: E('ISTHMUS_ERR_CONFIG_INVALID_MIRROR', R0, 'HTTP route cannot contain both mirror and mirrors') },
  { name: 'vs: root route with delegate and route', doc: http(routeTo({ name: 'r1', delegate: { name: 'd' } })), expect: E('ISTHMUS_ERR_CONFIG_INVALID_DELEGATE', R0, 'root HTTP route r1 must not specify route') },
  { name: 'vs: root route with delegate and redirect', doc: http({ delegate: { name: 'd' }, redirect: { uri: '/x' } }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_DELEGATE', R0, 'root HTTP route must not specify redirect') },
  { name: 'vs: delegate without a name', doc: http({ delegate: { namespace: 'team' } }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_DELEGATE', `${R0}.delegate.name`, 'delegate name is required') },
  { name: 'vs: delegate VS with gateways', doc: vs({ gateways: ['gw'], http: [routeTo()] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_DELEGATE', 'spec.gateways', 'delegate virtual service must have no gateways specified') },
  { name: 'vs: delegate VS with tcp', doc: vs({ http: [routeTo()], tcp: [{ route: [to()] }] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_DELEGATE', 'spec.tcp', 'delegate virtual service must have no tcp route specified') },
  { name: 'vs: delegate VS delegating again', doc: vs({ http: [{ delegate: { name: 'further' } }] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_DELEGATE', `${R0}.delegate`, 'delegate HTTP route cannot contain delegate') },

  // ---------------------------------------------------------------- VirtualService: destinations and weights
  { name: 'vs: destination missing', doc: http({ route: [{ weight: 100 }] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_DESTINATION', `${R0}.route[0].destination`, 'destination is required') },
  { name: 'vs: destination host missing', doc: http({ route: [{ destination: { subset: 'v1' } }] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_DESTINATION', `${R0}.route[0].destination.host`, 'destination host is required') },
  { name: 'vs: destination host empty', doc: http({ route: [{ destination: { host: '' } }] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_DESTINATION', `${R0}.route[0].destination.host`, 'destination host is required') },
  { name: 'vs: destination host invalid', doc: http({ route: [to('bad host')] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_HOST', `${R0}.route[0].destination.host`, 'invalid destination host "bad host"') },
  { name: 'vs: subset name invalid', doc: http({ route: [{ destination: { host: 'reviews', subset: 'V1_x' } }] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_SUBSET', `${R0}.route[0].destination.subset`, 'subset name is invalid') },
  { name: 'vs: destination port 0', doc: http({ route: [{ destination: { host: 'reviews', port: { number: 0 } } }] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_PORT', `${R0}.route[0].destination.port.number`, 'port number 0 must be in the range 1..65535') },
  { name: 'vs: destination port 70000', doc: http({ route: [{ destination: { host: 'reviews', port: { number: 70000 } } }] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_PORT', `${R0}.route[0].destination.port.number`, '70000') },
  { name: 'vs: negative weight', doc: http({ route: [to('a', { weight: 100 }), to('b', { weight: -1 })] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_WEIGHT', `${R0}.route[1].weight`, 'weight -1 < 0') },
  { name: 'vs: all weights zero', doc: http({ route: [to('a', { weight: 0 }), to('b', { weight: 0 })] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_WEIGHT', `${R0}.route`, 'total destination weight = 0') },
  { name: 'vs: several destinations and no weights', doc: http({ route: [to('a'), to('b')] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_WEIGHT', `${R0}.route`, 'total destination weight = 0') },
  { name: 'vs: weight as a string', doc: http({ route: [to('a', { weight: '50' })] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_TYPE', `${R0}.route[0].weight`, 'expected an integer, got the string "50"') },
  { name: 'vs: fractional weight', doc: http({ route: [to('a', { weight: 1.5 })] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_TYPE', `${R0}.route[0].weight`, 'expected an integer') },

  // ---------------------------------------------------------------- VirtualService: matches and regexes
  { name: 'vs: string match with exact and prefix', doc: match({ uri: { exact: '/a', prefix: '/b' } }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_MATCH', `${R0}.match[0].uri`, 'exactly one of exact, prefix or regex') },
  { name: 'vs: empty uri match matches anything (warning)', doc: match({ uri: {} }), expect: W('ISTHMUS_ERR_CONFIG_INVALID_MATCH', `${R0}.match[0].uri`, 'matches any value') },
  { name: 'vs: empty uri prefix matches everything', doc: match({ uri: { prefix: '' } }), valid: 'clean' },
  { name: 'vs: empty prefix', doc: match({ authority: { prefix: '' } }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_MATCH', `${R0}.match[0].authority.prefix`, '"authority": prefix string match should not be empty') },
  { name: 'vs: empty prefix in a header match', doc: match({ headers: { 'x-a': { prefix: '' } } }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_MATCH', `${R0}.match[0].headers.x-a.prefix`, '"headers": prefix string match should not be empty') },
  { name: 'vs: empty regex', doc: match({ authority: { regex: '' } }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_MATCH', `${R0}.match[0].authority.regex`, '"authority": regex string match should not be empty') },
  { name: 'vs: regex with lookahead', doc: match({ uri: { regex: '/api(?=/v1)' } }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_REGEX', `${R0}.match[0].uri.regex`, 'lookahead and lookbehind assertions are not supported by RE2') },
  { name: 'vs: regex with lookbehind', doc: match({ uri: { regex: '(?<!x)/api' } }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_REGEX', `${R0}.match[0].uri.regex`, 'invalid or unsupported Perl syntax: `(?<`') },
  { name: 'vs: regex with a backreference', doc: match({ uri: { regex: '/(a)\\1' } }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_REGEX', `${R0}.match[0].uri.regex`, 'backreferences are not supported by RE2') },
  { name: 'vs: regex that does not compile', doc: match({ uri: { regex: '/api/(v1' } }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_REGEX', `${R0}.match[0].uri.regex`, 'error parsing regexp: missing closing ): `/api/(v1`; Istio uses RE2') },
  { name: 'vs: regex with a nested repetition', doc: match({ uri: { regex: 'a**' } }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_REGEX', undefined, 'invalid nested repetition operator: `**`') },
  { name: 'vs: regex longer than 1024', doc: match({ uri: { regex: 'a'.repeat(1025) } }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_REGEX', `${R0}.match[0].uri.regex`, 'regex is too large, max length allowed is 1024') },
  { name: 'vs: regex in a header match', doc: match({ headers: { 'x-id': { regex: '[z-a]' } } }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_REGEX', `${R0}.match[0].headers.x-id.regex`, 'invalid character class range: `z-a`') },
  { name: 'vs: valid RE2 the proxy cannot run yet (warning)', doc: match({ uri: { regex: '/a(?i:bc)' } }), expect: W('ISTHMUS_ERR_CONFIG_INVALID_REGEX', `${R0}.match[0].uri.regex`, 'valid RE2 but isthmus cannot evaluate it yet') },
  { name: 'vs: upper-case header name in a match (warning)', doc: match({ headers: { 'End-User': { exact: 'jason' } } }), expect: W('ISTHMUS_ERR_CONFIG_INVALID_HEADER', `${R0}.match[0].headers.End-User`, 'should be lower case (end-user)') },
  { name: 'vs: empty header name in a match', doc: match({ headers: { '': { exact: 'x' } } }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_HEADER', undefined, 'header name cannot be empty') },
  { name: 'vs: unknown pseudo-header in a match', doc: match({ headers: { ':foo': { exact: '/' } } }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_HEADER', `${R0}.match[0].headers[":foo"]`, 'header name :foo is not a valid header name') },
  { name: 'vs: pseudo-headers and JWT claims a gateway route may match', doc: vs({ hosts: ['a.example.com'], gateways: ['gw'], http: [routeTo({ match: [{ headers: { ':authority': { exact: 'a.example.com' }, '@request.auth.claims.group': { exact: 'admin' } } }] })] }), valid: 'clean' },
  { name: 'vs: JWT claim routing in a mesh route', doc: match({ headers: { '@request.auth.claims.group': { exact: 'admin' } } }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_HEADER', `${R0}.match[0].headers["@request.auth.claims.group"]`, 'JWT claim based routing (key: @request.auth.claims.group) is only supported for gateway') },
  { name: 'vs: withoutHeaders with regex * means present', doc: match({ withoutHeaders: { 'x-canary': { regex: '*' } } }), valid: 'clean' },
  { name: 'vs: header name with a space in withoutHeaders', doc: match({ withoutHeaders: { 'x y': {} } }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_HEADER', `${R0}.match[0].withoutHeaders["x y"]`, 'is not a valid header name') },
  { name: 'vs: match port 0 means any port', doc: match({ port: 0 }), valid: 'clean' },
  { name: 'vs: match port out of range', doc: match({ port: 70000 }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_PORT', `${R0}.match[0].port`, 'port number 70000 must be in the range 1..65535') },
  { name: 'vs: match port as a negative number', doc: match({ port: -80 }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_VALUE', `${R0}.match[0].port`, 'below the minimum 0') },
  { name: 'vs: invalid source label', doc: match({ sourceLabels: { 'app/': 'x' } }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_LABEL', `${R0}.match[0].sourceLabels["app/"]`) },
  { name: 'vs: invalid source namespace', doc: match({ sourceNamespace: 'Team_A' }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_NAME', `${R0}.match[0].sourceNamespace`) },
  { name: 'vs: invalid gateway name in a match', doc: match({ gateways: ['a/b/c'] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_GATEWAY', `${R0}.match[0].gateways[0]`) },

  // ---------------------------------------------------------------- VirtualService: retries, timeouts, faults
  { name: 'vs: negative attempts', doc: http(routeTo({ retries: { attempts: -1 } })), expect: E('ISTHMUS_ERR_CONFIG_INVALID_RETRY', `${R0}.retries.attempts`, 'attempts cannot be negative') },
  { name: 'vs: attempts 0 with perTryTimeout', doc: http(routeTo({ retries: { attempts: 0, perTryTimeout: '1s' } })), expect: E('ISTHMUS_ERR_CONFIG_INVALID_RETRY', `${R0}.retries.attempts`, 'http retry policy configured when attempts are set to 0 (disabled)') },
  { name: 'vs: retryOn without attempts', doc: http(routeTo({ retries: { retryOn: '5xx' } })), expect: E('ISTHMUS_ERR_CONFIG_INVALID_RETRY', `${R0}.retries`, 'attempts are set to 0') },
  { name: 'vs: unknown retryOn policy', doc: http(routeTo({ retries: { attempts: 2, retryOn: '5xx,foo' } })), expect: E('ISTHMUS_ERR_CONFIG_INVALID_RETRY', `${R0}.retries.retryOn`, '"foo" is not a valid retryOn policy') },
  { name: 'vs: retryOn status code that does not exist', doc: http(routeTo({ retries: { attempts: 2, retryOn: '999' } })), expect: E('ISTHMUS_ERR_CONFIG_INVALID_RETRY', undefined, '"999" is not a valid retryOn policy') },
  { name: 'vs: malformed perTryTimeout', doc: http(routeTo({ retries: { attempts: 2, perTryTimeout: 'abc' } })), expect: E('ISTHMUS_ERR_CONFIG_INVALID_DURATION', `${R0}.retries.perTryTimeout`, 'invalid duration "abc"') },
  { name: 'vs: negative backoff', doc: http(routeTo({ retries: { attempts: 2, backoff: '-1s' } })), expect: E('ISTHMUS_ERR_CONFIG_INVALID_DURATION', `${R0}.retries.backoff`, 'greater than 1ms') },
  { name: 'vs: timeout below 1ms', doc: http(routeTo({ timeout: '0.5ms' })), expect: E('ISTHMUS_ERR_CONFIG_INVALID_DURATION', `${R0}.timeout`, 'must be a valid duration greater than 1ms') },
  { name: 'vs: timeout without a unit', doc: http(routeTo({ timeout: '10' })), expect: E('ISTHMUS_ERR_CONFIG_INVALID_DURATION', `${R0}.timeout`, 'invalid duration "10"') },
  { name: 'vs: timeout as a number', doc: http(routeTo({ timeout: 10 })), expect: E('ISTHMUS_ERR_CONFIG_INVALID_TYPE', `${R0}.timeout`, 'expected a string') },
  { name: 'vs: fault with neither delay nor abort', doc: http(routeTo({ fault: {} })), expect: E('ISTHMUS_ERR_CONFIG_INVALID_FAULT', `${R0}.fault`, 'HTTP fault injection must have an abort and/or a delay') },
  { name: 'vs: abort status out of range', doc: http(routeTo({ fault: { abort: { httpStatus: 700 } } })), expect: E('ISTHMUS_ERR_CONFIG_INVALID_FAULT', `${R0}.fault.abort.httpStatus`, 'HTTP status 700 is not in range 200-599') },
  { name: 'vs: abort with unknown gRPC status', doc: http(routeTo({ fault: { abort: { grpcStatus: 'NOPE' } } })), expect: E('ISTHMUS_ERR_CONFIG_INVALID_FAULT', `${R0}.fault.abort.grpcStatus`, 'gRPC status "NOPE" is not supported') },
  { name: 'vs: abort with no error type (warning)', doc: http(routeTo({ fault: { abort: { percentage: { value: 5 } } } })), expect: W('ISTHMUS_ERR_CONFIG_INVALID_FAULT', `${R0}.fault.abort`, 'abort configured, but error type not set') },
  { name: 'vs: abort with HTTP and gRPC status', doc: http(routeTo({ fault: { abort: { httpStatus: 500, grpcStatus: 'INTERNAL' } } })), expect: E('ISTHMUS_ERR_CONFIG_CONFLICT', `${R0}.fault.abort`) },
  { name: 'vs: abort percentage above 100', doc: http(routeTo({ fault: { abort: { httpStatus: 500, percentage: { value: 150 } } } })), expect: E('ISTHMUS_ERR_CONFIG_INVALID_PERCENT', `${R0}.fault.abort.percentage.value`, 'percentage 150 is neither 0.0, nor in range [0.0001, 100.0]') },
  { name: 'vs: delay percentage too small to apply', doc: http(routeTo({ fault: { delay: { fixedDelay: '1s', percentage: { value: 0.00001 } } } })), expect: E('ISTHMUS_ERR_CONFIG_INVALID_PERCENT', `${R0}.fault.delay.percentage.value`) },
  { name: 'vs: delay without fixedDelay (warning)', doc: http(routeTo({ fault: { delay: { percentage: { value: 5 } } } })), expect: W('ISTHMUS_ERR_CONFIG_INVALID_FAULT', `${R0}.fault.delay`, 'nothing is delayed') },
  { name: 'vs: delay with the deprecated percent (warning)', doc: http(routeTo({ fault: { delay: { fixedDelay: '1s', percent: 50 } } })), expect: W('ISTHMUS_ERR_CONFIG_DEPRECATED', `${R0}.fault.delay.percent`) },
  { name: 'vs: exponentialDelay is not supported', doc: http(routeTo({ fault: { delay: { exponentialDelay: '1s' } } })), expect: E('ISTHMUS_ERR_CONFIG_INVALID_FAULT', `${R0}.fault.delay.exponentialDelay`, 'not supported yet') },

  // ---------------------------------------------------------------- VirtualService: redirect, rewrite, direct response, mirror, CORS, headers
  { name: 'vs: redirect changing nothing', doc: http({ redirect: { redirectCode: 301 } }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_REDIRECT', `${R0}.redirect`, 'redirect must specify URI, authority, scheme, or port') },
  { name: 'vs: redirect with a non-3xx code', doc: http({ redirect: { uri: '/x', redirectCode: 200 } }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_REDIRECT', `${R0}.redirect.redirectCode`, '200 is not a valid redirect code, must be 3xx') },
  { name: 'vs: redirect with port and derivePort', doc: http({ redirect: { port: 8443, derivePort: 'FROM_REQUEST_PORT' } }), expect: E('ISTHMUS_ERR_CONFIG_CONFLICT', `${R0}.redirect`) },
  { name: 'vs: redirect derivePort not in the enum', doc: http({ redirect: { derivePort: 'FROM_NOWHERE' } }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_ENUM', `${R0}.redirect.derivePort`, 'FROM_PROTOCOL_DEFAULT, FROM_REQUEST_PORT') },
  { name: 'vs: direct response status out of range', doc: http({ directResponse: { status: 700 } }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_DIRECT_RESPONSE', `${R0}.directResponse.status`, 'not in range 200-599') },
  { name: 'vs: direct response without a status', doc: http({ directResponse: { body: { string: 'x' } } }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_DIRECT_RESPONSE', `${R0}.directResponse.status`, 'status is required') },
  { name: 'vs: direct response body over 1MB', doc: http({ directResponse: { status: 200, body: { string: 'x'.repeat(1024 * 1024 + 1) } } }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_DIRECT_RESPONSE', `${R0}.directResponse.body.string`, 'must be less than 1MB') },
  { name: 'vs: rewrite with uri and uriRegexRewrite', doc: http(routeTo({ rewrite: { uri: '/a', uriRegexRewrite: { match: '^/b', rewrite: '/c' } } })), expect: E('ISTHMUS_ERR_CONFIG_INVALID_REWRITE', `${R0}.rewrite`, 'rewrite may only contain one of URI or UriRegexRewrite') },
  { name: 'vs: empty rewrite', doc: http(routeTo({ rewrite: {} })), expect: E('ISTHMUS_ERR_CONFIG_INVALID_REWRITE', `${R0}.rewrite`, 'rewrite must specify at least one of URI, UriRegexRewrite, or authority') },
  { name: 'vs: regex rewrite without rewrite', doc: http(routeTo({ rewrite: { uriRegexRewrite: { match: '^/b' } } })), expect: E('ISTHMUS_ERR_CONFIG_INVALID_REWRITE', `${R0}.rewrite.uriRegexRewrite`, 'requires both Rewrite and Match') },
  { name: 'vs: regex rewrite with a bad regex', doc: http(routeTo({ rewrite: { uriRegexRewrite: { match: '(?!x)', rewrite: '/' } } })), expect: E('ISTHMUS_ERR_CONFIG_INVALID_REGEX', `${R0}.rewrite.uriRegexRewrite.match`) },
  { name: 'vs: mirror percentage above 100', doc: http(routeTo({ mirror: { host: 'shadow' }, mirrorPercentage: { value: 150 } })), expect: E('ISTHMUS_ERR_CONFIG_INVALID_MIRROR', `${R0}.mirrorPercentage.value`, 'mirror_percentage must have a max value of 100 (it has 150.000000)') },
  { name: 'vs: mirrorPercent is deprecated (warning)', doc: http(routeTo({ mirror: { host: 'shadow' }, mirrorPercent: 50 })), expect: W('ISTHMUS_ERR_CONFIG_DEPRECATED', `${R0}.mirrorPercent`) },
  { name: 'vs: mirror without a host', doc: http(routeTo({ mirror: { subset: 'v2' } })), expect: E('ISTHMUS_ERR_CONFIG_INVALID_DESTINATION', `${R0}.mirror.host`) },
  { name: 'vs: mirrors entry percentage below 0', doc: http(routeTo({ mirrors: [{ destination: { host: 'a' }, percentage: { value: -5 } }] })), expect: E('ISTHMUS_ERR_CONFIG_INVALID_MIRROR', `${R0}.mirrors[0].percentage.value`) },
  { name: 'vs: CORS method not supported', doc: http(routeTo({ corsPolicy: { allowMethods: ['GET', 'FOO'] } })), expect: E('ISTHMUS_ERR_CONFIG_INVALID_CORS', `${R0}.corsPolicy.allowMethods[1]`, '"FOO" is not a supported HTTP method') },
  { name: 'vs: CORS max age below a second', doc: http(routeTo({ corsPolicy: { maxAge: '1500ms' } })), expect: E('ISTHMUS_ERR_CONFIG_INVALID_CORS', `${R0}.corsPolicy.maxAge`, 'max_age duration is accurate only to seconds precision') },
  { name: 'vs: CORS header name with a space', doc: http(routeTo({ corsPolicy: { exposeHeaders: ['x y'] } })), expect: E('ISTHMUS_ERR_CONFIG_INVALID_CORS', `${R0}.corsPolicy.exposeHeaders[0]`) },
  { name: 'vs: CORS allowOrigin is deprecated (warning)', doc: http(routeTo({ corsPolicy: { allowOrigin: ['*'] } })), expect: W('ISTHMUS_ERR_CONFIG_DEPRECATED', `${R0}.corsPolicy.allowOrigin`) },
  { name: 'vs: header operation on a pseudo-header', doc: http(routeTo({ headers: { request: { set: { ':path': '/x' } } } })), expect: E('ISTHMUS_ERR_CONFIG_INVALID_HEADER', `${R0}.headers.request.set[":path"]`, 'invalid header ":path": header cannot have ":" prefix') },
  { name: 'vs: setting Host on the response', doc: http(routeTo({ headers: { response: { set: { Host: 'a' } } } })), expect: E('ISTHMUS_ERR_CONFIG_INVALID_HEADER', `${R0}.headers.response.set.Host`, 'cannot set Host header') },
  { name: 'vs: header value with an Envoy command', doc: http(routeTo({ headers: { request: { set: { 'x-node': '%HOSTNAME% at 100%%', 'x-id': '%REQ(x-request-id)%' } } } })), valid: 'clean' },
  { name: 'vs: header value with a stray percent sign', doc: http(routeTo({ headers: { request: { add: { 'x-a': 'abc%123' } } } })), expect: E('ISTHMUS_ERR_CONFIG_INVALID_HEADER', `${R0}.headers.request.add.x-a`, 'header value configuration "abc%123" is invalid') },
  { name: 'vs: authority set twice', doc: http(routeTo({ rewrite: { authority: 'a.example.com' }, headers: { request: { set: { host: 'b.example.com' } } } })), expect: E('ISTHMUS_ERR_CONFIG_INVALID_HEADER', `${R0}.headers.request.set.host`, 'authority header cannot be set multiple times: have "a.example.com", attempting to set "b.example.com"') },
  { name: 'vs: header value with a newline', doc: http({ route: [to('a', { headers: { response: { add: { 'x-a': 'one\ntwo' } } } })] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_HEADER', `${R0}.route[0].headers.response.add.x-a`) },
  { name: 'vs: removing a pseudo-header', doc: http(routeTo({ headers: { response: { remove: [':status'] } } })), expect: E('ISTHMUS_ERR_CONFIG_INVALID_HEADER', `${R0}.headers.response.remove[0]`) },

  // ---------------------------------------------------------------- VirtualService: tcp, tls, exportTo, shape
  { name: 'vs: tcp route without route', doc: vs({ hosts: ['db'], tcp: [{ match: [{ port: 3306 }] }] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_ROUTE', 'spec.tcp[0].route', 'TCP route is required') },
  { name: 'vs: tcp destination subnet invalid', doc: vs({ hosts: ['db'], tcp: [{ match: [{ destinationSubnets: ['10.0.0.0/40'] }], route: [to('db')] }] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_ADDRESS', 'spec.tcp[0].match[0].destinationSubnets[0]') },
  { name: 'vs: tcp weights all zero', doc: vs({ hosts: ['db'], tcp: [{ route: [to('a', { weight: 0 }), to('b', { weight: 0 })] }] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_WEIGHT', 'spec.tcp[0].route') },
  { name: 'vs: tls route without match', doc: vs({ hosts: ['a.example.com'], gateways: ['gw'], tls: [{ route: [to('a')] }] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_ROUTE', 'spec.tls[0].match', 'at least one match condition') },
  { name: 'vs: tls match without sniHosts', doc: vs({ hosts: ['a.example.com'], gateways: ['gw'], tls: [{ match: [{ port: 443 }], route: [to('a')] }] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_MATCH', 'spec.tls[0].match[0].sniHosts') },
  { name: 'vs: exportTo ~ is only for ServiceEntry', doc: vs({ hosts: ['reviews'], exportTo: ['~'], http: [routeTo()] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_EXPORT_TO', 'spec.exportTo[0]') },
  { name: 'vs: exportTo mixing * and .', doc: vs({ hosts: ['reviews'], exportTo: ['*', '.'], http: [routeTo()] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_EXPORT_TO', 'spec.exportTo', 'cannot have both public (*) and non-public') },
  { name: 'vs: unknown field prefx', doc: match({ uri: { prefx: '/a' } }), expect: E('ISTHMUS_ERR_CONFIG_UNKNOWN_FIELD', `${R0}.match[0].uri.prefx`, 'unknown field `prefx`; did you mean `prefix`?') },
  { name: 'vs: unknown field weigth', doc: http({ route: [to('a', { weigth: 10 })] }), expect: E('ISTHMUS_ERR_CONFIG_UNKNOWN_FIELD', `${R0}.route[0].weigth`, 'did you mean `weight`?') },
  { name: 'vs: unknown field destinaton', doc: http({ route: [{ destinaton: { host: 'a' } }] }), expect: E('ISTHMUS_ERR_CONFIG_UNKNOWN_FIELD', `${R0}.route[0].destinaton`, 'did you mean `destination`?') },
  { name: 'vs: snake_case field name', doc: http(routeTo({ retries: { attempts: 1, retry_on: '5xx' } })), expect: E('ISTHMUS_ERR_CONFIG_UNKNOWN_FIELD', `${R0}.retries.retry_on`, 'did you mean `retryOn`?') },
  { name: 'vs: unknown field far from any name lists the fields', doc: match({ uri: { glob: '/a*' } }), expect: E('ISTHMUS_ERR_CONFIG_UNKNOWN_FIELD', `${R0}.match[0].uri.glob`, 'known fields here: exact, prefix, regex') },
  { name: 'vs: unknown top-level field', doc: { ...http(routeTo()), specs: {} }, expect: E('ISTHMUS_ERR_CONFIG_UNKNOWN_FIELD', 'specs', 'did you mean `spec`?') },
  { name: 'vs: hosts as a string', doc: vs({ hosts: 'reviews', http: [routeTo()] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_TYPE', 'spec.hosts', 'expected a list, got the string "reviews"') },

  // ---------------------------------------------------------------- DestinationRule
  { name: 'dr: subsets', doc: dr({ host: 'reviews', subsets: [{ name: 'v1', labels: { version: 'v1' } }, { name: 'v2', labels: { version: 'v2' } }] }), valid: 'clean' },
  {
    name: 'dr: every traffic policy part',
    doc: drPolicy({
      loadBalancer: { simple: 'LEAST_REQUEST', warmup: { duration: '60s', minimumPercent: 20, aggression: 1.5 } },
      connectionPool: { tcp: { maxConnections: 100, connectTimeout: '30ms', idleTimeout: '1h' }, http: { http2MaxRequests: 1000, maxRetries: 3, useClientProtocol: true } },
      outlierDetection: { consecutive5xxErrors: 5, interval: '10s', baseEjectionTime: '30s', maxEjectionPercent: 10, minHealthPercent: 0 },
      tls: { mode: 'SIMPLE', sni: 'reviews.example.com' },
      portLevelSettings: [{ port: { number: 9080 }, loadBalancer: { simple: 'RANDOM' } }],
      retryBudget: { percent: 25, minRetryConcurrency: 5 },
    }),
    valid: 'clean',
  },
  { name: 'dr: consistent hash with ring hash', doc: lb({ consistentHash: { httpHeaderName: 'x-user', ringHash: { minimumRingSize: '1024' } } }), valid: 'clean' },
  { name: 'dr: tunnel', doc: drPolicy({ tunnel: { protocol: 'CONNECT', targetHost: '10.0.0.1', targetPort: 8443 } }), valid: 'clean' },
  { name: 'dr: missing host', doc: dr({ subsets: [{ name: 'v1' }] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_HOST', 'spec.host', 'invalid destination host') },
  { name: 'dr: invalid host', doc: dr({ host: 'rev!ews' }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_HOST', 'spec.host', 'invalid destination host "rev!ews"') },
  { name: 'dr: duplicate subset names', doc: dr({ host: 'reviews', subsets: [{ name: 'v1' }, { name: 'v1' }] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_SUBSET', 'spec.subsets[1].name', 'duplicate subset names: v1') },
  { name: 'dr: subset without a name', doc: dr({ host: 'reviews', subsets: [{ labels: { version: 'v1' } }] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_SUBSET', 'spec.subsets[0].name', 'subset name cannot be empty') },
  { name: 'dr: subset name not a DNS label', doc: dr({ host: 'reviews', subsets: [{ name: 'V1' }] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_SUBSET', 'spec.subsets[0].name', 'subset name is invalid') },
  { name: 'dr: subset label value invalid', doc: dr({ host: 'reviews', subsets: [{ name: 'v1', labels: { version: 'v1!' } }] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_LABEL', 'spec.subsets[0].labels.version') },
  { name: 'dr: subset label value as a number', doc: dr({ host: 'reviews', subsets: [{ name: 'v1', labels: { version: 1 } }] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_TYPE', 'spec.subsets[0].labels.version', 'quote it') },
  { name: 'dr: empty traffic policy', doc: drPolicy({}), expect: E('ISTHMUS_ERR_CONFIG_INVALID_TRAFFIC_POLICY', 'spec.trafficPolicy', 'traffic policy must have at least one field') },
  { name: 'dr: empty subset traffic policy', doc: dr({ host: 'reviews', subsets: [{ name: 'v1', trafficPolicy: {} }] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_TRAFFIC_POLICY', 'spec.subsets[0].trafficPolicy') },
  { name: 'dr: empty connection pool', doc: pool({}), expect: E('ISTHMUS_ERR_CONFIG_INVALID_CONNECTION_POOL', 'spec.trafficPolicy.connectionPool', 'connection pool must have at least one field') },
  { name: 'dr: negative max connections', doc: pool({ tcp: { maxConnections: -1 } }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_CONNECTION_POOL', 'spec.trafficPolicy.connectionPool.tcp.maxConnections', 'max connections must be non-negative') },
  { name: 'dr: negative http1 max pending', doc: pool({ http: { http1MaxPendingRequests: -1 } }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_CONNECTION_POOL', undefined, 'http1 max pending requests must be non-negative') },
  { name: 'dr: negative http2 max requests', doc: pool({ http: { http2MaxRequests: -1 } }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_CONNECTION_POOL', undefined, 'http2 max requests must be non-negative') },
  { name: 'dr: negative max requests per connection', doc: pool({ http: { maxRequestsPerConnection: -1 } }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_CONNECTION_POOL', undefined, 'max requests per connection must be non-negative') },
  { name: 'dr: negative max retries', doc: pool({ http: { maxRetries: -2 } }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_CONNECTION_POOL', undefined, 'max retries must be non-negative') },
  { name: 'dr: useClientProtocol with UPGRADE', doc: pool({ http: { useClientProtocol: true, h2UpgradePolicy: 'UPGRADE' } }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_CONNECTION_POOL', undefined, 'use client protocol must not be true when H2UpgradePolicy is UPGRADE') },
  { name: 'dr: bad connect timeout', doc: pool({ tcp: { connectTimeout: '10 s' } }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_DURATION', 'spec.trafficPolicy.connectionPool.tcp.connectTimeout') },
  { name: 'dr: idle timeout 0s', doc: pool({ http: { idleTimeout: '0s' } }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_DURATION', 'spec.trafficPolicy.connectionPool.http.idleTimeout', 'greater than 1ms') },
  { name: 'dr: h2UpgradePolicy not in the enum', doc: pool({ http: { h2UpgradePolicy: 'SOMETIMES' } }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_ENUM', 'spec.trafficPolicy.connectionPool.http.h2UpgradePolicy') },
  { name: 'dr: max ejection percent above 100', doc: outlier({ maxEjectionPercent: 150 }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_OUTLIER_DETECTION', 'spec.trafficPolicy.outlierDetection.maxEjectionPercent', 'percentage 150 is not in range 0..100') },
  { name: 'dr: min health percent below 0', doc: outlier({ minHealthPercent: -1 }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_OUTLIER_DETECTION', 'spec.trafficPolicy.outlierDetection.minHealthPercent') },
  { name: 'dr: local origin failures without split', doc: outlier({ consecutiveLocalOriginFailures: 3 }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_OUTLIER_DETECTION', undefined, 'split external local origin errors is set to false') },
  { name: 'dr: consecutiveErrors is deprecated (warning)', doc: outlier({ consecutiveErrors: 5 }), expect: W('ISTHMUS_ERR_CONFIG_DEPRECATED', 'spec.trafficPolicy.outlierDetection.consecutiveErrors', 'outlier detection consecutive errors is deprecated') },
  { name: 'dr: outlier interval malformed', doc: outlier({ interval: '1x' }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_DURATION', 'spec.trafficPolicy.outlierDetection.interval') },
  { name: 'dr: load balancer not in the enum', doc: lb({ simple: 'FASTEST' }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_ENUM', 'spec.trafficPolicy.loadBalancer.simple', 'LEAST_REQUEST') },
  { name: 'dr: LEAST_CONN is deprecated (warning)', doc: lb({ simple: 'LEAST_CONN' }), expect: W('ISTHMUS_ERR_CONFIG_DEPRECATED', 'spec.trafficPolicy.loadBalancer.simple', 'use LEAST_REQUEST') },
  { name: 'dr: simple and consistentHash', doc: lb({ simple: 'RANDOM', consistentHash: { useSourceIp: true } }), expect: E('ISTHMUS_ERR_CONFIG_CONFLICT', 'spec.trafficPolicy.loadBalancer') },
  { name: 'dr: maglev table size not prime', doc: lb({ consistentHash: { useSourceIp: true, maglev: { tableSize: 1000 } } }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_LOAD_BALANCER', 'spec.trafficPolicy.loadBalancer.consistentHash.maglev.tableSize', 'tableSize must be a prime number for maglev') },
  { name: 'dr: maglev table size too large', doc: lb({ consistentHash: { useSourceIp: true, maglev: { tableSize: 5000011 } } }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_LOAD_BALANCER', undefined, 'tableSize must be less than 5000011') },
  { name: 'dr: minimumRingSize with ringHash', doc: lb({ consistentHash: { useSourceIp: true, minimumRingSize: 1024, ringHash: { minimumRingSize: 1024 } } }), expect: E('ISTHMUS_ERR_CONFIG_CONFLICT', undefined, 'only one of MinimumRingSize or Maglev/Ringhash can be specified') },
  { name: 'dr: two hash keys', doc: lb({ consistentHash: { useSourceIp: true, httpHeaderName: 'x-user' } }), expect: E('ISTHMUS_ERR_CONFIG_CONFLICT', 'spec.trafficPolicy.loadBalancer.consistentHash') },
  { name: 'dr: hash cookie without a name', doc: lb({ consistentHash: { httpCookie: { ttl: '10s' } } }), expect: E('ISTHMUS_ERR_CONFIG_MISSING_FIELD', 'spec.trafficPolicy.loadBalancer.consistentHash.httpCookie.name') },
  { name: 'dr: distribute and failover', doc: lb({ localityLbSetting: { distribute: [{ from: 'a/*', to: { 'a/*': 100 } }], failover: [{ from: 'a', to: 'b' }] } }), expect: E('ISTHMUS_ERR_CONFIG_CONFLICT', 'spec.trafficPolicy.loadBalancer.localityLbSetting') },
  { name: 'dr: distribute weights not 100', doc: lb({ localityLbSetting: { distribute: [{ from: 'a/*', to: { 'a/*': 70, 'b/*': 20 } }] } }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_LOAD_BALANCER', 'spec.trafficPolicy.loadBalancer.localityLbSetting.distribute[0].to', 'total locality weight 90 != 100') },
  { name: 'dr: locality weight 0', doc: lb({ localityLbSetting: { distribute: [{ from: 'a/*', to: { 'a/*': 100, 'b/*': 0 } }] } }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_LOAD_BALANCER', undefined, 'locality weight must be in range [1, 100]') },
  { name: 'dr: failover without outlier detection (warning)', doc: lb({ localityLbSetting: { failover: [{ from: 'us-east', to: 'us-west' }] } }), expect: W('ISTHMUS_ERR_CONFIG_INVALID_LOAD_BALANCER', 'spec.trafficPolicy.loadBalancer.localityLbSetting', 'outlier detection policy must be provided for failover') },
  { name: 'dr: failover names a zone', doc: lb({ localityLbSetting: { failover: [{ from: 'us-east/a', to: 'us-west' }] } }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_LOAD_BALANCER', 'spec.trafficPolicy.loadBalancer.localityLbSetting.failover[0]', 'locality lb failover only specify region') },
  { name: 'dr: failover to the same region', doc: lb({ localityLbSetting: { failover: [{ from: 'us-east', to: 'us-east' }] } }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_LOAD_BALANCER', 'spec.trafficPolicy.loadBalancer.localityLbSetting.failover[0]') },
  { name: 'dr: locality distribute, narrower from before broader', doc: lb({ localityLbSetting: { distribute: [{ from: 'r1/z1/*', to: { 'r1/z1/*': 80, 'r2/*': 20 } }, { from: 'r1/*', to: { 'r1/*': 100 } }] } }), valid: 'clean' },
  { name: 'dr: locality failover with failoverPriority on a custom label', doc: drPolicy({ loadBalancer: { localityLbSetting: { failover: [{ from: 'us-east', to: 'us-west' }], failoverPriority: ['topology.istio.io/network', 'rack=r1'] } }, outlierDetection: { consecutive5xxErrors: 1 } }), valid: 'clean' },
  { name: 'dr: locality distribute to-keys overlap', doc: lb({ localityLbSetting: { distribute: [{ from: 'r1/*', to: { 'r1/*': 60, 'r1/z2': 40 } }] } }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_LOAD_BALANCER', 'spec.trafficPolicy.loadBalancer.localityLbSetting.distribute[0].to["r1/z2"]', 'locality r1/z2 overlaps r1/*, listed before it') },
  { name: 'dr: locality distribute to-key after a * region', doc: lb({ localityLbSetting: { distribute: [{ from: 'r1', to: { '*': 60, 'r2': 40 } }] } }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_LOAD_BALANCER', 'spec.trafficPolicy.loadBalancer.localityLbSetting.distribute[0].to.r2', 'overlaps *') },
  { name: 'dr: locality distribute from repeated', doc: lb({ localityLbSetting: { distribute: [{ from: 'r1/z1', to: { 'r1/*': 100 } }, { from: 'r1/z1', to: { 'r2/*': 100 } }] } }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_LOAD_BALANCER', 'spec.trafficPolicy.loadBalancer.localityLbSetting.distribute[1].from', 'locality r1/z1 overlaps r1/z1') },
  { name: 'dr: locality distribute from after a broader one', doc: lb({ localityLbSetting: { distribute: [{ from: 'r1', to: { 'r1/*': 100 } }, { from: 'r1/z1/*', to: { 'r2/*': 100 } }] } }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_LOAD_BALANCER', 'spec.trafficPolicy.loadBalancer.localityLbSetting.distribute[1].from') },
  { name: 'dr: locality wildcard not at the end', doc: lb({ localityLbSetting: { distribute: [{ from: '*/z1', to: { 'r1/*': 100 } }] } }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_LOAD_BALANCER', 'spec.trafficPolicy.loadBalancer.localityLbSetting.distribute[0].from', "wildcard '*' number can not exceed 1 and must be in the end") },
  { name: 'dr: locality with an empty zone', doc: lb({ localityLbSetting: { distribute: [{ from: 'r1//s1', to: { 'r1/*': 100 } }] } }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_LOAD_BALANCER', 'spec.trafficPolicy.loadBalancer.localityLbSetting.distribute[0].from', 'must not contain empty region/zone/subzone info') },
  { name: 'dr: locality failover region with a wildcard', doc: lb({ localityLbSetting: { failover: [{ from: 'us-east', to: '*' }] } }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_LOAD_BALANCER', 'spec.trafficPolicy.loadBalancer.localityLbSetting.failover[0]', "should not contain '*' wildcard") },
  { name: 'dr: locality failover with a topology label in failoverPriority', doc: lb({ localityLbSetting: { failover: [{ from: 'us-east', to: 'us-west' }], failoverPriority: ['topology.kubernetes.io/zone'] } }), expect: E('ISTHMUS_ERR_CONFIG_CONFLICT', 'spec.trafficPolicy.loadBalancer.localityLbSetting.failoverPriority[0]') },
  { name: 'dr: locality distribute ignores failoverPriority (warning)', doc: lb({ localityLbSetting: { distribute: [{ from: 'r1/*', to: { 'r1/*': 100 } }], failoverPriority: ['topology.istio.io/network'] } }), expect: W('ISTHMUS_ERR_CONFIG_INVALID_LOAD_BALANCER', 'spec.trafficPolicy.loadBalancer.localityLbSetting.failoverPriority', "failoverPriority has no effect when 'distribute' is set") },
  { name: 'dr: warmup aggression below 1', doc: lb({ warmup: { duration: '10s', aggression: 0.5 } }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_LOAD_BALANCER', 'spec.trafficPolicy.loadBalancer.warmup.aggression') },
  { name: 'dr: warmup without duration', doc: lb({ warmup: { minimumPercent: 10 } }), expect: E('ISTHMUS_ERR_CONFIG_MISSING_FIELD', 'spec.trafficPolicy.loadBalancer.warmup.duration') },
  { name: 'dr: ISTIO_MUTUAL with a private key', doc: drPolicy({ tls: { mode: 'ISTIO_MUTUAL', privateKey: '/etc/key.pem' } }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_TLS', 'spec.trafficPolicy.tls.privateKey', 'ISTIO_MUTUAL TLS cannot have associated private key') },
  { name: 'dr: ISTIO_MUTUAL with a credential name', doc: drPolicy({ tls: { mode: 'ISTIO_MUTUAL', credentialName: 'secret' } }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_TLS', 'spec.trafficPolicy.tls.credentialName') },
  { name: 'dr: MUTUAL without client certificate', doc: drPolicy({ tls: { mode: 'MUTUAL', privateKey: '/k' } }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_TLS', 'spec.trafficPolicy.tls.clientCertificate', 'client certificate required for mutual tls') },
  { name: 'dr: TLS mode not in the enum', doc: drPolicy({ tls: { mode: 'STRICT' } }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_ENUM', 'spec.trafficPolicy.tls.mode') },
  { name: 'dr: port policy with only a port', doc: drPolicy({ portLevelSettings: [{ port: { number: 80 } }] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_TRAFFIC_POLICY', 'spec.trafficPolicy.portLevelSettings[0]', 'port traffic policy must have at least one field') },
  { name: 'dr: port policy without a port', doc: drPolicy({ portLevelSettings: [{ loadBalancer: { simple: 'RANDOM' } }] }), expect: E('ISTHMUS_ERR_CONFIG_MISSING_FIELD', 'spec.trafficPolicy.portLevelSettings[0].port') },
  { name: 'dr: port policy on port 0', doc: drPolicy({ portLevelSettings: [{ port: { number: 0 }, loadBalancer: { simple: 'RANDOM' } }] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_PORT', 'spec.trafficPolicy.portLevelSettings[0].port.number') },
  { name: 'dr: tunnel with proxyProtocol', doc: drPolicy({ tunnel: { targetHost: 'a', targetPort: 80 }, proxyProtocol: { version: 'V2' } }), expect: E('ISTHMUS_ERR_CONFIG_CONFLICT', 'spec.trafficPolicy', 'tunnel and proxyProtocol must not be set together') },
  { name: 'dr: tunnel protocol unknown', doc: drPolicy({ tunnel: { protocol: 'GET', targetHost: 'a', targetPort: 80 } }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_TRAFFIC_POLICY', 'spec.trafficPolicy.tunnel.protocol') },
  { name: 'dr: tunnel without target host', doc: drPolicy({ tunnel: { targetPort: 80 } }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_TRAFFIC_POLICY', 'spec.trafficPolicy.tunnel.targetHost', 'tunnel target host must be valid FQDN or IP address') },
  { name: 'dr: tunnel without target port', doc: drPolicy({ tunnel: { targetHost: 'a.example.com' } }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_TRAFFIC_POLICY', 'spec.trafficPolicy.tunnel.targetPort', 'tunnel target port is invalid') },
  { name: 'dr: retry budget above 100 percent', doc: drPolicy({ retryBudget: { percent: 120 } }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_TRAFFIC_POLICY', 'spec.trafficPolicy.retryBudget.percent') },
  { name: 'dr: workload selector exported everywhere', doc: dr({ host: 'reviews', workloadSelector: { matchLabels: { app: 'a' } }, exportTo: ['*'] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_EXPORT_TO', 'spec.exportTo', 'destination rule with workload selector cannot have exportTo beyond current namespace') },
  { name: 'dr: wildcard in workload selector', doc: dr({ host: 'reviews', workloadSelector: { matchLabels: { app: 'rev*' } } }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_SELECTOR', 'spec.workloadSelector.matchLabels.app', 'wildcard is not supported in selector') },
  { name: 'dr: exportTo namespace invalid', doc: dr({ host: 'reviews', exportTo: ['Team'] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_EXPORT_TO', 'spec.exportTo[0]') },
  { name: 'dr: field in the wrong case', doc: drPolicy({ loadbalancer: { simple: 'RANDOM' } }), expect: E('ISTHMUS_ERR_CONFIG_UNKNOWN_FIELD', 'spec.trafficPolicy.loadbalancer', 'did you mean `loadBalancer`?') },

  // ---------------------------------------------------------------- Gateway
  { name: 'gw: HTTP server', doc: server(httpServer()), valid: 'clean' },
  { name: 'gw: HTTPS with a credential', doc: server(httpsServer({ mode: 'SIMPLE', credentialName: 'httpbin-credential' })), valid: 'clean' },
  { name: 'gw: HTTP with httpsRedirect only', doc: server(httpServer({ tls: { httpsRedirect: true } })), valid: 'clean' },
  { name: 'gw: TLS passthrough', doc: server({ port: { number: 443, name: 'tls', protocol: 'TLS' }, hosts: ['nginx.example.com'], tls: { mode: 'PASSTHROUGH' } }), valid: 'clean' },
  { name: 'gw: namespaced hosts', doc: server(httpServer({ hosts: ['bookinfo/*.example.com', './reviews.example.com', '*/*'] })), valid: 'clean' },
  { name: 'gw: protocol in lower case', doc: server({ port: { number: 31400, name: 'tcp', protocol: 'tcp' }, hosts: ['*'] }), valid: 'clean' },
  { name: 'gw: no servers', doc: gw({ selector: { istio: 'ingressgateway' } }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_SERVER', 'spec.servers', 'gateway must have at least one server') },
  { name: 'gw: server without hosts', doc: server(httpServer({ hosts: [] })), expect: E('ISTHMUS_ERR_CONFIG_INVALID_SERVER', 'spec.servers[0].hosts', 'server config must contain at least one host') },
  {
    name: 'gw: duplicate port names',
    doc: gw({ servers: [httpServer(), httpServer({ port: { number: 8080, name: 'http', protocol: 'HTTP' } })] }),
    expect: E('ISTHMUS_ERR_CONFIG_DUPLICATE', 'spec.servers[1].port.name', 'port names in servers must be unique: duplicate name http'),
  },
  { name: 'gw: duplicate server names (warning)', doc: gw({ servers: [httpServer({ name: 's' }), httpServer({ name: 's', port: { number: 81, name: 'h2', protocol: 'HTTP' } })] }), expect: W('ISTHMUS_ERR_CONFIG_DUPLICATE', 'spec.servers[1].name') },
  { name: 'gw: HTTPS without TLS', doc: server(httpsServer(undefined)), expect: E('ISTHMUS_ERR_CONFIG_INVALID_TLS', 'spec.servers[0]', 'server must have TLS settings for HTTPS/TLS protocols') },
  { name: 'gw: TLS settings on plain HTTP', doc: server(httpServer({ tls: { mode: 'SIMPLE', credentialName: 'c' } })), expect: E('ISTHMUS_ERR_CONFIG_INVALID_TLS', 'spec.servers[0].tls', 'server cannot have TLS settings for plain text HTTP ports') },
  { name: 'gw: unknown protocol', doc: server({ port: { number: 80, name: 'x', protocol: 'FOO' }, hosts: ['*'] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_PROTOCOL', 'spec.servers[0].port.protocol', 'invalid protocol "FOO", supported protocols are HTTP, HTTP2, GRPC, GRPC-WEB, MONGO, REDIS, MYSQL, TCP') },
  { name: 'gw: port without a name', doc: server({ port: { number: 80, protocol: 'HTTP' }, hosts: ['*'] }), expect: E('ISTHMUS_ERR_CONFIG_MISSING_FIELD', 'spec.servers[0].port.name') },
  { name: 'gw: port without a protocol', doc: server({ port: { number: 80, name: 'http' }, hosts: ['*'] }), expect: E('ISTHMUS_ERR_CONFIG_MISSING_FIELD', 'spec.servers[0].port.protocol') },
  { name: 'gw: server without a port', doc: server({ hosts: ['*'] }), expect: E('ISTHMUS_ERR_CONFIG_MISSING_FIELD', 'spec.servers[0].port', 'port is required') },
  { name: 'gw: port number 0', doc: server(httpServer({ port: { number: 0, name: 'http', protocol: 'HTTP' } })), expect: E('ISTHMUS_ERR_CONFIG_INVALID_PORT', 'spec.servers[0].port.number', 'port number 0 must be in the range 1..65535') },
  { name: 'gw: port number 65536', doc: server(httpServer({ port: { number: 65536, name: 'http', protocol: 'HTTP' } })), expect: E('ISTHMUS_ERR_CONFIG_INVALID_PORT', 'spec.servers[0].port.number') },
  { name: 'gw: partial wildcard host', doc: server(httpServer({ hosts: ['foo.*.bar.com'] })), expect: E('ISTHMUS_ERR_CONFIG_INVALID_HOST', 'spec.servers[0].hosts[0]', 'invalid host "foo.*.bar.com"') },
  { name: 'gw: host with an invalid namespace', doc: server(httpServer({ hosts: ['Bad_NS/foo.com'] })), expect: E('ISTHMUS_ERR_CONFIG_INVALID_HOST', 'spec.servers[0].hosts[0]', 'invalid namespace value "Bad_NS" in gateway') },
  { name: 'gw: short host name', doc: server(httpServer({ hosts: ['httpbin'] })), expect: E('ISTHMUS_ERR_CONFIG_INVALID_HOST', 'spec.servers[0].hosts[0]', 'short names (non FQDN) are not allowed') },
  { name: 'gw: partial wildcard prefix', doc: server(httpServer({ hosts: ['*foo.example.com'] })), expect: E('ISTHMUS_ERR_CONFIG_INVALID_HOST', 'spec.servers[0].hosts[0]', 'partial wildcard "*foo.example.com" not allowed') },
  { name: 'gw: IP address host', doc: server(httpServer({ hosts: ['10.0.0.1'] })), valid: 'clean' },
  { name: 'gw: SIMPLE TLS without certificates', doc: server(httpsServer({ mode: 'SIMPLE' })), expect: [E('ISTHMUS_ERR_CONFIG_INVALID_TLS', 'spec.servers[0].tls.serverCertificate', 'SIMPLE TLS requires a server certificate'), E('ISTHMUS_ERR_CONFIG_INVALID_TLS', 'spec.servers[0].tls.privateKey', 'SIMPLE TLS requires a private key')] },
  { name: 'gw: MUTUAL TLS without a CA', doc: server(httpsServer({ mode: 'MUTUAL', serverCertificate: '/c', privateKey: '/k' })), expect: E('ISTHMUS_ERR_CONFIG_INVALID_TLS', 'spec.servers[0].tls.caCertificates', 'MUTUAL TLS requires a client CA bundle') },
  { name: 'gw: ISTIO_MUTUAL with a server certificate', doc: server(httpsServer({ mode: 'ISTIO_MUTUAL', serverCertificate: '/c' })), expect: E('ISTHMUS_ERR_CONFIG_INVALID_TLS', 'spec.servers[0].tls.serverCertificate', 'ISTIO_MUTUAL TLS cannot have associated server certificate') },
  { name: 'gw: credentialName with credentialNames', doc: server(httpsServer({ mode: 'SIMPLE', credentialName: 'a', credentialNames: ['b'] })), expect: E('ISTHMUS_ERR_CONFIG_CONFLICT', 'spec.servers[0].tls', 'only one of credentialName or credentialNames can be set') },
  { name: 'gw: credentialName with tlsCertificates', doc: server(httpsServer({ mode: 'SIMPLE', credentialName: 'a', tlsCertificates: [{ serverCertificate: '/c', privateKey: '/k' }] })), expect: E('ISTHMUS_ERR_CONFIG_CONFLICT', 'spec.servers[0].tls', 'only one of credentialName or tlsCertificates can be set') },
  { name: 'gw: credentialNames with tlsCertificates', doc: server(httpsServer({ mode: 'SIMPLE', credentialNames: ['a'], tlsCertificates: [{ serverCertificate: '/c', privateKey: '/k' }] })), expect: E('ISTHMUS_ERR_CONFIG_CONFLICT', 'spec.servers[0].tls', 'only one of credentialNames or tlsCertificates can be set') },
  { name: 'gw: TLS min version above max', doc: server(httpsServer({ mode: 'SIMPLE', credentialName: 'c', minProtocolVersion: 'TLSV1_3', maxProtocolVersion: 'TLSV1_2' })), expect: E('ISTHMUS_ERR_CONFIG_INVALID_TLS', 'spec.servers[0].tls.minProtocolVersion') },
  { name: 'gw: TLS mode not in the enum', doc: server(httpsServer({ mode: 'STRICT', credentialName: 'c' })), expect: E('ISTHMUS_ERR_CONFIG_INVALID_ENUM', 'spec.servers[0].tls.mode', 'OPTIONAL_MUTUAL') },
  { name: 'gw: targetPort has no effect', doc: server(httpServer({ port: { number: 80, name: 'http', protocol: 'HTTP', targetPort: 8080 } })), expect: E('ISTHMUS_ERR_CONFIG_INVALID_PORT', 'spec.servers[0].port.targetPort', 'targetPort has no impact on Gateways') },
  { name: 'gw: bind that is not an address', doc: server(httpServer({ bind: 'localhost' })), expect: E('ISTHMUS_ERR_CONFIG_INVALID_ADDRESS', 'spec.servers[0].bind') },
  { name: 'gw: selector label value invalid', doc: gw({ selector: { istio: 'ingress gateway' }, servers: [httpServer()] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_LABEL', 'spec.selector.istio') },
  { name: 'gw: unknown field in a server', doc: server(httpServer({ host: ['*'] })), expect: E('ISTHMUS_ERR_CONFIG_UNKNOWN_FIELD', 'spec.servers[0].host', 'did you mean `hosts`?') },

  // ---------------------------------------------------------------- ServiceEntry
  { name: 'se: external DNS service', doc: egress(), valid: 'clean' },
  { name: 'se: STATIC with endpoints', doc: se({ hosts: ['db.internal'], ports: [{ number: 5432, name: 'tcp', protocol: 'TCP' }], addresses: ['10.1.0.10'], resolution: 'STATIC', endpoints: [{ address: '10.1.0.11', ports: { tcp: 15432 } }] }), valid: 'clean' },
  { name: 'se: NONE with a CIDR address', doc: se({ hosts: ['vms.internal'], addresses: ['10.2.0.0/16'], ports: [{ number: 22, name: 'tcp-ssh', protocol: 'TCP' }], resolution: 'NONE' }), valid: 'clean' },
  { name: 'se: workload selector', doc: se({ hosts: ['vm.internal'], ports: [{ number: 80, name: 'http', protocol: 'HTTP' }], location: 'MESH_INTERNAL', resolution: 'STATIC', workloadSelector: { labels: { app: 'vm' } } }), valid: 'clean' },
  { name: 'se: DNS_ROUND_ROBIN with one endpoint', doc: egress({ resolution: 'DNS_ROUND_ROBIN', endpoints: [{ address: 'a.example.com' }] }), valid: 'clean' },
  { name: 'se: exportTo nowhere', doc: egress({ exportTo: ['~'] }), valid: 'clean' },
  { name: 'se: unix socket endpoint', doc: se({ hosts: ['uds.local'], ports: [{ number: 80, name: 'http', protocol: 'HTTP' }], resolution: 'STATIC', endpoints: [{ address: 'unix:///var/run/app.sock' }] }), valid: 'clean' },
  { name: 'se: no hosts', doc: se({ ports: [{ number: 80, name: 'http', protocol: 'HTTP' }], resolution: 'DNS' }), expect: E('ISTHMUS_ERR_CONFIG_MISSING_FIELD', 'spec.hosts', 'service entry must have at least one host') },
  { name: 'se: * host', doc: egress({ hosts: ['*'] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_HOST', 'spec.hosts[0]', 'hostname cannot be wildcard') },
  { name: 'se: invalid host', doc: egress({ hosts: ['api..example.com'] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_HOST', 'spec.hosts[0]') },
  { name: 'se: DNS with a wildcard host and no endpoints', doc: egress({ hosts: ['*.example.com'] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_RESOLUTION', 'spec.hosts[0]', 'hosts must be FQDN if no endpoints are provided for resolution mode DNS') },
  { name: 'se: NONE with endpoints', doc: egress({ resolution: 'NONE', endpoints: [{ address: '1.1.1.1' }] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_RESOLUTION', 'spec.endpoints', 'no endpoints should be provided for resolution type none') },
  { name: 'se: endpoint port not declared', doc: egress({ resolution: 'STATIC', endpoints: [{ address: '1.1.1.1', ports: { http: 8080 } }] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_ENDPOINT', 'spec.endpoints[0].ports.http', 'endpoint port http is not defined by the service entry') },
  { name: 'se: endpoint port out of range', doc: egress({ resolution: 'STATIC', endpoints: [{ address: '1.1.1.1', ports: { https: 70000 } }] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_PORT', 'spec.endpoints[0].ports.https', 'port must be between 1-65535') },
  { name: 'se: duplicate port numbers', doc: egress({ ports: [{ number: 443, name: 'https', protocol: 'TLS' }, { number: 443, name: 'tls', protocol: 'TLS' }] }), expect: E('ISTHMUS_ERR_CONFIG_DUPLICATE', 'spec.ports[1].number', 'service entry port 443 already defined') },
  { name: 'se: duplicate port names', doc: egress({ ports: [{ number: 443, name: 'https', protocol: 'TLS' }, { number: 8443, name: 'https', protocol: 'TLS' }] }), expect: E('ISTHMUS_ERR_CONFIG_DUPLICATE', 'spec.ports[1].name', 'service entry port name "https" already defined') },
  { name: 'se: port name not a DNS label', doc: egress({ ports: [{ number: 443, name: 'HTTPS', protocol: 'TLS' }] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_PORT', 'spec.ports[0].name', 'invalid port name: HTTPS') },
  { name: 'se: port without a name', doc: egress({ ports: [{ number: 443, protocol: 'TLS' }] }), expect: E('ISTHMUS_ERR_CONFIG_MISSING_FIELD', 'spec.ports[0].name') },
  { name: 'se: port protocol unknown', doc: egress({ ports: [{ number: 443, name: 'x', protocol: 'QUIC' }] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_PROTOCOL', 'spec.ports[0].protocol', 'unsupported protocol: QUIC') },
  { name: 'se: target port out of range', doc: egress({ ports: [{ number: 443, name: 'https', protocol: 'TLS', targetPort: 70000 }] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_PORT', 'spec.ports[0].targetPort') },
  { name: 'se: workload selector and endpoints', doc: egress({ resolution: 'STATIC', workloadSelector: { labels: { app: 'a' } }, endpoints: [{ address: '1.1.1.1' }] }), expect: E('ISTHMUS_ERR_CONFIG_CONFLICT', 'spec', 'only one of WorkloadSelector or Endpoints is allowed in Service Entry') },
  { name: 'se: several hosts on a TCP port', doc: se({ hosts: ['a.example.com', 'b.example.com'], ports: [{ number: 3306, name: 'tcp', protocol: 'TCP' }], resolution: 'DNS' }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_RESOLUTION', 'spec.hosts', 'multiple hosts provided with non-HTTP, non-TLS ports') },
  { name: 'se: several hosts on HTTP and TLS ports', doc: se({ hosts: ['a.example.com', 'b.example.com'], ports: [{ number: 80, name: 'http', protocol: 'HTTP' }, { number: 443, name: 'tls', protocol: 'TLS' }], resolution: 'DNS' }), valid: 'clean' },
  { name: 'se: several hosts with an address and a TCP port (warning)', doc: se({ hosts: ['a.example.com', 'b.example.com'], addresses: ['10.9.0.1'], ports: [{ number: 443, name: 'tls', protocol: 'TLS' }], resolution: 'DNS' }), expect: W('ISTHMUS_ERR_CONFIG_INVALID_RESOLUTION', 'spec.hosts', 'can not have more than one host specified simultaneously with address and tcp port') },
  { name: 'se: TCP port without addresses (warning)', doc: se({ hosts: ['a.example.com'], ports: [{ number: 3306, name: 'tcp' }], resolution: 'DNS' }), expect: W('ISTHMUS_ERR_CONFIG_INVALID_RESOLUTION', 'spec.ports[0]', 'addresses are required for ports serving TCP (or unset) protocol') },
  { name: 'se: CIDR with DNS resolution', doc: egress({ addresses: ['10.0.0.0/24'] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_RESOLUTION', 'spec.addresses', 'CIDR addresses are allowed only for NONE/STATIC resolution types') },
  { name: 'se: address that is not an IP', doc: egress({ addresses: ['10.0.0.300'] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_ADDRESS', 'spec.addresses[0]') },
  { name: 'se: STATIC endpoint with a host name', doc: egress({ resolution: 'STATIC', endpoints: [{ address: 'api.example.com' }] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_ENDPOINT', 'spec.endpoints[0].address', 'is not a valid IP address') },
  { name: 'se: DNS endpoint that is neither FQDN nor IP', doc: egress({ endpoints: [{ address: 'bad host!' }] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_ENDPOINT', 'spec.endpoints[0].address', 'is not a valid FQDN or an IP address') },
  { name: 'se: DNS_ROUND_ROBIN with two endpoints', doc: egress({ resolution: 'DNS_ROUND_ROBIN', endpoints: [{ address: 'a.example.com' }, { address: 'b.example.com' }] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_RESOLUTION', 'spec.endpoints', 'DNS_ROUND_ROBIN mode cannot have multiple endpoints') },
  { name: 'se: endpoint without an address', doc: egress({ endpoints: [{ labels: { a: 'b' } }] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_ENDPOINT', 'spec.endpoints[0].address', 'Address is required') },
  { name: 'se: unix socket with ports', doc: egress({ resolution: 'STATIC', endpoints: [{ address: 'unix:///run/a.sock', ports: { https: 443 } }] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_ENDPOINT', 'spec.endpoints[0].ports', 'unix endpoint unix:///run/a.sock must not include ports') },
  { name: 'se: unix socket with two service ports', doc: se({ hosts: ['uds.local'], ports: [{ number: 80, name: 'http', protocol: 'HTTP' }, { number: 81, name: 'http2', protocol: 'HTTP' }], resolution: 'STATIC', endpoints: [{ address: 'unix:///run/a.sock' }] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_ENDPOINT', 'spec.endpoints[0].address', 'exactly 1 service port required for unix endpoints') },
  { name: 'se: unix socket with a relative path', doc: egress({ resolution: 'STATIC', endpoints: [{ address: 'unix://run/a.sock' }] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_ENDPOINT', 'spec.endpoints[0].address', 'UDS must be an absolute path or abstract socket') },
  { name: 'se: resolution not in the enum', doc: egress({ resolution: 'DYNAMIC' }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_ENUM', 'spec.resolution', 'NONE, STATIC, DNS, DNS_ROUND_ROBIN') },
  { name: 'se: location not in the enum', doc: egress({ location: 'OUTSIDE' }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_ENUM', 'spec.location') },

  // ---------------------------------------------------------------- Kubernetes kinds and metadata
  { name: 'k8s: namespace', doc: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bookinfo', labels: { 'istio-injection': 'enabled' } } }, valid: 'clean' },
  { name: 'k8s: service account with top-level fields', doc: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'bookinfo-reviews' }, automountServiceAccountToken: false }, valid: 'clean' },
  { name: 'k8s: service with fields the mesh does not read', doc: svc({ ports: [{ port: 9080, name: 'http', targetPort: 'http-web', appProtocol: 'http' }], selector: { app: 'reviews' }, sessionAffinity: 'ClientIP', ipFamilies: ['IPv4'] }), valid: 'clean' },
  { name: 'k8s: headless service without ports', doc: svc({ clusterIP: 'None', selector: { app: 'db' } }), valid: 'clean' },
  { name: 'k8s: deployment with fields the mesh does not read', doc: deployment({ strategy: { type: 'RollingUpdate' } }, podSpec({ securityContext: { runAsNonRoot: true }, volumes: [{ name: 'tmp', emptyDir: {} }] })), valid: 'clean' },
  { name: 'meta: name missing', doc: { apiVersion: 'v1', kind: 'Namespace', metadata: { labels: { a: 'b' } } }, expect: E('ISTHMUS_ERR_CONFIG_MISSING_FIELD', 'metadata.name', 'metadata.name is required') },
  { name: 'meta: metadata missing', doc: { apiVersion: 'networking.istio.io/v1', kind: 'Gateway', spec: { servers: [httpServer()] } }, expect: E('ISTHMUS_ERR_CONFIG_MISSING_FIELD', 'metadata.name') },
  { name: 'meta: name with upper case', doc: { ...http(routeTo()), metadata: { name: 'Reviews' } }, expect: E('ISTHMUS_ERR_CONFIG_INVALID_NAME', 'metadata.name', 'invalid name "Reviews"') },
  { name: 'meta: service name starting with a digit', doc: svc({ ports: [{ port: 80 }] }, { name: '1reviews' }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_NAME', 'metadata.name', 'must start with a lower case letter') },
  { name: 'meta: namespace invalid', doc: { ...http(routeTo()), metadata: { name: 'r', namespace: 'Team.A' } }, expect: E('ISTHMUS_ERR_CONFIG_INVALID_NAME', 'metadata.namespace') },
  { name: 'meta: label value as a number', doc: svc({ ports: [{ port: 80 }] }, { name: 'reviews', labels: { version: 1 } }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_TYPE', 'metadata.labels.version', 'expected a string, got the number 1 (quote it: "1")') },
  { name: 'meta: label value too long', doc: svc({ ports: [{ port: 80 }] }, { name: 'reviews', labels: { a: 'x'.repeat(64) } }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_LABEL', 'metadata.labels.a', 'no more than 63') },
  { name: 'meta: label key invalid', doc: svc({ ports: [{ port: 80 }] }, { name: 'reviews', labels: { '-bad': 'x' } }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_LABEL', 'metadata.labels["-bad"]') },
  { name: 'meta: annotation value as a boolean', doc: svc({ ports: [{ port: 80 }] }, { name: 'reviews', annotations: { 'prometheus.io/scrape': true } }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_TYPE', 'metadata.annotations["prometheus.io/scrape"]', 'quote it') },
  { name: 'k8s: service port 0', doc: svc({ ports: [{ port: 0 }] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_PORT', 'spec.ports[0].port') },
  { name: 'k8s: service ports without names', doc: svc({ ports: [{ port: 80 }, { port: 443 }] }), expect: E('ISTHMUS_ERR_CONFIG_MISSING_FIELD', 'spec.ports[0].name', 'more than one port') },
  { name: 'k8s: service duplicate port names', doc: svc({ ports: [{ port: 80, name: 'http' }, { port: 81, name: 'http' }] }), expect: E('ISTHMUS_ERR_CONFIG_DUPLICATE', 'spec.ports[1].name') },
  { name: 'k8s: service protocol HTTP', doc: svc({ ports: [{ port: 80, protocol: 'HTTP' }] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_ENUM', 'spec.ports[0].protocol', 'TCP, UDP, SCTP') },
  { name: 'k8s: service type unknown', doc: svc({ type: 'Internal', ports: [{ port: 80 }] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_ENUM', 'spec.type') },
  { name: 'k8s: service without ports', doc: svc({ selector: { app: 'a' } }), expect: E('ISTHMUS_ERR_CONFIG_MISSING_FIELD', 'spec.ports') },
  { name: 'k8s: service target port name too long', doc: svc({ ports: [{ port: 80, targetPort: 'a-very-long-port-name' }] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_PORT', 'spec.ports[0].targetPort', 'no more than 15') },
  { name: 'k8s: service port as a string', doc: svc({ ports: [{ port: '80' }] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_TYPE', 'spec.ports[0].port') },
  { name: 'k8s: deployment without a selector', doc: deploy({ template: { metadata: { labels: { app: 'web' } }, spec: podSpec() } }), expect: E('ISTHMUS_ERR_CONFIG_MISSING_FIELD', 'spec.selector', 'selector is required') },
  { name: 'k8s: deployment selector not matching the template', doc: deploy({ selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'api' } }, spec: podSpec() } }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_WORKLOAD', 'spec.template.metadata.labels', 'selector does not match template labels: app=web') },
  { name: 'k8s: deployment without containers', doc: deployment({}, { containers: [] }), expect: E('ISTHMUS_ERR_CONFIG_MISSING_FIELD', 'spec.template.spec.containers', 'at least one container is required') },
  { name: 'k8s: container without a name', doc: deployment({}, { containers: [{ image: 'nginx' }] }), expect: E('ISTHMUS_ERR_CONFIG_MISSING_FIELD', 'spec.template.spec.containers[0].name') },
  { name: 'k8s: container without an image', doc: deployment({}, { containers: [{ name: 'web' }] }), expect: E('ISTHMUS_ERR_CONFIG_MISSING_FIELD', 'spec.template.spec.containers[0].image') },
  { name: 'k8s: container port 0', doc: deployment({}, { containers: [{ name: 'web', image: 'nginx', ports: [{ containerPort: 0 }] }] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_PORT', 'spec.template.spec.containers[0].ports[0].containerPort') },
  { name: 'k8s: duplicate container names', doc: deployment({}, { containers: [{ name: 'web', image: 'a' }, { name: 'web', image: 'b' }] }), expect: E('ISTHMUS_ERR_CONFIG_DUPLICATE', 'spec.template.spec.containers[1].name') },
  { name: 'k8s: env without a name', doc: deployment({}, { containers: [{ name: 'web', image: 'a', env: [{ value: 'x' }] }] }), expect: E('ISTHMUS_ERR_CONFIG_MISSING_FIELD', 'spec.template.spec.containers[0].env[0].name') },
  { name: 'k8s: command as a string', doc: deployment({}, { containers: [{ name: 'web', image: 'a', command: 'node server.js' }] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_TYPE', 'spec.template.spec.containers[0].command', 'expected a list') },
  { name: 'k8s: negative replicas', doc: deployment({ replicas: -1 }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_WORKLOAD', 'spec.replicas') },
  { name: 'k8s: deployment without spec', doc: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' } }, expect: E('ISTHMUS_ERR_CONFIG_MISSING_FIELD', 'spec') },
  { name: 'k8s: invalid service account name', doc: deployment({}, podSpec({ serviceAccountName: 'Bad_SA' })), expect: E('ISTHMUS_ERR_CONFIG_INVALID_NAME', 'spec.template.spec.serviceAccountName') },
  { name: 'k8s: misspelt top-level field', doc: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'sa' }, automountServiceAccountTokn: false }, expect: E('ISTHMUS_ERR_CONFIG_UNKNOWN_FIELD', 'automountServiceAccountTokn', 'did you mean `automountServiceAccountToken`?') },

  // ---------------------------------------------------------------- more rules taken from Istio's webhook
  { name: 'vs: legacy FQDN gateway name (warning)', doc: vs({ hosts: ['a.example.com'], gateways: ['gw.istio-system.svc.cluster.local'], http: [routeTo()] }), expect: W('ISTHMUS_ERR_CONFIG_INVALID_GATEWAY', 'spec.gateways[0]', 'prefer the <namespace>/<name> format: "istio-system/gw"') },
  { name: 'vs: gateway reference with a dotted name', doc: vs({ hosts: ['a.example.com'], gateways: ['istio-system/gw.v1'], http: [routeTo()] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_GATEWAY', 'spec.gateways[0]', 'invalid value for gateway name: "gw.v1"') },
  { name: 'vs: SNI host outside the virtual service hosts', doc: vs({ hosts: ['a.example.com'], gateways: ['gw'], tls: [{ match: [{ sniHosts: ['b.example.com'] }], route: [to('b')] }] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_HOST', 'spec.tls[0].match[0].sniHosts[0]', 'SNI host "b.example.com" is not a compatible subset of any of the virtual service hosts: [a.example.com]') },
  { name: 'vs: SNI host under a wildcard host', doc: vs({ hosts: ['*.example.com'], gateways: ['gw'], tls: [{ match: [{ sniHosts: ['b.example.com'] }], route: [to('b')] }] }), valid: 'clean' },
  { name: 'vs: SNI host that is an IP (warning)', doc: vs({ hosts: ['a.example.com'], gateways: ['gw'], tls: [{ match: [{ sniHosts: ['10.0.0.1'] }], route: [to('b')] }] }), expect: W('ISTHMUS_ERR_CONFIG_INVALID_HOST', 'spec.tls[0].match[0].sniHosts[0]', 'goes against SNI spec') },
  { name: 'vs: redirect scheme not http or https', doc: http({ redirect: { scheme: 'ftp' } }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_REDIRECT', `${R0}.redirect.scheme`, 'invalid redirect scheme, must be "http" or "https"') },
  { name: 'vs: direct response and fault', doc: http({ directResponse: { status: 503 }, fault: { abort: { httpStatus: 500 } } }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_ROUTE', R0, 'HTTP route cannot contain both fault and direct_response') },
  { name: 'vs: direct response and rewrite', doc: http({ directResponse: { status: 503 }, rewrite: { uri: '/' } }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_ROUTE', R0, 'HTTP route rule cannot contain both rewrite and direct_response') },
  { name: 'vs: destination host *', doc: http({ route: [to('*')] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_HOST', `${R0}.route[0].destination.host`, 'invalid destination host *') },
  { name: 'vs: duration finer than a millisecond', doc: http(routeTo({ timeout: '1.5ms' })), expect: E('ISTHMUS_ERR_CONFIG_INVALID_DURATION', `${R0}.timeout`, 'only durations to ms precision are supported') },
  { name: 'vs: CORS origin with an empty match', doc: http(routeTo({ corsPolicy: { allowOrigins: [{ exact: '' }] } })), expect: E('ISTHMUS_ERR_CONFIG_INVALID_CORS', `${R0}.corsPolicy.allowOrigins[0]`, "'' is not a valid match type for CORS allow origins") },
  { name: 'vs: CORS method *', doc: http(routeTo({ corsPolicy: { allowMethods: ['*'] } })), valid: 'clean' },
  { name: 'vs: a rule after a catch-all is never used (warning)', doc: vs({ hosts: ['reviews'], http: [routeTo(), routeTo({ match: [{ uri: { prefix: '/a' } }] })] }), expect: W('ISTHMUS_ERR_CONFIG_INVALID_ROUTE', 'spec.http[1].match[0]', 'virtualService rule #1 not used (route without matches defined before)') },
  { name: 'vs: two catch-alls (warning)', doc: vs({ hosts: ['reviews'], http: [routeTo(), routeTo({ name: 'second' })] }), expect: W('ISTHMUS_ERR_CONFIG_INVALID_ROUTE', 'spec.http[1]', 'virtualService rule "second" not used (only the last rule can have no matches)') },
  { name: 'vs: a match repeated from an earlier rule (warning)', doc: vs({ hosts: ['reviews'], http: [routeTo({ match: [{ uri: { prefix: '/a' } }] }), routeTo({ match: [{ name: 'again', uri: { prefix: '/a' } }, { uri: { prefix: '/b' } }] })] }), expect: W('ISTHMUS_ERR_CONFIG_INVALID_ROUTE', 'spec.http[1].match[0]', 'virtualService rule #1 match "again" is not used (duplicate/overlapping match in rule #0)') },
  { name: 'dr: insecureSkipVerify with a CA', doc: drPolicy({ tls: { mode: 'SIMPLE', insecureSkipVerify: true, caCertificates: '/ca.pem' } }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_TLS', 'spec.trafficPolicy.tls.insecureSkipVerify', 'cannot specify CaCertificates or CredentialName or SubjectAltNames when InsecureSkipVerify is set true') },
  { name: 'dr: credentialName with client certificates', doc: drPolicy({ tls: { mode: 'MUTUAL', credentialName: 'c', clientCertificate: '/c.pem' } }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_TLS', 'spec.trafficPolicy.tls.credentialName', 'cannot specify client certificates or CA certificate or CA CRL If credentialName is set') },
  { name: 'dr: MUTUAL with a credential name', doc: drPolicy({ tls: { mode: 'MUTUAL', credentialName: 'client-cred' } }), valid: 'clean' },
  { name: 'dr: maglev without a table size', doc: lb({ consistentHash: { useSourceIp: true, maglev: {} } }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_LOAD_BALANCER', 'spec.trafficPolicy.loadBalancer.consistentHash.maglev.tableSize', 'tableSize must be set for maglev') },
  { name: 'dr: TCP idle timeout 0s turns it off', doc: pool({ tcp: { idleTimeout: '0s' } }), valid: 'clean' },
  { name: 'dr: workload selector without labels (warning)', doc: dr({ host: 'reviews', workloadSelector: {} }), expect: W('ISTHMUS_ERR_CONFIG_INVALID_SELECTOR', 'spec.workloadSelector.matchLabels', 'without labels') },
  { name: 'dr: workload selector exported to more than its namespace', doc: dr({ host: 'reviews', workloadSelector: { matchLabels: { app: 'a' } }, exportTo: ['.', 'team'] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_EXPORT_TO', 'spec.exportTo', 'destination rule with workload selector cannot have multiple entries in exportTo') },
  { name: 'dr: workload selector kept in its namespace', doc: dr({ host: 'reviews', workloadSelector: { matchLabels: { app: 'a' } }, exportTo: ['.'] }), valid: 'clean' },
  { name: 'dr: exportTo . and the namespace itself', doc: dr({ host: 'reviews', exportTo: ['default', '.'] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_EXPORT_TO', 'spec.exportTo[1]', 'duplicate entries in exportTo: . and current namespace default') },
  { name: 'gw: TLS settings on a TCP port', doc: server({ port: { number: 31400, name: 'tcp', protocol: 'TCP' }, hosts: ['*'], tls: { mode: 'SIMPLE', credentialName: 'c' } }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_TLS', 'spec.servers[0].tls', 'server cannot have TLS settings for non HTTPS/TLS ports') },
  { name: 'gw: httpsRedirect on an HTTPS server (warning)', doc: server(httpsServer({ mode: 'SIMPLE', credentialName: 'c', httpsRedirect: true })), expect: W('ISTHMUS_ERR_CONFIG_INVALID_TLS', 'spec.servers[0].tls.httpsRedirect', 'tls.httpsRedirect should only be used with http servers') },
  { name: 'gw: passthrough with certificates (warning)', doc: server(httpsServer({ mode: 'PASSTHROUGH', credentialName: 'c' })), expect: W('ISTHMUS_ERR_CONFIG_INVALID_TLS', 'spec.servers[0].tls', 'PASSTHROUGH mode does not use certificates, they will be ignored') },
  { name: 'gw: CRL with SIMPLE TLS', doc: server(httpsServer({ mode: 'SIMPLE', serverCertificate: '/c', privateKey: '/k', caCrl: '/crl' })), expect: E('ISTHMUS_ERR_CONFIG_INVALID_TLS', 'spec.servers[0].tls.caCrl', 'CRL is not supported with SIMPLE TLS') },
  { name: 'gw: certificate files and a credential', doc: server(httpsServer({ mode: 'SIMPLE', serverCertificate: '/c', privateKey: '/k', credentialName: 'c' })), expect: E('ISTHMUS_ERR_CONFIG_CONFLICT', 'spec.servers[0].tls', 'only one of credential_name, credential_names, server_certificate/private_key, tls_certificates should be specified') },
  { name: 'gw: ISTIO_MUTUAL with credential names', doc: server(httpsServer({ mode: 'ISTIO_MUTUAL', credentialNames: ['a'] })), expect: E('ISTHMUS_ERR_CONFIG_INVALID_TLS', 'spec.servers[0].tls.credentialNames', 'ISTIO_MUTUAL TLS cannot have associated credentialNames') },
  { name: 'gw: unix socket bind with a port number', doc: server(httpServer({ bind: 'unix:///run/gw.sock' })), expect: E('ISTHMUS_ERR_CONFIG_INVALID_ADDRESS', 'spec.servers[0].bind', 'port number must be 0 for unix domain socket') },
  { name: 'gw: unix socket bind with port 0', doc: server(httpServer({ bind: 'unix:///run/gw.sock', port: { number: 0, name: 'http', protocol: 'HTTP' } })), valid: 'clean' },
  { name: 'gw: gateway name with a dot', doc: { ...server(httpServer()), metadata: { name: 'gw.v1' } }, expect: E('ISTHMUS_ERR_CONFIG_INVALID_NAME', 'metadata.name', 'invalid gateway name "gw.v1"') },
  { name: 'se: workload selector with resolution NONE (warning)', doc: se({ hosts: ['vm.internal'], ports: [{ number: 80, name: 'http', protocol: 'HTTP' }], workloadSelector: { labels: { app: 'vm' } } }), expect: W('ISTHMUS_ERR_CONFIG_INVALID_RESOLUTION', 'spec.workloadSelector', 'workloadSelector should not be set when resolution mode is NONE') },
  { name: 'se: wildcard in workload selector', doc: se({ hosts: ['vm.internal'], ports: [{ number: 80, name: 'http', protocol: 'HTTP' }], resolution: 'STATIC', workloadSelector: { labels: { app: 'vm-*' } } }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_SELECTOR', 'spec.workloadSelector.labels.app', 'wildcard is not supported in selector: "app=vm-*"') },
  { name: 'se: partial wildcard host (warning)', doc: se({ hosts: ['*api.example.com'], ports: [{ number: 80, name: 'http', protocol: 'HTTP' }] }), expect: W('ISTHMUS_ERR_CONFIG_INVALID_HOST', 'spec.hosts[0]', 'partial wildcard "*api.example.com" not allowed') },
  { name: 'se: endpoint with a network but no address (warning)', doc: egress({ resolution: 'STATIC', endpoints: [{ network: 'net-2', ports: { https: 15443 } }] }), expect: W('ISTHMUS_ERR_CONFIG_INVALID_ENDPOINT', 'spec.endpoints[0].address', 'address is unset with network "net-2"') },
  { name: 'se: exportTo nowhere and somewhere', doc: egress({ exportTo: ['~', 'team'] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_EXPORT_TO', 'spec.exportTo', 'cannot export service entry to no one (~) and someone') },

  // ---------------------------------------------------------------- security: samples from Istio's security tasks
  {
    name: 'sample: allow-nothing',
    yaml: 'apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata:\n  name: allow-nothing\n  namespace: default\nspec: {}\n',
    valid: 'clean',
  },
  {
    name: 'sample: productpage-viewer',
    yaml: `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: "productpage-viewer"
  namespace: default
spec:
  selector:
    matchLabels:
      app: productpage
  action: ALLOW
  rules:
  - to:
    - operation:
        methods: ["GET"]
`,
    valid: 'clean',
  },
  {
    name: 'sample: details-viewer (principals)',
    yaml: `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: "details-viewer"
  namespace: default
spec:
  selector:
    matchLabels:
      app: details
  action: ALLOW
  rules:
  - from:
    - source:
        principals: ["cluster.local/ns/default/sa/bookinfo-productpage"]
    to:
    - operation:
        methods: ["GET"]
`,
    valid: 'clean',
  },
  {
    name: 'sample: require-jwt with a groups claim',
    yaml: `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: require-jwt
  namespace: foo
spec:
  selector:
    matchLabels:
      app: httpbin
  action: ALLOW
  rules:
  - from:
    - source:
       requestPrincipals: ["testing@secure.istio.io/testing@secure.istio.io"]
    when:
    - key: request.auth.claims[groups]
      values: ["group1"]
`,
    valid: 'clean',
  },
  {
    name: 'sample: deny-method-get unless x-token is admin',
    yaml: `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: deny-method-get
  namespace: foo
spec:
  selector:
    matchLabels:
      app: httpbin
  action: DENY
  rules:
  - to:
    - operation:
        methods: ["GET"]
    when:
    - key: request.headers[x-token]
      notValues: ["admin"]
`,
    valid: 'no-errors',
  },
  {
    name: 'sample: frontend-ingress denies requests without a token',
    yaml: `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: frontend-ingress
  namespace: istio-system
spec:
  selector:
    matchLabels:
      istio: ingressgateway
  action: DENY
  rules:
  - from:
    - source:
        notRequestPrincipals: ["*"]
    to:
    - operation:
        paths: ["/headers"]
`,
    valid: 'no-errors',
  },
  {
    name: 'sample: ingress-policy with ipBlocks',
    yaml: `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: ingress-policy
  namespace: istio-system
spec:
  selector:
    matchLabels:
      app: istio-ingressgateway
  action: ALLOW
  rules:
  - from:
    - source:
        ipBlocks: ["1.2.3.4", "5.6.7.0/24"]
`,
    valid: 'clean',
  },
  {
    name: 'sample: tcp-policy with ports',
    yaml: `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: tcp-policy
  namespace: foo
spec:
  selector:
    matchLabels:
      app: tcp-echo
  action: ALLOW
  rules:
  - to:
    - operation:
        ports: ["9000", "9001"]
`,
    valid: 'clean',
  },
  {
    name: 'sample: mesh-wide STRICT mTLS',
    yaml: `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata:
  name: "default"
  namespace: "istio-system"
spec:
  mtls:
    mode: STRICT
`,
    valid: 'clean',
  },
  {
    name: 'sample: namespace-wide STRICT mTLS (v1beta1)',
    yaml: 'apiVersion: security.istio.io/v1beta1\nkind: PeerAuthentication\nmetadata:\n  name: "default"\n  namespace: "foo"\nspec:\n  mtls:\n    mode: STRICT\n',
    valid: 'clean',
  },
  {
    name: 'sample: workload STRICT with port 80 DISABLE',
    yaml: `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata:
  name: "httpbin"
  namespace: "bar"
spec:
  selector:
    matchLabels:
      app: httpbin
  mtls:
    mode: STRICT
  portLevelMtls:
    80:
      mode: DISABLE
`,
    valid: 'clean',
  },
  {
    name: 'sample: overwrite-example workload DISABLE',
    yaml: 'apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata:\n  name: "overwrite-example"\n  namespace: "foo"\nspec:\n  selector:\n    matchLabels:\n      app: httpbin\n  mtls:\n    mode: DISABLE\n',
    valid: 'clean',
  },
  {
    name: 'sample: jwt-example on the ingress gateway',
    yaml: `apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata:
  name: "jwt-example"
  namespace: istio-system
spec:
  selector:
    matchLabels:
      istio: ingressgateway
  jwtRules:
  - issuer: "testing@secure.istio.io"
    jwksUri: "${JWKS_URI}"
`,
    valid: 'clean',
  },

  // ---------------------------------------------------------------- PeerAuthentication
  { name: 'pa: workload PERMISSIVE', doc: pa({ selector: httpbin, mtls: { mode: 'PERMISSIVE' } }), valid: 'clean' },
  { name: 'pa: port-level settings with string keys', doc: pa({ selector: httpbin, portLevelMtls: { '8080': { mode: 'DISABLE' }, '9090': { mode: 'STRICT' } } }), valid: 'clean' },
  { name: 'pa: empty spec inherits', doc: pa({}), valid: 'clean' },
  { name: 'pa: mode UNSET', doc: pa({ mtls: { mode: 'UNSET' } }), valid: 'clean' },
  { name: 'pa: unknown mode', doc: pa({ mtls: { mode: 'MUTUAL' } }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_ENUM', 'spec.mtls.mode', 'expected one of UNSET, DISABLE, PERMISSIVE, STRICT') },
  { name: 'pa: lower-case mode', doc: pa({ mtls: { mode: 'strict' } }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_ENUM', 'spec.mtls.mode') },
  { name: 'pa: unknown port-level mode', doc: pa({ selector: httpbin, portLevelMtls: { '80': { mode: 'OFF' } } }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_ENUM', 'spec.portLevelMtls["80"].mode') },
  { name: 'pa: port-level settings without a selector', doc: pa({ mtls: { mode: 'STRICT' }, portLevelMtls: { '80': { mode: 'DISABLE' } } }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_MTLS', 'spec.portLevelMtls', 'mesh/namespace peer authentication cannot have port level mTLS') },
  {
    name: 'pa: port-level settings with a selector without labels',
    doc: pa({ selector: {}, portLevelMtls: { '80': { mode: 'DISABLE' } } }),
    expect: [E('ISTHMUS_ERR_CONFIG_INVALID_MTLS', 'spec.portLevelMtls', 'requires a selector with matchLabels'), W('ISTHMUS_ERR_CONFIG_INVALID_SELECTOR', 'spec.selector.matchLabels', 'without labels')],
  },
  { name: 'pa: port 0', doc: pa({ selector: httpbin, portLevelMtls: { '0': { mode: 'DISABLE' } } }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_PORT', 'spec.portLevelMtls["0"]', 'port must be in range 1..65535') },
  { name: 'pa: port 65536', doc: pa({ selector: httpbin, portLevelMtls: { '65536': { mode: 'DISABLE' } } }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_PORT', 'spec.portLevelMtls["65536"]', 'port must be in range 1..65535') },
  { name: 'pa: port name as a key', doc: pa({ selector: httpbin, portLevelMtls: { http: { mode: 'DISABLE' } } }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_PORT', 'spec.portLevelMtls.http', '(got "http")') },
  { name: 'pa: empty port-level map', doc: pa({ selector: httpbin, portLevelMtls: {} }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_MTLS', 'spec.portLevelMtls', 'port level mTLS, if defined, must have at least one element') },
  { name: 'pa: wildcard in a selector value', doc: pa({ selector: { matchLabels: { app: 'http*' } } }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_SELECTOR', 'spec.selector.matchLabels.app', 'wildcard is not supported in selector: "app=http*"') },
  { name: 'pa: wildcard in a selector key', doc: pa({ selector: { matchLabels: { 'app*': 'httpbin' } } }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_SELECTOR', 'spec.selector.matchLabels["app*"]', 'wildcard is not supported in selector') },
  { name: 'pa: empty selector key', doc: pa({ selector: { matchLabels: { '': 'httpbin' } } }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_SELECTOR', 'spec.selector.matchLabels[""]', 'empty key is not supported in selector') },
  { name: 'pa: selector without labels (warning)', doc: pa({ selector: {}, mtls: { mode: 'STRICT' } }), expect: W('ISTHMUS_ERR_CONFIG_INVALID_SELECTOR', 'spec.selector.matchLabels', 'workload selector specified without labels') },
  { name: 'pa: "default" with a selector (warning)', doc: pa({ selector: httpbin, mtls: { mode: 'STRICT' } }, meta('default')), expect: W('ISTHMUS_ERR_CONFIG_INVALID_SELECTOR', 'spec.selector', 'applies only to the selected workloads') },
  { name: 'pa: targetRefs is not a PeerAuthentication field', doc: pa({ targetRefs: [{ kind: 'Service', name: 'httpbin' }] }), expect: E('ISTHMUS_ERR_CONFIG_UNKNOWN_FIELD', 'spec.targetRefs', 'unknown field `targetRefs`') },
  { name: 'pa: misspelt portLevelMTLS', doc: pa({ selector: httpbin, portLevelMTLS: { '80': { mode: 'DISABLE' } } }), expect: E('ISTHMUS_ERR_CONFIG_UNKNOWN_FIELD', 'spec.portLevelMTLS', 'did you mean `portLevelMtls`?') },
  { name: 'pa: v1alpha1 is not served', doc: pa({}, meta(), 'security.istio.io/v1alpha1'), expect: E('ISTHMUS_ERR_CONFIG_UNSUPPORTED_VERSION', 'apiVersion', 'use security.istio.io/v1, security.istio.io/v1beta1') },
  { name: 'pa: dry-run annotation is refused', doc: pa({ mtls: { mode: 'STRICT' } }, meta('default', 'foo', { [DRY_RUN]: 'true' })), expect: E('ISTHMUS_ERR_CONFIG_INVALID_DRY_RUN', 'metadata.annotations["istio.io/dry-run"]', 'only supported on AuthorizationPolicy') },

  // ---------------------------------------------------------------- AuthorizationPolicy: valid
  { name: 'ap: v1beta1 is served', doc: ap({ selector: httpbin, rules: [{ to: [{ operation: { methods: ['GET'] } }] }] }, meta(), 'security.istio.io/v1beta1'), valid: 'clean' },
  { name: 'ap: DENY everything with an empty rule', doc: ap({ action: 'DENY', rules: [{}] }), valid: 'clean' },
  { name: 'ap: AUDIT with rules', doc: ap({ action: 'AUDIT', rules: [{ to: [{ operation: { paths: ['/admin*'], ports: ['8080'] } }] }] }), valid: 'clean' },
  { name: 'ap: CUSTOM with a provider', doc: ap({ action: 'CUSTOM', provider: { name: 'ext-authz-http' }, rules: [{ to: [{ operation: { paths: ['/headers'] } }] }] }), valid: 'clean' },
  { name: 'ap: IPv4, IPv6 and CIDR blocks', doc: from({ ipBlocks: ['10.0.0.1', '10.0.0.0/8', '2001:db8::1', '2001:db8::/32', '::/0'], notRemoteIpBlocks: ['192.168.0.0/16'] }), valid: 'clean' },
  { name: 'ap: path wildcards', doc: toOp({ paths: ['/exact', '/api/*', '*.html', '*'], notPaths: ['/admin*'] }), valid: 'clean' },
  { name: 'ap: path templates', doc: toOp({ paths: ['/foo/{*}', '/foo/{**}/', '/foo/{*}/bar/{**}', '/v1/{*}/items/{*}'] }), valid: 'clean' },
  { name: 'ap: service accounts alone', doc: from({ serviceAccounts: ['default/bookinfo-productpage', 'sleep'], notServiceAccounts: ['foo/bad'] }), valid: 'clean' },
  { name: 'ap: targetRefs to a Gateway', doc: ap({ targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'bookinfo-gateway' }], rules: [{ to: [{ operation: { methods: ['GET'] } }] }] }), valid: 'clean' },
  { name: 'ap: targetRef to a Service in its own namespace', doc: ap({ targetRef: { kind: 'Service', name: 'httpbin', namespace: 'foo' }, rules: [{}] }), valid: 'clean' },
  { name: 'ap: dry-run DENY', doc: ap({ action: 'DENY', rules: [{ to: [{ operation: { methods: ['POST'], ports: ['8000'] } }] }] }, meta('test', 'foo', { [DRY_RUN]: 'true' })), valid: 'clean' },
  {
    name: 'ap: every supported condition key',
    doc: when(
      { key: 'request.headers[User-Agent]', values: ['curl/*'] },
      { key: 'source.ip', values: ['10.0.0.0/8'] },
      { key: 'remote.ip', notValues: ['2001:db8::1'] },
      { key: 'source.namespace', values: ['foo'] },
      { key: 'source.principal', values: ['cluster.local/ns/foo/sa/sleep'] },
      { key: 'source.serviceAccount', values: ['foo/sleep'] },
      { key: 'request.auth.principal', values: ['issuer/subject'] },
      { key: 'request.auth.audiences', values: ['aud'] },
      { key: 'request.auth.presenter', values: ['client'] },
      { key: 'request.auth.claims[iss]', values: ['issuer'] },
      { key: 'request.auth.claims[nested][key]', values: ['v'] },
      { key: 'destination.ip', values: ['10.1.2.3'] },
      { key: 'destination.port', values: ['8080'] },
      { key: 'connection.sni', values: ['www.example.com'] },
      { key: 'experimental.envoy.filters.network.mysql_proxy[db.table]', values: ['[update]'] },
    ),
    valid: 'clean',
  },

  // ---------------------------------------------------------------- AuthorizationPolicy: action, selector, targets
  { name: 'ap: unknown action', doc: ap({ action: 'REJECT', rules: [{}] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_ENUM', 'spec.action', 'expected one of ALLOW, DENY, AUDIT, CUSTOM') },
  { name: 'ap: lower-case action', doc: ap({ action: 'deny', rules: [{}] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_ENUM', 'spec.action') },
  { name: 'ap: DENY without rules', doc: ap({ action: 'DENY' }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_AUTHZ_ACTION', 'spec.action', 'DENY action without `rules` is meaningless') },
  { name: 'ap: DENY with an empty rules list', doc: ap({ action: 'DENY', rules: [] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_AUTHZ_ACTION', 'spec.rules', 'add an empty rule `{}`') },
  { name: 'ap: AUDIT without rules', doc: ap({ action: 'AUDIT' }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_AUTHZ_ACTION', 'spec.action', 'AUDIT action without `rules` is meaningless') },
  { name: 'ap: CUSTOM without rules', doc: ap({ action: 'CUSTOM', provider: { name: 'ext' } }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_AUTHZ_ACTION', 'spec.action', 'CUSTOM action without `rules` is meaningless') },
  { name: 'ap: provider with ALLOW', doc: ap({ provider: { name: 'ext' }, rules: [{}] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_AUTHZ_ACTION', 'spec.provider', '`provider` must not be set with a non-CUSTOM action (the action is ALLOW)') },
  { name: 'ap: CUSTOM without a provider', doc: ap({ action: 'CUSTOM', rules: [{}] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_AUTHZ_ACTION', 'spec.action', '`provider.name` must not be empty') },
  { name: 'ap: CUSTOM with a provider without a name', doc: ap({ action: 'CUSTOM', provider: {}, rules: [{}] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_AUTHZ_ACTION', 'spec.provider.name', '`provider.name` must not be empty') },
  { name: 'ap: CUSTOM with principals', doc: ap({ action: 'CUSTOM', provider: { name: 'ext' }, rules: [{ from: [{ source: { principals: ['a'] } }] }] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_AUTHZ_RULE', 'spec.rules[0].from[0].source.principals', 'source.principals is currently not supported with CUSTOM action') },
  { name: 'ap: CUSTOM with a JWT claim condition', doc: ap({ action: 'CUSTOM', provider: { name: 'ext' }, rules: [{ when: [{ key: 'request.auth.claims[iss]', values: ['a'] }] }] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_AUTHZ_CONDITION', 'spec.rules[0].when[0].key', 'request.auth.claims[iss] is currently not supported with CUSTOM action') },
  { name: 'ap: selector and targetRefs', doc: ap({ selector: httpbin, targetRefs: [{ kind: 'Service', name: 'httpbin' }], rules: [{}] }), expect: E('ISTHMUS_ERR_CONFIG_CONFLICT', 'spec', 'only one of targetRefs or selector can be set') },
  { name: 'ap: targetRef and targetRefs', doc: ap({ targetRef: { kind: 'Service', name: 'a' }, targetRefs: [{ kind: 'Service', name: 'b' }], rules: [{}] }), expect: E('ISTHMUS_ERR_CONFIG_CONFLICT', 'spec', 'sets targetRef and targetRefs') },
  { name: 'ap: targetRef to another namespace', doc: ap({ targetRefs: [{ kind: 'Service', name: 'httpbin', namespace: 'bar' }], rules: [{}] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_TARGET_REF', 'spec.targetRefs[0].namespace', 'cross namespace referencing is not currently supported') },
  { name: 'ap: targetRef without a name', doc: ap({ targetRefs: [{ kind: 'Service' }], rules: [{}] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_TARGET_REF', 'spec.targetRefs[0].name', 'targetRef name must be set') },
  { name: 'ap: targetRef to a Deployment', doc: ap({ targetRef: { group: 'apps', kind: 'Deployment', name: 'httpbin' }, rules: [{}] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_TARGET_REF', 'spec.targetRef', 'but was apps/Deployment') },
  { name: 'ap: targetRef to a Gateway without its group', doc: ap({ targetRefs: [{ kind: 'Gateway', name: 'gw' }], rules: [{}] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_TARGET_REF', 'spec.targetRefs[0]', 'Gateway is in group gateway.networking.k8s.io') },
  { name: 'ap: wildcard in the selector', doc: ap({ selector: { matchLabels: { version: '*' } }, rules: [{}] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_SELECTOR', 'spec.selector.matchLabels.version', 'wildcard is not supported in selector') },
  { name: 'ap: dry-run value not a boolean', doc: ap({ rules: [{}] }, meta('test', 'foo', { [DRY_RUN]: 'yes' })), expect: E('ISTHMUS_ERR_CONFIG_INVALID_DRY_RUN', 'metadata.annotations["istio.io/dry-run"]', 'must be "true" or "false"') },
  { name: 'ap: dry-run on CUSTOM', doc: ap({ action: 'CUSTOM', provider: { name: 'ext' }, rules: [{}] }, meta('test', 'foo', { [DRY_RUN]: 'true' })), expect: E('ISTHMUS_ERR_CONFIG_INVALID_DRY_RUN', 'metadata.annotations["istio.io/dry-run"]', 'only supports action ALLOW or DENY, found action CUSTOM') },
  { name: 'ap: misspelt notPrincipal', doc: from({ notPrincipal: ['a'] }), expect: E('ISTHMUS_ERR_CONFIG_UNKNOWN_FIELD', 'spec.rules[0].from[0].source.notPrincipal', 'did you mean `notPrincipals`?') },
  { name: 'ap: ports written as numbers', doc: toOp({ ports: [9000] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_TYPE', 'spec.rules[0].to[0].operation.ports[0]', 'quote it: "9000"') },

  // ---------------------------------------------------------------- AuthorizationPolicy: rules, sources, operations
  { name: 'ap: empty from', doc: apRule({ from: [] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_AUTHZ_RULE', 'spec.rules[0].from', '`from` must not be empty') },
  { name: 'ap: empty to', doc: apRule({ to: [] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_AUTHZ_RULE', 'spec.rules[0].to', '`to` must not be empty') },
  { name: 'ap: from entry without a source', doc: apRule({ from: [{}] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_AUTHZ_RULE', 'spec.rules[0].from[0]', '`from.source` must not be nil') },
  { name: 'ap: to entry without an operation', doc: apRule({ to: [{}] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_AUTHZ_RULE', 'spec.rules[0].to[0]', '`to.operation` must not be nil') },
  { name: 'ap: empty source', doc: from({}), expect: E('ISTHMUS_ERR_CONFIG_INVALID_AUTHZ_RULE', 'spec.rules[0].from[0].source', '`from.source` must not be empty') },
  { name: 'ap: empty operation', doc: toOp({ methods: [] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_AUTHZ_RULE', 'spec.rules[0].to[0].operation', '`to.operation` must not be empty') },
  { name: 'ap: bad IP address', doc: from({ ipBlocks: ['1.2.3'] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_ADDRESS', 'spec.rules[0].from[0].source.ipBlocks[0]', 'bad IP address (1.2.3)') },
  { name: 'ap: bad CIDR prefix length', doc: from({ notRemoteIpBlocks: ['10.0.0.0/40'] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_ADDRESS', 'spec.rules[0].from[0].source.notRemoteIpBlocks[0]', 'bad CIDR range (10.0.0.0/40)') },
  { name: 'ap: bad IPv6 CIDR', doc: from({ remoteIpBlocks: ['2001:db8::/129'] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_ADDRESS', 'spec.rules[0].from[0].source.remoteIpBlocks[0]', 'bad CIDR range (2001:db8::/129)') },
  { name: 'ap: host name in ipBlocks', doc: from({ notIpBlocks: ['example.com'] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_ADDRESS', 'spec.rules[0].from[0].source.notIpBlocks[0]', 'bad IP address (example.com)') },
  { name: 'ap: port that is not a number', doc: toOp({ ports: ['http'] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_PORT', 'spec.rules[0].to[0].operation.ports[0]', 'bad port (http)') },
  { name: 'ap: port out of range', doc: toOp({ notPorts: ['70000'] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_PORT', 'spec.rules[0].to[0].operation.notPorts[0]', 'bad port (70000)') },
  { name: 'ap: empty principal', doc: from({ principals: ['cluster.local/ns/foo/sa/sleep', ''] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_AUTHZ_RULE', 'spec.rules[0].from[0].source.principals[1]', 'empty value not allowed, found in principals') },
  { name: 'ap: empty method', doc: toOp({ methods: [''] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_AUTHZ_RULE', 'spec.rules[0].to[0].operation.methods[0]', 'empty value not allowed, found in methods') },
  { name: 'ap: empty host', doc: toOp({ notHosts: [''] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_AUTHZ_RULE', 'spec.rules[0].to[0].operation.notHosts[0]', 'empty value not allowed, found in notHosts') },
  { name: 'ap: service accounts with namespaces', doc: from({ serviceAccounts: ['foo/sleep'], namespaces: ['foo'] }), expect: E('ISTHMUS_ERR_CONFIG_CONFLICT', 'spec.rules[0].from[0].source', 'cannot set serviceAccounts with namespaces or principals') },
  { name: 'ap: not-service accounts with not-principals', doc: from({ notServiceAccounts: ['foo/sleep'], notPrincipals: ['x'] }), expect: E('ISTHMUS_ERR_CONFIG_CONFLICT', 'spec.rules[0].from[0].source', 'cannot set serviceAccounts with namespaces or principals') },
  { name: 'ap: service account with a wildcard', doc: from({ serviceAccounts: ['foo/*'] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_AUTHZ_RULE', 'spec.rules[0].from[0].source.serviceAccounts[0]', 'wildcard not allowed') },
  { name: 'ap: service account with two slashes', doc: from({ serviceAccounts: ['a/b/c'] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_AUTHZ_RULE', 'spec.rules[0].from[0].source.serviceAccounts[0]', "expected format 'serviceAccount' or 'namespace/serviceAccount'") },
  { name: 'ap: lower-case method (warning)', doc: toOp({ methods: ['get'] }), expect: W('ISTHMUS_ERR_CONFIG_INVALID_AUTHZ_RULE', 'spec.rules[0].to[0].operation.methods[0]', 'HTTP methods are case sensitive') },
  { name: 'ap: principal with a wildcard in the middle (warning)', doc: from({ principals: ['cluster.local/ns/*/sa/sleep'] }), expect: W('ISTHMUS_ERR_CONFIG_INVALID_AUTHZ_RULE', 'spec.rules[0].from[0].source.principals[0]', 'this "*" is matched literally') },
  { name: 'ap: DENY rule with only HTTP attributes (warning)', doc: ap({ selector: httpbin, action: 'DENY', rules: [{ to: [{ operation: { methods: ['GET'] } }] }] }), expect: W('ISTHMUS_ERR_CONFIG_INVALID_AUTHZ_RULE', 'spec.rules[0]', 'denies all traffic to TCP ports') },

  // ---------------------------------------------------------------- AuthorizationPolicy: paths
  { name: 'ap: {**} before another operator', doc: toOp({ paths: ['/foo/{**}/{*}'] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_PATH', 'spec.rules[0].to[0].operation.paths[0]', 'invalid or unsupported path "/foo/{**}/{*}"') },
  { name: 'ap: {*} inside a segment', doc: toOp({ paths: ['/foo/{*}.txt'] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_PATH', 'spec.rules[0].to[0].operation.paths[0]', 'must be a whole path segment') },
  { name: 'ap: * beside a template', doc: toOp({ notPaths: ['/*/baz/{*}'] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_PATH', 'spec.rules[0].to[0].operation.notPaths[0]', 'segment "*" is not a valid literal') },
  { name: 'ap: ** beside a template', doc: toOp({ paths: ['/**/baz/{*}'] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_PATH', 'spec.rules[0].to[0].operation.paths[0]', 'invalid or unsupported path') },
  { name: 'ap: named template variable', doc: toOp({ paths: ['/users/{id}'] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_PATH', 'spec.rules[0].to[0].operation.paths[0]', 'no other "{" or "}" is allowed') },
  { name: 'ap: wildcard in the middle of a path (warning)', doc: toOp({ paths: ['/api/*/items'] }), expect: W('ISTHMUS_ERR_CONFIG_INVALID_PATH', 'spec.rules[0].to[0].operation.paths[0]', 'matched literally') },
  { name: 'ap: path without a leading slash (warning)', doc: toOp({ paths: ['headers'] }), expect: W('ISTHMUS_ERR_CONFIG_INVALID_PATH', 'spec.rules[0].to[0].operation.paths[0]', 'does not start with "/"') },

  // ---------------------------------------------------------------- AuthorizationPolicy: conditions
  { name: 'ap: condition without a key', doc: when({ values: ['a'] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_AUTHZ_CONDITION', 'spec.rules[0].when[0].key', '`key` must not be empty') },
  { name: 'ap: unknown condition key with a suggestion', doc: when({ key: 'source.ips', values: ['10.0.0.1'] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_AUTHZ_CONDITION', 'spec.rules[0].when[0].key', 'unknown attribute: source.ips; did you mean `source.ip`?') },
  { name: 'ap: unknown condition key', doc: when({ key: 'request.method', values: ['GET'] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_AUTHZ_CONDITION', 'spec.rules[0].when[0].key', 'unknown attribute: request.method') },
  { name: 'ap: misspelt header key', doc: when({ key: 'request.header[x-token]', values: ['a'] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_AUTHZ_CONDITION', 'spec.rules[0].when[0].key', 'did you mean `request.headers[x-token]`?') },
  { name: 'ap: header key without a name', doc: when({ key: 'request.headers', values: ['a'] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_AUTHZ_CONDITION', 'spec.rules[0].when[0].key', 'bad key (request.headers): should have the form request.headers[<header name>]') },
  { name: 'ap: header key with an invalid name', doc: when({ key: 'request.headers[x token]', values: ['a'] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_AUTHZ_CONDITION', 'spec.rules[0].when[0].key', 'is not a valid header name') },
  { name: 'ap: claim key with empty brackets', doc: when({ key: 'request.auth.claims[]', values: ['a'] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_AUTHZ_CONDITION', 'spec.rules[0].when[0].key', 'bad key (request.auth.claims[])') },
  { name: 'ap: envoy filter key without a field', doc: when({ key: 'experimental.envoy.filters.network.mysql_proxy', values: ['a'] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_AUTHZ_CONDITION', 'spec.rules[0].when[0].key', 'bad key') },
  { name: 'ap: condition without values', doc: when({ key: 'request.auth.claims[groups]' }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_AUTHZ_CONDITION', 'spec.rules[0].when[0]', 'at least one of `values` or `notValues` must be set for key request.auth.claims[groups]') },
  { name: 'ap: condition with empty lists', doc: when({ key: 'source.namespace', values: [], notValues: [] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_AUTHZ_CONDITION', 'spec.rules[0].when[0]', 'at least one of `values` or `notValues`') },
  { name: 'ap: condition with a bad source IP', doc: when({ key: 'source.ip', values: ['10.0.0.1', '10.0.0.256'] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_ADDRESS', 'spec.rules[0].when[0].values[1]', 'bad IP address (10.0.0.256)') },
  { name: 'ap: condition with a bad destination CIDR', doc: when({ key: 'destination.ip', notValues: ['10.0.0.0/x'] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_ADDRESS', 'spec.rules[0].when[0].notValues[0]', 'bad CIDR range (10.0.0.0/x)') },
  { name: 'ap: condition with a bad destination port', doc: when({ key: 'destination.port', values: ['0'] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_PORT', 'spec.rules[0].when[0].values[0]', 'bad port (0)') },
  { name: 'ap: condition with an empty value', doc: when({ key: 'request.headers[x-token]', values: [''] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_AUTHZ_CONDITION', 'spec.rules[0].when[0].values[0]', 'empty value not allowed') },
  { name: 'ap: destination.namespace condition', doc: when({ key: 'destination.namespace', values: ['foo'] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_AUTHZ_CONDITION', 'spec.rules[0].when[0].key', 'attribute destination.namespace is not supported') },
  { name: 'ap: destination.labels condition', doc: when({ key: 'destination.labels[app]', values: ['httpbin'] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_AUTHZ_CONDITION', 'spec.rules[0].when[0].key', "use the policy's workload selector") },
  { name: 'ap: source.serviceAccount condition with a wildcard', doc: when({ key: 'source.serviceAccount', values: ['foo/*'] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_AUTHZ_CONDITION', 'spec.rules[0].when[0].values[0]', 'wildcard not allowed') },

  // ---------------------------------------------------------------- RequestAuthentication
  { name: 'ra: v1beta1 is served', doc: ra({ jwtRules: [{ issuer: ISSUER, jwksUri: JWKS_URI }] }, meta(), 'security.istio.io/v1beta1'), valid: 'clean' },
  { name: 'ra: issuer only (keys from OpenID discovery)', doc: jwt({ issuer: 'https://accounts.example.com' }), valid: 'clean' },
  { name: 'ra: jwksUri only', doc: jwt({ jwksUri: 'http://jwks.foo.svc.cluster.local:8000/jwks.json' }), valid: 'clean' },
  { name: 'ra: inline jwks', doc: jwt({ issuer: ISSUER, jwks: JWKS }), valid: 'clean' },
  {
    name: 'ra: every JWT rule field',
    doc: jwt({
      issuer: ISSUER,
      audiences: ['bookstore_android.apps.example.com'],
      jwksUri: JWKS_URI,
      fromHeaders: [{ name: 'x-jwt-assertion', prefix: 'Bearer ' }, { name: 'Authorization' }],
      fromParams: ['my_token'],
      fromCookies: ['auth-token'],
      outputPayloadToHeader: 'x-jwt-payload',
      forwardOriginalToken: true,
      outputClaimToHeaders: [{ header: 'x-jwt-sub', claim: 'sub' }],
      timeout: '10s',
    }),
    valid: 'clean',
  },
  { name: 'ra: targetRefs to a Gateway', doc: ra({ targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'bookinfo-gateway' }], jwtRules: [{ issuer: ISSUER }] }), valid: 'clean' },
  { name: 'ra: no rules at all', doc: ra({ selector: httpbin }), valid: 'clean' },
  { name: 'ra: neither issuer nor jwksUri', doc: jwt({ audiences: ['a'] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_JWT_RULE', 'spec.jwtRules[0]', 'issuer or jwksUri must be non-empty string') },
  { name: 'ra: empty issuer', doc: jwt({ issuer: '' }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_JWT_RULE', 'spec.jwtRules[0].issuer', 'issuer or jwksUri must be non-empty string') },
  { name: 'ra: jwks and jwksUri', doc: jwt({ issuer: ISSUER, jwksUri: JWKS_URI, jwks: JWKS }), expect: E('ISTHMUS_ERR_CONFIG_CONFLICT', 'spec.jwtRules[0]', 'only one of jwks or jwksUri can be set') },
  { name: 'ra: jwksUri with an ftp scheme', doc: jwt({ issuer: ISSUER, jwksUri: 'ftp://example.com/jwks.json' }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_JWT_RULE', 'spec.jwtRules[0].jwksUri', 'url must have scheme http:// or https://') },
  { name: 'ra: jwksUri without a scheme', doc: jwt({ issuer: ISSUER, jwksUri: 'example.com/jwks.json' }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_JWT_RULE', 'spec.jwtRules[0].jwksUri', 'is not an absolute URL') },
  { name: 'ra: jwks that is not JSON', doc: jwt({ issuer: ISSUER, jwks: '{keys: []' }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_JWKS', 'spec.jwtRules[0].jwks', 'jwks parse error: not valid JSON') },
  { name: 'ra: jwks with a single key', doc: jwt({ issuer: ISSUER, jwks: JSON.stringify(RSA_KEY) }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_JWKS', 'spec.jwtRules[0].jwks', 'wrap it in a key set') },
  { name: 'ra: jwks key without kty', doc: jwt({ issuer: ISSUER, jwks: JSON.stringify({ keys: [{ n: 'x', e: 'AQAB' }] }) }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_JWKS', 'spec.jwtRules[0].jwks', 'key 0 has no "kty"') },
  { name: 'ra: jwks key of an unknown type', doc: jwt({ issuer: ISSUER, jwks: JSON.stringify({ keys: [{ kty: 'DSA' }] }) }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_JWKS', 'spec.jwtRules[0].jwks', 'unsupported kty "DSA"') },
  { name: 'ra: jwks RSA key without an exponent', doc: jwt({ issuer: ISSUER, jwks: JSON.stringify({ keys: [{ kty: 'RSA', n: RSA_KEY.n }] }) }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_JWKS', 'spec.jwtRules[0].jwks', 'key 0 (kty RSA) is missing "e"') },
  { name: 'ra: jwks without keys (warning)', doc: jwt({ issuer: ISSUER, jwks: '{"keys": []}' }), expect: W('ISTHMUS_ERR_CONFIG_INVALID_JWKS', 'spec.jwtRules[0].jwks', 'no token can be verified') },
  { name: 'ra: header location without a name', doc: jwt({ issuer: ISSUER, fromHeaders: [{ prefix: 'Bearer ' }] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_JWT_RULE', 'spec.jwtRules[0].fromHeaders[0].name', 'location header name must be non-empty string') },
  { name: 'ra: header location with an invalid name', doc: jwt({ issuer: ISSUER, fromHeaders: [{ name: 'x jwt' }] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_HEADER', 'spec.jwtRules[0].fromHeaders[0].name', 'is not a valid header name') },
  { name: 'ra: empty query parameter location', doc: jwt({ issuer: ISSUER, fromParams: [''] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_JWT_RULE', 'spec.jwtRules[0].fromParams[0]', 'location query must be non-empty string') },
  { name: 'ra: empty cookie location', doc: jwt({ issuer: ISSUER, fromCookies: ['session', ''] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_JWT_RULE', 'spec.jwtRules[0].fromCookies[1]', 'cookie name must be non-empty string') },
  { name: 'ra: claim to header without a claim', doc: jwt({ issuer: ISSUER, outputClaimToHeaders: [{ header: 'x-sub' }] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_JWT_RULE', 'spec.jwtRules[0].outputClaimToHeaders[0].claim', 'header and claim value must be non-empty string') },
  { name: 'ra: claim to an invalid header', doc: jwt({ issuer: ISSUER, outputClaimToHeaders: [{ header: ':path', claim: 'sub' }] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_HEADER', 'spec.jwtRules[0].outputClaimToHeaders[0].header', 'header name ":path" is not a valid header name') },
  { name: 'ra: payload to an invalid header', doc: jwt({ issuer: ISSUER, outputPayloadToHeader: 'x payload' }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_HEADER', 'spec.jwtRules[0].outputPayloadToHeader', 'is not a valid header name') },
  { name: 'ra: timeout below 1ms', doc: jwt({ issuer: ISSUER, timeout: '500us' }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_DURATION', 'spec.jwtRules[0].timeout', 'greater than 1ms') },
  { name: 'ra: malformed timeout', doc: jwt({ issuer: ISSUER, timeout: '5 seconds' }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_DURATION', 'spec.jwtRules[0].timeout', 'invalid duration "5 seconds"') },
  { name: 'ra: empty audience', doc: jwt({ issuer: ISSUER, audiences: [''] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_JWT_RULE', 'spec.jwtRules[0].audiences[0]', 'audience must be non-empty string') },
  { name: 'ra: jwks_uri spelling', doc: jwt({ issuer: ISSUER, jwks_uri: JWKS_URI }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_JWT_RULE', 'spec.jwtRules[0].jwks_uri', 'write `jwksUri`') },
  { name: 'ra: selector and targetRef', doc: ra({ selector: httpbin, targetRef: { kind: 'Service', name: 'httpbin' }, jwtRules: [{ issuer: ISSUER }] }), expect: E('ISTHMUS_ERR_CONFIG_CONFLICT', 'spec', 'only one of targetRefs or selector can be set') },
  { name: 'ra: targetRef to another namespace', doc: ra({ targetRef: { kind: 'Service', name: 'httpbin', namespace: 'bar' }, jwtRules: [{ issuer: ISSUER }] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_TARGET_REF', 'spec.targetRef.namespace', 'cross namespace referencing is not currently supported') },
  { name: 'ra: empty selector key', doc: ra({ selector: { matchLabels: { '': 'x' } }, jwtRules: [{ issuer: ISSUER }] }), expect: E('ISTHMUS_ERR_CONFIG_INVALID_SELECTOR', 'spec.selector.matchLabels[""]', 'empty key is not supported in selector') },
  { name: 'ra: misspelt jwtRule field', doc: jwt({ issuer: ISSUER, audience: ['a'] }), expect: E('ISTHMUS_ERR_CONFIG_UNKNOWN_FIELD', 'spec.jwtRules[0].audience', 'did you mean `audiences`?') },

  // ---------------------------------------------------------------- kinds and versions
  { name: 'kind: unknown kind lists the supported ones', doc: { apiVersion: 'networking.istio.io/v1', kind: 'Sidecar', metadata: { name: 'x' } }, expect: E('ISTHMUS_ERR_CONFIG_UNKNOWN_KIND', 'kind', 'supported kinds: VirtualService (networking.istio.io/v1, v1beta1, v1alpha3)') },
  { name: 'kind: version not served', doc: vs({ hosts: ['a'], http: [routeTo()] }, 'networking.istio.io/v2'), expect: E('ISTHMUS_ERR_CONFIG_UNSUPPORTED_VERSION', 'apiVersion', 'VirtualService is not served as networking.istio.io/v2') },
  { name: 'kind: right kind, wrong group', doc: { apiVersion: 'v1', kind: 'Deployment', metadata: { name: 'x' } }, expect: E('ISTHMUS_ERR_CONFIG_UNKNOWN_KIND', 'kind', 'Deployment is served by group apps') },
  { name: 'kind: Pod is not accepted', doc: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x' } }, expect: E('ISTHMUS_ERR_CONFIG_UNKNOWN_KIND', 'kind', 'pods are started by the platform') },
  { name: 'kind: apiVersion missing', doc: { kind: 'Namespace', metadata: { name: 'x' } }, expect: E('ISTHMUS_ERR_CONFIG_MISSING_FIELD', 'apiVersion') },
  { name: 'kind: kind missing', doc: { apiVersion: 'v1', metadata: { name: 'x' } }, expect: E('ISTHMUS_ERR_CONFIG_MISSING_FIELD', 'kind') },
];

function check(c: Case): void {
  const text = c.yaml ?? stringify(c.doc, { lineWidth: 0 });
  const result = parseManifests(text, 'case.yaml');
  const diags: Diagnostic[] = result.diagnostics;
  const show = () => diags.map(formatDiagnostic).join('\n') || '(no diagnostics)';
  if (c.valid !== undefined) {
    const bad = diags.filter((d) => d.severity === 'error' || c.valid === 'clean');
    assert.equal(bad.length, 0, `expected ${c.valid === 'clean' ? 'no diagnostics' : 'no errors'}, got:\n${show()}`);
    assert.equal(result.resources.length, 1, 'the resource should be accepted');
    return;
  }
  const expects = c.expect === undefined ? [] : Array.isArray(c.expect) ? c.expect : [c.expect];
  assert.ok(expects.length > 0, 'a case needs `valid` or `expect`');
  for (const e of expects) {
    const severity = e.severity ?? 'error';
    const hit = diags.find(
      (d) => d.code === e.code && d.severity === severity && (e.path === undefined || d.path === e.path) && (e.message === undefined || d.message.includes(e.message)),
    );
    assert.ok(hit, `expected ${severity} ${e.code}${e.path === undefined ? '' : ` at ${e.path}`}${e.message === undefined ? '' : ` containing "${e.message}"`}; got:\n${show()}`);
    assert.ok(hit.line !== undefined && hit.line >= 1, 'diagnostics from a file carry a line');
  }
  // A document with an error is never accepted; one with only warnings is.
  const hasError = diags.some((d) => d.severity === 'error');
  assert.equal(result.resources.length, hasError ? 0 : 1);
}

describe('validation table', () => {
  test('case names are unique', () => {
    const names = cases.map((c) => c.name);
    assert.equal(new Set(names).size, names.length, names.filter((n, i) => names.indexOf(n) !== i).join(', '));
  });
  for (const c of cases) test(c.name, () => check(c));
});

