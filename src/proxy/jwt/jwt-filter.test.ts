import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import type { JwtRuleConfig } from '../../api/index.ts';
import type { Handler } from '../filter.ts';
import { quietLog } from '../test-support.ts';
import { FakeExchange, type FakeRequest } from './fake-exchange.ts';
import { createJwtFilter, type JwtFilterOptions, type JwtFilterStats } from './jwt-filter.ts';
import { JwtFailure } from './jwt-failure.ts';

const ISS = 'testing@secure.istio.io';
const NOW = Math.floor(Date.now() / 1000);

interface Keys {
  rsa: { privateKey: CryptoKey; jwk: JWK };
  ec: { privateKey: CryptoKey; jwk: JWK };
  /** Same kid as `rsa`, a different key: tokens it signs must not verify. */
  impostor: { privateKey: CryptoKey };
}
let keys: Keys;
let jwks: string;

const unhandled: unknown[] = [];
const onUnhandled = (e: unknown) => unhandled.push(e);

before(async () => {
  process.on('unhandledRejection', onUnhandled);
  const rsa = await generateKeyPair('RS256', { extractable: true });
  const ec = await generateKeyPair('ES256', { extractable: true });
  const impostor = await generateKeyPair('RS256');
  keys = {
    rsa: { privateKey: rsa.privateKey, jwk: { ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' } },
    ec: { privateKey: ec.privateKey, jwk: { ...(await exportJWK(ec.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' } },
    impostor: { privateKey: impostor.privateKey },
  };
  jwks = JSON.stringify({ keys: [keys.rsa.jwk, keys.ec.jwk] });
});

after(() => {
  process.off('unhandledRejection', onUnhandled);
  assert.deepEqual(unhandled, [], 'no unhandled rejections');
});

type Claims = Record<string, unknown>;

async function sign(claims: Claims = {}, o: { alg?: 'RS256' | 'ES256'; kid?: string | null; key?: CryptoKey } = {}): Promise<string> {
  const alg = o.alg ?? 'RS256';
  const key = o.key ?? (alg === 'RS256' ? keys.rsa.privateKey : keys.ec.privateKey);
  const kid = o.kid === undefined ? (alg === 'RS256' ? 'rsa-1' : 'ec-1') : o.kid;
  const header = kid === null ? { alg } : { alg, kid };
  return new SignJWT({ iss: ISS, sub: 'user-1', exp: NOW + 3600, ...claims }).setProtectedHeader(header).sign(key);
}

function b64(o: unknown): string {
  return Buffer.from(JSON.stringify(o)).toString('base64url');
}

function rule(extra: Partial<JwtRuleConfig> = {}): JwtRuleConfig {
  return { name: 'default/jwt-example#0', issuer: ISS, resolvedJwks: jwks, ...extra };
}

function chain(rules: JwtRuleConfig[], opts: Partial<JwtFilterOptions> = {}): Handler {
  const f = createJwtFilter(rules, { log: quietLog, ...opts });
  assert.ok(f !== null);
  return f((ex) => (ex as FakeExchange).pass());
}

interface Run {
  ex: FakeExchange;
  /** The request was decided before the handler returned. */
  sync: boolean;
}

async function run(h: Handler, req: FakeRequest): Promise<Run> {
  const ex = new FakeExchange(req);
  h(ex);
  const sync = ex.passed || ex.responseStarted;
  await ex.settled;
  return { ex, sync };
}

const bearer = (t: string): FakeRequest => ({ headers: { authorization: `Bearer ${t}` } });

async function assert401(h: Handler, req: FakeRequest, reason: string): Promise<FakeExchange> {
  const { ex } = await run(h, req);
  assert.equal(ex.passed, false, 'request must not reach the upstream');
  assert.equal(ex.status, 401);
  assert.equal(ex.body, reason);
  assert.match(ex.responseHeaders['www-authenticate'] ?? '', /^Bearer realm="http:\/\/[^?]*", error="invalid_token"$/);
  assert.equal(ex.jwt, null);
  return ex;
}

describe('jwt filter: basic outcomes', () => {
  test('no rules: no filter', () => {
    assert.equal(createJwtFilter([], { log: quietLog }), null);
  });

  test('a valid token passes, sets ex.jwt and drops the Authorization header', async () => {
    const token = await sign({ aud: ['svc-a', 'svc-b'], azp: 'web', foo: 'bar' });
    const { ex } = await run(chain([rule()]), bearer(token));
    assert.equal(ex.passed, true);
    assert.deepEqual(
      { ...ex.jwt, claims: undefined },
      { issuer: ISS, subject: 'user-1', principal: `${ISS}/user-1`, audiences: ['svc-a', 'svc-b'], presenter: 'web', claims: undefined },
    );
    assert.equal(ex.jwt?.claims['foo'], 'bar');
    assert.equal(ex.upstreamHeader('authorization'), undefined);
  });

  test('an ES256 token verifies', async () => {
    const token = await sign({}, { alg: 'ES256' });
    const { ex } = await run(chain([rule()]), bearer(token));
    assert.equal(ex.passed, true);
    assert.equal(ex.jwt?.principal, `${ISS}/user-1`);
  });

  test('no token passes synchronously and touches nothing', async () => {
    const { ex, sync } = await run(chain([rule()]), { path: '/headers?x=1' });
    assert.equal(sync, true);
    assert.equal(ex.passed, true);
    assert.equal(ex.jwt, null);
    assert.equal(ex.headerEdits, null);
  });

  test('an Authorization header with another scheme is not a token', async () => {
    const { ex, sync } = await run(chain([rule()]), { headers: { authorization: 'Basic dXNlcjpwYXNz' } });
    assert.equal(sync, true);
    assert.equal(ex.passed, true);
    assert.equal(ex.upstreamHeader('authorization'), 'Basic dXNlcjpwYXNz');
  });

  test('the groups claim stays a list', async () => {
    const token = await sign({ groups: ['group1', 'group2'] });
    const { ex } = await run(chain([rule()]), bearer(token));
    assert.deepEqual(ex.jwt?.claims['groups'], ['group1', 'group2']);
  });

  test('jwksError refuses tokens of that rule, but requests without a token still pass', async () => {
    const r = rule({ jwksError: 'cannot fetch JWKS: connect ECONNREFUSED' });
    delete r.resolvedJwks;
    const h = chain([r]);
    await assert401(h, bearer(await sign()), JwtFailure.JwksFetchFailed);
    assert.equal((await run(h, {})).ex.passed, true);
  });

  test('a CORS preflight passes without checking its token', async () => {
    const { ex } = await run(chain([rule()]), {
      method: 'OPTIONS',
      headers: { authorization: 'Bearer deadbeef', origin: 'https://web.example', 'access-control-request-method': 'GET' },
    });
    assert.equal(ex.passed, true);
  });
});

describe('jwt filter: time, audience, issuer and key checks', () => {
  test('expired beyond the 60 s skew is refused; within it passes', async () => {
    const h = chain([rule()]);
    await assert401(h, bearer(await sign({ exp: NOW - 120 })), JwtFailure.Expired);
    assert.equal((await run(h, bearer(await sign({ exp: NOW - 30 })))).ex.passed, true);
  });

  test('not yet valid beyond the skew is refused; within it passes', async () => {
    const h = chain([rule()]);
    await assert401(h, bearer(await sign({ nbf: NOW + 120 })), JwtFailure.NotYetValid);
    assert.equal((await run(h, bearer(await sign({ nbf: NOW + 30 })))).ex.passed, true);
  });

  test('audiences: one of the token audiences must be listed', async () => {
    const h = chain([rule({ audiences: ['bookstore.example.com', 'other'] })]);
    await assert401(h, bearer(await sign({ aud: 'wrong.example.com' })), JwtFailure.AudienceNotAllowed);
    await assert401(h, bearer(await sign({})), JwtFailure.AudienceNotAllowed);
    assert.equal((await run(h, bearer(await sign({ aud: ['x', 'other'] })))).ex.passed, true);
    // Scheme and trailing slash do not matter.
    assert.equal((await run(h, bearer(await sign({ aud: 'https://bookstore.example.com/' })))).ex.passed, true);
  });

  test('a token from an issuer no rule names is refused', async () => {
    await assert401(chain([rule()]), bearer(await sign({ iss: 'someone-else' })), JwtFailure.UnknownIssuer);
    await assert401(chain([rule()]), bearer(await sign({ iss: undefined })), JwtFailure.UnknownIssuer);
  });

  test('a rule without an issuer accepts any issuer its keys verify', async () => {
    const r = rule();
    delete r.issuer;
    const h = chain([r]);
    const { ex } = await run(h, bearer(await sign({ iss: 'anyone' })));
    assert.equal(ex.passed, true);
    assert.equal(ex.jwt?.principal, 'anyone/user-1');
  });

  test('the token is checked by the rule whose issuer matches', async () => {
    const other = await generateKeyPair('ES256');
    const otherJwks = JSON.stringify({ keys: [{ ...(await exportJWK(other.publicKey)), kid: 'o' }] });
    const h = chain([rule({ name: 'a#0', issuer: 'other', resolvedJwks: otherJwks }), rule({ name: 'b#0' })]);
    assert.equal((await run(h, bearer(await sign()))).ex.passed, true);
    const t = await new SignJWT({ iss: 'other', sub: 's' }).setProtectedHeader({ alg: 'ES256', kid: 'o' }).sign(other.privateKey);
    const { ex } = await run(h, bearer(t));
    assert.equal(ex.jwt?.principal, 'other/s');
  });

  test('signed by another key: verification fails', async () => {
    await assert401(chain([rule()]), bearer(await sign({}, { key: keys.impostor.privateKey })), JwtFailure.VerificationFails);
  });

  test('a kid the JWKS does not have is refused', async () => {
    await assert401(chain([rule()]), bearer(await sign({}, { kid: 'unknown' })), JwtFailure.JwksNoMatchingKey);
  });

  test('without a kid every key that fits the algorithm is tried', async () => {
    const second = await generateKeyPair('RS256', { extractable: true });
    const noKid = (jwk: JWK) => ({ ...jwk, kid: undefined, alg: 'RS256' });
    const set = JSON.stringify({ keys: [noKid(keys.rsa.jwk), noKid(await exportJWK(second.publicKey))] });
    const h = chain([rule({ resolvedJwks: set })]);
    assert.equal((await run(h, bearer(await sign({}, { kid: null, key: second.privateKey })))).ex.passed, true);
    assert.equal((await run(h, bearer(await sign({}, { kid: null })))).ex.passed, true);
    await assert401(h, bearer(await sign({}, { kid: null, key: keys.impostor.privateKey })), JwtFailure.VerificationFails);
  });

  test('an unusable JWKS refuses tokens instead of throwing', async () => {
    await assert401(chain([rule({ resolvedJwks: '{not json' })]), bearer(await sign()), JwtFailure.JwksBadJson);
    await assert401(chain([rule({ resolvedJwks: '{"keys": 3}' })]), bearer(await sign()), JwtFailure.JwksNoValidKeys);
  });
});

describe('jwt filter: hostile tokens', () => {
  const h = () => chain([rule()]);

  test('alg none is refused, with or without a signature section', async () => {
    const unsigned = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ iss: ISS, sub: 'admin', exp: NOW + 3600 })}.`;
    await assert401(h(), bearer(unsigned), JwtFailure.AlgNotSupported);
    await assert401(h(), bearer(unsigned.slice(0, -1)), JwtFailure.BadFormat);
  });

  test('HS256 (a shared secret) is not accepted', async () => {
    const t = await new SignJWT({ iss: ISS, sub: 'x' }).setProtectedHeader({ alg: 'HS256' }).sign(new Uint8Array(32));
    await assert401(h(), bearer(t), JwtFailure.AlgNotSupported);
  });

  test('garbage in every shape is a 401, never a crash', async () => {
    const valid = await sign();
    const [hd, pl] = valid.split('.') as [string, string, string];
    const cases: [string, string][] = [
      ['deadbeef', JwtFailure.BadFormat],
      ['invalidToken', JwtFailure.BadFormat],
      ['a.b.c.d', JwtFailure.BadFormat],
      ['..', JwtFailure.HeaderBadJson],
      ['abc.def.ghi', JwtFailure.HeaderBadJson],
      ['!!!.def.ghi', JwtFailure.HeaderBadBase64],
      [`${b64([1, 2])}.${pl}.sig`, JwtFailure.HeaderBadJson],
      [`${b64({ typ: 'JWT' })}.${pl}.sig`, JwtFailure.HeaderBadAlg],
      [`${b64({ alg: 'RS256', kid: 7 })}.${pl}.sig`, JwtFailure.HeaderBadKid],
      [`${hd}.***.sig`, JwtFailure.PayloadBadBase64],
      [`${hd}.${Buffer.from('not json').toString('base64url')}.sig`, JwtFailure.PayloadBadJson],
      [`${hd}.${b64(null)}.sig`, JwtFailure.PayloadBadJson],
      [`${hd}.${b64({ iss: 5 })}.sig`, JwtFailure.IssNotString],
      [`${hd}.${b64({ iss: ISS, aud: [1] })}.sig`, JwtFailure.AudNotString],
      [`${hd}.${b64({ iss: ISS, exp: '1' })}.sig`, JwtFailure.ExpNotInteger],
      [`${hd}.${pl}.s+g/`, JwtFailure.SignatureBadBase64],
      [`${hd}.${pl}.`, JwtFailure.VerificationFails],
      [`${hd}.${pl}.AAAA`, JwtFailure.VerificationFails],
      [`${'A'.repeat(100 * 1024)}.${pl}.AAAA`, JwtFailure.VerificationFails],
    ];
    const f = h();
    for (const [token, reason] of cases) {
      const { ex } = await run(f, bearer(token));
      assert.equal(ex.status, 401, token.slice(0, 40));
      assert.equal(ex.body, reason, token.slice(0, 40));
    }
  });

  test('a __proto__ claim does not become the claims prototype', async () => {
    const t = await sign({ ['__proto__']: { admin: true } });
    const { ex } = await run(h(), bearer(t));
    assert.equal(ex.passed, true);
    assert.equal((ex.jwt?.claims as { admin?: unknown }).admin, undefined);
    assert.equal(ex.jwt?.claims['toString'], undefined);
  });

  test('the realm names the request URL without its query, escaped', async () => {
    const ex = await assert401(h(), { path: '/a/b?access_token=deadbeef', authority: 'we"ird' }, JwtFailure.BadFormat);
    assert.equal(ex.responseHeaders['www-authenticate'], 'Bearer realm="http://we\\"ird/a/b", error="invalid_token"');
  });

  test('every token present must verify: a good one does not cover a bad one', async () => {
    const good = await sign();
    await assert401(h(), { path: `/p?access_token=${good}`, headers: { authorization: 'Bearer deadbeef' } }, JwtFailure.BadFormat);
    await assert401(h(), { path: '/p?access_token=deadbeef', headers: { authorization: `Bearer ${good}` } }, JwtFailure.BadFormat);
    const { ex } = await run(h(), { path: `/p?access_token=${good}`, headers: { authorization: `Bearer ${good}` } });
    assert.equal(ex.passed, true);
  });
});

describe('jwt filter: token locations', () => {
  test('default locations: Authorization Bearer (any case) and access_token', async () => {
    const t = await sign();
    const h = chain([rule()]);
    assert.equal((await run(h, { headers: { authorization: `bearer ${t}` } })).ex.passed, true);
    const { ex } = await run(h, { path: `/x?a=1&access_token=${t}&b=2` });
    assert.equal(ex.jwt?.subject, 'user-1');
    await assert401(h, { path: '/x?access_token=deadbeef' }, JwtFailure.BadFormat);
  });

  test('fromHeaders with a prefix strips it; the default locations are then not read', async () => {
    const t = await sign();
    const h = chain([rule({ fromHeaders: [{ name: 'X-Jwt-Assertion', prefix: 'Bearer ' }] })]);
    const { ex } = await run(h, { headers: { 'x-jwt-assertion': `Bearer ${t}` } });
    assert.equal(ex.passed, true);
    assert.equal(ex.jwt?.subject, 'user-1');
    assert.equal(ex.upstreamHeader('x-jwt-assertion'), undefined);
    // Authorization is not one of this rule's locations: a bad token there is not looked at.
    const other = await run(h, { headers: { authorization: 'Bearer deadbeef' } });
    assert.equal(other.ex.passed, true);
    assert.equal(other.ex.jwt, null);
    // The prefix is required.
    assert.equal((await run(h, { headers: { 'x-jwt-assertion': t } })).ex.jwt, null);
  });

  test('fromHeaders without a prefix takes the whole value', async () => {
    const t = await sign();
    const h = chain([rule({ fromHeaders: [{ name: 'x-token' }] })]);
    assert.equal((await run(h, { headers: { 'x-token': t } })).ex.jwt?.subject, 'user-1');
    await assert401(h, { headers: { 'x-token': `Bearer ${t}` } }, JwtFailure.HeaderBadBase64);
  });

  test('fromParams', async () => {
    const t = await sign();
    const h = chain([rule({ fromParams: ['my_token'] })]);
    const { ex } = await run(h, { path: `/x?my_token=${encodeURIComponent(t)}` });
    assert.equal(ex.jwt?.subject, 'user-1');
    assert.equal((await run(h, { path: `/x?access_token=deadbeef&xmy_token=deadbeef` })).ex.passed, true);
  });

  test('fromCookies', async () => {
    const t = await sign();
    const h = chain([rule({ fromCookies: ['auth-token'] })]);
    const { ex } = await run(h, { headers: { cookie: `theme=dark; auth-token=${t}; other=1` } });
    assert.equal(ex.jwt?.subject, 'user-1');
    // Cookies are not removed: only header locations are.
    assert.equal(ex.upstreamHeader('cookie')?.includes(t), true);
    assert.equal((await run(h, { headers: { cookie: 'xauth-token=deadbeef' } })).ex.passed, true);
    await assert401(h, { headers: { cookie: 'auth-token="deadbeef"' } }, JwtFailure.BadFormat);
  });

  test('forwardOriginalToken keeps the header; params are never edited', async () => {
    const t = await sign();
    const keep = await run(chain([rule({ forwardOriginalToken: true })]), bearer(t));
    assert.equal(keep.ex.upstreamHeader('authorization'), `Bearer ${t}`);
    const drop = await run(chain([rule({ forwardOriginalToken: false })]), bearer(t));
    assert.equal(drop.ex.upstreamHeader('authorization'), undefined);
    const param = await run(chain([rule()]), { path: `/x?access_token=${t}` });
    assert.equal(param.ex.headerEdits, null);
  });
});

describe('jwt filter: outputs', () => {
  test('outputPayloadToHeader carries the base64url payload', async () => {
    const t = await sign({ foo: 'bar' });
    const { ex } = await run(chain([rule({ outputPayloadToHeader: 'X-Jwt-Payload' })]), bearer(t));
    const v = ex.upstreamHeader('x-jwt-payload');
    assert.equal(v, t.split('.')[1]);
    assert.equal(JSON.parse(Buffer.from(v ?? '', 'base64url').toString()).foo, 'bar');
  });

  test('outputClaimToHeaders: strings, numbers, booleans, lists; objects skipped', async () => {
    const t = await sign({ foo: 'bar', n: 42, admin: false, groups: ['g1', 'g2'], obj: { a: 1 }, nested: { team: 'blue' } });
    const claims = ['foo', 'n', 'admin', 'groups', 'obj', 'nested.team', 'missing'];
    const h = chain([rule({ outputClaimToHeaders: claims.map((c) => ({ header: `x-claim-${c.replace('.', '-')}`, claim: c })) })]);
    const { ex } = await run(h, bearer(t));
    assert.deepEqual(Object.fromEntries(ex.headerEdits ?? []), {
      authorization: null,
      'x-claim-foo': 'bar',
      'x-claim-n': '42',
      'x-claim-admin': 'false',
      'x-claim-groups': 'g1,g2',
      'x-claim-nested-team': 'blue',
    } satisfies Record<string, string | null>);
  });

  test('output headers sent by the client are dropped, token or not', async () => {
    const h = chain([rule({ outputPayloadToHeader: 'x-jwt-payload', outputClaimToHeaders: [{ header: 'x-user', claim: 'sub' }] })]);
    const { ex } = await run(h, { headers: { 'x-jwt-payload': 'forged', 'x-user': 'admin' } });
    assert.equal(ex.passed, true);
    assert.equal(ex.upstreamHeader('x-jwt-payload'), undefined);
    assert.equal(ex.upstreamHeader('x-user'), undefined);
    const withToken = await run(h, { headers: { 'x-user': 'admin', authorization: `Bearer ${await sign()}` } });
    assert.equal(withToken.ex.upstreamHeader('x-user'), 'user-1');
  });
});

describe('jwt filter: verified-token cache', () => {
  test('a repeated token is accepted synchronously from the cache', async () => {
    const stats: JwtFilterStats = { verified: 0, cacheHits: 0, rejected: 0 };
    const h = chain([rule({ outputClaimToHeaders: [{ header: 'x-user', claim: 'sub' }] })], { stats });
    const t = await sign();
    const first = await run(h, bearer(t));
    assert.equal(first.sync, false);
    const second = await run(h, bearer(t));
    assert.equal(second.sync, true);
    assert.equal(second.ex.passed, true);
    assert.equal(second.ex.jwt?.principal, `${ISS}/user-1`);
    assert.equal(second.ex.upstreamHeader('x-user'), 'user-1');
    assert.equal(second.ex.upstreamHeader('authorization'), undefined);
    assert.deepEqual(stats, { verified: 1, cacheHits: 1, rejected: 0 });
  });

  test('a cached token still expires', async () => {
    let clock = Date.now();
    const h = chain([rule()], { now: () => clock });
    const t = await sign({ exp: Math.floor(clock / 1000) + 10 });
    assert.equal((await run(h, bearer(t))).ex.passed, true);
    clock += 71_000;
    await assert401(h, bearer(t), JwtFailure.Expired);
  });

  test('a token cached for one rule is not reused for a location of another rule', async () => {
    const t = await sign();
    const h = chain([rule({ name: 'a#0', fromHeaders: [{ name: 'x-a' }], forwardOriginalToken: true }), rule({ name: 'b#0', fromHeaders: [{ name: 'x-b' }] })]);
    const a = await run(h, { headers: { 'x-a': t } });
    assert.equal(a.ex.upstreamHeader('x-a'), t);
    const b = await run(h, { headers: { 'x-b': t } });
    assert.equal(b.sync, false);
    assert.equal(b.ex.upstreamHeader('x-b'), undefined);
  });

  test('concurrent requests with one new token share a verification', async () => {
    const stats: JwtFilterStats = { verified: 0, cacheHits: 0, rejected: 0 };
    const h = chain([rule()], { stats });
    const t = await sign();
    const a = new FakeExchange(bearer(t));
    const b = new FakeExchange(bearer(t));
    h(a);
    h(b);
    await Promise.all([a.settled, b.settled]);
    assert.equal(a.passed && b.passed, true);
    assert.equal(stats.verified, 1);
  });

  test('cacheSize 0 verifies every time', async () => {
    const h = chain([rule()], { cacheSize: 0 });
    const t = await sign();
    await run(h, bearer(t));
    assert.equal((await run(h, bearer(t))).sync, false);
  });

  test('a client gone during verification: the request goes no further', async () => {
    const h = chain([rule()]);
    const ex = new FakeExchange(bearer(await sign()));
    h(ex);
    ex.closed = true;
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(ex.passed, false);
    assert.equal(ex.responseStarted, false);
  });

  test('a throwing handler after verification becomes a 500, not an unhandled rejection', async () => {
    const f = createJwtFilter([rule()], { log: { ...quietLog, error() {} } });
    assert.ok(f !== null);
    const h = f(() => {
      throw new Error('boom');
    });
    const { ex } = await run(h, bearer(await sign()));
    assert.equal(ex.status, 500);
  });
});
