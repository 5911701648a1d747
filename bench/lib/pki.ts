// A throwaway PKI for the security scenarios, made with the openssl CLI in the run's temp dir:
// an ECDSA P-256 root, leaves signed by it (P-256 keys made here, for nginx and the handshake
// client), and signing of the CSRs the Isthmus sidecars send to the stand-in CA (their P-256 keys
// never leave the proxy processes). Removed with the temp dir at the end of the run.

import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SignResponse } from '../../src/api/index.ts';

export const TRUST_DOMAIN = 'cluster.local';

/** `spiffe://cluster.local/ns/default/sa/<serviceAccount>`. */
export const spiffeId = (serviceAccount: string) => `spiffe://${TRUST_DOMAIN}/ns/default/sa/${serviceAccount}`;

export interface Leaf {
  keyFile: string;
  certFile: string;
}

export interface BenchPki {
  dir: string;
  rootFile: string;
  rootPem: string;
  /** A P-256 key and a certificate for it with these SANs (e.g. `URI:spiffe://...`, `DNS:name`), usable as TLS server and client. */
  leaf(name: string, sans: readonly string[]): Leaf;
  /** Signs a PKCS#10 CSR (PEM) for `identity`, whatever SAN it asks for: the stand-in CA's job. */
  signCsr(csrPem: string, identity: string): Promise<SignResponse>;
}

const LEAF_EXTENSIONS = (sans: readonly string[]) =>
  `subjectAltName=critical,${sans.join(',')}\nextendedKeyUsage=serverAuth,clientAuth\nkeyUsage=critical,digitalSignature\n`;

function ossl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

export function makeBenchPki(parent: string): BenchPki {
  const dir = join(parent, 'pki');
  mkdirSync(dir, { recursive: true });
  ossl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'root.key'], dir);
  ossl(
    ['req', '-x509', '-new', '-key', 'root.key', '-subj', '/O=Isthmus Bench/CN=Throwaway Root', '-days', '2', '-out', 'root.pem',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
    dir,
  );
  const rootFile = join(dir, 'root.pem');
  const rootPem = readFileSync(rootFile, 'utf8');
  let serial = 0;
  const next = (name: string) => `${name.replace(/[^a-z0-9]/gi, '_')}-${serial++}`;

  return {
    dir,
    rootFile,
    rootPem,
    leaf(name, sans) {
      const id = next(name);
      ossl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${id}.key`], dir);
      ossl(['req', '-new', '-key', `${id}.key`, '-subj', `/O=Isthmus Bench/CN=${name}`, '-out', `${id}.csr`], dir);
      writeFileSync(join(dir, `${id}.ext`), LEAF_EXTENSIONS(sans));
      ossl(['x509', '-req', '-in', `${id}.csr`, '-CA', 'root.pem', '-CAkey', 'root.key', '-CAcreateserial', '-days', '1', '-extfile', `${id}.ext`, '-out', `${id}.pem`], dir);
      return { keyFile: join(dir, `${id}.key`), certFile: join(dir, `${id}.pem`) };
    },
    async signCsr(csrPem, identity) {
      const id = next('csr');
      writeFileSync(join(dir, `${id}.csr`), csrPem);
      // The SAN is the identity the credential proves, not whatever the CSR asks for.
      writeFileSync(join(dir, `${id}.ext`), LEAF_EXTENSIONS([`URI:${identity}`]));
      await new Promise<void>((resolve, reject) => {
        execFile(
          'openssl',
          ['x509', '-req', '-in', `${id}.csr`, '-CA', 'root.pem', '-CAkey', 'root.key', '-CAcreateserial', '-days', '1', '-extfile', `${id}.ext`, '-out', `${id}.pem`],
          { cwd: dir },
          (err, _stdout, stderr) => (err === null ? resolve() : reject(new Error(`openssl could not sign the CSR for ${identity}: ${stderr.trim() || err.message}`))),
        );
      });
      const cert = readFileSync(join(dir, `${id}.pem`), 'utf8');
      const notAfter = execFileSync('openssl', ['x509', '-in', `${id}.pem`, '-noout', '-enddate'], { cwd: dir, encoding: 'utf8' }).trim().replace(/^notAfter=/, '');
      return { certChain: [cert], roots: [rootPem], notAfter: new Date(notAfter).toISOString() };
    },
  };
}
