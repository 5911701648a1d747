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
  fqdnProblem,
  has,
  int64,
  isIP,
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
      if (names.has(name)) f.error([...sp, 'name'], 'ISTHMUS_ERR_CONFIG_INVALID_SUBSET', `duplicate subset names: ${name}`);
      names.add(name);
      const p = dns1123LabelProblem(name);
      if (p !== undefined) f.error([...sp, 'name'], 'ISTHMUS_ERR_CONFIG_INVALID_SUBSET', `subset name is invalid: ${name} (${p})`);
    }
    checkLabels(f, [...sp, 'labels'], sub['labels']);
    if (has(sub, 'trafficPolicy')) validateTrafficPolicy(f, [...sp, 'trafficPolicy'], sub['trafficPolicy']);
  });

  const exportTo = checkExportTo(f, [...base, 'exportTo'], spec['exportTo'], namespace, false);
  const ws = obj(spec['workloadSelector']);
  if (ws !== undefined) {
    checkSelector(f, [...base, 'workloadSelector', 'matchLabels'], ws['matchLabels']);
    // A rule for particular workloads stays in their namespace.
    if (exportTo.size > 0) {
      const code = 'ISTHMUS_ERR_CONFIG_INVALID_EXPORT_TO';
      if (!exportTo.has(namespace)) f.error([...base, 'exportTo'], code, 'destination rule with workload selector cannot have exportTo beyond current namespace');
      else if (exportTo.size > 1) f.error([...base, 'exportTo'], code, 'destination rule with workload selector cannot have multiple entries in exportTo');
    }
  }
}

function validateTrafficPolicy(f: Findings, path: Path, value: unknown): void {
  const tp = obj(value);
  if (tp === undefined) return;
  const fields = ['loadBalancer', 'connectionPool', 'outlierDetection', 'tls', 'portLevelSettings', 'tunnel', 'proxyProtocol', 'retryBudget'];
  if (!fields.some((k) => has(tp, k))) {
    f.error(path, 'ISTHMUS_ERR_CONFIG_INVALID_TRAFFIC_POLICY', 'traffic policy must have at least one field');
    return;
  }
  if (has(tp, 'tunnel') && has(tp, 'proxyProtocol')) {
    f.error(path, 'ISTHMUS_ERR_CONFIG_CONFLICT', 'tunnel and proxyProtocol must not be set together');
  }
  validatePolicyParts(f, path, tp);

  const ports = new Set<number>();
  arr(tp['portLevelSettings']).forEach((p, i) => {
    const pp = obj(p);
    if (pp === undefined) return;
    const at = [...path, 'portLevelSettings', i];
    const port = obj(pp['port']);
    if (port === undefined) f.error([...at, 'port'], 'ISTHMUS_ERR_CONFIG_MISSING_FIELD', 'portTrafficPolicy must have valid port');
    else {
      const n = num(port['number']);
      checkPort(f, [...at, 'port', 'number'], port['number'] ?? 0);
      if (n !== undefined) {
        if (ports.has(n)) f.warn([...at, 'port', 'number'], 'ISTHMUS_ERR_CONFIG_DUPLICATE', `port traffic policy for port ${n} is already defined; this one is ignored`);
        ports.add(n);
      }
    }
    if (!['loadBalancer', 'connectionPool', 'outlierDetection', 'tls'].some((k) => has(pp, k))) {
      f.error(at, 'ISTHMUS_ERR_CONFIG_INVALID_TRAFFIC_POLICY', 'port traffic policy must have at least one field');
    } else validatePolicyParts(f, at, pp);
  });

  const tunnel = obj(tp['tunnel']);
  if (tunnel !== undefined) {
    const at = [...path, 'tunnel'];
    const code = 'ISTHMUS_ERR_CONFIG_INVALID_TRAFFIC_POLICY';
    const proto = str(tunnel['protocol']);
    if (proto !== undefined && proto !== '' && proto !== 'CONNECT' && proto !== 'POST') f.error([...at, 'protocol'], code, 'tunnel protocol must be "CONNECT" or "POST"');
    const th = str(tunnel['targetHost']) ?? '';
    if (!isIP(th) && fqdnProblem(th) !== undefined) {
      f.error([...at, 'targetHost'], code, `tunnel target host must be valid FQDN or IP address: "${th}" ${th === '' ? 'is empty' : (fqdnProblem(th) ?? '')}`);
    }
    const tport = num(tunnel['targetPort']) ?? 0;
    if (!Number.isInteger(tport) || tport < 1 || tport > 65535) f.error([...at, 'targetPort'], code, `tunnel target port is invalid: port number ${tport} must be in the range 1..65535`);
  }

  const pp = obj(tp['proxyProtocol']);
  if (pp !== undefined) {
    const v = pp['version'];
    if (v !== undefined && v !== 'V1' && v !== 'V2') f.error([...path, 'proxyProtocol', 'version'], 'ISTHMUS_ERR_CONFIG_INVALID_ENUM', `proxy protocol version is invalid: ${JSON.stringify(v)}`);
  }

  const rb = obj(tp['retryBudget']);
  if (rb !== undefined) checkPercent(f, [...path, 'retryBudget', 'percent'], rb['percent'], 'ISTHMUS_ERR_CONFIG_INVALID_TRAFFIC_POLICY');
}

/** The parts a top-level, subset and port-level policy share. */
function validatePolicyParts(f: Findings, path: Path, tp: Obj): void {
  if (has(tp, 'loadBalancer')) validateLoadBalancer(f, [...path, 'loadBalancer'], tp['loadBalancer'], has(tp, 'outlierDetection'));
  if (has(tp, 'connectionPool')) validateConnectionPool(f, [...path, 'connectionPool'], tp['connectionPool']);
  if (has(tp, 'outlierDetection')) validateOutlierDetection(f, [...path, 'outlierDetection'], tp['outlierDetection']);
  if (has(tp, 'tls')) validateClientTLS(f, [...path, 'tls'], tp['tls']);
}

/** Primality as Envoy tests it (1, 2 and 3 count as prime). */
function isPrime(n: number): boolean {
  if (n !== 0 && n < 4) return true;
  if (n % 2 === 0) return false;
  for (let d = 3; d * d <= n; d += 2) if (n % d === 0) return false;
  return true;
}

function validateLoadBalancer(f: Findings, path: Path, value: unknown, hasOutlier: boolean): void {
  const lb = obj(value);
  if (lb === undefined) return;
  const code = 'ISTHMUS_ERR_CONFIG_INVALID_LOAD_BALANCER';
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
    const cookie = obj(ch['httpCookie']);
    if (cookie !== undefined) {
      if (!nonEmpty(cookie['name'])) f.error([...cp, 'httpCookie', 'name'], 'ISTHMUS_ERR_CONFIG_MISSING_FIELD', 'name required for HttpCookie');
      // A zero ttl asks for a session cookie.
      checkDuration(f, [...cp, 'httpCookie', 'ttl'], cookie['ttl'], { allowZero: true });
    }
    const ring = obj(ch['ringHash']);
    const maglev = obj(ch['maglev']);
    if (ring !== undefined && maglev !== undefined) f.error(cp, 'ISTHMUS_ERR_CONFIG_CONFLICT', 'consistent hash may set only one of ringHash or maglev');
    const minRing = int64(ch['minimumRingSize']);
    if (minRing !== undefined && minRing !== 0) {
      f.warn([...cp, 'minimumRingSize'], 'ISTHMUS_ERR_CONFIG_DEPRECATED', "consistent hash MinimumRingSize is deprecated, use ConsistentHashLB's RingHash configuration instead");
      if (ring !== undefined || maglev !== undefined) f.error(cp, 'ISTHMUS_ERR_CONFIG_CONFLICT', 'only one of MinimumRingSize or Maglev/Ringhash can be specified');
    }
    if (maglev !== undefined) {
      const at = [...cp, 'maglev', 'tableSize'];
      const table = int64(maglev['tableSize']) ?? 0;
      if (table === 0) f.error(at, code, 'tableSize must be set for maglev');
      if (table >= MAGLEV_MAX_TABLE_SIZE) f.error(at, code, `tableSize must be less than ${MAGLEV_MAX_TABLE_SIZE} for maglev`);
      if (!isPrime(table)) f.error(at, code, 'tableSize must be a prime number for maglev');
    }
  }
  const loc = obj(lb['localityLbSetting']);
  if (loc !== undefined) validateLocalityLbSetting(f, [...path, 'localityLbSetting'], loc, hasOutlier);
  if (has(lb, 'warmupDurationSecs')) {
    f.warn([...path, 'warmupDurationSecs'], 'ISTHMUS_ERR_CONFIG_DEPRECATED', 'warmupDurationSecs is deprecated, use warmup');
    checkDuration(f, [...path, 'warmupDurationSecs'], lb['warmupDurationSecs']);
  }
  const warmup = obj(lb['warmup']);
  if (warmup !== undefined) {
    const wp = [...path, 'warmup'];
    if (!has(warmup, 'duration')) f.error([...wp, 'duration'], 'ISTHMUS_ERR_CONFIG_MISSING_FIELD', 'duration is required');
    checkDuration(f, [...wp, 'duration'], warmup['duration']);
    const min = num(warmup['minimumPercent']);
    if (min !== undefined && (min > 100 || min < 0)) f.error([...wp, 'minimumPercent'], code, 'minimumPercent value should be less than or equal to 100');
    const aggression = num(warmup['aggression']);
    if (aggression !== undefined && aggression < 1) f.error([...wp, 'aggression'], code, 'aggression should be greater than or equal to 1');
  }
}

const TOPOLOGY_LABELS: ReadonlySet<string> = new Set(['topology.kubernetes.io/region', 'topology.kubernetes.io/zone', 'topology.istio.io/subzone']);

/**
 * A LocalityLoadBalancerSetting (a DestinationRule's, or MeshConfig's with `hasOutlier` true since
 * the mesh one is not tied to a cluster), with Istio's rules.
 */
export function validateLocalityLbSetting(f: Findings, path: Path, loc: Obj, hasOutlier: boolean): void {
  const code = 'ISTHMUS_ERR_CONFIG_INVALID_LOAD_BALANCER';
  const distribute = arr(loc['distribute']);
  const failover = arr(loc['failover']);
  const priority = arr(loc['failoverPriority']);
  if (distribute.length > 0 && failover.length > 0) {
    f.error(path, 'ISTHMUS_ERR_CONFIG_CONFLICT', "can not simultaneously specify 'distribute' and 'failover'");
    return;
  }
  if (distribute.length > 0 && priority.length > 0) {
    f.warn([...path, 'failoverPriority'], code, "failoverPriority has no effect when 'distribute' is set");
  }
  if (failover.length > 0) {
    priority.forEach((label, i) => {
      if (typeof label === 'string' && TOPOLOGY_LABELS.has(label)) {
        f.error([...path, 'failoverPriority', i], 'ISTHMUS_ERR_CONFIG_CONFLICT', `can not simultaneously set 'failover' and topology label '${label}' in 'failover_priority'`);
      }
    });
  }
  const froms: { path: Path; locality: string }[] = [];
  distribute.forEach((d, i) => {
    const dist = obj(d);
    if (dist === undefined) return;
    const at = [...path, 'distribute', i];
    let total = 0;
    let badWeight = false;
    const tos: { path: Path; locality: string }[] = [];
    for (const [locality, w] of entries(dist['to'])) {
      const weight = num(w) ?? 0;
      if (weight <= 0 || weight > 100) {
        f.error([...at, 'to', locality], code, 'locality weight must be in range [1, 100]');
        badWeight = true;
      }
      total += weight;
      if (checkLocality(f, [...at, 'to', locality], locality)) tos.push({ path: [...at, 'to', locality], locality });
    }
    if (!badWeight && isObj(dist['to']) && total !== 100) f.error([...at, 'to'], code, `total locality weight ${total} != 100`);
    checkOverlaps(f, tos);
    const from = str(dist['from']);
    if (from !== undefined && checkLocality(f, [...at, 'from'], from)) froms.push({ path: [...at, 'from'], locality: from });
  });
  checkOverlaps(f, froms);
  if ((failover.length > 0 || priority.length > 0) && !hasOutlier) {
    f.warn(path, code, 'outlier detection policy must be provided for failover');
  }
  failover.forEach((fo, i) => {
    const o = obj(fo);
    if (o === undefined) return;
    const at = [...path, 'failover', i];
    const from = str(o['from']) ?? '';
    const to = str(o['to']) ?? '';
    if (from === to) f.error(at, code, 'locality lb failover settings must specify different regions');
    if (from.includes('/') || to.includes('/')) f.error(at, code, 'locality lb failover only specify region');
    if (from.includes('*') || to.includes('*')) f.error(at, code, "locality lb failover region should not contain '*' wildcard");
  });
}

/** `region/zone/subzone`, with at most one `*`, at the end. False when it reported a problem. */
function checkLocality(f: Findings, path: Path, locality: string): boolean {
  const code = 'ISTHMUS_ERR_CONFIG_INVALID_LOAD_BALANCER';
  const stars = locality.split('*').length - 1;
  if (stars > 1 || (stars === 1 && !locality.endsWith('*'))) {
    f.error(path, code, `locality ${locality} wildcard '*' number can not exceed 1 and must be in the end`);
    return false;
  }
  if (locality.split('/', 3).some((part) => part === '')) {
    f.error(path, code, `locality ${locality} must not contain empty region/zone/subzone info`);
    return false;
  }
  return true;
}

/**
 * Does `earlier`, listed before `later`, already claim `later`'s localities? Istio's rule, which
 * reads a list in order: a `*` region claims everything after it; within one region, a region
 * (or `region/*`) claims every later zone and subzone, a later bare region overlaps anything
 * before it in that region, and a zone (or `region/zone/*`) claims that zone's later subzones.
 * A broader wildcard after a narrower entry (`r/z` then `r/*`) is accepted: in `distribute`
 * `from` the first match wins, so the narrower one must come first.
 */
function claims(earlier: string, later: string): boolean {
  const e = earlier.split('/', 3);
  const l = later.split('/', 3);
  if (e[0] === '*') return true;
  if (e[0] !== l[0]) return false;
  if (l.length === 1 || e.length === 1 || e[1] === '*') return true;
  if (e[1] !== l[1]) return false;
  if (l.length === 2 || e.length === 2) return true;
  return e[2] === '*' || e[2] === l[2];
}

function checkOverlaps(f: Findings, list: readonly { path: Path; locality: string }[]): void {
  list.forEach((x, i) => {
    const prev = list.slice(0, i).find((p) => claims(p.locality, x.locality));
    if (prev !== undefined) f.error(x.path, 'ISTHMUS_ERR_CONFIG_INVALID_LOAD_BALANCER', `locality ${x.locality} overlaps ${prev.locality}, listed before it`);
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
    // A zero TCP idle timeout turns the timeout off.
    checkDuration(f, [...tp, 'idleTimeout'], tcp['idleTimeout'], { allowZero: true });
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
  if ((num(od['consecutiveLocalOriginFailures']) ?? 0) > 0 && od['splitExternalLocalOriginErrors'] !== true) {
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
    // The mesh supplies the certificates; none may be named.
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
    return;
  }
  if (tls['insecureSkipVerify'] === true) {
    if (mode === 'SIMPLE' && (nonEmpty(tls['caCertificates']) || nonEmpty(tls['credentialName']) || has(tls, 'subjectAltNames'))) {
      f.error([...path, 'insecureSkipVerify'], code, 'cannot specify CaCertificates or CredentialName or SubjectAltNames when InsecureSkipVerify is set true');
    }
    if (mode === 'MUTUAL' && (nonEmpty(tls['caCertificates']) || has(tls, 'subjectAltNames'))) {
      f.error([...path, 'insecureSkipVerify'], code, 'cannot specify CaCertificates or SubjectAltNames when InsecureSkipVerify is set true');
    }
  }
  if ((mode === 'SIMPLE' || mode === 'MUTUAL') && nonEmpty(tls['credentialName'])) {
    if (['clientCertificate', 'caCertificates', 'privateKey', 'caCrl'].some((k) => nonEmpty(tls[k]))) {
      f.error([...path, 'credentialName'], code, 'cannot specify client certificates or CA certificate or CA CRL If credentialName is set');
    }
    return;
  }
  if (mode === 'MUTUAL') {
    if (!nonEmpty(tls['clientCertificate'])) f.error([...path, 'clientCertificate'], code, 'client certificate required for mutual tls');
    if (!nonEmpty(tls['privateKey'])) f.error([...path, 'privateKey'], code, 'private key required for mutual tls');
  }
}
