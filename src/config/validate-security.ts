// security.istio.io rules: PeerAuthentication (mTLS modes, port-level settings),
// AuthorizationPolicy (action, rules, sources, operations, conditions, paths, dry-run) and
// RequestAuthentication (JWT rules, key sets). The three share the selector/targetRef checks.

import { DRY_RUN_ANNOTATION } from '../api/index.ts';
import { AUTHZ_ACTIONS, PEER_MTLS_MODES } from './schemas/security.ts';
import { suggest } from './suggest.ts';
import {
  arr,
  checkDuration,
  checkSelector,
  entries,
  has,
  isCIDR,
  isHeaderToken,
  isIP,
  isIPv4,
  isIPv6,
  obj,
  str,
  type Findings,
  type Obj,
  type Path,
} from './validate-common.ts';

// ---- selector and targetRefs ---------------------------------------------------------------

/** The kinds a policy may attach to through targetRef(s), as group (empty for core) and kind. */
const TARGET_KINDS: readonly { group: string; kind: string }[] = [
  { group: 'gateway.networking.k8s.io', kind: 'Gateway' },
  { group: 'gateway.networking.k8s.io', kind: 'GatewayClass' },
  { group: '', kind: 'Service' },
  { group: 'networking.istio.io', kind: 'ServiceEntry' },
];

const describeTarget = (group: string, kind: string) => `${group === '' ? 'core' : group}/${kind}`;

/** `selector`, `targetRef` and `targetRefs`: at most one of them, each valid. */
function checkPolicyTarget(f: Findings, spec: Obj, namespace: string): void {
  const base: Path = ['spec'];
  const set: string[] = [];
  if (has(spec, 'selector')) set.push('selector');
  if (has(spec, 'targetRef')) set.push('targetRef');
  if (arr(spec['targetRefs']).length > 0) set.push('targetRefs');
  if (set.length > 1) f.error(base, 'ISTHMUS_ERR_CONFIG_CONFLICT', `only one of targetRefs or selector can be set (this policy sets ${set.join(' and ')})`);

  const sel = obj(spec['selector']);
  if (sel !== undefined) checkSelector(f, [...base, 'selector', 'matchLabels'], sel['matchLabels']);
  if (has(spec, 'targetRef')) checkTargetRef(f, [...base, 'targetRef'], spec['targetRef'], namespace);
  arr(spec['targetRefs']).forEach((r, i) => checkTargetRef(f, [...base, 'targetRefs', i], r, namespace));
}

function checkTargetRef(f: Findings, path: Path, value: unknown, namespace: string): void {
  const ref = obj(value);
  if (ref === undefined) return;
  const code = 'ISTHMUS_ERR_CONFIG_INVALID_TARGET_REF';
  const kind = str(ref['kind']) ?? '';
  const name = str(ref['name']) ?? '';
  if (kind === '') f.error([...path, 'kind'], code, 'targetRef kind must be set, such as Gateway or Service');
  if (name === '') f.error([...path, 'name'], code, 'targetRef name must be set');
  const ns = str(ref['namespace']) ?? '';
  if (ns !== '' && ns !== namespace) {
    f.error([...path, 'namespace'], code, `cross namespace referencing is not currently supported: targetRef namespace "${ns}" is not the policy's namespace "${namespace}"`);
  }
  if (kind === '') return;
  const written = str(ref['group']) ?? '';
  const group = written === 'core' ? '' : written;
  if (TARGET_KINDS.some((t) => t.group === group && t.kind === kind)) return;
  const allowed = TARGET_KINDS.map((t) => describeTarget(t.group, t.kind)).join(', ');
  const sameKind = TARGET_KINDS.find((t) => t.kind === kind);
  const hint = sameKind === undefined ? '' : `; ${kind} is in ${sameKind.group === '' ? 'the core group (group "")' : `group ${sameKind.group}`}`;
  f.error(path, code, `targetRef must be to one of ${allowed}, but was ${describeTarget(group, kind)}${hint}`);
}

function checkEnum(f: Findings, path: Path, v: unknown, allowed: readonly string[], what: string): void {
  if (typeof v === 'string' && !allowed.includes(v)) f.error(path, 'ISTHMUS_ERR_CONFIG_INVALID_ENUM', `invalid ${what} "${v}"; expected one of ${allowed.join(', ')}`);
}

// ---- PeerAuthentication --------------------------------------------------------------------

export function validatePeerAuthentication(f: Findings, specValue: unknown, name: string | undefined): void {
  const spec = obj(specValue) ?? {};
  const base: Path = ['spec'];
  const sel = obj(spec['selector']);
  if (sel !== undefined) checkSelector(f, [...base, 'selector', 'matchLabels'], sel['matchLabels']);
  const labels = entries(sel?.['matchLabels']).length;
  checkEnum(f, [...base, 'mtls', 'mode'], obj(spec['mtls'])?.['mode'], PEER_MTLS_MODES, 'mTLS mode');

  if (has(spec, 'portLevelMtls')) {
    const at: Path = [...base, 'portLevelMtls'];
    const ports = entries(spec['portLevelMtls']);
    const code = 'ISTHMUS_ERR_CONFIG_INVALID_MTLS';
    if (ports.length === 0) f.error(at, code, 'port level mTLS, if defined, must have at least one element');
    else if (labels === 0) {
      f.error(at, code, 'mesh/namespace peer authentication cannot have port level mTLS: portLevelMtls requires a selector with matchLabels');
    }
    for (const [port, value] of ports) {
      const n = /^\d+$/.test(port) ? Number(port) : Number.NaN;
      if (!(n >= 1 && n <= 65535)) {
        f.error([...at, port], 'ISTHMUS_ERR_CONFIG_INVALID_PORT', `port must be in range 1..65535 (got ${JSON.stringify(port)}); keys are the workload's container ports`);
      }
      checkEnum(f, [...at, port, 'mode'], obj(value)?.['mode'], PEER_MTLS_MODES, 'mTLS mode');
    }
  }

  if (name === 'default' && sel !== undefined && labels > 0) {
    f.warn(
      [...base, 'selector'],
      'ISTHMUS_ERR_CONFIG_INVALID_SELECTOR',
      'a PeerAuthentication named "default" is by convention the namespace- or mesh-wide policy, but this one has a selector and applies only to the selected workloads',
    );
  }
}

// ---- AuthorizationPolicy -------------------------------------------------------------------

type Action = (typeof AUTHZ_ACTIONS)[number];

const SOURCE_FIELDS = [
  'principals',
  'notPrincipals',
  'requestPrincipals',
  'notRequestPrincipals',
  'namespaces',
  'notNamespaces',
  'serviceAccounts',
  'notServiceAccounts',
  'ipBlocks',
  'notIpBlocks',
  'remoteIpBlocks',
  'notRemoteIpBlocks',
] as const;
const IP_FIELDS: ReadonlySet<string> = new Set(['ipBlocks', 'notIpBlocks', 'remoteIpBlocks', 'notRemoteIpBlocks']);
const SA_FIELDS: ReadonlySet<string> = new Set(['serviceAccounts', 'notServiceAccounts']);
/** Source fields matched with `*` prefix/suffix wildcards. */
const WILDCARD_SOURCE_FIELDS: ReadonlySet<string> = new Set(['principals', 'notPrincipals', 'requestPrincipals', 'notRequestPrincipals', 'namespaces', 'notNamespaces']);
/** Source fields Istio does not support with a CUSTOM action. */
const NOT_WITH_CUSTOM: ReadonlySet<string> = new Set([
  'principals',
  'notPrincipals',
  'requestPrincipals',
  'notRequestPrincipals',
  'namespaces',
  'notNamespaces',
  'serviceAccounts',
  'notServiceAccounts',
]);
/** Source fields that also apply to plain TCP traffic (the rest need HTTP). */
const TCP_SOURCE_FIELDS: ReadonlySet<string> = new Set([
  'principals',
  'notPrincipals',
  'namespaces',
  'notNamespaces',
  'serviceAccounts',
  'notServiceAccounts',
  'ipBlocks',
  'notIpBlocks',
  'remoteIpBlocks',
  'notRemoteIpBlocks',
]);

const OPERATION_FIELDS = ['hosts', 'notHosts', 'ports', 'notPorts', 'methods', 'notMethods', 'paths', 'notPaths'] as const;

export function validateAuthorizationPolicy(f: Findings, specValue: unknown, namespace: string, annotations: unknown): void {
  const spec = obj(specValue) ?? {};
  const base: Path = ['spec'];
  checkPolicyTarget(f, spec, namespace);

  const written = spec['action'];
  checkEnum(f, [...base, 'action'], written, AUTHZ_ACTIONS, 'action');
  const action: Action | undefined = written === undefined ? 'ALLOW' : (AUTHZ_ACTIONS as readonly unknown[]).includes(written) ? (written as Action) : undefined;
  const rules = arr(spec['rules']);
  const code = 'ISTHMUS_ERR_CONFIG_INVALID_AUTHZ_ACTION';

  if ((action === 'DENY' || action === 'AUDIT' || action === 'CUSTOM') && rules.length === 0) {
    f.error(
      [...base, has(spec, 'rules') ? 'rules' : 'action'],
      code,
      `${action} action without \`rules\` is meaningless: it never triggers; add an empty rule \`{}\` to apply it to every request`,
    );
  }
  if (has(spec, 'provider') && action !== undefined && action !== 'CUSTOM') {
    f.error([...base, 'provider'], code, `\`provider\` must not be set with a non-CUSTOM action (the action is ${action})`);
  }
  if (action === 'CUSTOM' && rules.length > 0 && (str(obj(spec['provider'])?.['name']) ?? '') === '') {
    const at: Path = has(spec, 'provider') ? [...base, 'provider', 'name'] : [...base, 'action'];
    f.error(at, code, '`provider.name` must not be empty: a CUSTOM action names the extension provider that decides');
  }

  checkDryRun(f, annotations, 'AuthorizationPolicy', action);

  rules.forEach((r, i) => {
    const rule = obj(r);
    if (rule !== undefined) validateRule(f, [...base, 'rules', i], rule, action);
  });
}

/**
 * The `istio.io/dry-run` annotation: "true" or "false", on an ALLOW or DENY AuthorizationPolicy
 * only. Other Istio kinds must not carry it.
 */
export function checkDryRun(f: Findings, annotations: unknown, kind: string, action?: Action): void {
  const a = obj(annotations);
  if (a === undefined || !(DRY_RUN_ANNOTATION in a)) return;
  const value = a[DRY_RUN_ANNOTATION];
  const path: Path = ['metadata', 'annotations', DRY_RUN_ANNOTATION];
  const code = 'ISTHMUS_ERR_CONFIG_INVALID_DRY_RUN';
  if (kind !== 'AuthorizationPolicy') {
    f.error(path, code, `the ${DRY_RUN_ANNOTATION} annotation is only supported on AuthorizationPolicy; remove it from this ${kind}`);
    return;
  }
  if (typeof value === 'string' && value !== 'true' && value !== 'false') {
    f.error(path, code, `invalid ${DRY_RUN_ANNOTATION} annotation value ${JSON.stringify(value)}: must be "true" or "false"`);
  }
  if (action !== undefined && action !== 'ALLOW' && action !== 'DENY') {
    f.error(path, code, `the ${DRY_RUN_ANNOTATION} annotation only supports action ALLOW or DENY, found action ${action}`);
  }
}

function validateRule(f: Findings, rp: Path, rule: Obj, action: Action | undefined): void {
  const code = 'ISTHMUS_ERR_CONFIG_INVALID_AUTHZ_RULE';
  let fromExists = false;
  let toExists = false;
  let tcpFrom = false;
  let tcpTo = false;

  if (has(rule, 'from') && arr(rule['from']).length === 0) {
    f.error([...rp, 'from'], code, '`from` must not be empty: list at least one source, or remove `from` to match any source');
  }
  arr(rule['from']).forEach((e, j) => {
    const entry = obj(e);
    if (entry === undefined) return;
    const at: Path = [...rp, 'from', j];
    const src = obj(entry['source']);
    if (src === undefined) {
      f.error(at, code, '`from.source` must not be nil: each `from` entry needs a `source`');
      return;
    }
    fromExists = true;
    if (validateSource(f, [...at, 'source'], src, action)) tcpFrom = true;
  });

  if (has(rule, 'to') && arr(rule['to']).length === 0) {
    f.error([...rp, 'to'], code, '`to` must not be empty: list at least one operation, or remove `to` to match any operation');
  }
  arr(rule['to']).forEach((e, j) => {
    const entry = obj(e);
    if (entry === undefined) return;
    const at: Path = [...rp, 'to', j];
    const op = obj(entry['operation']);
    if (op === undefined) {
      f.error(at, code, '`to.operation` must not be nil: each `to` entry needs an `operation`');
      return;
    }
    toExists = true;
    if (validateOperation(f, [...at, 'operation'], op)) tcpTo = true;
  });

  arr(rule['when']).forEach((c, k) => {
    const cond = obj(c);
    if (cond !== undefined) validateCondition(f, [...rp, 'when', k], cond, action);
  });

  // Istio's warning: HTTP-only attributes cannot be evaluated on TCP, and a DENY rule then denies
  // everything there.
  if (action === 'DENY' && ((fromExists && !toExists && !tcpFrom) || (toExists && !tcpTo))) {
    f.warn(
      rp,
      code,
      'this DENY rule uses only HTTP attributes, so it denies all traffic to TCP ports under the policy; name the ports (`to.operation.ports`) to limit it',
    );
  }
}

/** Checks one `source`; returns whether it uses a field that also applies to TCP. */
function validateSource(f: Findings, path: Path, src: Obj, action: Action | undefined): boolean {
  const code = 'ISTHMUS_ERR_CONFIG_INVALID_AUTHZ_RULE';
  const set = SOURCE_FIELDS.filter((k) => arr(src[k]).length > 0);
  if (set.length === 0) {
    f.error(path, code, `\`from.source\` must not be empty: set at least one of ${SOURCE_FIELDS.join(', ')}`);
  }
  const identity = ['principals', 'notPrincipals', 'namespaces', 'notNamespaces'].filter((k) => arr(src[k]).length > 0);
  const accounts = ['serviceAccounts', 'notServiceAccounts'].filter((k) => arr(src[k]).length > 0);
  if (identity.length > 0 && accounts.length > 0) {
    f.error(path, 'ISTHMUS_ERR_CONFIG_CONFLICT', `cannot set serviceAccounts with namespaces or principals (this source sets ${[...accounts, ...identity].join(' and ')})`);
  }
  for (const field of SOURCE_FIELDS) {
    const list = arr(src[field]);
    const at: Path = [...path, field];
    if (action === 'CUSTOM' && list.length > 0 && NOT_WITH_CUSTOM.has(field)) {
      f.error(at, code, `source.${field} is currently not supported with CUSTOM action`);
    }
    if (SA_FIELDS.has(field)) {
      checkServiceAccounts(f, at, list, field, code);
      continue;
    }
    list.forEach((v, n) => {
      if (typeof v !== 'string') return;
      if (v === '') f.error([...at, n], code, `empty value not allowed, found in ${field}`);
      else if (IP_FIELDS.has(field)) checkIpOrCidr(f, [...at, n], v, field);
      else if (WILDCARD_SOURCE_FIELDS.has(field)) checkWildcard(f, [...at, n], v);
    });
  }
  return SOURCE_FIELDS.some((k) => TCP_SOURCE_FIELDS.has(k) && has(src, k));
}

/** Checks one `operation`; returns whether it names ports (the only fields TCP traffic has). */
function validateOperation(f: Findings, path: Path, op: Obj): boolean {
  const code = 'ISTHMUS_ERR_CONFIG_INVALID_AUTHZ_RULE';
  if (!OPERATION_FIELDS.some((k) => arr(op[k]).length > 0)) {
    f.error(path, code, `\`to.operation\` must not be empty: set at least one of ${OPERATION_FIELDS.join(', ')}`);
  }
  for (const field of OPERATION_FIELDS) {
    arr(op[field]).forEach((v, n) => {
      if (typeof v !== 'string') return;
      const at: Path = [...path, field, n];
      if (v === '') {
        f.error(at, code, `empty value not allowed, found in ${field}`);
        return;
      }
      switch (field) {
        case 'ports':
        case 'notPorts':
          checkPortText(f, at, v);
          break;
        case 'methods':
        case 'notMethods':
          if (v !== v.toUpperCase()) {
            f.warn(at, code, `method "${v}" is not upper case: HTTP methods are case sensitive, so it will not match "${v.toUpperCase()}"`);
          }
          break;
        case 'paths':
        case 'notPaths':
          checkPath(f, at, v, field);
          break;
        default:
          checkWildcard(f, at, v);
      }
    });
  }
  return has(op, 'ports') || has(op, 'notPorts');
}

/** A value where `*` is a wildcard only as the whole value, as its first character or as its last. */
function checkWildcard(f: Findings, path: Path, v: string, code: 'ISTHMUS_ERR_CONFIG_INVALID_AUTHZ_RULE' | 'ISTHMUS_ERR_CONFIG_INVALID_PATH' = 'ISTHMUS_ERR_CONFIG_INVALID_AUTHZ_RULE'): void {
  const star = v.indexOf('*', 1);
  if (v === '*' || star < 0 || (star === v.length - 1 && !v.startsWith('*'))) return;
  f.warn(
    path,
    code,
    `"${v}": "*" is a wildcard only as the whole value, at the start (suffix match) or at the end (prefix match); this "*" is matched literally`,
  );
}

const MATCH_ONE = '{*}';
const MATCH_ANY = '{**}';
// An RFC 3986 `pchar` run: what a path template may hold between its operators.
const PATH_LITERAL = /^[a-zA-Z0-9\-._~%!$&'()+,;:@=]+$/;

/**
 * A path: exact, `prefix*`, `*suffix`, `*`, or a URI template whose segments are `{*}` (one
 * segment), `{**}` (any number of segments; the last operator) or literal text.
 */
function checkPath(f: Findings, path: Path, p: string, field: string): void {
  const template = p.includes(MATCH_ONE) || p.includes(MATCH_ANY);
  if (!template && !/[{}]/.test(p)) {
    checkWildcard(f, path, p, 'ISTHMUS_ERR_CONFIG_INVALID_PATH');
    if (!p.startsWith('/') && !p.startsWith('*')) {
      f.warn(path, 'ISTHMUS_ERR_CONFIG_INVALID_PATH', `path "${p}" does not start with "/": request paths always do, so it never matches`);
    }
    return;
  }
  const bad = (why: string) => f.error(path, 'ISTHMUS_ERR_CONFIG_INVALID_PATH', `invalid or unsupported path "${p}", found in ${field}: ${why}`);
  let anySeen = false;
  for (const seg of p.replace(/^\/+|\/+$/g, '').split('/')) {
    if (seg === MATCH_ONE || seg === MATCH_ANY) {
      if (anySeen) return bad('{**} must be the last operator in the path');
      if (seg === MATCH_ANY) anySeen = true;
      continue;
    }
    if (/[{}]/.test(seg)) return bad(`segment "${seg}": {*} and {**} must be a whole path segment, and no other "{" or "}" is allowed`);
    if (!PATH_LITERAL.test(seg)) {
      return bad(
        seg === ''
          ? 'empty segment ("//") in a path template'
          : `segment "${seg}" is not a valid literal: beside {*} and {**}, a template may hold only letters, digits and -._~%!$&'()+,;:@= (no "*")`,
      );
    }
  }
}

function checkPortText(f: Findings, path: Path, v: string): void {
  const n = /^\d+$/.test(v) ? Number(v) : Number.NaN;
  if (!(n >= 1 && n <= 65535)) f.error(path, 'ISTHMUS_ERR_CONFIG_INVALID_PORT', `bad port (${v}): must be a number in the range 1..65535`);
}

function cidrProblem(v: string): string | undefined {
  const slash = v.indexOf('/');
  const ip = v.slice(0, slash);
  const bits = v.slice(slash + 1);
  if (isCIDR(v)) return undefined;
  if (!isIP(ip)) return `"${ip}" is not an IP address`;
  if (!/^\d+$/.test(bits)) return `prefix length "${bits}" is not a number`;
  return `prefix length ${bits} is larger than ${isIPv4(ip) ? 32 : 128}`;
}

/** An IPv4 or IPv6 address, or a CIDR range of either. */
function checkIpOrCidr(f: Findings, path: Path, v: string, where: string): void {
  const code = 'ISTHMUS_ERR_CONFIG_INVALID_ADDRESS';
  if (v.includes('/')) {
    const p = cidrProblem(v);
    if (p !== undefined) f.error(path, code, `bad CIDR range (${v}) in ${where}: ${p}`);
  } else if (!isIP(v)) {
    f.error(path, code, `bad IP address (${v}) in ${where}${isIPv6(v.replace(/%.*$/, '')) ? ': zones are not supported' : ''}`);
  }
}

/** `serviceAccounts` (and the `source.serviceAccount` condition): `name` or `namespace/name`, no wildcards, at most 16. */
function checkServiceAccounts(f: Findings, path: Path, list: unknown[], where: string, code: 'ISTHMUS_ERR_CONFIG_INVALID_AUTHZ_RULE' | 'ISTHMUS_ERR_CONFIG_INVALID_AUTHZ_CONDITION'): void {
  if (list.length > 16) f.error(path, code, `${where} may not have more than 16 values (it has ${list.length})`);
  list.forEach((v, n) => {
    if (typeof v !== 'string') return;
    const at: Path = [...path, n];
    if (v === '') f.error(at, code, `empty value not allowed, found in ${where}`);
    else if (v.includes('*')) f.error(at, code, `wildcard not allowed, found "${v}" in ${where}`);
    else if (v.length > 320) f.error(at, code, `value cannot exceed 320 characters, found in ${where}`);
    else {
      const parts = v.split('/');
      if (parts.length > 2 || parts.some((s) => s === '')) {
        f.error(at, code, `expected format 'serviceAccount' or 'namespace/serviceAccount', found "${v}" in ${where}`);
      }
    }
  });
}

// ---- conditions

type KeyKind = 'ip' | 'port' | 'serviceAccount' | 'any';

const EXACT_KEYS: ReadonlyMap<string, KeyKind> = new Map([
  ['source.ip', 'ip'],
  ['remote.ip', 'ip'],
  ['source.namespace', 'any'],
  ['source.serviceAccount', 'serviceAccount'],
  ['source.principal', 'any'],
  ['request.auth.principal', 'any'],
  ['request.auth.audiences', 'any'],
  ['request.auth.presenter', 'any'],
  ['destination.ip', 'ip'],
  ['destination.port', 'port'],
  ['connection.sni', 'any'],
]);
const HEADER_KEY = 'request.headers';
const CLAIMS_KEY = 'request.auth.claims';
const ENVOY_FILTER_KEY = 'experimental.envoy.filters.';

/** What kind of values a condition key takes, or why the key is not one. */
function conditionKey(key: string): { kind: KeyKind } | { problem: string } {
  const exact = EXACT_KEYS.get(key);
  if (exact !== undefined) return { kind: exact };
  if (key.startsWith(HEADER_KEY)) {
    const m = /^request\.headers\[([^[\]]+)\]$/.exec(key);
    if (m === null) return { problem: `bad key (${key}): should have the form request.headers[<header name>]` };
    if (!isHeaderToken(m[1] ?? '')) return { problem: `bad key (${key}): "${m[1] ?? ''}" is not a valid header name` };
    return { kind: 'any' };
  }
  if (key.startsWith(CLAIMS_KEY)) {
    if (!/^request\.auth\.claims(\[[^[\]]+\])+$/.test(key)) {
      return { problem: `bad key (${key}): should have the form request.auth.claims[<claim>], or request.auth.claims[<claim>][<nested claim>]` };
    }
    return { kind: 'any' };
  }
  if (key.startsWith(ENVOY_FILTER_KEY)) {
    if (!/^experimental\.envoy\.filters\.[^[\]]+\[.+\]$/.test(key)) return { problem: `bad key (${key}): should have the form experimental.envoy.filters.<filter>[<field>]` };
    return { kind: 'any' };
  }
  if (key === 'destination.namespace') return { problem: `attribute ${key} is not supported: the policy's own namespace (metadata.namespace) scopes it` };
  if (key.startsWith('destination.labels')) return { problem: `attribute ${key} is not supported: use the policy's workload selector` };
  if (key === 'destination.name' || key === 'destination.user') return { problem: `deprecated attribute ${key}: only supported in v1alpha1` };
  const bracket = key.indexOf('[');
  const head = bracket < 0 ? key : key.slice(0, bracket);
  const s = suggest(head, [...EXACT_KEYS.keys(), HEADER_KEY, CLAIMS_KEY]);
  const hint = s === undefined ? '' : `; did you mean \`${s === HEADER_KEY || s === CLAIMS_KEY ? `${s}${bracket < 0 ? '[...]' : key.slice(bracket)}` : s}\`?`;
  return { problem: `unknown attribute: ${key}${hint}` };
}

/** Keys a CUSTOM action cannot use. */
function notWithCustom(key: string): boolean {
  return key === 'source.namespace' || key === 'source.serviceAccount' || key === 'source.principal' || key.startsWith('request.auth.');
}

function validateCondition(f: Findings, path: Path, cond: Obj, action: Action | undefined): void {
  const code = 'ISTHMUS_ERR_CONFIG_INVALID_AUTHZ_CONDITION';
  const key = str(cond['key']) ?? '';
  const values = arr(cond['values']);
  const notValues = arr(cond['notValues']);
  if (key === '') f.error([...path, 'key'], code, '`key` must not be empty: name an attribute such as request.headers[x-token] or source.ip');
  if (values.length === 0 && notValues.length === 0) {
    f.error(path, code, `at least one of \`values\` or \`notValues\` must be set for key ${key === '' ? '(empty)' : key}`);
  }
  if (key === '') return;
  const k = conditionKey(key);
  if ('problem' in k) {
    f.error([...path, 'key'], code, k.problem);
    return;
  }
  if (action === 'CUSTOM' && notWithCustom(key)) f.error([...path, 'key'], code, `${key} is currently not supported with CUSTOM action`);
  for (const field of ['values', 'notValues'] as const) {
    const list = arr(cond[field]);
    const at: Path = [...path, field];
    if (k.kind === 'serviceAccount') {
      checkServiceAccounts(f, at, list, `${field} of ${key}`, code);
      continue;
    }
    list.forEach((v, n) => {
      if (typeof v !== 'string') return;
      if (v === '') f.error([...at, n], code, `invalid \`${field}\` for key ${key}: empty value not allowed`);
      else if (k.kind === 'ip') checkIpOrCidr(f, [...at, n], v, `${field} of ${key}`);
      else if (k.kind === 'port') checkPortText(f, [...at, n], v);
    });
  }
}

// ---- RequestAuthentication -----------------------------------------------------------------

export function validateRequestAuthentication(f: Findings, specValue: unknown, namespace: string): void {
  const spec = obj(specValue) ?? {};
  checkPolicyTarget(f, spec, namespace);
  arr(spec['jwtRules']).forEach((r, i) => {
    const rule = obj(r);
    if (rule !== undefined) validateJwtRule(f, ['spec', 'jwtRules', i], rule);
  });
}

function validateJwtRule(f: Findings, path: Path, rule: Obj): void {
  const code = 'ISTHMUS_ERR_CONFIG_INVALID_JWT_RULE';
  const header = 'ISTHMUS_ERR_CONFIG_INVALID_HEADER';
  const issuer = str(rule['issuer']) ?? '';
  const jwksUri = str(rule['jwksUri']) ?? '';

  if (has(rule, 'jwks_uri')) {
    f.error([...path, 'jwks_uri'], code, '`jwks_uri` is the proto field name; write `jwksUri`, the field the mesh reads');
  }
  if (issuer === '' && jwksUri === '') f.error(has(rule, 'issuer') ? [...path, 'issuer'] : path, code, 'issuer or jwksUri must be non-empty string');
  arr(rule['audiences']).forEach((a, n) => {
    if (a === '') f.error([...path, 'audiences', n], code, 'audience must be non-empty string');
  });

  if (has(rule, 'jwks') && (has(rule, 'jwksUri') || has(rule, 'jwks_uri'))) f.error(path, 'ISTHMUS_ERR_CONFIG_CONFLICT', 'only one of jwks or jwksUri can be set');
  if (jwksUri !== '') {
    const p = jwksUriProblem(jwksUri);
    if (p !== undefined) f.error([...path, 'jwksUri'], code, p);
  }
  const jwks = str(rule['jwks']);
  if (jwks !== undefined && jwks !== '') {
    const r = jwksProblem(jwks);
    if (r.error !== undefined) f.error([...path, 'jwks'], 'ISTHMUS_ERR_CONFIG_INVALID_JWKS', `jwks parse error: ${r.error}`);
    else if (r.warning !== undefined) f.warn([...path, 'jwks'], 'ISTHMUS_ERR_CONFIG_INVALID_JWKS', r.warning);
  }

  arr(rule['fromHeaders']).forEach((h, n) => {
    const loc = obj(h);
    if (loc === undefined) return;
    const at: Path = [...path, 'fromHeaders', n, 'name'];
    const name = str(loc['name']) ?? '';
    if (name === '') f.error(at, code, 'location header name must be non-empty string');
    else if (!isHeaderToken(name)) f.error(at, header, `header name ${JSON.stringify(name)} is not a valid header name`);
  });
  arr(rule['fromParams']).forEach((p, n) => {
    if (p === '') f.error([...path, 'fromParams', n], code, 'location query must be non-empty string');
  });
  arr(rule['fromCookies']).forEach((c, n) => {
    if (c === '') f.error([...path, 'fromCookies', n], code, 'cookie name must be non-empty string');
  });

  const payload = str(rule['outputPayloadToHeader']);
  if (payload !== undefined && payload !== '' && !isHeaderToken(payload)) {
    f.error([...path, 'outputPayloadToHeader'], header, `header name ${JSON.stringify(payload)} is not a valid header name`);
  }
  arr(rule['outputClaimToHeaders']).forEach((c, n) => {
    const oc = obj(c);
    if (oc === undefined) return;
    const at: Path = [...path, 'outputClaimToHeaders', n];
    const h = str(oc['header']) ?? '';
    const claim = str(oc['claim']) ?? '';
    if (h === '') f.error([...at, 'header'], code, 'outputClaimToHeaders header and claim value must be non-empty string (header is empty)');
    else if (!isHeaderToken(h)) f.error([...at, 'header'], header, `header name ${JSON.stringify(h)} is not a valid header name`);
    if (claim === '') f.error([...at, 'claim'], code, 'outputClaimToHeaders header and claim value must be non-empty string (claim is empty)');
  });

  checkDuration(f, [...path, 'timeout'], rule['timeout']);
}

/** Why `uri` cannot be fetched as a key set: it must be an absolute http:// or https:// URL with a host. */
function jwksUriProblem(uri: string): string | undefined {
  let u: URL;
  try {
    u = new URL(uri);
  } catch {
    return `url must have scheme http:// or https://: "${uri}" is not an absolute URL`;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return `url must have scheme http:// or https://: URI scheme "${u.protocol.slice(0, -1)}" is not supported`;
  if (u.hostname === '') return `jwksUri "${uri}" has no host`;
  return undefined;
}

/** Members each key type must carry (RFC 7518 section 6, RFC 8037 for OKP). */
const KEY_MEMBERS: Readonly<Record<string, readonly string[]>> = {
  RSA: ['n', 'e'],
  EC: ['crv', 'x', 'y'],
  oct: ['k'],
  OKP: ['crv', 'x'],
};

/** Whether `text` is a JSON Web Key Set the proxy can verify tokens with. */
export function jwksProblem(text: string): { error?: string; warning?: string } {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return { error: `not valid JSON: ${(e as Error).message}` };
  }
  const set = obj(doc);
  if (set === undefined) return { error: 'expected a JSON object with a "keys" list' };
  if (!Array.isArray(set['keys'])) {
    if (typeof set['kty'] === 'string') return { error: 'this is a single key; wrap it in a key set: {"keys": [ ... ]}' };
    return { error: set['keys'] === undefined ? 'missing "keys": a JSON Web Key Set is {"keys": [ ... ]}' : '"keys" must be a list: a JSON Web Key Set is {"keys": [ ... ]}' };
  }
  const keys = set['keys'] as unknown[];
  for (const [i, k] of keys.entries()) {
    const key = obj(k);
    if (key === undefined) return { error: `key ${i} is not a JSON object` };
    const kty = key['kty'];
    if (typeof kty !== 'string' || kty === '') return { error: `key ${i} has no "kty"` };
    const members = KEY_MEMBERS[kty];
    if (members === undefined) return { error: `key ${i} has unsupported kty "${kty}"; expected one of ${Object.keys(KEY_MEMBERS).join(', ')}` };
    const missing = members.filter((m) => typeof key[m] !== 'string' || key[m] === '');
    if (missing.length > 0) return { error: `key ${i} (kty ${kty}) is missing ${missing.map((m) => `"${m}"`).join(', ')}` };
  }
  if (keys.length === 0) return { warning: 'jwks has no keys, so no token can be verified with it' };
  return {};
}
