// A new self-signed mesh root: ECDSA P-256, ten years, O=Isthmus CN=Isthmus Root CA.

import { randomBytes, webcrypto } from 'node:crypto';
import { toPem } from './pem.ts';
import { x509 } from './x509.ts';

export interface RootMaterial {
  certPem: string;
  /** PKCS#8 PEM. */
  keyPem: string;
}

export const ROOT_SUBJECT = [{ O: ['Isthmus'] }, { CN: ['Isthmus Root CA'] }];
const ROOT_YEARS = 10;
/** Validity starts a minute back, so peers with a slightly slow clock accept it at once. */
export const CLOCK_SKEW_MS = 60_000;

export async function createRoot(now = Date.now()): Promise<RootMaterial> {
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const notAfter = new Date(now);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + ROOT_YEARS);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomBytes(16).toString('hex'),
    name: ROOT_SUBJECT,
    notBefore: new Date(now - CLOCK_SKEW_MS),
    notAfter,
    keys,
    signingAlgorithm: alg,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { certPem: cert.toString('pem') + '\n', keyPem: toPem(new Uint8Array(pkcs8), 'PRIVATE KEY') };
}
