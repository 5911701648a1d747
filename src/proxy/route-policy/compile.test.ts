import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compileRoutePolicy, DEFAULT_RETRY_POLICY, EMPTY_ROUTE_POLICY, re2Replacement, type RoutePolicy } from './compile.ts';
import { parseDurationMs } from './duration.ts';

function ok(raw: unknown): RoutePolicy {
  const c = compileRoutePolicy(raw);
  assert.deepEqual(c.problems, []);
  return c.policy;
}

function problems(raw: unknown): string[] {
  return compileRoutePolicy(raw).problems;
}

describe('parseDurationMs', () => {
  test('protobuf and Go duration strings', () => {
    assert.equal(parseDurationMs('1.5s'), 1500);
    assert.equal(parseDurationMs('500ms'), 500);
    assert.equal(parseDurationMs('2m'), 120_000);
    assert.equal(parseDurationMs('1h30m'), 5_400_000);
    assert.equal(parseDurationMs('0s'), 0);
    assert.equal(parseDurationMs('0'), 0);
    assert.equal(parseDurationMs('250us'), 0.25);
    assert.equal(parseDurationMs('.5s'), 500);
  });
  test('anything else is null', () => {
    for (const v of ['', '5', '-1s', '1x', 's', '1s2', 5, null, undefined, '1 s']) assert.equal(parseDurationMs(v), null, String(v));
  });
});

describe('compileRoutePolicy', () => {
  test('absent or empty policy is the shared empty policy', () => {
    assert.equal(ok(undefined), EMPTY_ROUTE_POLICY);
    assert.equal(ok({}), EMPTY_ROUTE_POLICY);
    // Fields acted on elsewhere (mirror) leave the policy empty here.
    assert.equal(ok({ mirror: { host: 'x' } }), EMPTY_ROUTE_POLICY);
    assert.deepEqual(problems('nope'), ['policy: not an object']);
  });

  test('timeout', () => {
    assert.equal(ok({ timeout: '1.5s' }).timeoutMs, 1500);
    assert.equal(ok({ timeout: '0s' }).timeoutMs, null);
    assert.match(problems({ timeout: 'soon' })[0] ?? '', /^policy\.timeout: "soon" is not a duration/);
  });

  test('retries: Istio default when absent, attempts 0 disables, retryOn codes', () => {
    assert.deepEqual(ok({ timeout: '1s' }).retries, DEFAULT_RETRY_POLICY);
    assert.deepEqual(DEFAULT_RETRY_POLICY, {
      attempts: 2,
      perTryTimeoutMs: null,
      retryOn: ['connect-failure', 'refused-stream', 'unavailable', 'cancelled', 'retriable-status-codes'],
      retriableStatusCodes: [503],
      retryRemoteLocalities: false,
      retryIgnorePreviousHosts: true,
      backoffBaseMs: 25,
    });
    assert.equal(ok({ retries: { attempts: 0 } }).retries.attempts, 0);
    const r = ok({ retries: { attempts: 3, perTryTimeout: '2s', retryOn: 'gateway-error, 503,429', retryRemoteLocalities: true, retryIgnorePreviousHosts: false, backoff: '100ms' } }).retries;
    assert.deepEqual(r, {
      attempts: 3,
      perTryTimeoutMs: 2000,
      retryOn: ['gateway-error', 'retriable-status-codes'],
      retriableStatusCodes: [503, 429],
      retryRemoteLocalities: true,
      retryIgnorePreviousHosts: false,
      backoffBaseMs: 100,
    });
    // Without retryOn, the default conditions.
    assert.deepEqual(ok({ retries: { attempts: 5 } }).retries.retryOn, DEFAULT_RETRY_POLICY.retryOn);
    assert.deepEqual(problems({ retries: { attempts: -1, retryOn: 7, perTryTimeout: 'x', retryIgnorePreviousHosts: 'yes' } }), [
      'policy.retries.attempts: -1 is not a non-negative integer',
      'policy.retries.retryOn: not a string',
      'policy.retries.perTryTimeout: "x" is not a duration (e.g. "1.5s", "500ms")',
      'policy.retries.retryIgnorePreviousHosts: not a boolean',
    ]);
    assert.deepEqual(problems({ retries: { retryOn: '5xx,999' } }), ['policy.retries.retryOn: status code 999 is not in 100-599']);
  });

  test('fault: delay with percentage or the deprecated percent, abort with httpStatus or grpcStatus', () => {
    assert.deepEqual(ok({ fault: { delay: { fixedDelay: '5s', percentage: { value: 12.5 } } } }).fault, { delay: { ms: 5000, percentage: 12.5 }, abort: null });
    assert.deepEqual(ok({ fault: { delay: { fixedDelay: '1s', percent: 30 } } }).fault?.delay, { ms: 1000, percentage: 30 });
    // No percentage: no request is delayed or aborted (Istio's documented default).
    assert.deepEqual(ok({ fault: { delay: { fixedDelay: '1s' } } }).fault?.delay, { ms: 1000, percentage: 0 });
    assert.deepEqual(ok({ fault: { abort: { httpStatus: 503, percentage: { value: 50 } } } }).fault?.abort, { httpStatus: 503, grpcStatus: null, percentage: 50 });
    assert.deepEqual(ok({ fault: { abort: { grpcStatus: 'UNAVAILABLE' } } }).fault?.abort, { httpStatus: null, grpcStatus: 14, percentage: 0 });
    assert.equal(ok({ fault: { abort: { grpcStatus: 'not_found' } } }).fault?.abort?.grpcStatus, 5);
    const both = ok({ fault: { delay: { fixedDelay: '10ms' }, abort: { httpStatus: 418 } } }).fault;
    assert.ok(both?.delay !== null && both?.abort !== null);
  });

  test('fault: bad values are problems', () => {
    assert.deepEqual(problems({ fault: {} }), ['policy.fault: needs delay or abort']);
    assert.deepEqual(problems({ fault: { delay: { percentage: { value: 5 } } } }), ['policy.fault.delay: needs fixedDelay']);
    assert.deepEqual(problems({ fault: { delay: { exponentialDelay: '1s' } } }), ['policy.fault.delay: exponentialDelay is not supported']);
    assert.deepEqual(problems({ fault: { delay: { fixedDelay: '1s', percentage: { value: 101 } } } }), ['policy.fault.delay.percentage: needs a value between 0 and 100']);
    assert.deepEqual(problems({ fault: { abort: { httpStatus: 99 } } }), ['policy.fault.abort.httpStatus: 99 is not an HTTP status in 200-599']);
    assert.deepEqual(problems({ fault: { abort: { grpcStatus: 'NOPE' } } }), ['policy.fault.abort.grpcStatus: "NOPE" is not a gRPC status name (e.g. "UNAVAILABLE")']);
    assert.deepEqual(problems({ fault: { abort: { httpStatus: 500, grpcStatus: 'INTERNAL' } } }), ['policy.fault.abort: httpStatus and grpcStatus are exclusive']);
    assert.deepEqual(problems({ fault: { abort: { percentage: { value: 5 } } } }), ['policy.fault.abort: needs httpStatus or grpcStatus']);
    assert.deepEqual(problems({ fault: { abort: { httpStatus: 500, percentage: 5 } } }), ['policy.fault.abort.percentage: needs a value between 0 and 100']);
  });

  test('rewrite: uri, authority, uriRegexRewrite', () => {
    assert.deepEqual(ok({ rewrite: { uri: '/v2', authority: 'new.host' } }).rewrite, { uri: '/v2', authority: 'new.host', uriRegex: null });
    const rx = ok({ rewrite: { uriRegexRewrite: { match: '^/service/([^/]+)(/.*)$', rewrite: '\\2/instance/\\1' } } }).rewrite?.uriRegex;
    assert.equal('/service/foo/v1/api'.replace(rx?.pattern as RegExp, rx?.replacement as string), '/v1/api/instance/foo');
    assert.equal(re2Replacement('$x\\1'), '$$x$1');
    assert.deepEqual(problems({ rewrite: { uri: 'v2' } }), ['policy.rewrite.uri: must start with "/"']);
    assert.deepEqual(problems({ rewrite: { uri: 5 } }), ['policy.rewrite.uri: not a string']);
    assert.deepEqual(problems({ rewrite: { uriRegexRewrite: { match: '(' , rewrite: '/' } } }).length, 1);
    assert.deepEqual(problems({ rewrite: { uriRegexRewrite: { match: 'a' } } }), ['policy.rewrite.uriRegexRewrite: needs match and rewrite strings']);
    assert.deepEqual(problems({ rewrite: { uri: '/a', uriRegexRewrite: { match: 'a', rewrite: 'b' } } }), ['policy.rewrite: uri and uriRegexRewrite are exclusive']);
    assert.deepEqual(problems({ rewrite: { authority: 'a\r\nb' } }), ['policy.rewrite.authority: contains a line break or NUL']);
  });

  test('redirect: fields, default code 301, derivePort', () => {
    assert.deepEqual(ok({ redirect: { uri: '/new' } }).redirect, { uri: '/new', authority: null, port: null, derivePort: null, scheme: null, code: 301 });
    assert.deepEqual(ok({ redirect: { authority: 'b.example', scheme: 'HTTPS', port: 8443, redirectCode: 302 } }).redirect, { uri: null, authority: 'b.example', port: 8443, derivePort: null, scheme: 'https', code: 302 });
    assert.equal(ok({ redirect: { derivePort: 'FROM_REQUEST_PORT' } }).redirect?.derivePort, 'FROM_REQUEST_PORT');
    assert.deepEqual(problems({ redirect: { redirectCode: 200 } }), ['policy.redirect.redirectCode: 200 is not one of 301, 302, 303, 307, 308']);
    assert.deepEqual(problems({ redirect: { port: 80, derivePort: 'FROM_REQUEST_PORT' } }), ['policy.redirect: port and derivePort are exclusive']);
    assert.deepEqual(problems({ redirect: { derivePort: 'SOMETIMES' } }), ['policy.redirect.derivePort: "SOMETIMES" is not FROM_PROTOCOL_DEFAULT or FROM_REQUEST_PORT']);
    assert.deepEqual(problems({ redirect: { port: 70000 } }), ['policy.redirect.port: 70000 is not a port']);
    assert.deepEqual(problems({ redirect: { scheme: 'ht tp' } }), ['policy.redirect.scheme: "ht tp" is not a URI scheme']);
    assert.deepEqual(problems({ redirect: 'x' }), ['policy.redirect: not an object']);
  });

  test('headers: request and response set/add/remove, names lower-cased', () => {
    const p = ok({ headers: { request: { set: { 'X-A': '1' }, add: { 'x-b': '2' }, remove: ['X-C'] }, response: { remove: ['server'] } } });
    const rh = p.requestHeaders;
    assert.deepEqual({ set: rh?.set, add: rh?.add, remove: rh?.remove }, { set: [['x-a', '1']], add: [['x-b', '2']], remove: ['x-c'] });
    assert.equal(rh?.requestEdits, null, 'an add reads the request: no precompiled edits');
    const sh = p.responseHeaders;
    assert.deepEqual({ set: sh?.set, add: sh?.add, remove: sh?.remove }, { set: [], add: [], remove: ['server'] });
    assert.deepEqual(sh?.response, { set: null, add: null, remove: new Set(['server']), lines: '' });
    // Set and remove only: one shared edit map, a set winning over a remove of the same name.
    const edits = ok({ headers: { request: { set: { 'x-a': '1' }, remove: ['x-a', 'x-b'] }, response: { set: { 'x-s': 'v' }, add: { 'x-t': 'w' } } } });
    assert.deepEqual([...(edits.requestHeaders?.requestEdits ?? [])], [['x-a', '1'], ['x-b', null]]);
    assert.equal(edits.responseHeaders?.response.lines, 'x-s: v\r\nx-t: w\r\n');
    assert.deepEqual(problems({ headers: { request: { set: { 'bad name': 'x', ok: 5 }, remove: 'x' }, response: 3 } }), [
      'policy.headers.request.set: "bad name" is not a header name',
      'policy.headers.request.set.ok: not a string',
      'policy.headers.request.remove: not a list',
      'policy.headers.response: not an object',
    ]);
    assert.deepEqual(problems({ headers: { response: { add: { a: 'x\ny' } } } }), ['policy.headers.response.add.a: contains a line break or NUL']);
  });

  test('corsPolicy: origins (exact, prefix, regex, legacy, *), lists, maxAge, unmatchedPreflights', () => {
    const c = ok({
      corsPolicy: {
        allowOrigins: [{ exact: 'https://a.example' }, { prefix: 'https://dev.' }, { regex: 'https://.*\\.b\\.example' }],
        allowOrigin: ['http://legacy.example'],
        allowMethods: ['GET', 'POST'],
        allowHeaders: ['x-a'],
        exposeHeaders: ['x-b', 'x-c'],
        maxAge: '24h',
        allowCredentials: true,
        unmatchedPreflights: 'IGNORE',
      },
    }).cors;
    assert.ok(c !== null);
    for (const o of ['https://a.example', 'https://dev.x', 'https://z.b.example', 'http://legacy.example']) assert.ok(c.originMatches(o), o);
    for (const o of ['https://a.example.evil', 'http://dev.x', 'https://b.example']) assert.ok(!c.originMatches(o), o);
    assert.equal(c.allowMethods, 'GET,POST');
    assert.equal(c.exposeHeaders, 'x-b,x-c');
    assert.equal(c.maxAge, '86400');
    assert.equal(c.allowCredentials, true);
    assert.equal(c.forwardUnmatchedPreflights, false);
    const star = ok({ corsPolicy: { allowOrigins: [{ exact: '*' }] } }).cors;
    assert.ok(star?.originMatches('https://any') === true && star.forwardUnmatchedPreflights);
    assert.deepEqual(problems({ corsPolicy: { allowOrigins: [{ exact: 'a', prefix: 'b' }, { regex: '(' }], allowMethods: 'GET', maxAge: 'long', unmatchedPreflights: 'DROP' } }).map((s) => s.split(':')[0]), [
      'policy.corsPolicy.allowOrigins[0]',
      'policy.corsPolicy.allowOrigins[1].regex',
      'policy.corsPolicy.maxAge',
      'policy.corsPolicy.unmatchedPreflights',
      'policy.corsPolicy.allowMethods',
    ]);
  });

  test('every problem is collected, not only the first', () => {
    assert.equal(problems({ timeout: 'x', fault: { abort: { httpStatus: 1 } }, redirect: { redirectCode: 1 } }).length, 3);
  });
});
