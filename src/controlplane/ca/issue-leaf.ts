// A workload certificate: empty subject, one critical URI SAN (the SPIFFE ID), EKU serverAuth and
// clientAuth, KU digitalSignature|keyEncipherment (critical), AKI, a random 128-bit serial.

import { randomBytes } from 'node:crypto';
import { CaError, CaErrors } from './errors.ts';
import { CLOCK_SKEW_MS } from './self-signed-root.ts';
import type { Signer } from './signer.ts';
import { x509 } from './x509.ts';

export interface IssuedLeaf {
  pem: string;
  notAfter: Date;
}

export async function issueLeaf(signer: Signer, spki: ArrayBuffer, spiffeId: string, ttlMs: number, now = Date.now()): Promise<IssuedLeaf> {
  // Certificate times are whole seconds: round up, so a leaf lives at least its TTL.
  const notAfter = Math.min(Math.ceil((now + ttlMs) / 1000) * 1000, signer.notAfter);
  if (notAfter <= now) throw new CaError(CaErrors.SIGNER_EXPIRED, `cannot sign CSR: the signing certificate chain expired at ${new Date(signer.notAfter).toISOString()}`);
  if (signer.notBefore > now + CLOCK_SKEW_MS) throw new CaError(CaErrors.SIGNER_EXPIRED, `cannot sign CSR: the signing certificate is not valid before ${new Date(signer.notBefore).toISOString()}`);
  const cert = await x509.X509CertificateGenerator.create(
    {
      serialNumber: randomBytes(16).toString('hex'),
      issuer: signer.issuerName,
      notBefore: new Date(now - CLOCK_SKEW_MS),
      notAfter: new Date(notAfter),
      publicKey: spki,
      signingKey: signer.signingKey,
      signingAlgorithm: signer.signingAlgorithm,
      extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'url', value: spiffeId }], true), ...signer.leafExtensions],
    },
    signer.provider,
  );
  return { pem: cert.toString('pem') + '\n', notAfter: cert.notAfter };
}
