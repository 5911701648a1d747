// SPIFFE identities on the proxy side: building this workload's ID, and reading a peer's from
// the certificate it presented in a TLS handshake.

import type { PeerCertificate } from 'node:tls';

export function spiffeIdOf(trustDomain: string, namespace: string, serviceAccount: string): string {
  return `spiffe://${trustDomain}/ns/${namespace}/sa/${serviceAccount}`;
}

const SPIFFE_URI_SAN = /^URI:(spiffe:\/\/[a-z0-9._-]+\/[A-Za-z0-9._~%!$&'()*+;=:@/-]*)$/;

/**
 * The SPIFFE ID of a TLS peer: its certificate's only SAN, a spiffe:// URI. Null when the peer
 * sent no certificate or its SANs are anything else (several names, DNS names, no URI).
 */
export function peerSpiffeId(cert: Pick<PeerCertificate, 'subjectaltname'> | null | undefined): string | null {
  const san = cert?.subjectaltname;
  if (typeof san !== 'string') return null;
  // Node lists SANs as "URI:a, DNS:b"; a lone URI SAN without separators is the only accepted form.
  const m = SPIFFE_URI_SAN.exec(san);
  return m === null || san.includes(', ') ? null : m[1]!;
}

/**
 * A `checkServerIdentity` for tls.connect: SPIFFE certificates carry no DNS names, so the server
 * is accepted by its SPIFFE ID instead of its host name.
 */
export function checkServerSpiffeId(allowed: readonly string[] | ((id: string) => boolean)) {
  const ok = typeof allowed === 'function' ? allowed : (id: string) => allowed.includes(id);
  return (_host: string, cert: PeerCertificate): Error | undefined => {
    const id = peerSpiffeId(cert);
    if (id === null) return new Error(`server certificate has no single SPIFFE URI SAN (${cert.subjectaltname ?? 'no SAN'})`);
    return ok(id) ? undefined : new Error(`server identity ${id} is not one this client accepts`);
  };
}
