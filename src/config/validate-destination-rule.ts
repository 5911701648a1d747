// DestinationRule rules: host, subsets, and traffic policies (load balancer, connection pool,
// outlier detection, client TLS, port-level settings, tunnel, PROXY protocol, retry budget).

import { CLIENT_TLS_MODES, H2_UPGRADE_POLICIES, SIMPLE_LB } from './schemas/networking.ts';
import {
  arr,
  checkDuration,
  checkExportTo,
  checkLabels,
  checkNonNegative,
  checkPercent,
  checkPort,
  checkSelector,
  dns1123LabelProblem,
  entries,
  has,
  int64,
  isObj,
  nonEmpty,
  num,
  obj,
  str,
  wildcardHostProblem,
  type Findings,
  type Obj,
  type Path,
} from './validate-common.ts';

const MAGLEV_MAX_TABLE_SIZE = 5000011;

export function validateDestinationRule(f: Findings, specValue: unknown, namespace: string): void {
  const spec = obj(specValue) ?? {};
  const base: Path = ['spec'];

  const host = spec['host'];
  if (host === undefined || host === null || host === '') {
    f.error([...base, 'host'], 'ISTHMUS_ERR_CONFIG_INVALID_HOST', 'invalid destination host: host is required (the service this rule applies to, such as `reviews`)');
  } else if (typeof host === 'string') {
    const p = wildcardHostProblem(host);
    if (p !== undefined) f.error([...base, 'host'], 'ISTHMUS_ERR_CONFIG_INVALID_HOST', `invalid destination host "${host}": ${p}`);
  }

  if (has(spec, 'trafficPolicy')) validateTrafficPolicy(f, [...base, 'trafficPolicy'], spec['trafficPolicy']);

  const names = new Set<string>();
  arr(spec['subsets']).forEach((s, i) => {
    const sub = obj(s);
    if (sub === undefined) return;
    const sp = [...base, 'subsets', i];
    const name = str(sub['name']);
    if (sub['name'] === undefined || sub['name'] === null || name === '') {
      f.error([...sp, 'name'], 'ISTHMUS_ERR_CONFIG_INVALID_SUBSET', 'subset name cannot be empty');
    } else if (name !== undefined) {
      const p = dns1123LabelProblem(name);
      if (p !== undefined) f.error([...sp, 'name'], 'ISTHMUS_ERR_CONFIG_INVALID_SUBSET', `subset name is invalid: "${name}" ${p}`);
      if (names.has(name)) f.error([...sp, 'name'], 'ISTHMUS_ERR_CONFIG_INVALID_SUBSET', `duplicate subset names: ${name}`);
      names.add(name);
    }
    checkLabels(f, [...sp, 'labels'], sub['labels']);
    if (has(sub, 'trafficPolicy')) validateTrafficPolicy(f, [...sp, 'trafficPolicy'], sub['trafficPolicy']);
  });

  checkExportTo(f, [...base, 'exportTo'], spec['exportTo'], false);
  const ws = obj(spec['workloadSelector']);
  if (ws !== undefined) {
    checkSelector(f, [...base, 'workloadSelector', 'matchLabels'], ws['matchLabels']);
    const exportTo = arr(spec['exportTo']);
    if (exportTo.some((e) => e !== '.' && e !== namespace)) {
      f.error([...base, 'exportTo'], 'ISTHMUS_ERR_CONFIG_INVALID_EXPORT_TO', 'destination rule with workload selector cannot have exportTo beyond current namespace');
    }
  }
}

function validateTrafficPolicy(f: Findings, path: Path, value: unknown): void {
  const tp = obj(value);
  if (tp === undefined) return;
  const fields = ['loadBalancer', 'connectionPool', 'outlierDetection', 'tls', 'portLevelSettings', 'tunnel', 'proxyProtocol', 'retryBudget'];
  if (!fields.some((k) => nonEmpty(tp[k]))) {
    f.error(path, 'ISTHMUS_ERR_CONFIG_INVALID_TRAFFIC_POLICY', 'traffic policy must have at least one field');
  }
  validatePolicyParts(f, path, tp);

  const ports = new Set<number>();
  arr(tp['portLevelSettings']).forEach((p, i) => {
    const pp = obj(p);
    if (pp === undefined) return;
    const at = [...path, 'portLevelSettings', i];
    const port = obj(pp['port']);
    const n = num(port?.['number']);
    if (port === undefined || !has(port, 'number')) {
      f.error([...at, 'port'], 'ISTHMUS_ERR_CONFIG_MISSING_FIELD', 'port traffic policy must specify a port number');
    } else {
      checkPort(f, [...at, 'port', 'number'], n);
      if (n !== undefined) {
        if (ports.has(n)) f.error([...at, 'port', 'number'], 'ISTHMUS_ERR_CONFIG_DUPLICATE', `port traffic policy for port ${n} is already defined`);
        ports.add(n);
      }
    }
    if (!['loadBalancer', 'connectionPool', 'outlierDetection', 'tls'].some((k) => has(pp, k))) {
      f.error(at, 'ISTHMUS_ERR_CONFIG_INVALID_TRAFFIC_POLICY', 'port traffic policy must have at least one field');
    }
    validatePolicyParts(f, at, pp);
  });

  const tunnel = obj(tp['tunnel']);
  if (tunnel !== undefined) {
    const at = [...path, 'tunnel'];
    if (has(tp, 'proxyProtocol')) f.error(path, 'ISTHMUS_ERR_CONFIG_CONFLICT', 'tunnel and proxyProtocol must not be set together');
    const proto = str(tunnel['protocol']);
    if (proto !== undefined && proto !== '' && proto !== 'CONNECT' && proto !== 'POST') {
      f.error([...at, 'protocol'], 'ISTHMUS_ERR_CONFIG_INVALID_TRAFFIC_POLICY', `tunnel protocol must be "CONNECT" or "POST" (it is "${proto}")`);
    }
    if (!nonEmpty(tunnel['targetHost'])) f.error([...at, 'targetHost'], 'ISTHMUS_ERR_CONFIG_MISSING_FIELD', 'tunnel target host is required');
    else {
      const th = str(tunnel['targetHost']);
      if (th !== undefined && wildcardHostProblem(th) !== undefined) {
        f.error([...at, 'targetHost'], 'ISTHMUS_ERR_CONFIG_INVALID_HOST', `tunnel target host "${th}" is not a valid host name or IP address`);
      }
    }
    if (!has(tunnel, 'targetPort')) f.error([...at, 'targetPort'], 'ISTHMUS_ERR_CONFIG_MISSING_FIELD', 'tunnel target port is required');
    checkPort(f, [...at, 'targetPort'], tunnel['targetPort'], 'tunnel target port');
  }

  const pp = obj(tp['proxyProtocol']);
  if (pp !== undefined) {
    const v = pp['version'];
    if (v !== undefined && v !== 'V1' && v !== 'V2') f.error([...path, 'proxyProtocol', 'version'], 'ISTHMUS_ERR_CONFIG_INVALID_ENUM', `invalid PROXY protocol version ${JSON.stringify(v)}; expected V1 or V2`);
  }

  const rb = obj(tp['retryBudget']);
  if (rb !== undefined) {
    checkPercent(f, [...path, 'retryBudget', 'percent'], rb['percent'], 'ISTHMUS_ERR_CONFIG_INVALID_TRAFFIC_POLICY');
  }
}

/** The parts a top-level, subset and port-level policy share. */
function validatePolicyParts(f: Findings, path: Path, tp: Obj): void {
  if (has(tp, 'loadBalancer')) validateLoadBalancer(f, [...path, 'loadBalancer'], tp['loadBalancer']);
  if (has(tp, 'connectionPool')) validateConnectionPool(f, [...path, 'connectionPool'], tp['connectionPool']);
  if (has(tp, 'outlierDetection')) validateOutlierDetection(f, [...path, 'outlierDetection'], tp['outlierDetection']);
  if (has(tp, 'tls')) validateClientTLS(f, [...path, 'tls'], tp['tls']);
}

function isPrime(n: number): boolean {
  if (n < 2) return false;
  if (n % 2 === 0) return n === 2;
  for (let d = 3; d * d <= n; d += 2) if (n % d === 0) return false;
  return true;
}

function validateLoadBalancer(f: Findings, path: Path, value: unknown): void {
  const lb = obj(value);
  if (lb === undefined) return;
  const simple = lb['simple'];
  if (typeof simple === 'string') {
    if (!(SIMPLE_LB as readonly string[]).includes(simple)) {
      f.error([...path, 'simple'], 'ISTHMUS_ERR_CONFIG_INVALID_ENUM', `invalid load balancer "${simple}"; expected one of ${SIMPLE_LB.join(', ')}`);
    } else if (simple === 'LEAST_CONN') {
      f.warn([...path, 'simple'], 'ISTHMUS_ERR_CONFIG_DEPRECATED', 'LEAST_CONN is deprecated, use LEAST_REQUEST');
    }
  }
  const ch = obj(lb['consistentHash']);
  if (has(lb, 'simple') && ch !== undefined) f.error(path, 'ISTHMUS_ERR_CONFIG_CONFLICT', 'load balancer may set only one of simple or consistentHash');
  if (ch !== undefined) {
    const cp = [...path, 'consistentHash'];
    const keys = (['httpHeaderName', 'httpCookie', 'useSourceIp', 'httpQueryParameterName'] as const).filter((k) => has(ch, k));
    if (keys.length > 1) f.error(cp, 'ISTHMUS_ERR_CONFIG_CONFLICT', `consistent hash may set only one hash key (it sets ${keys.join(' and ')})`);
    if (keys.length === 0) f.error(cp, 'ISTHMUS_ERR_CONFIG_INVALID_LOAD_BALANCER', 'consistent hash must set one of httpHeaderName, httpCookie, useSourceIp or httpQueryParameterName');
    if (has(ch, 'httpHeaderName') && ch['httpHeaderName'] === '') f.error([...cp, 'httpHeaderName'], 'ISTHMUS_ERR_CONFIG_INVALID_LOAD_BALANCER', 'httpHeaderName must not be empty');
    const cookie = obj(ch['httpCookie']);
    if (cookie !== undefined) {
      if (!nonEmpty(cookie['name'])) f.error([...cp, 'httpCookie', 'name'], 'ISTHMUS_ERR_CONFIG_MISSING_FIELD', 'cookie name is required');
      // A zero ttl asks for a session cookie.
      checkDuration(f, [...cp, 'httpCookie', 'ttl'], cookie['ttl'], { allowZero: true });
    }
    const ring = obj(ch['ringHash']);
    const maglev = obj(ch['maglev']);
    if (ring !== undefined && maglev !== undefined) f.error(cp, 'ISTHMUS_ERR_CONFIG_CONFLICT', 'consistent hash may set only one of ringHash or maglev');
    if (has(ch, 'minimumRingSize') && (ring !== undefined || maglev !== undefined)) {
      f.error(cp, 'ISTHMUS_ERR_CONFIG_CONFLICT', 'only one of MinimumRingSize or Maglev/Ringhash can be specified');
    }
    if (has(ch, 'minimumRingSize')) f.warn([...cp, 'minimumRingSize'], 'ISTHMUS_ERR_CONFIG_DEPRECATED', 'minimumRingSize is deprecated, use ringHash.minimumRingSize');
    const table = int64(maglev?.['tableSize']);
    if (table !== undefined && table !== 0) {
      if (!isPrime(table)) f.error([...cp, 'maglev', 'tableSize'], 'ISTHMUS_ERR_CONFIG_INVALID_LOAD_BALANCER', 'tableSize must be a prime number for maglev');
      if (table >= MAGLEV_MAX_TABLE_SIZE) {
        f.error([...cp, 'maglev', 'tableSize'], 'ISTHMUS_ERR_CONFIG_INVALID_LOAD_BALANCER', `tableSize must be less than ${MAGLEV_MAX_TABLE_SIZE} for maglev`);
      }
    }
  }
  const loc = obj(lb['localityLbSetting']);
  if (loc !== undefined) validateLocality(f, [...path, 'localityLbSetting'], loc);
  if (has(lb, 'warmupDurationSecs')) {
    f.warn([...path, 'warmupDurationSecs'], 'ISTHMUS_ERR_CONFIG_DEPRECATED', 'warmupDurationSecs is deprecated, use warmup');
    checkDuration(f, [...path, 'warmupDurationSecs'], lb['warmupDurationSecs']);
  }
  const warmup = obj(lb['warmup']);
  if (warmup !== undefined) {
    const wp = [...path, 'warmup'];
    if (!has(warmup, 'duration')) f.error([...wp, 'duration'], 'ISTHMUS_ERR_CONFIG_MISSING_FIELD', 'warmup duration is required');
    checkDuration(f, [...wp, 'duration'], warmup['duration']);
    checkPercent(f, [...wp, 'minimumPercent'], warmup['minimumPercent'], 'ISTHMUS_ERR_CONFIG_INVALID_LOAD_BALANCER');
    const aggression = num(warmup['aggression']);
    if (aggression !== undefined && aggression < 1) f.error([...wp, 'aggression'], 'ISTHMUS_ERR_CONFIG_INVALID_LOAD_BALANCER', `warmup aggression ${aggression} must be at least 1`);
  }
}

function validateLocality(f: Findings, path: Path, loc: Obj): void {
  if (nonEmpty(loc['distribute']) && nonEmpty(loc['failover'])) {
    f.error(path, 'ISTHMUS_ERR_CONFIG_CONFLICT', "can not simultaneously set 'distribute' and 'failover'");
  }
  arr(loc['distribute']).forEach((d, i) => {
    const dist = obj(d);
    if (dist === undefined) return;
    let total = 0;
    for (const [, w] of entries(dist['to'])) total += num(w) ?? 0;
    if (isObj(dist['to']) && total !== 100) {
      f.error([...path, 'distribute', i, 'to'], 'ISTHMUS_ERR_CONFIG_INVALID_LOAD_BALANCER', `total weight of locality distribution from "${str(dist['from']) ?? ''}" must be 100 (it is ${total})`);
    }
  });
  arr(loc['failover']).forEach((fo, i) => {
    const o = obj(fo);
    if (o !== undefined && has(o, 'from') && o['from'] === o['to']) {
      f.error([...path, 'failover', i], 'ISTHMUS_ERR_CONFIG_INVALID_LOAD_BALANCER', 'locality lb failover settings must specify different regions');
    }
  });
}

function validateConnectionPool(f: Findings, path: Path, value: unknown): void {
  const cp = obj(value);
  if (cp === undefined) return;
  const tcp = obj(cp['tcp']);
  const http = obj(cp['http']);
  if (tcp === undefined && http === undefined) f.error(path, 'ISTHMUS_ERR_CONFIG_INVALID_CONNECTION_POOL', 'connection pool must have at least one field');
  const code = 'ISTHMUS_ERR_CONFIG_INVALID_CONNECTION_POOL';
  if (tcp !== undefined) {
    const tp = [...path, 'tcp'];
    checkNonNegative(f, [...tp, 'maxConnections'], tcp['maxConnections'], 'max connections must be non-negative', code);
    checkDuration(f, [...tp, 'connectTimeout'], tcp['connectTimeout']);
    checkDuration(f, [...tp, 'maxConnectionDuration'], tcp['maxConnectionDuration']);
    checkDuration(f, [...tp, 'idleTimeout'], tcp['idleTimeout']);
    const ka = obj(tcp['tcpKeepalive']);
    if (ka !== undefined) {
      checkDuration(f, [...tp, 'tcpKeepalive', 'time'], ka['time']);
      checkDuration(f, [...tp, 'tcpKeepalive', 'interval'], ka['interval']);
    }
  }
  if (http !== undefined) {
    const hp = [...path, 'http'];
    checkNonNegative(f, [...hp, 'http1MaxPendingRequests'], http['http1MaxPendingRequests'], 'http1 max pending requests must be non-negative', code);
    checkNonNegative(f, [...hp, 'http2MaxRequests'], http['http2MaxRequests'], 'http2 max requests must be non-negative', code);
    checkNonNegative(f, [...hp, 'maxRequestsPerConnection'], http['maxRequestsPerConnection'], 'max requests per connection must be non-negative', code);
    checkNonNegative(f, [...hp, 'maxRetries'], http['maxRetries'], 'max retries must be non-negative', code);
    checkNonNegative(f, [...hp, 'maxConcurrentStreams'], http['maxConcurrentStreams'], 'max concurrent streams must be non-negative', code);
    checkDuration(f, [...hp, 'idleTimeout'], http['idleTimeout']);
    const up = http['h2UpgradePolicy'];
    if (typeof up === 'string' && !(H2_UPGRADE_POLICIES as readonly string[]).includes(up)) {
      f.error([...hp, 'h2UpgradePolicy'], 'ISTHMUS_ERR_CONFIG_INVALID_ENUM', `invalid h2UpgradePolicy "${up}"; expected one of ${H2_UPGRADE_POLICIES.join(', ')}`);
    }
    if (http['useClientProtocol'] === true && up === 'UPGRADE') {
      f.error([...hp, 'useClientProtocol'], code, 'use client protocol must not be true when H2UpgradePolicy is UPGRADE');
    }
  }
}

function validateOutlierDetection(f: Findings, path: Path, value: unknown): void {
  const od = obj(value);
  if (od === undefined) return;
  const code = 'ISTHMUS_ERR_CONFIG_INVALID_OUTLIER_DETECTION';
  if (has(od, 'consecutiveErrors')) {
    f.warn([...path, 'consecutiveErrors'], 'ISTHMUS_ERR_CONFIG_DEPRECATED', 'outlier detection consecutive errors is deprecated, use consecutiveGatewayErrors or consecutive5xxErrors instead');
    checkNonNegative(f, [...path, 'consecutiveErrors'], od['consecutiveErrors'], 'outlier detection consecutive errors must be non-negative', code);
  }
  for (const k of ['consecutiveGatewayErrors', 'consecutive5xxErrors', 'consecutiveLocalOriginFailures'] as const) {
    checkNonNegative(f, [...path, k], od[k], `outlier detection ${k} must be non-negative`, code);
  }
  if (has(od, 'consecutiveLocalOriginFailures') && od['splitExternalLocalOriginErrors'] !== true) {
    f.error([...path, 'consecutiveLocalOriginFailures'], code, 'outlier detection consecutive local origin failures is specified, but split external local origin errors is set to false');
  }
  checkDuration(f, [...path, 'interval'], od['interval']);
  checkDuration(f, [...path, 'baseEjectionTime'], od['baseEjectionTime']);
  checkPercent(f, [...path, 'maxEjectionPercent'], od['maxEjectionPercent'], code);
  checkPercent(f, [...path, 'minHealthPercent'], od['minHealthPercent'], code);
}

function validateClientTLS(f: Findings, path: Path, value: unknown): void {
  const tls = obj(value);
  if (tls === undefined) return;
  const mode = tls['mode'];
  if (typeof mode === 'string' && !(CLIENT_TLS_MODES as readonly string[]).includes(mode)) {
    f.error([...path, 'mode'], 'ISTHMUS_ERR_CONFIG_INVALID_ENUM', `invalid TLS mode "${mode}"; expected one of ${CLIENT_TLS_MODES.join(', ')}`);
  }
  const code = 'ISTHMUS_ERR_CONFIG_INVALID_TLS';
  if (mode === 'ISTIO_MUTUAL') {
    const forbidden: [string, string][] = [
      ['clientCertificate', 'client certificate'],
      ['privateKey', 'private key'],
      ['caCertificates', 'CA bundle'],
      ['credentialName', 'credentialName'],
      ['caCrl', 'CRL'],
    ];
    for (const [k, what] of forbidden) {
      if (nonEmpty(tls[k])) f.error([...path, k], code, `ISTIO_MUTUAL TLS cannot have associated ${what}`);
    }
  }
  if (mode === 'MUTUAL' && !nonEmpty(tls['credentialName'])) {
    if (!nonEmpty(tls['clientCertificate'])) f.error([...path, 'clientCertificate'], code, 'client certificate required for mutual tls');
    if (!nonEmpty(tls['privateKey'])) f.error([...path, 'privateKey'], code, 'private key required for mutual tls');
  }
}
