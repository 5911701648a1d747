// The authorization filter: AuthorizationPolicy enforcement for one workload's HTTP requests.
//
//   CUSTOM policy matches ─► ask its authorizer ─► denied: the authorizer's status and body, flag UAEX
//                                                  failed: statusOnError (flag UAEX), or on if failOpen
//                                                  allowed: its headers onto the upstream request
//   DENY policy matches ──► 403 `RBAC: access denied`
//   ALLOW policies exist and none matches ──► 403 `RBAC: access denied`
//   otherwise ──► next
//
// Without a matching CUSTOM policy the filter is synchronous (no promise per request). After an
// authorizer allowed, DENY and ALLOW policies see the headers it added, as later filters would.
// AUDIT and dry-run results go to the `isthmus:proxy:authz` diagnostics channel; dry-run results
// are also logged.

import diagnostics from 'node:diagnostics_channel';
import type http from 'node:http';
import type { AuthzPolicyConfig } from '../../api/index.ts';
import type { Logger } from '../../shared/index.ts';
import type { Exchange } from '../exchange.ts';
import type { Filter, Handler } from '../filter.ts';
import { type AuthzDecision, compileAuthz } from './compile.ts';
import { ExtAuthzClient, type ExtAuthzVerdict } from './ext-authz.ts';
import type { AuthzRequestView } from './request-facts.ts';

/** Envoy's response flag for a request an external authorizer denied. */
export const UAEX = 'UAEX';

/** Body of a request denied by a DENY or ALLOW policy (what Istio's sidecar answers). */
export const RBAC_DENIED_BODY = 'RBAC: access denied';

export const AUTHZ_CHANNEL = 'isthmus:proxy:authz';

/** Published per authorized request when someone subscribes to AUTHZ_CHANNEL. */
export interface AuthzEvent {
  method: string;
  authority: string;
  path: string;
  allowed: boolean;
  /** `deny-matched`, `allow-matched`, `no-allow-policy`, `no-allow-matched`, or `custom` for an authorizer's denial. */
  reason: string;
  /** The policy that decided (for `custom`, the authorizer's provider name), or null. */
  policy: string | null;
  /** The AUDIT policy that matched: the request is to be audited. */
  audited: string | null;
  /** What dry-run policies would have done. */
  shadow: readonly string[] | null;
}

const authzChannel = diagnostics.channel(AUTHZ_CHANNEL);

export interface AuthzFilterOptions {
  log: Logger;
  /** Proxies in front of this one that append to X-Forwarded-For (remoteIpBlocks, remote.ip). */
  numTrustedProxies?: number;
  /** Agent for authorizer checks; default a shared keep-alive agent. */
  agent?: http.Agent;
}

/** Warn about a failing authorizer at most this often per provider. */
const FAILURE_LOG_INTERVAL_MS = 10_000;

/** The filter for the policies that select this workload, or null when there are none. */
export function createAuthzFilter(policies: readonly AuthzPolicyConfig[], opts: AuthzFilterOptions): Filter | null {
  if (policies.length === 0) return null;
  const { log } = opts;
  const engine = compileAuthz(policies, opts.numTrustedProxies === undefined ? {} : { numTrustedProxies: opts.numTrustedProxies });
  for (const problem of engine.problems) log.warn('authorization policy problem', { problem });
  const clients = engine.customGroups.map((g) => new ExtAuthzClient(g.provider, opts.agent === undefined ? {} : { agent: opts.agent }));
  const lastFailureLog = clients.map(() => -Infinity);

  return (next: Handler): Handler => {
    const decide = (ex: Exchange, view: AuthzRequestView): void => {
      const d = engine.evaluate(view);
      if (d.shadow !== null) for (const s of d.shadow) log.info('dry-run authorization', { result: s, method: ex.method, path: ex.pathOnly });
      if (authzChannel.hasSubscribers) publish(ex, d.allowed, d.reason, d.policy, d);
      if (d.allowed) {
        next(ex);
        return;
      }
      log.debug('request denied by authorization policy', { policy: d.policy ?? '-', reason: d.reason, method: ex.method, path: ex.pathOnly });
      ex.directReply(403, RBAC_DENIED_BODY);
    };

    // No CUSTOM policy: the whole decision is synchronous.
    if (!engine.hasCustom) return (ex) => decide(ex, ex);

    const onVerdict = (ex: Exchange, view: AuthzRequestView, i: number, v: ExtAuthzVerdict): void => {
      if (ex.closed) return; // the client went away while the authorizer thought
      const client = clients[i] as ExtAuthzClient;
      if (v.failed) {
        const now = Date.now();
        if (now - (lastFailureLog[i] as number) >= FAILURE_LOG_INTERVAL_MS) {
          lastFailureLog[i] = now;
          log.warn('external authorizer failed', { provider: client.provider.name, reason: v.reason });
        }
      }
      if (!v.allowed) {
        log.debug('request denied by external authorizer', { provider: client.provider.name, reason: v.reason, method: ex.method, path: ex.pathOnly });
        if (authzChannel.hasSubscribers) publish(ex, false, 'custom', client.provider.name, null);
        if (v.failed) {
          ex.localReply(v.status, UAEX, `external authorizer ${client.provider.name}: ${v.reason}`);
        } else {
          // The client gets the authorizer's status, body and its headersToDownstreamOnDeny.
          ex.flags = ex.flags === '' ? UAEX : `${ex.flags},${UAEX}`;
          ex.directReply(v.status, v.body, v.headers);
        }
        return;
      }
      for (const [name, value] of v.headers) ex.setRequestHeader(name, value);
      const after = view === ex && v.headers.length === 0 ? ex : withHeaderEdits(ex);
      const j = engine.nextCustom(after, i + 1);
      if (j >= 0) ask(ex, after, j);
      else decide(ex, after);
    };

    const ask = (ex: Exchange, view: AuthzRequestView, i: number): void => {
      (clients[i] as ExtAuthzClient)
        .check(view)
        .then((v) => onVerdict(ex, view, i, v))
        .catch((e: unknown) => {
          // A bug after the answer (in this filter or the ones after it) must not escape as an
          // unhandled rejection.
          const msg = e instanceof Error ? e.message : String(e);
          if (!ex.responseStarted) ex.localReply(500, '-', `internal error: ${msg}`);
          else ex.abort('-', 'internal error');
        });
    };

    return (ex) => {
      const i = engine.nextCustom(ex, 0);
      if (i < 0) decide(ex, ex);
      else ask(ex, ex, i);
    };
  };
}

function publish(ex: Exchange, allowed: boolean, reason: string, policy: string | null, d: AuthzDecision | null): void {
  const ev: AuthzEvent = { method: ex.method, authority: ex.authority, path: ex.pathOnly, allowed, reason, policy, audited: d?.audited ?? null, shadow: d?.shadow ?? null };
  authzChannel.publish(ev);
}

/** The request as later filters will see it: header edits made so far take precedence. */
function withHeaderEdits(ex: Exchange): AuthzRequestView {
  return {
    method: ex.method,
    authority: ex.authority,
    path: ex.path,
    pathOnly: ex.pathOnly,
    clientAddress: ex.clientAddress,
    peer: ex.peer,
    jwt: ex.jwt,
    header(name: string): string | undefined {
      const edit = ex.headerEdits?.get(name);
      if (edit === undefined) return ex.header(name);
      return edit ?? undefined;
    },
  };
}
