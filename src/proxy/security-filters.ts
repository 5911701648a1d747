// The filters every inbound and gateway request passes before routing, built once per config
// version: client-certificate forwarding (XFCC), then end-user authentication (JWT), then
// authorization. Outbound requests (the app calling out) pass none of them.

import type { ProxySecurity } from '../api/index.ts';
import type { Logger } from '../shared/index.ts';
import type { Filter } from './filter.ts';
import { createAuthzFilter } from './authz/index.ts';
import type { MeshTls } from './mesh-tls.ts';

const XFCC = 'x-forwarded-client-cert';

/**
 * Sanitize and set: a client's own X-Forwarded-Client-Cert is never passed on; for an mTLS
 * request the proxy writes `By=<own identity>;Hash=<peer cert sha256>;Subject="";URI=<peer identity>`.
 */
export function xfccFilter(mesh: MeshTls): Filter {
  return (next) => (ex) => {
    const p = ex.peer;
    if (p.identity !== null) {
      ex.setRequestHeader(XFCC, `By=${mesh.identity ?? ''};Hash=${p.certHash ?? ''};Subject="";URI=${p.identity}`);
    } else if (ex.head.hasClientCert) {
      ex.removeRequestHeader(XFCC);
    }
    next(ex);
  };
}

export interface SecurityFilterOptions {
  mesh: MeshTls;
  log: Logger;
}

/**
 * The filters for inbound and gateway listeners, in order. The JWT code (and its library) is
 * loaded the first time a config carries RequestAuthentication rules, not by every proxy.
 */
export async function securityFilters(security: ProxySecurity | null, o: SecurityFilterOptions): Promise<Filter[]> {
  const filters: Filter[] = [xfccFilter(o.mesh)];
  const rules = security?.jwtRules ?? [];
  if (rules.length > 0) {
    const { createJwtFilter } = await import('./jwt/index.ts');
    const jwt = createJwtFilter(rules, { log: o.log });
    if (jwt !== null) filters.push(jwt);
  }
  const ntp = security?.numTrustedProxies;
  const authz = createAuthzFilter(security?.authorization ?? [], ntp !== undefined ? { log: o.log, numTrustedProxies: ntp } : { log: o.log });
  if (authz !== null) filters.push(authz);
  return filters;
}
