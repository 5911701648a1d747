import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DestinationRuleSpec, TrafficPolicy } from '../../api/index.ts';
import { lbPolicyOf, mergeTrafficPolicy, resolveClusterPolicy } from './traffic-policy.ts';

const HOST = 'reviews.default.svc.cluster.local';

function dr(top: TrafficPolicy | undefined, subset?: TrafficPolicy): DestinationRuleSpec {
  const spec: DestinationRuleSpec = { host: HOST, subsets: [{ name: 'v1', labels: { version: 'v1' } }] };
  if (top) spec.trafficPolicy = top;
  if (subset) spec.subsets = [{ name: 'v1', labels: { version: 'v1' }, trafficPolicy: subset }];
  return spec;
}

const OUTLIER_DEFAULTS = {
  consecutive5xxErrors: 5, consecutiveGatewayErrors: 0, consecutiveLocalOriginFailures: 5, splitExternalLocalOriginErrors: false,
  intervalMs: 10_000, baseEjectionTimeMs: 30_000, maxEjectionPercent: 10, minHealthPercent: 0,
};

// ---- fields ---------------------------------------------------------------------------------

test('no rule, no policy, or an empty policy: nothing to resolve', () => {
  assert.equal(resolveClusterPolicy(undefined, undefined, 9080), undefined);
  assert.equal(resolveClusterPolicy(dr(undefined), 'v1', 9080), undefined);
  assert.equal(resolveClusterPolicy(dr({ tls: { mode: 'ISTIO_MUTUAL' } }), undefined, 9080), undefined, 'tls is the cluster tls, not part of the policy');
  assert.equal(resolveClusterPolicy(dr({ loadBalancer: { simple: 'UNSPECIFIED' } }), undefined, 9080), undefined);
});

test('loadBalancer.simple: as written, LEAST_CONN read as LEAST_REQUEST', () => {
  for (const [simple, want] of [['ROUND_ROBIN', 'ROUND_ROBIN'], ['LEAST_REQUEST', 'LEAST_REQUEST'], ['LEAST_CONN', 'LEAST_REQUEST'], ['RANDOM', 'RANDOM'], ['PASSTHROUGH', 'PASSTHROUGH']] as const) {
    const p = resolveClusterPolicy(dr({ loadBalancer: { simple } }), undefined, 9080);
    assert.deepEqual(p, { loadBalancer: { simple: want } }, simple);
    assert.equal(lbPolicyOf(p), want);
  }
  assert.equal(lbPolicyOf(undefined), 'ROUND_ROBIN');
});

test('loadBalancer.consistentHash: each hash key, ring hash by default, maglev, table sizes defaulted', () => {
  const ch = (consistentHash: Record<string, unknown>) => resolveClusterPolicy(dr({ loadBalancer: { consistentHash } }), undefined, 9080);
  let p = ch({ httpHeaderName: 'x-user' });
  assert.deepEqual(p, { loadBalancer: { consistentHash: { httpHeaderName: 'x-user', ringHash: { minimumRingSize: 1024 } } } });
  assert.equal(lbPolicyOf(p), 'RING_HASH');
  assert.deepEqual(ch({ httpCookie: { name: 'user', path: '/', ttl: '10s' } })?.loadBalancer?.consistentHash?.httpCookie, { name: 'user', path: '/', ttlMs: 10_000 });
  assert.deepEqual(ch({ httpCookie: { name: 'user', ttl: '0s' } })?.loadBalancer?.consistentHash?.httpCookie, { name: 'user', ttlMs: 0 }, 'a session cookie');
  assert.deepEqual(ch({ httpCookie: { name: 'user' } })?.loadBalancer?.consistentHash?.httpCookie, { name: 'user' });
  assert.deepEqual(ch({ useSourceIp: true }), { loadBalancer: { consistentHash: { useSourceIp: true, ringHash: { minimumRingSize: 1024 } } } });
  assert.deepEqual(ch({ httpQueryParameterName: 'u' })?.loadBalancer?.consistentHash, { httpQueryParameterName: 'u', ringHash: { minimumRingSize: 1024 } });
  assert.deepEqual(ch({ useSourceIp: true, ringHash: { minimumRingSize: 2048 } })?.loadBalancer?.consistentHash?.ringHash, { minimumRingSize: 2048 });
  assert.deepEqual(ch({ useSourceIp: true, minimumRingSize: 4096 })?.loadBalancer?.consistentHash?.ringHash, { minimumRingSize: 4096 }, 'the deprecated field');
  p = ch({ useSourceIp: true, maglev: {} });
  assert.deepEqual(p?.loadBalancer?.consistentHash, { useSourceIp: true, maglev: { tableSize: 65537 } });
  assert.equal(lbPolicyOf(p), 'MAGLEV');
  assert.deepEqual(ch({ useSourceIp: true, maglev: { tableSize: 1031 } })?.loadBalancer?.consistentHash?.maglev, { tableSize: 1031 });
  assert.deepEqual(ch({ useSourceIp: true, maglev: { tableSize: '1031' } })?.loadBalancer?.consistentHash?.maglev, { tableSize: 1031 }, 'uint64 as a JSON string');
});

test('loadBalancer: localityLbSetting as written; warmup with its defaults; the deprecated warmupDurationSecs', () => {
  const locality = { enabled: true, failover: [{ from: 'us-east', to: 'us-west' }] };
  assert.deepEqual(resolveClusterPolicy(dr({ loadBalancer: { simple: 'ROUND_ROBIN', localityLbSetting: locality } }), undefined, 9080), {
    loadBalancer: { simple: 'ROUND_ROBIN', localityLbSetting: locality },
  });
  const warm = (lb: Record<string, unknown>) => resolveClusterPolicy(dr({ loadBalancer: lb }), undefined, 9080)?.loadBalancer?.warmup;
  assert.deepEqual(warm({ warmup: { duration: '60s' } }), { durationMs: 60_000, minimumPercent: 10, aggression: 1 });
  assert.deepEqual(warm({ warmup: { duration: '1m', minimumPercent: 25, aggression: 2.5 } }), { durationMs: 60_000, minimumPercent: 25, aggression: 2.5 });
  assert.deepEqual(warm({ warmup: { duration: '1m', minimumPercent: { value: 5 } } }), { durationMs: 60_000, minimumPercent: 5, aggression: 1 }, 'a wrapper value');
  assert.deepEqual(warm({ warmupDurationSecs: '30s' }), { durationMs: 30_000, minimumPercent: 10, aggression: 1 });
  assert.deepEqual(warm({ warmupDurationSecs: '30s', warmup: { duration: '5s' } }), { durationMs: 5000, minimumPercent: 10, aggression: 1 }, 'warmup wins');
});

test('connectionPool: every tcp and http field, durations in ms, unset fields stay absent', () => {
  const p = resolveClusterPolicy(dr({
    connectionPool: {
      tcp: { maxConnections: 100, connectTimeout: '30ms', tcpKeepalive: { probes: 3, time: '7200s', interval: '75s' }, maxConnectionDuration: '1h', idleTimeout: '5m' },
      http: {
        http1MaxPendingRequests: 1, http2MaxRequests: 1000, maxRequestsPerConnection: 10, maxRetries: 3, idleTimeout: '30s',
        h2UpgradePolicy: 'UPGRADE', useClientProtocol: true, maxConcurrentStreams: 100,
      },
    },
  }), undefined, 9080);
  assert.deepEqual(p, {
    connectionPool: {
      tcp: { maxConnections: 100, connectTimeoutMs: 30, tcpKeepalive: { probes: 3, timeMs: 7_200_000, intervalMs: 75_000 }, maxConnectionDurationMs: 3_600_000, idleTimeoutMs: 300_000 },
      http: {
        http1MaxPendingRequests: 1, http2MaxRequests: 1000, maxRequestsPerConnection: 10, maxRetries: 3, idleTimeoutMs: 30_000,
        h2UpgradePolicy: 'UPGRADE', useClientProtocol: true, maxConcurrentStreams: 100,
      },
    },
  });
  assert.deepEqual(resolveClusterPolicy(dr({ connectionPool: { tcp: { maxConnections: 1 } } }), undefined, 9080), { connectionPool: { tcp: { maxConnections: 1 } } });
  assert.deepEqual(resolveClusterPolicy(dr({ connectionPool: { http: { http1MaxPendingRequests: 1, tcpKeepalive: {} } } }), undefined, 9080), {
    connectionPool: { http: { http1MaxPendingRequests: 1 } },
  });
});

test('outlierDetection: present means every field, defaulted; explicit values and wrappers; the deprecated consecutiveErrors', () => {
  const od = (o: Record<string, unknown>) => resolveClusterPolicy(dr({ outlierDetection: o }), undefined, 9080)?.outlierDetection;
  assert.deepEqual(od({}), OUTLIER_DEFAULTS);
  assert.deepEqual(od({
    consecutive5xxErrors: 7, consecutiveGatewayErrors: 3, consecutiveLocalOriginFailures: 2, splitExternalLocalOriginErrors: true,
    interval: '1s', baseEjectionTime: '3m', maxEjectionPercent: 100, minHealthPercent: 50,
  }), {
    consecutive5xxErrors: 7, consecutiveGatewayErrors: 3, consecutiveLocalOriginFailures: 2, splitExternalLocalOriginErrors: true,
    intervalMs: 1000, baseEjectionTimeMs: 180_000, maxEjectionPercent: 100, minHealthPercent: 50,
  });
  assert.equal(od({ consecutive5xxErrors: 0 })?.consecutive5xxErrors, 0, '0 disables, it is not "unset"');
  assert.equal(od({ consecutive5xxErrors: { value: 2 } })?.consecutive5xxErrors, 2);
  // consecutiveErrors counts gateway errors only and turns the 5xx check off.
  assert.deepEqual(od({ consecutiveErrors: 4 }), { ...OUTLIER_DEFAULTS, consecutive5xxErrors: 0, consecutiveGatewayErrors: 4 });
  assert.deepEqual(od({ consecutiveErrors: 4, consecutive5xxErrors: 6 }), { ...OUTLIER_DEFAULTS, consecutive5xxErrors: 6, consecutiveGatewayErrors: 4 });
  assert.equal(resolveClusterPolicy(dr({ loadBalancer: { simple: 'RANDOM' } }), undefined, 9080)?.outlierDetection, undefined, 'absent: no outlier detection');
});

test('retryBudget: present means percent 20 and minRetryConcurrency 3 unless written', () => {
  const rb = (r: Record<string, unknown>) => resolveClusterPolicy(dr({ retryBudget: r }), undefined, 9080)?.retryBudget;
  assert.deepEqual(rb({}), { percent: 20, minRetryConcurrency: 3 });
  assert.deepEqual(rb({ percent: 5.5, minRetryConcurrency: 1 }), { percent: 5.5, minRetryConcurrency: 1 });
  assert.deepEqual(rb({ percent: { value: 50 } }), { percent: 50, minRetryConcurrency: 3 });
});

// ---- precedence -----------------------------------------------------------------------------

const RANDOM = { simple: 'RANDOM' };
const LEAST = { simple: 'LEAST_REQUEST' };
const POOL_A = { tcp: { maxConnections: 1 } };
const POOL_B = { http: { http1MaxPendingRequests: 2 } };
const OUTLIER = { consecutive5xxErrors: 1 };

test('precedence: the top level alone applies to every subset and port', () => {
  const spec = dr({ loadBalancer: RANDOM, connectionPool: POOL_A, outlierDetection: OUTLIER, retryBudget: { percent: 10 } });
  const want = {
    loadBalancer: { simple: 'RANDOM' }, connectionPool: { tcp: { maxConnections: 1 } },
    outlierDetection: { ...OUTLIER_DEFAULTS, consecutive5xxErrors: 1 }, retryBudget: { percent: 10, minRetryConcurrency: 3 },
  };
  assert.deepEqual(resolveClusterPolicy(spec, undefined, 9080), want);
  assert.deepEqual(resolveClusterPolicy(spec, 'v1', 9080), want);
  assert.deepEqual(resolveClusterPolicy(spec, 'v1', 9090), want);
  assert.deepEqual(resolveClusterPolicy(spec, 'no-such-subset', 9080), want, 'an unknown subset has no policy of its own');
});

test('precedence: a subset policy applies to that subset only', () => {
  const spec = dr(undefined, { loadBalancer: LEAST });
  assert.deepEqual(resolveClusterPolicy(spec, 'v1', 9080), { loadBalancer: { simple: 'LEAST_REQUEST' } });
  assert.equal(resolveClusterPolicy(spec, undefined, 9080), undefined);
});

test('precedence: the subset replaces the top level section by section, each section whole', () => {
  const spec = dr(
    { loadBalancer: { simple: 'RANDOM', localityLbSetting: { enabled: false } }, connectionPool: { ...POOL_A, ...POOL_B }, outlierDetection: OUTLIER, retryBudget: { percent: 10 } },
    { loadBalancer: { consistentHash: { useSourceIp: true } }, connectionPool: POOL_B, retryBudget: { minRetryConcurrency: 9 } },
  );
  assert.deepEqual(resolveClusterPolicy(spec, 'v1', 9080), {
    loadBalancer: { consistentHash: { useSourceIp: true, ringHash: { minimumRingSize: 1024 } } }, // no locality, no simple: not merged
    connectionPool: { http: { http1MaxPendingRequests: 2 } }, // no tcp: not merged
    outlierDetection: { ...OUTLIER_DEFAULTS, consecutive5xxErrors: 1 }, // inherited
    retryBudget: { percent: 20, minRetryConcurrency: 9 }, // the subset's, defaulted, not merged with the top level's percent
  });
});

test('precedence: a port-level entry replaces its level whole; unset sections fall back to defaults, not to the level', () => {
  const spec = dr({
    loadBalancer: RANDOM, connectionPool: POOL_A, outlierDetection: OUTLIER, retryBudget: { percent: 10 },
    portLevelSettings: [{ port: { number: 9080 }, loadBalancer: LEAST }],
  });
  assert.deepEqual(resolveClusterPolicy(spec, undefined, 9080), { loadBalancer: { simple: 'LEAST_REQUEST' } });
  assert.deepEqual(resolveClusterPolicy(spec, 'v1', 9080), { loadBalancer: { simple: 'LEAST_REQUEST' } });
  assert.deepEqual(resolveClusterPolicy(spec, undefined, 9090)?.loadBalancer, { simple: 'RANDOM' }, 'another port keeps the top level');
  assert.deepEqual(resolveClusterPolicy(spec, undefined, 9090)?.connectionPool, { tcp: { maxConnections: 1 } });
});

test('precedence: a subset over the top level port-level result', () => {
  const spec = dr(
    { loadBalancer: RANDOM, outlierDetection: OUTLIER, portLevelSettings: [{ port: { number: 9080 }, connectionPool: POOL_A }] },
    { loadBalancer: LEAST },
  );
  // Port 9080: the top level is just its port entry (POOL_A); the subset adds its loadBalancer.
  assert.deepEqual(resolveClusterPolicy(spec, 'v1', 9080), { loadBalancer: { simple: 'LEAST_REQUEST' }, connectionPool: { tcp: { maxConnections: 1 } } });
  // Port 9090: the whole top level, then the subset's loadBalancer.
  assert.deepEqual(resolveClusterPolicy(spec, 'v1', 9090), { loadBalancer: { simple: 'LEAST_REQUEST' }, outlierDetection: { ...OUTLIER_DEFAULTS, consecutive5xxErrors: 1 } });
});

test("precedence: the subset's port-level entry beats the subset and the top level, set or not", () => {
  const top = { loadBalancer: RANDOM, connectionPool: POOL_A, outlierDetection: OUTLIER, retryBudget: { percent: 10 } };
  const subset = { loadBalancer: LEAST, connectionPool: POOL_B, retryBudget: { percent: 30 }, portLevelSettings: [{ port: { number: 9080 }, connectionPool: { tcp: { maxConnections: 7 } } }] };
  // Every port-level section comes from the entry (so no loadBalancer, no outlierDetection); the
  // entry drops the subset's retryBudget, so the top level's stays.
  assert.deepEqual(resolveClusterPolicy(dr(top, subset), 'v1', 9080), { connectionPool: { tcp: { maxConnections: 7 } }, retryBudget: { percent: 10, minRetryConcurrency: 3 } });
  assert.equal(lbPolicyOf(resolveClusterPolicy(dr(top, subset), 'v1', 9080)), 'ROUND_ROBIN');
  // With a top-level port entry as well, the top level's budget is dropped too.
  const topWithPort = { ...top, portLevelSettings: [{ port: { number: 9080 }, loadBalancer: RANDOM, outlierDetection: OUTLIER }] };
  assert.deepEqual(resolveClusterPolicy(dr(topWithPort, subset), 'v1', 9080), { connectionPool: { tcp: { maxConnections: 7 } } });
  // The service-wide cluster does not see the subset at all.
  assert.deepEqual(resolveClusterPolicy(dr(topWithPort, subset), undefined, 9080), { loadBalancer: { simple: 'RANDOM' }, outlierDetection: { ...OUTLIER_DEFAULTS, consecutive5xxErrors: 1 } });
});

test('precedence: a port-level entry for another port is ignored; the first entry for the port wins', () => {
  const subset = { loadBalancer: LEAST, portLevelSettings: [{ port: { number: 9090 }, loadBalancer: RANDOM }] };
  assert.deepEqual(resolveClusterPolicy(dr({ connectionPool: POOL_A }, subset), 'v1', 9080), { loadBalancer: { simple: 'LEAST_REQUEST' }, connectionPool: { tcp: { maxConnections: 1 } } });
  assert.deepEqual(resolveClusterPolicy(dr({ connectionPool: POOL_A }, subset), 'v1', 9090), { loadBalancer: { simple: 'RANDOM' } });
  const dup = dr({ portLevelSettings: [{ port: { number: 9080 }, loadBalancer: RANDOM }, { port: { number: 9080 }, loadBalancer: LEAST }, { loadBalancer: LEAST }] });
  assert.deepEqual(resolveClusterPolicy(dup, undefined, 9080), { loadBalancer: { simple: 'RANDOM' } });
});

test('precedence: tls follows the same rules (the cluster TLS is taken from the same merge)', () => {
  const top: TrafficPolicy = { tls: { mode: 'SIMPLE' }, portLevelSettings: [{ port: { number: 9443 }, tls: { mode: 'MUTUAL' } }] };
  assert.deepEqual(mergeTrafficPolicy(dr(top), undefined, 9080)?.tls, { mode: 'SIMPLE' });
  assert.deepEqual(mergeTrafficPolicy(dr(top), undefined, 9443)?.tls, { mode: 'MUTUAL' });
  assert.deepEqual(mergeTrafficPolicy(dr(top, { tls: { mode: 'DISABLE' } }), 'v1', 9443)?.tls, { mode: 'DISABLE' }, 'subset over top-level port entry');
  assert.deepEqual(mergeTrafficPolicy(dr(top, { loadBalancer: LEAST }), 'v1', 9443)?.tls, { mode: 'MUTUAL' }, 'subset without tls keeps it');
  // A subset port entry without tls leaves no tls (auto mTLS decides), even though the subset sets one.
  const subset: TrafficPolicy = { tls: { mode: 'DISABLE' }, portLevelSettings: [{ port: { number: 9080 }, loadBalancer: LEAST }] };
  assert.equal(mergeTrafficPolicy(dr(top, subset), 'v1', 9080)?.tls, undefined);
  assert.deepEqual(mergeTrafficPolicy(dr(top, subset), 'v1', 9443)?.tls, { mode: 'DISABLE' });
});
