// Test helpers for the CA: a temp dir that cleans up, the openssl CLI as an independent
// implementation to make keys, CSRs and a plug-in CA, and to verify what the CA issues.

import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from '../../shared/index.ts';

const run = promisify(execFile);

export async function openssl(args: string[], cwd?: string): Promise<{ stdout: string; stderr: string }> {
  return run('openssl', args, { cwd, encoding: 'utf8' });
}

export interface TempDir extends AsyncDisposable {
  path: string;
  file(name: string): string;
  write(name: string, text: string): Promise<string>;
  read(name: string): Promise<string>;
}

export async function tempDir(prefix = 'isthmus-ca-'): Promise<TempDir> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return {
    path,
    file: (n) => join(path, n),
    write: async (n, text) => {
      await writeFile(join(path, n), text);
      return join(path, n);
    },
    read: (n) => readFile(join(path, n), 'utf8'),
    [Symbol.asyncDispose]: () => rm(path, { recursive: true, force: true }),
  };
}

export const quietLog: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** A logger that remembers lines, for asserting on what was logged. */
export function memoryLog(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const at = (level: string) => (msg: string, f?: Record<string, unknown>) => void lines.push(`${level} ${msg}${f ? ' ' + JSON.stringify(f) : ''}`);
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export type KeySpec = 'ec-p256' | 'ec-p384' | 'rsa-2048' | 'rsa-1024';

export async function makeKey(dir: TempDir, name: string, spec: KeySpec = 'ec-p256'): Promise<string> {
  const out = dir.file(name);
  if (spec === 'ec-p256' || spec === 'ec-p384') await openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', `ec_paramgen_curve:${spec === 'ec-p256' ? 'P-256' : 'P-384'}`, '-out', out]);
  else await openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', `rsa_keygen_bits:${spec === 'rsa-2048' ? 2048 : 1024}`, '-out', out]);
  return out;
}

/** A CSR made by openssl, with the given subjectAltName value (e.g. `URI:spiffe://...`), or none. */
export async function opensslCsr(dir: TempDir, name: string, san: string | null, spec: KeySpec = 'ec-p256'): Promise<string> {
  const key = await makeKey(dir, `${name}.key`, spec);
  const args = ['req', '-new', '-key', key, '-subj', '/', '-out', dir.file(`${name}.csr`)];
  if (san !== null) args.push('-addext', `subjectAltName=${san}`);
  await openssl(args);
  return dir.read(`${name}.csr`);
}

/**
 * An Istio-style cacerts directory made with openssl: a root, an intermediate it signs, and
 * ca-cert.pem, ca-key.pem, root-cert.pem, cert-chain.pem (intermediate, then root).
 */
export async function opensslPluginCa(dir: TempDir, sub: string, spec: KeySpec = 'ec-p256'): Promise<string> {
  const d = (n: string) => dir.file(`${sub}-${n}`);
  const rootKey = await makeKey(dir, `${sub}-root-key.pem`, spec);
  await openssl(['req', '-x509', '-new', '-key', rootKey, '-subj', '/O=Example Corp/CN=Example Root CA', '-days', '3650', '-out', d('root-cert.pem'),
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  const caKey = await makeKey(dir, `${sub}-ca-key.pem`, spec);
  await openssl(['req', '-new', '-key', caKey, '-subj', '/O=Example Corp/CN=Intermediate CA/L=cluster1', '-out', d('ca.csr')]);
  await writeFile(d('ca.ext'), 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign,digitalSignature\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n');
  await openssl(['x509', '-req', '-in', d('ca.csr'), '-CA', d('root-cert.pem'), '-CAkey', rootKey, '-CAcreateserial', '-days', '730', '-extfile', d('ca.ext'), '-out', d('ca-cert.pem')]);
  const out = dir.file(sub);
  await run('mkdir', ['-p', out]);
  const caCert = await readFile(d('ca-cert.pem'), 'utf8');
  const root = await readFile(d('root-cert.pem'), 'utf8');
  await writeFile(join(out, 'ca-cert.pem'), caCert);
  await writeFile(join(out, 'ca-key.pem'), await readFile(caKey, 'utf8'), { mode: 0o600 });
  await writeFile(join(out, 'root-cert.pem'), root);
  await writeFile(join(out, 'cert-chain.pem'), caCert + root);
  return out;
}

/** `openssl verify` of a leaf against trusted roots and untrusted intermediates; returns its output. */
export async function opensslVerify(dir: TempDir, leafPem: string, rootsPem: string, intermediatesPem = ''): Promise<string> {
  const tag = Math.random().toString(36).slice(2);
  const leaf = await dir.write(`leaf-${tag}.pem`, leafPem);
  const roots = await dir.write(`roots-${tag}.pem`, rootsPem);
  const args = ['verify', '-purpose', 'sslclient', '-CAfile', roots];
  if (intermediatesPem !== '') args.push('-untrusted', await dir.write(`chain-${tag}.pem`, intermediatesPem));
  args.push(leaf);
  try {
    const r = await openssl(args);
    return r.stdout.trim();
  } catch (e) {
    const x = e as { stdout?: string; stderr?: string };
    return `${x.stdout ?? ''}${x.stderr ?? ''}`.trim();
  }
}
