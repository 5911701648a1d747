import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AuthzAction, AuthzCondition, AuthzOperation, AuthzPolicyConfig, AuthzRule, AuthzSource, ExtAuthzProvider } from '../../api/index.ts';
import { AuthzReason, compileAuthz, type CompileAuthzOptions, compileForTcp } from './compile.ts';
import { type FakeRequest, fakeRequest } from './test-support.ts';

const SLEEP = 'spiffe://cluster.local/ns/foo/sa/sleep';
const PRODUCTPAGE = 'spiffe://cluster.local/ns/default/sa/bookinfo-productpage';

function policy(action: AuthzAction, rules: AuthzRule[], extra: Partial<AuthzPolicyConfig> = {}): AuthzPolicyConfig {
  return { name: extra.name ?? `foo/${action.toLowerCase()}-policy`, action, rules, ...extra };
}

/** Whether an ALLOW policy with one rule made of these parts lets `r` through. */
function matches(rule: AuthzRule, r: FakeRequest, opts: CompileAuthzOptions = {}): boolean {
  const c = compileAuthz([policy('ALLOW', [rule])], opts);
  assert.deepEqual(c.problems, []);
  return c.evaluate(fakeRequest(r)).allowed;
}

const src = (source: AuthzSource): AuthzRule => ({ from: [{ source }] });
const op = (operation: AuthzOperation): AuthzRule => ({ to: [{ operation }] });
const when = (...conditions: AuthzCondition[]): AuthzRule => ({ when: conditions });

describe('source: principals', () => {
  test('exact, prefix*, *suffix, against the SPIFFE identity without spiffe://', () => {
    assert.equal(matches(src({ principals: ['cluster.local/ns/foo/sa/sleep'] }), { identity: SLEEP }), true);
    assert.equal(matches(src({ principals: ['cluster.local/ns/foo/sa/sleep'] }), { identity: PRODUCTPAGE }), false);
    assert.equal(matches(src({ principals: ['cluster.local/ns/foo/*'] }), { identity: SLEEP }), true);
    assert.equal(matches(src({ principals: ['cluster.local/ns/bar/*'] }), { identity: SLEEP }), false);
    assert.equal(matches(src({ principals: ['*/sa/sleep'] }), { identity: SLEEP }), true);
    assert.equal(matches(src({ principals: ['*/sa/other'] }), { identity: SLEEP }), false);
    // The policy value never includes the scheme: a value that does matches nothing.
    assert.equal(matches(src({ principals: [SLEEP] }), { identity: SLEEP }), false);
  });

  test('* requires an authenticated peer; any value fails without one', () => {
    assert.equal(matches(src({ principals: ['*'] }), { identity: SLEEP }), true);
    assert.equal(matches(src({ principals: ['*'] }), { identity: null }), false);
    assert.equal(matches(src({ principals: ['*/sa/sleep'] }), { identity: null }), false);
  });

  test('notPrincipals: anything but the listed; no identity is "not listed"', () => {
    assert.equal(matches(src({ notPrincipals: ['cluster.local/ns/foo/sa/sleep'] }), { identity: SLEEP }), false);
    assert.equal(matches(src({ notPrincipals: ['cluster.local/ns/foo/sa/sleep'] }), { identity: PRODUCTPAGE }), true);
    assert.equal(matches(src({ notPrincipals: ['cluster.local/ns/foo/sa/sleep'] }), { identity: null }), true);
    assert.equal(matches(src({ notPrincipals: ['*'] }), { identity: null }), true);
    assert.equal(matches(src({ notPrincipals: ['*'] }), { identity: SLEEP }), false);
  });

  test('a list is ORed', () => {
    const rule = src({ principals: ['cluster.local/ns/x/sa/y', 'cluster.local/ns/default/sa/bookinfo-productpage'] });
    assert.equal(matches(rule, { identity: PRODUCTPAGE }), true);
    assert.equal(matches(rule, { identity: SLEEP }), false);
  });
});

describe('source: requestPrincipals', () => {
  const jwt = { issuer: 'testing@secure.istio.io', subject: 'testing@secure.istio.io' };
  test('exact, wildcards, and * meaning any verified token', () => {
    assert.equal(matches(src({ requestPrincipals: ['testing@secure.istio.io/testing@secure.istio.io'] }), { jwt }), true);
    assert.equal(matches(src({ requestPrincipals: ['testing@secure.istio.io/other'] }), { jwt }), false);
    assert.equal(matches(src({ requestPrincipals: ['testing@secure.istio.io/*'] }), { jwt }), true);
    assert.equal(matches(src({ requestPrincipals: ['*/testing@secure.istio.io'] }), { jwt }), true);
    assert.equal(matches(src({ requestPrincipals: ['*'] }), { jwt }), true);
    assert.equal(matches(src({ requestPrincipals: ['*'] }), { jwt: null }), false);
  });
  test('notRequestPrincipals: ["*"] matches requests without a token', () => {
    assert.equal(matches(src({ notRequestPrincipals: ['*'] }), { jwt: null }), true);
    assert.equal(matches(src({ notRequestPrincipals: ['*'] }), { jwt }), false);
    assert.equal(matches(src({ notRequestPrincipals: ['other/x'] }), { jwt }), true);
  });
});

describe('source: namespaces', () => {
  test('from the peer identity; exact and wildcards; needs mTLS', () => {
    assert.equal(matches(src({ namespaces: ['foo'] }), { identity: SLEEP }), true);
    assert.equal(matches(src({ namespaces: ['default'] }), { identity: SLEEP }), false);
    assert.equal(matches(src({ namespaces: ['fo*'] }), { identity: SLEEP }), true);
    assert.equal(matches(src({ namespaces: ['*oo'] }), { identity: SLEEP }), true);
    assert.equal(matches(src({ namespaces: ['*'] }), { identity: SLEEP }), true);
    assert.equal(matches(src({ namespaces: ['*'] }), { identity: null }), false);
    assert.equal(matches(src({ namespaces: ['foo'] }), { identity: null }), false);
    // The namespace is a whole path segment: `foo` is not `foobar`, nor the service account.
    assert.equal(matches(src({ namespaces: ['foo'] }), { identity: 'spiffe://cluster.local/ns/foobar/sa/foo' }), false);
    assert.equal(matches(src({ namespaces: ['foo'] }), { identity: 'spiffe://td/not-k8s/foo' }), false);
  });
  test('notNamespaces', () => {
    assert.equal(matches(src({ notNamespaces: ['foo'] }), { identity: SLEEP }), false);
    assert.equal(matches(src({ notNamespaces: ['bar'] }), { identity: SLEEP }), true);
    assert.equal(matches(src({ notNamespaces: ['foo'] }), { identity: null }), true);
  });
});

describe('source: serviceAccounts', () => {
  test('<ns>/<sa>, or <sa> in the policy namespace', () => {
    assert.equal(matches(src({ serviceAccounts: ['foo/sleep'] }), { identity: SLEEP }), true);
    assert.equal(matches(src({ serviceAccounts: ['bar/sleep'] }), { identity: SLEEP }), false);
    assert.equal(matches(src({ serviceAccounts: ['foo/slee'] }), { identity: SLEEP }), false);
    // The test policies live in namespace foo.
    assert.equal(matches(src({ serviceAccounts: ['sleep'] }), { identity: SLEEP }), true);
    assert.equal(matches(src({ serviceAccounts: ['sleep'] }), { identity: 'spiffe://cluster.local/ns/bar/sa/sleep' }), false);
    assert.equal(matches(src({ serviceAccounts: ['foo/sleep'] }), { identity: null }), false);
    // Any trust domain.
    assert.equal(matches(src({ serviceAccounts: ['foo/sleep'] }), { identity: 'spiffe://other.td/ns/foo/sa/sleep' }), true);
  });
  test('notServiceAccounts', () => {
    assert.equal(matches(src({ notServiceAccounts: ['foo/sleep'] }), { identity: SLEEP }), false);
    assert.equal(matches(src({ notServiceAccounts: ['foo/other'] }), { identity: SLEEP }), true);
    assert.equal(matches(src({ notServiceAccounts: ['foo/sleep'] }), { identity: null }), true);
  });
  test('wildcards and extra segments are problems', () => {
    const c = compileAuthz([policy('ALLOW', [src({ serviceAccounts: ['foo/*'] }), src({ serviceAccounts: ['a/b/c'] })])]);
    assert.equal(c.problems.length, 2);
    assert.match(c.problems[0] as string, /^foo\/allow-policy rule 0: serviceAccounts: .*without wildcards; the rule matches nothing$/);
  });
});

describe('source: ipBlocks and remoteIpBlocks', () => {
  test('ipBlocks: single addresses and CIDRs against the connection source', () => {
    assert.equal(matches(src({ ipBlocks: ['1.2.3.4', '5.6.7.0/24'] }), { clientAddress: '5.6.7.99' }), true);
    assert.equal(matches(src({ ipBlocks: ['1.2.3.4', '5.6.7.0/24'] }), { clientAddress: '1.2.3.4' }), true);
    assert.equal(matches(src({ ipBlocks: ['1.2.3.4', '5.6.7.0/24'] }), { clientAddress: '5.6.8.1' }), false);
    assert.equal(matches(src({ ipBlocks: ['0.0.0.0/0'] }), { clientAddress: '203.0.113.9' }), true);
    assert.equal(matches(src({ ipBlocks: ['10.0.0.1/8'] }), { clientAddress: '10.200.0.1' }), true, 'host bits of a block are ignored');
  });
  test('IPv6 blocks; IPv4-mapped clients match IPv4 blocks; families do not mix', () => {
    assert.equal(matches(src({ ipBlocks: ['2001:db8::/32'] }), { clientAddress: '2001:db8:1::5' }), true);
    assert.equal(matches(src({ ipBlocks: ['2001:db8::/32'] }), { clientAddress: '2001:db9::5' }), false);
    assert.equal(matches(src({ ipBlocks: ['2001:db8:0:0:0:0:0:1'] }), { clientAddress: '2001:db8::1' }), true);
    assert.equal(matches(src({ ipBlocks: ['::1'] }), { clientAddress: '::1' }), true);
    assert.equal(matches(src({ ipBlocks: ['fe80::/10'] }), { clientAddress: 'fe80::1%eth0' }), true);
    assert.equal(matches(src({ ipBlocks: ['2001:db8::/33'] }), { clientAddress: '2001:db8:8000::1' }), false);
    assert.equal(matches(src({ ipBlocks: ['2001:db8::/33'] }), { clientAddress: '2001:db8:7fff::1' }), true);
    assert.equal(matches(src({ ipBlocks: ['127.0.0.0/8'] }), { clientAddress: '::ffff:127.0.0.1' }), true);
    assert.equal(matches(src({ ipBlocks: ['::ffff:10.0.0.0/104'] }), { clientAddress: '10.9.9.9' }), true);
    assert.equal(matches(src({ ipBlocks: ['::/0'] }), { clientAddress: '10.0.0.1' }), false);
    assert.equal(matches(src({ ipBlocks: ['0.0.0.0/0'] }), { clientAddress: '2001:db8::1' }), false);
  });
  test('notIpBlocks', () => {
    assert.equal(matches(src({ notIpBlocks: ['10.0.0.0/8'] }), { clientAddress: '10.1.1.1' }), false);
    assert.equal(matches(src({ notIpBlocks: ['10.0.0.0/8'] }), { clientAddress: '192.168.1.1' }), true);
  });
  test('remoteIpBlocks without trusted proxies: the connection source, X-Forwarded-For ignored', () => {
    const r = { clientAddress: '10.0.0.1', headers: { 'x-forwarded-for': '1.2.3.4' } };
    assert.equal(matches(src({ remoteIpBlocks: ['10.0.0.1'] }), r), true);
    assert.equal(matches(src({ remoteIpBlocks: ['1.2.3.4'] }), r), false);
  });
  test('remoteIpBlocks with N trusted proxies: the N-th X-Forwarded-For entry from the right', () => {
    const r = { clientAddress: '10.0.0.1', headers: { 'x-forwarded-for': '9.9.9.9, 1.2.3.4,  5.6.7.8' } };
    assert.equal(matches(src({ remoteIpBlocks: ['5.6.7.8'] }), r, { numTrustedProxies: 1 }), true);
    assert.equal(matches(src({ remoteIpBlocks: ['1.2.3.4'] }), r, { numTrustedProxies: 2 }), true);
    assert.equal(matches(src({ remoteIpBlocks: ['9.9.9.9'] }), r, { numTrustedProxies: 3 }), true);
    // Fewer entries than trusted proxies: the connection source.
    assert.equal(matches(src({ remoteIpBlocks: ['10.0.0.1'] }), r, { numTrustedProxies: 4 }), true);
    assert.equal(matches(src({ remoteIpBlocks: ['10.0.0.1'] }), { clientAddress: '10.0.0.1' }, { numTrustedProxies: 1 }), true);
    assert.equal(matches(src({ remoteIpBlocks: ['2001:db8::/32'] }), { headers: { 'x-forwarded-for': '2001:db8::7' } }, { numTrustedProxies: 1 }), true);
    // A garbage entry is no address: a positive block fails, a negative one holds.
    const bad = { headers: { 'x-forwarded-for': 'unknown' } };
    assert.equal(matches(src({ remoteIpBlocks: ['0.0.0.0/0'] }), bad, { numTrustedProxies: 1 }), false);
    assert.equal(matches(src({ notRemoteIpBlocks: ['1.2.3.4'] }), bad, { numTrustedProxies: 1 }), true);
  });
  test('notRemoteIpBlocks', () => {
    const r = { headers: { 'x-forwarded-for': '1.2.3.4' } };
    assert.equal(matches(src({ notRemoteIpBlocks: ['1.2.3.0/24'] }), r, { numTrustedProxies: 1 }), false);
    assert.equal(matches(src({ notRemoteIpBlocks: ['1.2.4.0/24'] }), r, { numTrustedProxies: 1 }), true);
  });
  test('a bad block is a problem', () => {
    for (const bad of ['1.2.3', '1.2.3.4/33', '1.2.3.256', 'x', '::1/129', '1::2::3', '']) {
      const c = compileAuthz([policy('ALLOW', [src({ ipBlocks: [bad] })])]);
      assert.equal(c.problems.length, 1, bad);
    }
  });
});

describe('operation', () => {
  test('hosts: case-insensitive, with or without the port, wildcards', () => {
    assert.equal(matches(op({ hosts: ['example.com'] }), { authority: 'Example.COM' }), true);
    assert.equal(matches(op({ hosts: ['example.com'] }), { authority: 'example.com:8080' }), true);
    assert.equal(matches(op({ hosts: ['EXAMPLE.com:8080'] }), { authority: 'example.com:8080' }), true);
    assert.equal(matches(op({ hosts: ['example.com:8080'] }), { authority: 'example.com:9090' }), false);
    assert.equal(matches(op({ hosts: ['example.com:8080'] }), { authority: 'example.com' }), false);
    assert.equal(matches(op({ hosts: ['*.example.com'] }), { authority: 'api.example.com:443' }), true);
    assert.equal(matches(op({ hosts: ['*.example.com'] }), { authority: 'example.com' }), false);
    assert.equal(matches(op({ hosts: ['api.*'] }), { authority: 'api.internal' }), true);
    assert.equal(matches(op({ hosts: ['*'] }), { authority: 'anything:1' }), true);
    assert.equal(matches(op({ hosts: ['[::1]'] }), { authority: '[::1]:8080' }), true);
    assert.equal(matches(op({ hosts: ['other.com'] }), { authority: 'example.com' }), false);
  });
  test('notHosts', () => {
    assert.equal(matches(op({ notHosts: ['admin.example.com'] }), { authority: 'ADMIN.example.com:80' }), false);
    assert.equal(matches(op({ notHosts: ['admin.example.com'] }), { authority: 'www.example.com' }), true);
  });
  test('ports and notPorts: the destination port of the connection', () => {
    assert.equal(matches(op({ ports: ['8080'] }), { localPort: 8080 }), true);
    assert.equal(matches(op({ ports: ['8080', '9090'] }), { localPort: 9090 }), true);
    assert.equal(matches(op({ ports: ['8080'] }), { localPort: 9090 }), false);
    assert.equal(matches(op({ notPorts: ['8080'] }), { localPort: 8080 }), false);
    assert.equal(matches(op({ notPorts: ['8080'] }), { localPort: 9090 }), true);
    for (const bad of ['0', '65536', 'http', '80-90', '*']) {
      assert.equal(compileAuthz([policy('ALLOW', [op({ ports: [bad] })])]).problems.length, 1, bad);
    }
  });
  test('methods and notMethods', () => {
    assert.equal(matches(op({ methods: ['GET', 'HEAD'] }), { method: 'HEAD' }), true);
    assert.equal(matches(op({ methods: ['GET'] }), { method: 'POST' }), false);
    assert.equal(matches(op({ methods: ['GET'] }), { method: 'get' }), false, 'methods are case-sensitive');
    assert.equal(matches(op({ methods: ['*'] }), { method: 'PATCH' }), true);
    assert.equal(matches(op({ notMethods: ['DELETE'] }), { method: 'DELETE' }), false);
    assert.equal(matches(op({ notMethods: ['DELETE'] }), { method: 'GET' }), true);
  });
  test('paths: exact, prefix*, *suffix, *, without the query', () => {
    assert.equal(matches(op({ paths: ['/headers'] }), { path: '/headers?x=1' }), true);
    assert.equal(matches(op({ paths: ['/headers'] }), { path: '/headers/' }), false);
    assert.equal(matches(op({ paths: ['/api/*'] }), { path: '/api/v1/items' }), true);
    assert.equal(matches(op({ paths: ['/api/*'] }), { path: '/api' }), false);
    assert.equal(matches(op({ paths: ['*.png'] }), { path: '/img/a.png?size=2' }), true);
    assert.equal(matches(op({ paths: ['*.png'] }), { path: '/img/a.jpg' }), false);
    assert.equal(matches(op({ paths: ['*'] }), { path: '/anything' }), true);
    assert.equal(matches(op({ paths: ['/Admin'] }), { path: '/admin' }), false, 'paths are case-sensitive');
  });
  test('paths: {*} is one segment, {**} the rest', () => {
    const one = op({ paths: ['/foo/{*}/bar'] });
    assert.equal(matches(one, { path: '/foo/x/bar' }), true);
    assert.equal(matches(one, { path: '/foo/x/bar?q' }), true);
    assert.equal(matches(one, { path: '/foo/x/y/bar' }), false);
    assert.equal(matches(one, { path: '/foo//bar' }), false, '// is merged: /foo/bar has no middle segment');
    assert.equal(matches(one, { path: '/foo/x/bar/' }), false);
    assert.equal(matches(one, { path: '/foo/x' }), false);
    const rest = op({ paths: ['/foo/{**}'] });
    assert.equal(matches(rest, { path: '/foo/' }), true);
    assert.equal(matches(rest, { path: '/foo/a' }), true);
    assert.equal(matches(rest, { path: '/foo/a/b/c' }), true);
    assert.equal(matches(rest, { path: '/foo' }), false);
    assert.equal(matches(rest, { path: '/foobar/a' }), false);
    const both = op({ paths: ['/api/{*}/items/{**}'] });
    assert.equal(matches(both, { path: '/api/v1/items/1/2' }), true);
    assert.equal(matches(both, { path: '/api/v1/other/1' }), false);
    assert.equal(matches(op({ paths: ['/{*}'] }), { path: '/x' }), true);
    assert.equal(matches(op({ paths: ['/{*}'] }), { path: '/' }), false);
  });
  test('paths: malformed templates are problems', () => {
    for (const bad of ['/foo/{**}/bar', '/foo{*}', '/foo/{*}*', 'foo/{*}', '/a/{x}/{*}']) {
      assert.equal(compileAuthz([policy('ALLOW', [op({ paths: [bad] })])]).problems.length, 1, bad);
    }
  });
  test('notPaths', () => {
    assert.equal(matches(op({ notPaths: ['/admin*'] }), { path: '/admin/users' }), false);
    assert.equal(matches(op({ notPaths: ['/admin*'] }), { path: '/public' }), true);
  });
});

describe('path normalization: a DENY on /admin cannot be bypassed', () => {
  const deny = compileAuthz([policy('DENY', [op({ paths: ['/admin', '/admin/*'] })])]);
  const denied = (path: string) => !deny.evaluate(fakeRequest({ path })).allowed;
  for (const path of ['/admin', '//admin', '/./admin', '/x/../admin', '/%61dmin', '/%2e/admin', '/%2E%2E/admin', '/admin/.', '///admin//x', '/a/b/../../admin', '/../admin', '/admin?x=/public']) {
    test(`${path} is denied`, () => assert.equal(denied(path), true));
  }
  for (const path of ['/public', '/administrator', '/ADMIN', '/admin%2Fx', '/x/admin']) {
    test(`${path} is not /admin`, () => assert.equal(denied(path), false));
  }
});

describe('conditions', () => {
  test('request.headers[name]: values, notValues, wildcards; names are case-insensitive', () => {
    const r = { headers: { 'x-token': 'admin' } };
    assert.equal(matches(when({ key: 'request.headers[x-token]', values: ['admin'] }), r), true);
    assert.equal(matches(when({ key: 'request.headers[X-Token]', values: ['admin'] }), r), true);
    assert.equal(matches(when({ key: 'request.headers[x-token]', values: ['guest'] }), r), false);
    assert.equal(matches(when({ key: 'request.headers[x-token]', values: ['adm*'] }), r), true);
    assert.equal(matches(when({ key: 'request.headers[x-token]', values: ['*min'] }), r), true);
    assert.equal(matches(when({ key: 'request.headers[x-token]', values: ['*'] }), r), true);
    assert.equal(matches(when({ key: 'request.headers[x-token]', notValues: ['admin'] }), r), false);
    assert.equal(matches(when({ key: 'request.headers[x-token]', notValues: ['guest'] }), r), true);
  });
  test('request.headers: a missing header matches no values and every notValues', () => {
    assert.equal(matches(when({ key: 'request.headers[x-token]', values: ['*'] }), {}), false);
    assert.equal(matches(when({ key: 'request.headers[x-token]', notValues: ['admin'] }), {}), true);
    assert.equal(matches(when({ key: 'request.headers[x-token]', notValues: ['*'] }), {}), true);
  });
  test('values and notValues together are ANDed', () => {
    const c = { key: 'request.headers[x-env]', values: ['prod-*'], notValues: ['prod-eu'] };
    assert.equal(matches(when(c), { headers: { 'x-env': 'prod-us' } }), true);
    assert.equal(matches(when(c), { headers: { 'x-env': 'prod-eu' } }), false);
  });
  test('source.ip and remote.ip', () => {
    assert.equal(matches(when({ key: 'source.ip', values: ['10.0.0.0/8'] }), { clientAddress: '10.3.3.3' }), true);
    assert.equal(matches(when({ key: 'source.ip', notValues: ['10.0.0.0/8'] }), { clientAddress: '10.3.3.3' }), false);
    assert.equal(matches(when({ key: 'source.ip', values: ['2001:db8::/64'] }), { clientAddress: '2001:db8::9' }), true);
    const r = { clientAddress: '10.0.0.1', headers: { 'x-forwarded-for': '203.0.113.7' } };
    assert.equal(matches(when({ key: 'remote.ip', values: ['203.0.113.0/24'] }), r, { numTrustedProxies: 1 }), true);
    assert.equal(matches(when({ key: 'remote.ip', values: ['203.0.113.0/24'] }), r), false);
  });
  test('source.namespace, source.principal, source.serviceAccount', () => {
    assert.equal(matches(when({ key: 'source.namespace', values: ['foo'] }), { identity: SLEEP }), true);
    assert.equal(matches(when({ key: 'source.namespace', notValues: ['foo'] }), { identity: SLEEP }), false);
    assert.equal(matches(when({ key: 'source.principal', values: ['cluster.local/ns/foo/sa/sleep'] }), { identity: SLEEP }), true);
    assert.equal(matches(when({ key: 'source.principal', values: ['*'] }), { identity: null }), false);
    assert.equal(matches(when({ key: 'source.serviceAccount', values: ['foo/sleep'] }), { identity: SLEEP }), true);
    assert.equal(matches(when({ key: 'source.serviceAccount', values: ['sleep'] }), { identity: SLEEP }), true);
    assert.equal(matches(when({ key: 'source.serviceAccount', values: ['default/sleep'] }), { identity: SLEEP }), false);
  });
  test('request.auth.principal, audiences, presenter', () => {
    const jwt = { issuer: 'iss', subject: 'sub', audiences: ['a1', 'a2'], presenter: 'web-app' };
    assert.equal(matches(when({ key: 'request.auth.principal', values: ['iss/sub'] }), { jwt }), true);
    assert.equal(matches(when({ key: 'request.auth.principal', values: ['iss/*'] }), { jwt }), true);
    assert.equal(matches(when({ key: 'request.auth.principal', values: ['*'] }), { jwt: null }), false);
    assert.equal(matches(when({ key: 'request.auth.audiences', values: ['a2'] }), { jwt }), true);
    assert.equal(matches(when({ key: 'request.auth.audiences', values: ['a3'] }), { jwt }), false);
    assert.equal(matches(when({ key: 'request.auth.audiences', notValues: ['a1'] }), { jwt }), false);
    assert.equal(matches(when({ key: 'request.auth.presenter', values: ['web-*'] }), { jwt }), true);
    assert.equal(matches(when({ key: 'request.auth.presenter', values: ['*'] }), { jwt: { presenter: null } }), false);
  });
  test('request.auth.claims: strings, lists (any element), numbers and booleans, nesting', () => {
    const jwt = { claims: { iss: 'https://accounts.example', groups: ['group1', 'group2'], admin: true, level: 3, org: { team: { name: 'core' } }, obj: { a: 1 } } };
    const claim = (name: string, v: string[], not = false): boolean => matches(when(not ? { key: `request.auth.claims[${name}]`, notValues: v } : { key: `request.auth.claims[${name}]`, values: v }), { jwt });
    assert.equal(claim('iss', ['https://accounts.example']), true);
    assert.equal(claim('groups', ['group1']), true);
    assert.equal(claim('groups', ['group3']), false);
    assert.equal(claim('groups', ['group*']), true);
    assert.equal(claim('admin', ['true']), true);
    assert.equal(claim('level', ['3']), true);
    assert.equal(claim('org][team][name', ['core']), true);
    assert.equal(claim('org][team', ['core']), false, 'an object is no value');
    assert.equal(claim('obj', ['*']), false);
    assert.equal(claim('missing', ['*']), false);
    assert.equal(claim('missing', ['x'], true), true, 'a missing claim holds for notValues');
    assert.equal(claim('groups', ['group2'], true), false);
    assert.equal(claim('constructor', ['*']), false, 'only own claims');
    assert.equal(matches(when({ key: 'request.auth.claims[groups]', values: ['group1'] }), { jwt: null }), false);
  });
  test('destination.ip, destination.port, connection.sni', () => {
    assert.equal(matches(when({ key: 'destination.ip', values: ['10.0.0.0/24'] }), { localAddress: '10.0.0.2' }), true);
    assert.equal(matches(when({ key: 'destination.ip', values: ['10.0.1.0/24'] }), { localAddress: '10.0.0.2' }), false);
    assert.equal(matches(when({ key: 'destination.port', values: ['8080'] }), { localPort: 8080 }), true);
    assert.equal(matches(when({ key: 'destination.port', notValues: ['8080'] }), { localPort: 8080 }), false);
    assert.equal(matches(when({ key: 'connection.sni', values: ['*.example.com'] }), { sni: 'api.example.com' }), true);
    assert.equal(matches(when({ key: 'connection.sni', values: ['*'] }), { sni: null }), false);
    assert.equal(matches(when({ key: 'connection.sni', notValues: ['x'] }), { sni: null }), true);
  });
  test('experimental.envoy.filters.* never matches, with values or notValues', () => {
    assert.equal(matches(when({ key: 'experimental.envoy.filters.network.mysql_proxy[db.table]', values: ['[update]'] }), {}), false);
    assert.equal(matches(when({ key: 'experimental.envoy.filters.network.mysql_proxy[db.table]', notValues: ['[update]'] }), {}), false);
  });
  test('unknown keys and conditions without values are problems that fail closed', () => {
    const bad: AuthzRule[] = [when({ key: 'request.nope', values: ['x'] }), when({ key: 'source.nope', values: ['x'] }), when({ key: 'request.headers[x]' })];
    const allow = compileAuthz([policy('ALLOW', bad)]);
    assert.equal(allow.problems.length, 3);
    assert.equal(allow.evaluate(fakeRequest()).allowed, false, 'ALLOW: the broken rules match nothing');
    const deny = compileAuthz([policy('DENY', [bad[0] as AuthzRule])]);
    assert.equal(deny.problems.length, 1);
    assert.match(deny.problems[0] as string, /unknown condition key "request.nope"; the rule matches every request/);
    assert.equal(deny.evaluate(fakeRequest()).allowed, false, 'DENY: the broken rule matches everything');
  });
});

describe('rule structure', () => {
  test('fields of one source are ANDed; sources are ORed', () => {
    const rule: AuthzRule = { from: [{ source: { namespaces: ['foo'], ipBlocks: ['10.0.0.0/8'] } }, { source: { principals: ['cluster.local/ns/default/sa/bookinfo-productpage'] } }] };
    assert.equal(matches(rule, { identity: SLEEP, clientAddress: '10.1.1.1' }), true);
    assert.equal(matches(rule, { identity: SLEEP, clientAddress: '192.168.1.1' }), false);
    assert.equal(matches(rule, { identity: PRODUCTPAGE, clientAddress: '192.168.1.1' }), true);
  });
  test('fields of one operation are ANDed; operations are ORed', () => {
    const rule: AuthzRule = { to: [{ operation: { methods: ['GET'], paths: ['/info*'] } }, { operation: { methods: ['POST'], paths: ['/data'] } }] };
    assert.equal(matches(rule, { method: 'GET', path: '/info/1' }), true);
    assert.equal(matches(rule, { method: 'POST', path: '/info/1' }), false);
    assert.equal(matches(rule, { method: 'POST', path: '/data' }), true);
  });
  test('from, to and every when are ANDed; rules are ORed', () => {
    const rule: AuthzRule = {
      from: [{ source: { namespaces: ['foo'] } }],
      to: [{ operation: { methods: ['GET'] } }],
      when: [
        { key: 'request.headers[a]', values: ['1'] },
        { key: 'request.headers[b]', values: ['2'] },
      ],
    };
    const full = { identity: SLEEP, method: 'GET', headers: { a: '1', b: '2' } };
    assert.equal(matches(rule, full), true);
    assert.equal(matches(rule, { ...full, identity: PRODUCTPAGE }), false);
    assert.equal(matches(rule, { ...full, method: 'PUT' }), false);
    assert.equal(matches(rule, { ...full, headers: { a: '1' } }), false);
    const two = compileAuthz([policy('ALLOW', [op({ methods: ['PUT'] }), src({ namespaces: ['foo'] })])]);
    assert.equal(two.evaluate(fakeRequest({ method: 'PUT' })).allowed, true);
    assert.equal(two.evaluate(fakeRequest({ identity: SLEEP })).allowed, true);
    assert.equal(two.evaluate(fakeRequest({})).allowed, false);
  });
  test('missing or empty from/to/when/source/operation constrain nothing', () => {
    assert.equal(matches({}, {}), true);
    assert.equal(matches({ from: [], to: [], when: [] }, {}), true);
    assert.equal(matches({ from: [{}], to: [{ operation: {} }] }, {}), true);
    assert.equal(matches(src({ principals: [] }), {}), true);
  });
});

describe('evaluation order', () => {
  const allowGet = policy('ALLOW', [op({ methods: ['GET'] })], { name: 'foo/allow-get' });
  const denyAdmin = policy('DENY', [op({ paths: ['/admin*'] })], { name: 'foo/deny-admin' });

  test('no policies: allowed', () => {
    const d = compileAuthz([]).evaluate(fakeRequest());
    assert.deepEqual(d, { allowed: true, reason: AuthzReason.NoAllowPolicy, policy: null, audited: null, shadow: null });
  });
  test('only DENY policies: a match denies, the rest is allowed', () => {
    const c = compileAuthz([denyAdmin]);
    assert.deepEqual(c.evaluate(fakeRequest({ path: '/admin/x' })), { allowed: false, reason: AuthzReason.DenyMatched, policy: 'foo/deny-admin', audited: null, shadow: null });
    assert.equal(c.evaluate(fakeRequest({ path: '/x' })).reason, AuthzReason.NoAllowPolicy);
  });
  test('DENY wins over a matching ALLOW; an unmatched request is denied when ALLOW policies exist', () => {
    const c = compileAuthz([allowGet, denyAdmin]);
    assert.equal(c.evaluate(fakeRequest({ method: 'GET', path: '/admin' })).policy, 'foo/deny-admin');
    assert.deepEqual(c.evaluate(fakeRequest({ method: 'GET', path: '/x' })), { allowed: true, reason: AuthzReason.AllowMatched, policy: 'foo/allow-get', audited: null, shadow: null });
    assert.deepEqual(c.evaluate(fakeRequest({ method: 'POST', path: '/x' })), { allowed: false, reason: AuthzReason.NoAllowMatched, policy: null, audited: null, shadow: null });
  });
  test('the explicit-deny task: DENY GET unless x-token admin, plus ALLOW /ip', () => {
    const c = compileAuthz([
      policy('DENY', [{ to: [{ operation: { methods: ['GET'] } }], when: [{ key: 'request.headers[x-token]', notValues: ['admin'] }] }], { name: 'foo/deny-method-get' }),
      policy('ALLOW', [op({ paths: ['/ip'] })], { name: 'foo/allow-path-ip' }),
    ]);
    const ok = (path: string, token: string) => c.evaluate(fakeRequest({ path, headers: { 'x-token': token } })).allowed;
    assert.equal(ok('/ip', 'guest'), false);
    assert.equal(ok('/ip', 'admin'), true);
    assert.equal(ok('/get', 'admin'), false);
  });
  test('allow-nothing: an ALLOW policy without rules denies everything', () => {
    const c = compileAuthz([policy('ALLOW', [], { name: 'default/allow-nothing' })]);
    assert.deepEqual(c.evaluate(fakeRequest()), { allowed: false, reason: AuthzReason.NoAllowMatched, policy: null, audited: null, shadow: null });
    // ...until another ALLOW policy matches.
    const c2 = compileAuthz([policy('ALLOW', [], { name: 'default/allow-nothing' }), allowGet]);
    assert.equal(c2.evaluate(fakeRequest({ method: 'GET' })).allowed, true);
    assert.equal(c2.evaluate(fakeRequest({ method: 'POST' })).allowed, false);
  });
  test('DENY and CUSTOM policies without rules match nothing', () => {
    assert.equal(compileAuthz([policy('DENY', [])]).evaluate(fakeRequest()).allowed, true);
    const custom = compileAuthz([policy('CUSTOM', [], { provider: provider('p') })]);
    assert.equal(custom.nextCustom(fakeRequest()), -1);
  });
  test('AUDIT marks the decision and never changes it', () => {
    const audit = policy('AUDIT', [op({ paths: ['/audited*'] })], { name: 'foo/audit' });
    const c = compileAuthz([audit, allowGet]);
    assert.deepEqual(c.evaluate(fakeRequest({ method: 'GET', path: '/audited/1' })), { allowed: true, reason: AuthzReason.AllowMatched, policy: 'foo/allow-get', audited: 'foo/audit', shadow: null });
    assert.deepEqual(c.evaluate(fakeRequest({ method: 'POST', path: '/audited/1' })), { allowed: false, reason: AuthzReason.NoAllowMatched, policy: null, audited: 'foo/audit', shadow: null });
    assert.equal(c.evaluate(fakeRequest({ method: 'GET', path: '/other' })).audited, null);
    // An AUDIT policy is not an ALLOW policy.
    assert.equal(compileAuthz([audit]).evaluate(fakeRequest({ method: 'POST' })).allowed, true);
  });
  test('dry-run DENY: reported, not enforced', () => {
    const c = compileAuthz([{ ...denyAdmin, dryRun: true }]);
    assert.deepEqual(c.evaluate(fakeRequest({ path: '/admin' })), { allowed: true, reason: AuthzReason.NoAllowPolicy, policy: null, audited: null, shadow: ['dry-run policy foo/deny-admin would deny'] });
    assert.equal(c.evaluate(fakeRequest({ path: '/x' })).shadow, null);
  });
  test('dry-run ALLOW: does not count as an ALLOW policy; reports what it would do', () => {
    const c = compileAuthz([{ ...allowGet, dryRun: true }]);
    assert.deepEqual(c.evaluate(fakeRequest({ method: 'POST' })), { allowed: true, reason: AuthzReason.NoAllowPolicy, policy: null, audited: null, shadow: ['dry-run policy foo/allow-get would deny (no ALLOW rule matches)'] });
    assert.equal(c.evaluate(fakeRequest({ method: 'GET' })).shadow, null);
    // Beside an enforced ALLOW policy that denies the request, a dry-run one that matches says so.
    const both = compileAuthz([policy('ALLOW', [op({ methods: ['GET'] })], { name: 'foo/real' }), { ...policy('ALLOW', [op({ methods: ['POST'] })], { name: 'foo/trial' }), dryRun: true }]);
    assert.deepEqual(both.evaluate(fakeRequest({ method: 'POST' })).shadow, ['dry-run policy foo/trial would allow']);
    assert.equal(both.evaluate(fakeRequest({ method: 'POST' })).allowed, false);
    assert.equal(both.evaluate(fakeRequest({ method: 'GET' })).shadow, null);
  });
  test('dry-run CUSTOM: reported, its authorizer is not asked', () => {
    const c = compileAuthz([{ ...policy('CUSTOM', [op({ paths: ['/x'] })], { provider: provider('p') }), dryRun: true }]);
    assert.equal(c.hasCustom, false);
    assert.equal(c.nextCustom(fakeRequest({ path: '/x' })), -1);
    assert.deepEqual(c.evaluate(fakeRequest({ path: '/x' })).shadow, ['dry-run policy foo/custom-policy would ask its authorizer']);
  });
});

function provider(name: string): ExtAuthzProvider {
  return { name, url: 'http://127.0.0.1:1', timeoutMs: 100, failOpen: false, includeRequestHeadersInCheck: [], headersToUpstreamOnAllow: [], headersToDownstreamOnDeny: [], statusOnError: 403 };
}

describe('CUSTOM', () => {
  test('groups policies by provider, in order; nextCustom finds the next matching group', () => {
    const c = compileAuthz([
      policy('CUSTOM', [op({ paths: ['/a*'] })], { name: 'foo/c1', provider: provider('one') }),
      policy('CUSTOM', [op({ paths: ['/b*'] })], { name: 'foo/c2', provider: provider('two') }),
      policy('CUSTOM', [op({ paths: ['/ab*'] })], { name: 'foo/c3', provider: provider('two') }),
    ]);
    assert.equal(c.hasCustom, true);
    assert.deepEqual(
      c.customGroups.map((g) => [g.provider.name, g.policies]),
      [
        ['one', ['foo/c1']],
        ['two', ['foo/c2', 'foo/c3']],
      ],
    );
    assert.equal(c.nextCustom(fakeRequest({ path: '/a' })), 0);
    assert.equal(c.nextCustom(fakeRequest({ path: '/a' }), 1), -1);
    assert.equal(c.nextCustom(fakeRequest({ path: '/ab' })), 0);
    assert.equal(c.nextCustom(fakeRequest({ path: '/ab' }), 1), 1);
    assert.equal(c.nextCustom(fakeRequest({ path: '/b' })), 1);
    assert.equal(c.nextCustom(fakeRequest({ path: '/c' })), -1);
    // CUSTOM policies do not count as ALLOW policies.
    assert.equal(c.evaluate(fakeRequest({ path: '/c' })).allowed, true);
  });
  test('a CUSTOM policy without a provider denies what it matches', () => {
    const c = compileAuthz([policy('CUSTOM', [op({ paths: ['/x'] })], { name: 'foo/orphan' })]);
    assert.equal(c.problems.length, 1);
    assert.equal(c.hasCustom, false);
    assert.equal(c.evaluate(fakeRequest({ path: '/x' })).allowed, false);
    assert.equal(c.evaluate(fakeRequest({ path: '/y' })).allowed, true);
  });
  test('an unknown action fails closed', () => {
    const c = compileAuthz([policy('LOG' as AuthzAction, [op({ paths: ['/x'] })], { name: 'foo/odd' })]);
    assert.equal(c.problems.length, 1);
    assert.equal(c.evaluate(fakeRequest({ path: '/y' })).allowed, false);
  });
});

describe('TCP (the authz-tcp task, one policy at a time)', () => {
  const conn = (port: number) => ({ clientAddress: '10.0.0.9', peer: { tls: true, identity: SLEEP, certHash: null, sni: null, localAddress: '10.0.0.2', localPort: port } });
  const outcome = (policies: AuthzPolicyConfig[]) => [9000, 9001, 9002].map((p) => (compileForTcp(policies).evaluateConnection(conn(p)).allowed ? 'succeeded' : 'rejected'));

  test('no policy: 9000, 9001 and 9002 succeed', () => {
    assert.deepEqual(outcome([]), ['succeeded', 'succeeded', 'succeeded']);
  });
  test('ALLOW ports 9000, 9001: 9000 and 9001 succeed, 9002 is rejected', () => {
    assert.deepEqual(outcome([policy('ALLOW', [op({ ports: ['9000', '9001'] })], { name: 'foo/tcp-policy' })]), ['succeeded', 'succeeded', 'rejected']);
  });
  test('ALLOW methods GET + ports 9000: the rule uses an HTTP-only field, so everything is rejected', () => {
    assert.deepEqual(outcome([policy('ALLOW', [op({ methods: ['GET'], ports: ['9000'] })], { name: 'foo/tcp-policy' })]), ['rejected', 'rejected', 'rejected']);
  });
  test('DENY methods GET: enforced without the method, so everything is rejected', () => {
    assert.deepEqual(outcome([policy('DENY', [op({ methods: ['GET'] })], { name: 'foo/tcp-policy' })]), ['rejected', 'rejected', 'rejected']);
  });
  test('DENY methods GET + ports 9000: 9000 is rejected, 9001 succeeds', () => {
    assert.deepEqual(outcome([policy('DENY', [op({ methods: ['GET'], ports: ['9000'] })], { name: 'foo/tcp-policy' })]), ['rejected', 'succeeded', 'succeeded']);
  });
  test('every HTTP-only field: dropped from DENY rules, fatal to ALLOW rules', () => {
    const httpOnly: AuthzRule[] = [
      op({ hosts: ['x'], ports: ['9000'] }),
      op({ notHosts: ['x'], ports: ['9000'] }),
      op({ paths: ['/x'], ports: ['9000'] }),
      op({ notPaths: ['/x'], ports: ['9000'] }),
      op({ notMethods: ['GET'], ports: ['9000'] }),
      { from: [{ source: { requestPrincipals: ['*'] } }], to: [{ operation: { ports: ['9000'] } }] },
      { from: [{ source: { notRequestPrincipals: ['*'] } }], to: [{ operation: { ports: ['9000'] } }] },
      { to: [{ operation: { ports: ['9000'] } }], when: [{ key: 'request.headers[x]', values: ['y'] }] },
      { to: [{ operation: { ports: ['9000'] } }], when: [{ key: 'request.auth.claims[groups]', values: ['y'] }] },
    ];
    for (const rule of httpOnly) {
      assert.deepEqual(outcome([policy('DENY', [rule])]), ['rejected', 'succeeded', 'succeeded'], JSON.stringify(rule));
      assert.deepEqual(outcome([policy('ALLOW', [rule])]), ['rejected', 'rejected', 'rejected'], JSON.stringify(rule));
    }
  });
  test('TCP-capable fields keep working; an ALLOW rule dropped does not drop its sibling rules', () => {
    assert.deepEqual(outcome([policy('ALLOW', [src({ namespaces: ['foo'] })])]), ['succeeded', 'succeeded', 'succeeded']);
    assert.deepEqual(outcome([policy('ALLOW', [src({ namespaces: ['bar'] })])]), ['rejected', 'rejected', 'rejected']);
    assert.deepEqual(outcome([policy('ALLOW', [op({ methods: ['GET'] }), op({ ports: ['9001'] })])]), ['rejected', 'succeeded', 'rejected']);
    assert.deepEqual(outcome([policy('DENY', [when({ key: 'source.ip', values: ['10.0.0.9'] })])]), ['rejected', 'rejected', 'rejected']);
    assert.deepEqual(outcome([policy('DENY', [when({ key: 'destination.port', values: ['9002'] })])]), ['succeeded', 'succeeded', 'rejected']);
  });
  test('X-Forwarded-For does not exist on TCP: remote.ip is the connection source', () => {
    const c = compileForTcp([policy('ALLOW', [src({ remoteIpBlocks: ['10.0.0.9'] })])], { numTrustedProxies: 2 });
    assert.equal(c.evaluateConnection(conn(9000)).allowed, true);
  });
  test('an HTTP compile refuses connection evaluation', () => {
    assert.throws(() => compileAuthz([]).evaluateConnection(conn(9000)), /compiled for tcp/);
  });
});

describe('the compiled form holds no request state between evaluations', () => {
  test('facts of one request never leak into the next', () => {
    const c = compileAuthz([policy('ALLOW', [{ from: [{ source: { namespaces: ['foo'] } }], to: [{ operation: { paths: ['/ok'], hosts: ['a.com'] } }], when: [{ key: 'remote.ip', values: ['1.1.1.1'] }] }])], { numTrustedProxies: 1 });
    const good = fakeRequest({ identity: SLEEP, path: '/ok', authority: 'a.com', headers: { 'x-forwarded-for': '1.1.1.1' } });
    assert.equal(c.evaluate(good).allowed, true);
    assert.equal(c.evaluate(fakeRequest({ identity: PRODUCTPAGE, path: '/ok', authority: 'a.com', headers: { 'x-forwarded-for': '1.1.1.1' } })).allowed, false);
    assert.equal(c.evaluate(fakeRequest({ identity: SLEEP, path: '/./ok/..', authority: 'a.com', headers: { 'x-forwarded-for': '1.1.1.1' } })).allowed, false);
    assert.equal(c.evaluate(fakeRequest({ identity: SLEEP, path: '/ok', authority: 'b.com', headers: { 'x-forwarded-for': '1.1.1.1' } })).allowed, false);
    assert.equal(c.evaluate(fakeRequest({ identity: SLEEP, path: '/ok', authority: 'a.com', headers: { 'x-forwarded-for': '2.2.2.2' } })).allowed, false);
    assert.equal(c.evaluate(good).allowed, true);
  });
});
