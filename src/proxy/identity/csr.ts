// A fresh EC P-256 key and a PKCS#10 CSR for one SPIFFE ID. The private key stays in this process.
//
// The CSR is built here in a few lines of DER rather than with a certificate library: a proxy
// only ever writes this one shape (empty subject, the P-256 public key, one URI SAN in an
// extension request, ECDSA-SHA256), and a library would cost every sidecar ~20 MB of memory.
// The CA parses and checks it with a full X.509 implementation.

import { generateKeyPair, sign } from 'node:crypto';
import { promisify } from 'node:util';

const generateKeyPairAsync = promisify(generateKeyPair);

export interface KeyAndCsr {
  /** PKCS#8 PEM. */
  keyPem: string;
  /** The public key as SubjectPublicKeyInfo DER, to check the returned certificate against. */
  spki: Buffer;
  csrPem: string;
}

function len(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** A DER TLV. */
function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), len(body.length), body]);
}

const SEQUENCE = 0x30;
const SET = 0x31;
const EXTENSION_REQUEST = Buffer.from('06092a864886f70d01090e', 'hex'); // 1.2.840.113549.1.9.14
const SUBJECT_ALT_NAME = Buffer.from('0603551d11', 'hex'); // 2.5.29.17
const ECDSA_WITH_SHA256 = Buffer.from('300a06082a8648ce3d040302', 'hex'); // AlgorithmIdentifier, no parameters
const VERSION_0 = Buffer.from('020100', 'hex');
const EMPTY_NAME = Buffer.from('3000', 'hex');

/** DER of a PKCS#10 CertificationRequest for `spki`, asking for one URI SAN, signed with `key`. */
export function buildCsr(spki: Buffer, spiffeId: string, key: Parameters<typeof sign>[2]): Buffer {
  if (!/^[\x21-\x7e]+$/.test(spiffeId)) throw new Error(`not a URI: ${JSON.stringify(spiffeId)}`);
  const generalNames = tlv(SEQUENCE, tlv(0x86, Buffer.from(spiffeId, 'ascii')));
  const extension = tlv(SEQUENCE, SUBJECT_ALT_NAME, tlv(0x04, generalNames));
  const attribute = tlv(SEQUENCE, EXTENSION_REQUEST, tlv(SET, tlv(SEQUENCE, extension)));
  const info = tlv(SEQUENCE, VERSION_0, EMPTY_NAME, spki, tlv(0xa0, attribute));
  const signature = sign('sha256', info, key); // DER-encoded ECDSA signature
  return tlv(SEQUENCE, info, ECDSA_WITH_SHA256, tlv(0x03, Buffer.from([0]), signature));
}

function pem(der: Buffer, label: string): string {
  const b64 = der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

export async function createKeyAndCsr(spiffeId: string): Promise<KeyAndCsr> {
  const { privateKey, publicKey } = await generateKeyPairAsync('ec', { namedCurve: 'P-256' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  return {
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    spki,
    csrPem: pem(buildCsr(spki, spiffeId, privateKey), 'CERTIFICATE REQUEST'),
  };
}
