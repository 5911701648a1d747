// VirtualService redirect: answered here (terminal), with a Location built from the request and
// the redirect's scheme, authority, port and uri.

import type { Filter } from '../filter.ts';
import type { RouteRequestView } from '../router.ts';
import { DerivePort, type RedirectPolicy } from './compile.ts';

const DEFAULT_PORT: Readonly<Record<string, string>> = { http: '80', https: '443' };

/** `host[:port]` → [host, port or null]; IPv6 literals keep their brackets. */
function splitAuthority(a: string): [string, string | null] {
  const close = a.lastIndexOf(']');
  const colon = a.lastIndexOf(':');
  if (colon > close && /^\d+$/.test(a.slice(colon + 1))) return [a.slice(0, colon), a.slice(colon + 1)];
  return [a, null];
}

/** The Location a redirect sends for this request. `requestPort` is used when the authority names none. */
export function redirectLocation(r: RedirectPolicy, req: RouteRequestView, requestPort: number): string {
  const fromScheme = req.scheme.toLowerCase();
  const scheme = r.scheme ?? fromScheme;
  const [reqHost, reqPort] = splitAuthority(req.authority);
  let [host, port] = r.authority !== null ? splitAuthority(r.authority) : [reqHost, reqPort];
  if (r.port !== null) port = String(r.port);
  else if (r.derivePort === DerivePort.FromProtocolDefault) port = null;
  else if (r.derivePort === DerivePort.FromRequestPort) port = reqPort ?? String(requestPort);
  else if (scheme !== fromScheme && port === DEFAULT_PORT[fromScheme]) port = null; // the old scheme's default means nothing to the new one
  if (port !== null && port === DEFAULT_PORT[scheme]) port = null;
  let path = req.path;
  if (r.uri !== null) {
    // The path is replaced; the query is kept unless the new uri has its own.
    const q = req.path.indexOf('?');
    path = r.uri.includes('?') || q === -1 ? r.uri : r.uri + req.path.slice(q);
  }
  return `${scheme}://${host}${port === null ? '' : `:${port}`}${path}`;
}

export function redirectFilter(r: RedirectPolicy): Filter {
  return () => (ex) => ex.directReply(r.code, '', [['location', redirectLocation(r, ex, ex.port)]]);
}
