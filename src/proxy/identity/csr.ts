// A fresh EC P-256 key and a PKCS#10 CSR for one SPIFFE ID. The private key stays in this process.

import { generateKeyPair, webcrypto } from 'node:crypto';
import { promisify } from 'node:util';
import { x509 } from './x509.ts';

const generateKeyPairAsync = promisify(generateKeyPair);
const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };

export interface KeyAndCsr {
  /** PKCS#8 PEM. */
  keyPem: string;
  /** The public key as SubjectPublicKeyInfo DER, to check the returned certificate against. */
  spki: Buffer;
  csrPem: string;
}

export async function createKeyAndCsr(spiffeId: string): Promise<KeyAndCsr> {
  const { privateKey, publicKey } = await generateKeyPairAsync('ec', { namedCurve: 'P-256' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const keys = {
    privateKey: await webcrypto.subtle.importKey('pkcs8', privateKey.export({ type: 'pkcs8', format: 'der' }), ALG, false, ['sign']),
    publicKey: await webcrypto.subtle.importKey('spki', spki, ALG, true, ['verify']),
  };
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    keys,
    signingAlgorithm: ALG,
    extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'url', value: spiffeId }])],
  });
  return { keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, spki, csrPem: csr.toString('pem') + '\n' };
}
