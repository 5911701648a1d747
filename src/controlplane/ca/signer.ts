// A signing certificate and its key, checked to fit together and prepared for issuing leaves:
// the issuer name, the extensions every leaf shares and a signing function are built once.

import { createPrivateKey, createPublicKey, sign as nodeSign, webcrypto, X509Certificate, type KeyObject } from 'node:crypto';

type CryptoKey = webcrypto.CryptoKey;
type Crypto = webcrypto.Crypto;
type Algorithm = webcrypto.Algorithm;
import { CaError, type CaErrorCode } from './errors.ts';
import { x509 } from './x509.ts';

export interface Signer {
  /** The certificate that signs leaves (a root, or a plug-in intermediate). */
  readonly cert: X509Certificate;
  readonly certPem: string;
  /** PEM certificates a leaf's chain carries after the leaf: from the signer up to, not including, the root. */
  readonly chain: readonly string[];
  /** A leaf may not outlive any certificate it chains through (ms since the epoch). */
  readonly notAfter: number;
  readonly notBefore: number;
  readonly issuerName: x509.Name;
  readonly signingKey: CryptoKey;
  readonly signingAlgorithm: Algorithm;
  /** Extensions every leaf of this signer carries besides its SAN: EKU, KU, AKI. */
  readonly leafExtensions: readonly x509.Extension[];
  /** A crypto provider for the library whose `sign` is node:crypto's synchronous one. */
  readonly provider: Crypto;
}

export interface SignerSource {
  certPem: string;
  keyPem: string;
  /** PEM certificates a leaf carries after itself: the signer and those above it, not the root. */
  chain: readonly string[];
  /** Earliest expiry among the certificates above the signer that a leaf chains through (ms), or Infinity. */
  chainNotAfter: number;
  /** For error messages: which files the cert and key came from, and the code to fail with. */
  certFile: string;
  keyFile: string;
  code: CaErrorCode;
}

interface KeyKind {
  importAlg: webcrypto.EcKeyImportParams | webcrypto.RsaHashedImportParams;
  signingAlgorithm: Algorithm;
  hash: 'sha256' | 'sha384';
}

function keyKind(key: KeyObject): KeyKind | null {
  const d = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === 'ec' && d?.namedCurve === 'prime256v1') {
    return { importAlg: { name: 'ECDSA', namedCurve: 'P-256' }, signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' } as Algorithm, hash: 'sha256' };
  }
  if (key.asymmetricKeyType === 'ec' && d?.namedCurve === 'secp384r1') {
    return { importAlg: { name: 'ECDSA', namedCurve: 'P-384' }, signingAlgorithm: { name: 'ECDSA', hash: 'SHA-384' } as Algorithm, hash: 'sha384' };
  }
  if (key.asymmetricKeyType === 'rsa' && (d?.modulusLength ?? 0) >= 2048) {
    return { importAlg: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, signingAlgorithm: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as Algorithm, hash: 'sha256' };
  }
  return null;
}

/**
 * The library computes the to-be-signed bytes and encodes the result; only the signature itself
 * goes through this provider. node:crypto's synchronous sign skips webcrypto's promise and copy
 * round trip. ECDSA signatures are returned in the IEEE P1363 (r||s) form webcrypto would give,
 * which the library re-encodes as DER.
 */
function nodeSigningProvider(key: KeyObject, hash: string): Crypto {
  const subtle = {
    sign: async (_alg: unknown, _key: unknown, data: ArrayBuffer | ArrayBufferView): Promise<ArrayBuffer> => {
      const bytes = ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);
      const sig = nodeSign(hash, bytes, { key, dsaEncoding: 'ieee-p1363' });
      return sig.buffer.slice(sig.byteOffset, sig.byteOffset + sig.byteLength) as ArrayBuffer;
    },
  };
  return { subtle, getRandomValues: <T extends ArrayBufferView | null>(a: T) => webcrypto.getRandomValues(a as never) as T } as unknown as Crypto;
}

export async function makeSigner(src: SignerSource): Promise<Signer> {
  function fail(msg: string, cause?: unknown): never {
    throw new CaError(src.code, msg, cause === undefined ? undefined : { cause });
  }
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(src.certPem);
  } catch (e) {
    fail(`${src.certFile}: not a PEM certificate (${(e as Error).message})`, e);
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(src.keyPem);
  } catch (e) {
    fail(`${src.keyFile}: cannot read the private key; it must be an unencrypted PEM key (${(e as Error).message})`, e);
  }
  if (!cert.ca) fail(`${src.certFile} is not a CA certificate (BasicConstraints CA is not set)`);
  const libCert = new x509.X509Certificate(src.certPem);
  const ku = libCert.getExtension(x509.KeyUsagesExtension);
  if (ku !== null && (ku.usages & x509.KeyUsageFlags.keyCertSign) === 0) fail(`${src.certFile}: its KeyUsage does not allow keyCertSign`);
  const certSpki = cert.publicKey.export({ type: 'spki', format: 'der' });
  const keySpki = createPublicKey(key).export({ type: 'spki', format: 'der' });
  if (!certSpki.equals(keySpki)) fail(`${src.keyFile} does not match ${src.certFile}: the key's public half is not the certificate's public key`);
  const k = keyKind(key);
  if (k === null) fail(`${src.keyFile}: unsupported CA key (${key.asymmetricKeyType}); use EC P-256, EC P-384 or RSA of at least 2048 bits`);
  const now = Date.now();
  const notBefore = Date.parse(cert.validFrom);
  const notAfter = Math.min(Date.parse(cert.validTo), src.chainNotAfter);
  if (Date.parse(cert.validTo) <= now) fail(`${src.certFile} expired at ${new Date(Date.parse(cert.validTo)).toISOString()}`);
  if (notBefore > now + 60_000) fail(`${src.certFile} is not valid before ${new Date(notBefore).toISOString()}`);

  const pkcs8 = key.export({ type: 'pkcs8', format: 'der' });
  const signingKey = await webcrypto.subtle.importKey('pkcs8', pkcs8, k.importAlg, false, ['sign']);
  const ski = libCert.getExtension(x509.SubjectKeyIdentifierExtension);
  const aki = ski !== null ? new x509.AuthorityKeyIdentifierExtension(ski.keyId) : await x509.AuthorityKeyIdentifierExtension.create(libCert.publicKey);
  return {
    cert,
    certPem: cert.toString(),
    chain: src.chain,
    notAfter,
    notBefore,
    issuerName: new x509.Name(libCert.subjectName.toArrayBuffer()),
    signingKey,
    signingAlgorithm: k.signingAlgorithm,
    leafExtensions: [
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      aki,
    ],
    provider: nodeSigningProvider(key, k.hash),
  };
}
