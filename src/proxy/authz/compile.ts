// AuthorizationPolicy evaluation, compiled once per config version.
//
// Each policy becomes one predicate over the request: rules are ORed; in a rule, `from` entries
// are ORed (each source's fields ANDed), `to` entries are ORed (each operation's fields ANDed),
// and every `when` condition is ANDed. A missing `from`, `to` or `when` constrains nothing; a
// policy without rules matches nothing (so an ALLOW policy with `spec: {}` allows nothing).
//
// Decision order (Istio's): CUSTOM first (the filter asks the provider of every CUSTOM policy
// that matches; a deny ends the request), then any matching DENY denies, then: no ALLOW policy
// allows, a matching ALLOW policy allows, otherwise deny. AUDIT policies only mark the decision.
// Dry-run (`istio.io/dry-run`) policies are evaluated on the side and reported in `shadow`;
// they never change the outcome, and a dry-run ALLOW does not count as "there is an ALLOW
// policy".
//
// A value that cannot be compiled (a bad CIDR or port, a malformed path template, an unknown
// condition key, a condition without values) is reported in `problems` and fails closed: the rule
// matches nothing in an ALLOW or AUDIT policy and everything in a DENY or CUSTOM policy.
//
// TCP (`protocol: 'tcp'`): a rule that uses an HTTP-only field (hosts, methods, paths, request
// principals, `request.*` conditions) matches nothing in an ALLOW or AUDIT policy; in a DENY or
// CUSTOM policy those fields are left out, so the rule matches more broadly.
//
// Value semantics:
//   - strings: exact, `*` (present with any value), `prefix*`, `*suffix`; hosts compare
//     lower-cased, against the authority with and without its port; everything else is
//     case-sensitive;
//   - principals and `source.principal` match the peer's SPIFFE URI without `spiffe://`;
//     namespaces and service accounts come from its `/ns/<ns>/sa/<sa>` path (any trust domain);
//     a peer without a verified identity has none of them: positive fields fail, `not*` hold;
//   - serviceAccounts: `<ns>/<sa>`, or `<sa>` for one in the policy's own namespace; exact only;
//   - paths: the request path without query, normalized (see normalize-path.ts), with `{*}` and
//     `{**}` templates (patterns.ts);
//   - IP fields: addresses or CIDR blocks, IPv4 or IPv6; remote addresses come from
//     X-Forwarded-For with `numTrustedProxies` (request-facts.ts);
//   - a missing attribute (header, claim, SNI, token) matches no `values` and every `notValues`;
//   - JWT claims: a string, or any element of a list; numbers and booleans by their string form;
//     `[a][b]` walks nested objects; an object is no value.

import type { AuthzAction, AuthzCondition, AuthzOperation, AuthzPolicyConfig, AuthzRule, AuthzSource, ExtAuthzProvider } from '../../api/index.ts';
import { anyCidrContains, type Cidr, parseCidr } from './ip.ts';
import { anyHostMatches, anyMatch, anyPathMatches, type PathPattern, pathPattern, type StrPattern, strPattern, withHead } from './patterns.ts';
import { type AuthzConnectionView, type AuthzRequestView, RequestFacts } from './request-facts.ts';

export interface CompileAuthzOptions {
  /** `tcp` applies the TCP rules above; default `http`. */
  protocol?: 'http' | 'tcp';
  /** Proxies in front of this one that append to X-Forwarded-For (for `remoteIpBlocks`, `remote.ip`); default 0. */
  numTrustedProxies?: number;
}

export const AuthzReason = {
  /** No enforced ALLOW policy applies to the workload: allowed. */
  NoAllowPolicy: 'no-allow-policy',
  /** An ALLOW policy matched: allowed. */
  AllowMatched: 'allow-matched',
  /** A DENY policy matched: denied. */
  DenyMatched: 'deny-matched',
  /** ALLOW policies exist and none matched: denied. */
  NoAllowMatched: 'no-allow-matched',
} as const;
export type AuthzReason = (typeof AuthzReason)[keyof typeof AuthzReason];

/** The DENY/ALLOW outcome for one request (CUSTOM is asked separately, see `nextCustom`). */
export interface AuthzDecision {
  readonly allowed: boolean;
  readonly reason: AuthzReason;
  /** The DENY or ALLOW policy that decided (`ns/name`); null for the two default outcomes. */
  readonly policy: string | null;
  /** The first AUDIT policy that matched: the request should be audited. */
  readonly audited: string | null;
  /** What dry-run policies would have done, e.g. `dry-run policy ns/name would deny`. */
  readonly shadow: readonly string[] | null;
}

/** The CUSTOM policies that share one external authorizer. */
export interface CustomGroup {
  readonly provider: ExtAuthzProvider;
  /** The enforced CUSTOM policies using it, `ns/name`. */
  readonly policies: readonly string[];
}

type Pred = (f: RequestFacts) => boolean;

const ALWAYS: Pred = () => true;
const NEVER: Pred = () => false;

const ALLOWED_NO_POLICY: AuthzDecision = Object.freeze({ allowed: true, reason: AuthzReason.NoAllowPolicy, policy: null, audited: null, shadow: null });
const DENIED_NO_MATCH: AuthzDecision = Object.freeze({ allowed: false, reason: AuthzReason.NoAllowMatched, policy: null, audited: null, shadow: null });

const SPIFFE = 'spiffe://';

/** Where a rule is being compiled, and what the TCP rules need to know. */
interface RuleScope {
  readonly action: AuthzAction;
  readonly policyNamespace: string;
  readonly tcp: boolean;
  /** Set when a TCP rule of an ALLOW/AUDIT policy used an HTTP-only field. */
  dropped: boolean;
}

/** True when the field must be left out (TCP, DENY-like policy); marks the rule dropped for ALLOW-like ones. */
function httpOnlySkipped(scope: RuleScope): boolean {
  if (!scope.tcp) return false;
  if (scope.action === 'ALLOW' || scope.action === 'AUDIT') scope.dropped = true;
  return true;
}

/** A list, or null when absent or empty (an empty list is the same as none, as in the proto). */
function values<T>(v: readonly T[] | undefined): readonly T[] | null {
  return v === undefined || v.length === 0 ? null : v;
}

function all(preds: readonly Pred[]): Pred {
  if (preds.length === 0) return ALWAYS;
  if (preds.length === 1) return preds[0] as Pred;
  if (preds.length === 2) {
    const [a, b] = preds as [Pred, Pred];
    return (f) => a(f) && b(f);
  }
  return (f) => {
    for (let i = 0; i < preds.length; i++) if (!(preds[i] as Pred)(f)) return false;
    return true;
  };
}

function any(preds: readonly Pred[]): Pred {
  if (preds.length === 0) return NEVER;
  if (preds.length === 1) return preds[0] as Pred;
  return (f) => {
    for (let i = 0; i < preds.length; i++) if ((preds[i] as Pred)(f)) return true;
    return false;
  };
}

function not(p: Pred): Pred {
  return (f) => !p(f);
}

// ---- attribute matchers: "the attribute is present and matches one of the values" ----

function principalMatcher(list: readonly string[]): Pred {
  // Peer identities are SPIFFE URIs; the policy writes them without `spiffe://`.
  const pats: StrPattern[] = list.map((v) => withHead(strPattern(v), SPIFFE));
  return (f) => {
    const id = f.req.peer.identity;
    return id !== null && anyMatch(pats, id);
  };
}

function namespaceMatcher(list: readonly string[]): Pred {
  const pats = list.map((v) => strPattern(v));
  return (f) => {
    const ns = f.namespace();
    return ns !== null && anyMatch(pats, ns);
  };
}

function serviceAccountMatcher(list: readonly string[], policyNamespace: string): Pred {
  const accounts = list.map((v) => {
    const parts = v.split('/');
    if (parts.length > 2 || parts.some((p) => p === '' || p.includes('*'))) throw new Error(`service account ${JSON.stringify(v)} must be <namespace>/<name> or <name>, without wildcards`);
    return parts.length === 2 ? { ns: parts[0] as string, sa: parts[1] as string } : { ns: policyNamespace, sa: parts[0] as string };
  });
  return (f) => {
    const ns = f.namespace();
    if (ns === null) return false;
    const sa = f.serviceAccount();
    for (let i = 0; i < accounts.length; i++) {
      const a = accounts[i] as { ns: string; sa: string };
      if (a.sa === sa && a.ns === ns) return true;
    }
    return false;
  };
}

function requestPrincipalMatcher(list: readonly string[]): Pred {
  const pats = list.map((v) => strPattern(v));
  return (f) => {
    const jwt = f.req.jwt;
    return jwt !== null && anyMatch(pats, jwt.principal);
  };
}

function cidrs(list: readonly string[]): Cidr[] {
  return list.map((v) => {
    const c = parseCidr(v);
    if (c === null) throw new Error(`${JSON.stringify(v)} is not an IP address or CIDR block`);
    return c;
  });
}

function sourceIpMatcher(list: readonly string[]): Pred {
  const blocks = cidrs(list);
  return (f) => {
    const ip = f.sourceIp();
    return ip !== null && anyCidrContains(blocks, ip);
  };
}

function remoteIpMatcher(list: readonly string[]): Pred {
  const blocks = cidrs(list);
  return (f) => {
    const ip = f.remoteIp();
    return ip !== null && anyCidrContains(blocks, ip);
  };
}

function destinationIpMatcher(list: readonly string[]): Pred {
  const blocks = cidrs(list);
  return (f) => {
    const ip = f.destinationIp();
    return ip !== null && anyCidrContains(blocks, ip);
  };
}

function portMatcher(list: readonly string[]): Pred {
  const ports = list.map((v) => {
    const n = /^\d{1,5}$/.test(v) ? Number(v) : NaN;
    if (!(n >= 1 && n <= 65535)) throw new Error(`${JSON.stringify(v)} is not a port number`);
    return n;
  });
  if (ports.length === 1) {
    const only = ports[0] as number;
    return (f) => f.req.peer.localPort === only;
  }
  return (f) => ports.includes(f.req.peer.localPort);
}

function hostMatcher(list: readonly string[]): Pred {
  const pats = list.map((v) => strPattern(v, true));
  return (f) => anyHostMatches(pats, f.authority(), f.host());
}

function methodMatcher(list: readonly string[]): Pred {
  const pats = list.map((v) => strPattern(v));
  return (f) => anyMatch(pats, f.req.method);
}

function pathMatcher(list: readonly string[]): Pred {
  const pats: PathPattern[] = list.map((v) => pathPattern(v));
  return (f) => anyPathMatches(pats, f.path());
}

function headerMatcher(name: string, list: readonly string[]): Pred {
  const pats = list.map((v) => strPattern(v));
  return (f) => {
    const v = f.req.header(name);
    return v !== undefined && anyMatch(pats, v);
  };
}

function sniMatcher(list: readonly string[]): Pred {
  const pats = list.map((v) => strPattern(v));
  return (f) => {
    const sni = f.req.peer.sni;
    return sni !== null && anyMatch(pats, sni);
  };
}

function audienceMatcher(list: readonly string[]): Pred {
  const pats = list.map((v) => strPattern(v));
  return (f) => {
    const jwt = f.req.jwt;
    if (jwt === null) return false;
    for (const a of jwt.audiences) if (anyMatch(pats, a)) return true;
    return false;
  };
}

function presenterMatcher(list: readonly string[]): Pred {
  const pats = list.map((v) => strPattern(v));
  return (f) => {
    const p = f.req.jwt?.presenter;
    return p !== undefined && p !== null && anyMatch(pats, p);
  };
}

function scalarMatches(pats: readonly StrPattern[], v: unknown): boolean {
  if (typeof v === 'string') return anyMatch(pats, v);
  if (typeof v === 'number' || typeof v === 'boolean') return anyMatch(pats, String(v));
  return false;
}

const hasOwn = Object.prototype.hasOwnProperty;

function claimMatcher(path: readonly string[], list: readonly string[]): Pred {
  const pats = list.map((v) => strPattern(v));
  return (f) => {
    const jwt = f.req.jwt;
    if (jwt === null) return false;
    let v: unknown = jwt.claims;
    for (let i = 0; i < path.length; i++) {
      if (typeof v !== 'object' || v === null || Array.isArray(v) || !hasOwn.call(v, path[i] as string)) return false;
      v = (v as Record<string, unknown>)[path[i] as string];
    }
    if (Array.isArray(v)) {
      for (const el of v) if (scalarMatches(pats, el)) return true;
      return false;
    }
    return scalarMatches(pats, v);
  };
}

// ---- sources, operations, conditions ----

function field(out: Pred[], list: readonly string[] | undefined, negate: boolean, make: (list: readonly string[]) => Pred, name: string): void {
  const v = values(list);
  if (v === null) return;
  let m: Pred;
  try {
    m = make(v);
  } catch (e) {
    throw new Error(`${name}: ${(e as Error).message}`);
  }
  out.push(negate ? not(m) : m);
}

function compileSource(s: AuthzSource, scope: RuleScope): Pred {
  const p: Pred[] = [];
  field(p, s.principals, false, principalMatcher, 'principals');
  field(p, s.notPrincipals, true, principalMatcher, 'notPrincipals');
  if (values(s.requestPrincipals) !== null && !httpOnlySkipped(scope)) field(p, s.requestPrincipals, false, requestPrincipalMatcher, 'requestPrincipals');
  if (values(s.notRequestPrincipals) !== null && !httpOnlySkipped(scope)) field(p, s.notRequestPrincipals, true, requestPrincipalMatcher, 'notRequestPrincipals');
  field(p, s.namespaces, false, namespaceMatcher, 'namespaces');
  field(p, s.notNamespaces, true, namespaceMatcher, 'notNamespaces');
  const sa = (l: readonly string[]) => serviceAccountMatcher(l, scope.policyNamespace);
  field(p, s.serviceAccounts, false, sa, 'serviceAccounts');
  field(p, s.notServiceAccounts, true, sa, 'notServiceAccounts');
  field(p, s.ipBlocks, false, sourceIpMatcher, 'ipBlocks');
  field(p, s.notIpBlocks, true, sourceIpMatcher, 'notIpBlocks');
  field(p, s.remoteIpBlocks, false, remoteIpMatcher, 'remoteIpBlocks');
  field(p, s.notRemoteIpBlocks, true, remoteIpMatcher, 'notRemoteIpBlocks');
  return all(p);
}

function compileOperation(o: AuthzOperation, scope: RuleScope): Pred {
  const p: Pred[] = [];
  // Cheap, selective checks first: method, then port, then path and host.
  for (const [list, negate, name] of [
    [o.methods, false, 'methods'],
    [o.notMethods, true, 'notMethods'],
  ] as const) {
    if (values(list) !== null && !httpOnlySkipped(scope)) field(p, list, negate, methodMatcher, name);
  }
  field(p, o.ports, false, portMatcher, 'ports');
  field(p, o.notPorts, true, portMatcher, 'notPorts');
  for (const [list, negate, name] of [
    [o.paths, false, 'paths'],
    [o.notPaths, true, 'notPaths'],
  ] as const) {
    if (values(list) !== null && !httpOnlySkipped(scope)) field(p, list, negate, pathMatcher, name);
  }
  for (const [list, negate, name] of [
    [o.hosts, false, 'hosts'],
    [o.notHosts, true, 'notHosts'],
  ] as const) {
    if (values(list) !== null && !httpOnlySkipped(scope)) field(p, list, negate, hostMatcher, name);
  }
  return all(p);
}

const HEADER_KEY = /^request\.headers\[([^\]]+)\]$/;
const CLAIMS_KEY = /^request\.auth\.claims((?:\[[^\]]+\])+)$/;

/** The attribute matcher for a condition key, or null when the condition is left out (TCP). */
function conditionAttribute(key: string, scope: RuleScope): ((list: readonly string[]) => Pred) | null {
  if (key.startsWith('request.')) {
    if (httpOnlySkipped(scope)) return null;
    const h = HEADER_KEY.exec(key);
    if (h !== null) {
      const name = (h[1] as string).toLowerCase();
      return (l) => headerMatcher(name, l);
    }
    const c = CLAIMS_KEY.exec(key);
    if (c !== null) {
      const path = (c[1] as string).slice(1, -1).split('][');
      return (l) => claimMatcher(path, l);
    }
    switch (key) {
      case 'request.auth.principal':
        return requestPrincipalMatcher;
      case 'request.auth.audiences':
        return audienceMatcher;
      case 'request.auth.presenter':
        return presenterMatcher;
    }
    throw new Error(`unknown condition key ${JSON.stringify(key)}`);
  }
  switch (key) {
    case 'source.ip':
      return sourceIpMatcher;
    case 'remote.ip':
      return remoteIpMatcher;
    case 'source.namespace':
      return namespaceMatcher;
    case 'source.principal':
      return principalMatcher;
    case 'source.serviceAccount':
      return (l) => serviceAccountMatcher(l, scope.policyNamespace);
    case 'destination.ip':
      return destinationIpMatcher;
    case 'destination.port':
      return portMatcher;
    case 'connection.sni':
      return sniMatcher;
  }
  throw new Error(`unknown condition key ${JSON.stringify(key)}`);
}

function compileCondition(c: AuthzCondition, scope: RuleScope): Pred | null {
  const key = typeof c.key === 'string' ? c.key : '';
  if (values(c.values) === null && values(c.notValues) === null) throw new Error(`condition ${JSON.stringify(key)} needs values or notValues`);
  // Envoy-specific filter metadata does not exist here: such a condition never matches.
  if (key.startsWith('experimental.envoy.filters.')) return NEVER;
  const make = conditionAttribute(key, scope);
  if (make === null) return null;
  const p: Pred[] = [];
  field(p, c.values, false, make, `${key} values`);
  field(p, c.notValues, true, make, `${key} notValues`);
  return all(p);
}

function compileRule(rule: AuthzRule, scope: RuleScope): Pred {
  const parts: Pred[] = [];
  const to = values(rule.to);
  if (to !== null) parts.push(any(to.map((t) => compileOperation(t.operation ?? {}, scope))));
  const from = values(rule.from);
  if (from !== null) parts.push(any(from.map((s) => compileSource(s.source ?? {}, scope))));
  for (const c of rule.when ?? []) {
    const p = compileCondition(c, scope);
    if (p !== null) parts.push(p);
  }
  return scope.dropped ? NEVER : all(parts);
}

// ---- policies ----

interface CompiledPolicy {
  readonly name: string;
  readonly match: Pred;
  /** The decision when this policy decides (DENY, ALLOW). */
  readonly decision: AuthzDecision;
}

const ACTIONS: ReadonlySet<string> = new Set(['ALLOW', 'DENY', 'AUDIT', 'CUSTOM']);

/** The policies of one workload, compiled for one protocol. */
export class CompiledAuthz {
  readonly protocol: 'http' | 'tcp';
  /** Every value that could not be compiled, as `<policy> rule <i>: <what>`; each fails closed. */
  readonly problems: readonly string[];
  /** External authorizers, in the order they are asked. */
  readonly customGroups: readonly CustomGroup[];

  readonly #deny: readonly CompiledPolicy[];
  readonly #allow: readonly CompiledPolicy[];
  readonly #audit: readonly CompiledPolicy[];
  readonly #custom: readonly Pred[];
  readonly #dryDeny: readonly CompiledPolicy[];
  readonly #dryAllow: readonly CompiledPolicy[];
  readonly #dryCustom: readonly CompiledPolicy[];
  readonly #dryAllowNames: string;
  readonly #facts: RequestFacts;

  constructor(policies: readonly AuthzPolicyConfig[], opts: CompileAuthzOptions = {}) {
    this.protocol = opts.protocol ?? 'http';
    const tcp = this.protocol === 'tcp';
    // On TCP there is no X-Forwarded-For: the original client is the connection's source.
    this.#facts = new RequestFacts(tcp ? 0 : Math.max(0, Math.trunc(opts.numTrustedProxies ?? 0)));
    const problems: string[] = [];
    const deny: CompiledPolicy[] = [];
    const allow: CompiledPolicy[] = [];
    const audit: CompiledPolicy[] = [];
    const dryDeny: CompiledPolicy[] = [];
    const dryAllow: CompiledPolicy[] = [];
    const dryCustom: CompiledPolicy[] = [];
    const groups = new Map<string, { provider: ExtAuthzProvider; policies: string[]; preds: Pred[] }>();

    for (const policy of policies) {
      const name = policy.name;
      let action: AuthzAction = policy.action ?? 'ALLOW';
      if (!ACTIONS.has(action)) {
        // Fail closed: a policy whose action is not understood denies every request.
        problems.push(`${name}: unknown action ${JSON.stringify(action)}; the policy denies every request`);
        deny.push({ name, match: ALWAYS, decision: Object.freeze({ allowed: false, reason: AuthzReason.DenyMatched, policy: name, audited: null, shadow: null }) });
        continue;
      }
      if (action === 'CUSTOM' && policy.provider === undefined) {
        // No authorizer to ask: what the policy matches is denied.
        problems.push(`${name}: CUSTOM policy has no resolved provider; requests it matches are denied`);
        action = 'DENY';
      }
      const slash = name.indexOf('/');
      const policyNamespace = slash < 0 ? '' : name.slice(0, slash);
      const rules: Pred[] = [];
      (policy.rules ?? []).forEach((rule, i) => {
        const scope: RuleScope = { action, policyNamespace, tcp, dropped: false };
        try {
          rules.push(compileRule(rule, scope));
        } catch (e) {
          const failClosed = action === 'ALLOW' || action === 'AUDIT' ? NEVER : ALWAYS;
          problems.push(`${name} rule ${i}: ${(e as Error).message}; the rule ${failClosed === NEVER ? 'matches nothing' : 'matches every request'}`);
          rules.push(failClosed);
        }
      });
      const match = any(rules);
      const allowed = action === 'ALLOW';
      const compiled: CompiledPolicy = {
        name,
        match,
        decision: Object.freeze({ allowed, reason: allowed ? AuthzReason.AllowMatched : AuthzReason.DenyMatched, policy: name, audited: null, shadow: null }),
      };
      const dryRun = policy.dryRun === true;
      switch (action) {
        case 'DENY':
          (dryRun ? dryDeny : deny).push(compiled);
          break;
        case 'ALLOW':
          (dryRun ? dryAllow : allow).push(compiled);
          break;
        case 'AUDIT':
          audit.push(compiled);
          break;
        case 'CUSTOM': {
          if (dryRun) {
            dryCustom.push(compiled);
            break;
          }
          const provider = policy.provider as ExtAuthzProvider;
          let g = groups.get(provider.name);
          if (g === undefined) groups.set(provider.name, (g = { provider, policies: [], preds: [] }));
          g.policies.push(name);
          g.preds.push(match);
          break;
        }
      }
    }
    this.problems = problems;
    this.#deny = deny;
    this.#allow = allow;
    this.#audit = audit;
    this.#dryDeny = dryDeny;
    this.#dryAllow = dryAllow;
    this.#dryCustom = dryCustom;
    this.#dryAllowNames = dryAllow.map((p) => p.name).join(', ');
    const gs = [...groups.values()];
    this.customGroups = gs.map((g) => Object.freeze({ provider: g.provider, policies: g.policies }));
    this.#custom = gs.map((g) => any(g.preds));
  }

  /** Whether any enforced CUSTOM policy exists (if not, `nextCustom` is always -1). */
  get hasCustom(): boolean {
    return this.#custom.length > 0;
  }

  /** Index into `customGroups` of the first group at or after `from` with a policy that matches, or -1. */
  nextCustom(req: AuthzRequestView, from = 0): number {
    const c = this.#custom;
    if (from >= c.length) return -1;
    const f = this.#facts;
    f.reset(req);
    for (let i = from; i < c.length; i++) if ((c[i] as Pred)(f)) return i;
    return -1;
  }

  /** DENY, then ALLOW; with AUDIT and dry-run results attached. Allocates only for those. */
  evaluate(req: AuthzRequestView): AuthzDecision {
    const f = this.#facts;
    f.reset(req);
    let d: AuthzDecision | null = null;
    const deny = this.#deny;
    for (let i = 0; i < deny.length; i++) {
      const p = deny[i] as CompiledPolicy;
      if (p.match(f)) {
        d = p.decision;
        break;
      }
    }
    if (d === null) {
      const allow = this.#allow;
      if (allow.length === 0) d = ALLOWED_NO_POLICY;
      else {
        d = DENIED_NO_MATCH;
        for (let i = 0; i < allow.length; i++) {
          const p = allow[i] as CompiledPolicy;
          if (p.match(f)) {
            d = p.decision;
            break;
          }
        }
      }
    }
    if (this.#audit.length === 0 && this.#dryDeny.length === 0 && this.#dryAllow.length === 0 && this.#dryCustom.length === 0) return d;
    return this.#annotate(d, f);
  }

  /** TCP: evaluates a connection (compile with `protocol: 'tcp'`). */
  evaluateConnection(conn: AuthzConnectionView): AuthzDecision {
    if (this.protocol !== 'tcp') throw new Error('evaluateConnection needs policies compiled for tcp');
    return this.evaluate({ clientAddress: conn.clientAddress, peer: conn.peer, method: '', authority: '', path: '', pathOnly: '', header: noHeader, jwt: null });
  }

  #annotate(d: AuthzDecision, f: RequestFacts): AuthzDecision {
    let audited: string | null = null;
    for (const p of this.#audit) {
      if (p.match(f)) {
        audited = p.name;
        break;
      }
    }
    let shadow: string[] | null = null;
    for (const p of this.#dryCustom) if (p.match(f)) (shadow ??= []).push(`dry-run policy ${p.name} would ask its authorizer`);
    for (const p of this.#dryDeny) if (p.match(f)) (shadow ??= []).push(`dry-run policy ${p.name} would deny`);
    if (this.#dryAllow.length > 0 && d.reason !== AuthzReason.DenyMatched) {
      let matched: CompiledPolicy | null = null;
      for (const p of this.#dryAllow) {
        if (p.match(f)) {
          matched = p;
          break;
        }
      }
      if (matched !== null) {
        if (!d.allowed) (shadow ??= []).push(`dry-run policy ${matched.name} would allow`);
      } else if (d.reason === AuthzReason.NoAllowPolicy) {
        (shadow ??= []).push(`dry-run policy ${this.#dryAllowNames} would deny (no ALLOW rule matches)`);
      }
    }
    if (audited === null && shadow === null) return d;
    return { allowed: d.allowed, reason: d.reason, policy: d.policy, audited, shadow };
  }
}

function noHeader(): undefined {
  return undefined;
}

/** Compiles the policies selected for a workload (HTTP semantics unless `opts.protocol` says tcp). */
export function compileAuthz(policies: readonly AuthzPolicyConfig[], opts: CompileAuthzOptions = {}): CompiledAuthz {
  return new CompiledAuthz(policies, opts);
}

/** Compiles the policies for a TCP listener (see the TCP rules at the top of this file). */
export function compileForTcp(policies: readonly AuthzPolicyConfig[], opts: Omit<CompileAuthzOptions, 'protocol'> = {}): CompiledAuthz {
  return new CompiledAuthz(policies, { ...opts, protocol: 'tcp' });
}
