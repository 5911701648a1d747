// What the proxy accepts from the CA: a leaf for its own key with exactly the SPIFFE ID it asked
// for, usable for both TLS sides, valid now, chaining through the given intermediates to one of
// the returned roots. The chain it keeps to present ends with that root, as an Istio workload's
// does (peers still verify against their own trust bundle, never against a root a peer sends).

import { X509Certificate } from 'node:crypto';
import { IdentityError, IdentityErrors } from './errors.ts';

export interface CheckedCertificate {
  /** Leaf, intermediates, then the root they chain to (PEM, concatenated). */
  certChainPem: string;
  rootsPem: string[];
  notBefore: Date;
  notAfter: Date;
  serial: string;
}

const MAX_CERTS = 16;
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
/** Accept a certificate that starts up to this far in our future (clock skew). */
const SKEW_MS = 60_000;

const rejected = (msg: string) => new IdentityError(IdentityErrors.CERT_REJECTED, `certificate refused: ${msg}`);

function certList(v: unknown, what: string): X509Certificate[] {
  if (!Array.isArray(v) || v.length === 0 || v.length > MAX_CERTS) throw rejected(`${what} must be a list of 1 to ${MAX_CERTS} PEM certificates`);
  return v.map((pem: unknown, i) => {
    // One certificate per entry: X509Certificate would silently read only the first of several.
    if (typeof pem !== 'string' || pem.split('-----BEGIN CERTIFICATE-----').length !== 2) throw rejected(`${what}[${i}] is not one PEM certificate`);
    try {
      return new X509Certificate(pem);
    } catch {
      throw rejected(`${what}[${i}] cannot be parsed`);
    }
  });
}

const issues = (parent: X509Certificate, child: X509Certificate) => child.checkIssued(parent) && child.verify(parent.publicKey);

/** Chain (leaf first) verifies through to one of `roots` (each signature checked). */
export function chainsTo(chain: readonly X509Certificate[], roots: readonly X509Certificate[]): boolean {
  return anchorOf(chain, roots) !== undefined;
}

/** The root in `roots` that the chain (leaf first) verifies through to, or undefined. */
function anchorOf(chain: readonly X509Certificate[], roots: readonly X509Certificate[]): X509Certificate | undefined {
  for (let i = 0; i + 1 < chain.length; i++) if (!chain[i + 1]!.ca || !issues(chain[i + 1]!, chain[i]!)) return undefined;
  const top = chain[chain.length - 1]!;
  return roots.find((r) => r.ca && issues(r, top));
}

export function checkCertificate(body: unknown, expect: { spiffeId: string; spki: Buffer }, now = Date.now()): CheckedCertificate {
  if (typeof body !== 'object' || body === null) throw rejected('the answer is not an object');
  const b = body as { certChain?: unknown; roots?: unknown };
  const chain = certList(b.certChain, 'certChain');
  const roots = certList(b.roots, 'roots');
  const leaf = chain[0]!;
  if (!leaf.publicKey.export({ type: 'spki', format: 'der' }).equals(expect.spki)) throw rejected('it is not for the key this proxy generated');
  if (leaf.subjectAltName !== `URI:${expect.spiffeId}`) throw rejected(`its SAN is ${leaf.subjectAltName ?? 'missing'}, asked for URI:${expect.spiffeId}`);
  if (leaf.ca) throw rejected('it is a CA certificate');
  const eku = leaf.keyUsage ?? [];
  if (!eku.includes(SERVER_AUTH) || !eku.includes(CLIENT_AUTH)) throw rejected('its extended key usage does not allow both TLS server and client');
  const notBefore = new Date(leaf.validFrom);
  const notAfter = new Date(leaf.validTo);
  if (notAfter.getTime() <= now || notBefore.getTime() > now + SKEW_MS) throw rejected(`it is not valid now (${leaf.validFrom} to ${leaf.validTo})`);
  const anchor = anchorOf(chain, roots);
  if (anchor === undefined) throw rejected('it does not chain to the returned roots');
  // The CA sends the chain up to, not including, the root; a chain that already ends with it is kept as is.
  const presented = anchor.raw.equals(chain[chain.length - 1]!.raw) ? chain : [...chain, anchor];
  return {
    certChainPem: presented.map((c) => c.toString()).join(''),
    rootsPem: roots.map((r) => r.toString()),
    notBefore,
    notAfter,
    serial: leaf.serialNumber,
  };
}
