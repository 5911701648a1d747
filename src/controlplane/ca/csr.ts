// Reading a workload's CSR: one PEM block, a PKCS#10 request whose signature verifies with the
// key it carries, an accepted key type, and the names it asks for. Deciding whether those names
// are allowed is the CA's job; this module only reports them.

import { createPublicKey, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { CaError, CaErrors } from './errors.ts';
import { pemBlocks } from './pem.ts';
import { x509 } from './x509.ts';

/** A CSR for one SPIFFE ID is well under 1 KiB of PEM; an RSA-4096 one under 2 KiB. */
export const MAX_CSR_PEM_LENGTH = 16 * 1024;
const MAX_RSA_BITS = 8192;

export interface ReadCsr {
  /** SubjectPublicKeyInfo, DER. */
  spki: ArrayBuffer;
  /** Every name in the CSR's SubjectAlternativeName, as `URI:...`, `DNS:...` and so on. */
  sans: string[];
  /** The URI SANs alone. */
  uris: string[];
}

// The signature algorithms a CSR may use, by the exact DER of its AlgorithmIdentifier.
const SIG_ALGS = new Map<string, { key: 'ec' | 'rsa'; hash: string }>([
  ['300a06082a8648ce3d040302', { key: 'ec', hash: 'sha256' }], // ecdsa-with-SHA256
  ['300a06082a8648ce3d040303', { key: 'ec', hash: 'sha384' }], // ecdsa-with-SHA384
  ['300d06092a864886f70d01010b0500', { key: 'rsa', hash: 'sha256' }], // sha256WithRSAEncryption
  ['300b06092a864886f70d01010b', { key: 'rsa', hash: 'sha256' }],
  ['300d06092a864886f70d01010c0500', { key: 'rsa', hash: 'sha384' }],
  ['300d06092a864886f70d01010d0500', { key: 'rsa', hash: 'sha512' }],
]);

const invalid = (msg: string, cause?: unknown) => new CaError(CaErrors.CSR_INVALID, `cannot sign CSR: ${msg}`, cause === undefined ? undefined : { cause });

/** One DER element at `at`: its tag, where its content starts and where the element ends. */
function tlv(buf: Buffer, at: number): { tag: number; start: number; end: number } {
  if (at + 2 > buf.length) throw invalid('truncated DER');
  const tag = buf[at]!;
  let len = buf[at + 1]!;
  let start = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    // No indefinite lengths (BER), nothing beyond 4 length bytes, no leading zero bytes.
    if (n === 0 || n > 4 || start + n > buf.length || buf[start] === 0) throw invalid('bad DER length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[start + i]!;
    if (len < 0x80) throw invalid('bad DER length');
    start += n;
  }
  const end = start + len;
  if (end > buf.length) throw invalid('truncated DER');
  return { tag, start, end };
}

/**
 * Splits CertificationRequest ::= SEQUENCE { info, signatureAlgorithm, signature BIT STRING },
 * and takes the SubjectPublicKeyInfo out of info ::= SEQUENCE { version, subject, spki, ... },
 * all as the exact bytes that were signed.
 */
function splitSigned(der: Buffer): { tbs: Buffer; spki: Buffer; alg: Buffer; signature: Buffer } {
  const outer = tlv(der, 0);
  if (outer.tag !== 0x30 || outer.end !== der.length) throw invalid('not a DER SEQUENCE');
  const info = tlv(der, outer.start);
  const alg = tlv(der, info.end);
  const sig = tlv(der, alg.end);
  if (info.tag !== 0x30 || alg.tag !== 0x30 || sig.tag !== 0x03 || sig.end !== outer.end) throw invalid('not a PKCS#10 structure');
  if (der[sig.start] !== 0) throw invalid('signature BIT STRING has unused bits');
  const version = tlv(der, info.start);
  const subject = tlv(der, version.end);
  const spki = tlv(der, subject.end);
  if (version.tag !== 0x02 || subject.tag !== 0x30 || spki.tag !== 0x30 || spki.end > info.end) throw invalid('not a PKCS#10 structure');
  return { tbs: der.subarray(outer.start, info.end), spki: der.subarray(subject.end, spki.end), alg: der.subarray(info.end, alg.end), signature: der.subarray(sig.start + 1, sig.end) };
}

// SubjectPublicKeyInfo of every EC P-256 key, up to its 65-byte uncompressed point.
const P256_SPKI_PREFIX = Buffer.from('3059301306072a8648ce3d020106082a8648ce3d030107034200', 'hex');

/**
 * The CSR's public key and its kind. The common case, EC P-256, is recognised by its fixed
 * encoding and imported from the point's coordinates, which skips OpenSSL's generic key decoder
 * (about half the import time); the import still checks that the point is on the curve.
 */
function publicKeyOf(spki: Buffer): { key: KeyObject; kind: 'ec' | 'rsa' } {
  try {
    if (spki.length === P256_SPKI_PREFIX.length + 65 && spki.subarray(0, P256_SPKI_PREFIX.length).equals(P256_SPKI_PREFIX) && spki[P256_SPKI_PREFIX.length] === 0x04) {
      const at = P256_SPKI_PREFIX.length + 1;
      const jwk = { kty: 'EC', crv: 'P-256', x: spki.subarray(at, at + 32).toString('base64url'), y: spki.subarray(at + 32).toString('base64url') };
      return { key: createPublicKey({ key: jwk, format: 'jwk' }), kind: 'ec' };
    }
    const key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
    return { key, kind: checkKey(key) };
  } catch (e) {
    if (e instanceof CaError) throw e;
    throw invalid(`unreadable public key (${(e as Error).message})`, e);
  }
}

function checkKey(key: KeyObject): 'ec' | 'rsa' {
  const d = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === 'ec') {
    if (d?.namedCurve !== 'prime256v1') throw new CaError(CaErrors.CSR_KEY, `cannot sign CSR: EC key on curve ${d?.namedCurve ?? 'unknown'}; only P-256 is accepted`);
    return 'ec';
  }
  if (key.asymmetricKeyType === 'rsa') {
    const bits = d?.modulusLength ?? 0;
    if (bits < 2048 || bits > MAX_RSA_BITS) throw new CaError(CaErrors.CSR_KEY, `cannot sign CSR: RSA key of ${bits} bits; 2048 to ${MAX_RSA_BITS} are accepted`);
    return 'rsa';
  }
  throw new CaError(CaErrors.CSR_KEY, `cannot sign CSR: ${key.asymmetricKeyType ?? 'unknown'} key; only EC P-256 and RSA are accepted`);
}

function sanText(n: x509.GeneralName): string {
  const label = { url: 'URI', dns: 'DNS', email: 'email', ip: 'IP', dn: 'DirName', guid: 'GUID', upn: 'UPN', id: 'RID' }[n.type] ?? n.type;
  return `${label}:${n.value}`;
}

export async function readCsr(pem: unknown): Promise<ReadCsr> {
  if (typeof pem !== 'string') throw invalid('the CSR is not a string');
  if (pem.length > MAX_CSR_PEM_LENGTH) throw invalid(`the CSR is larger than ${MAX_CSR_PEM_LENGTH} bytes`);
  const blocks = pemBlocks(pem);
  if (blocks === null || blocks.length !== 1 || blocks[0]!.label !== 'CERTIFICATE REQUEST') throw invalid('expected exactly one PEM "CERTIFICATE REQUEST" block');
  const der = blocks[0]!.der;
  const { tbs, spki, alg, signature } = splitSigned(der);
  const { key, kind: keyType } = publicKeyOf(spki);

  const sigAlg = SIG_ALGS.get(alg.toString('hex'));
  if (sigAlg === undefined || sigAlg.key !== keyType) throw invalid('unsupported signature algorithm for its key');
  let ok = false;
  try {
    // Over the exact bytes that were signed, not a re-encoding of what the library parsed.
    ok = nodeVerify(sigAlg.hash, tbs, key, signature);
  } catch {
    ok = false;
  }
  if (!ok) throw invalid('its signature does not verify with the key it carries');

  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(der);
  } catch (e) {
    throw invalid(`not a PKCS#10 request (${(e as Error).message})`, e);
  }

  let sans: string[] = [];
  let uris: string[] = [];
  try {
    // Nothing of the CSR but its key goes into the certificate; these checks only make sure that
    // a request for anything more than the one identity is refused rather than quietly narrowed.
    if (csr.getAttributes('1.2.840.113549.1.9.14').length > 1) throw invalid('it has more than one extensionRequest attribute');
    const found = csr.extensions.filter((e) => e.type === '2.5.29.17');
    if (found.length > 1) throw invalid('it has more than one SubjectAlternativeName extension');
    if (found.length === 1) {
      const ext = found[0]!;
      const san = ext instanceof x509.SubjectAlternativeNameExtension ? ext : new x509.SubjectAlternativeNameExtension(ext.rawData);
      sans = san.names.items.map(sanText);
      uris = san.names.items.filter((n) => n.type === 'url').map((n) => n.value);
    }
  } catch (e) {
    if (e instanceof CaError) throw e;
    throw invalid(`unreadable extensions (${(e as Error).message})`, e);
  }
  return { spki: spki.buffer.slice(spki.byteOffset, spki.byteOffset + spki.byteLength) as ArrayBuffer, sans, uris };
}
