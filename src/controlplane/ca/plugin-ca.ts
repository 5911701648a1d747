// A plug-in CA in Istio's `cacerts` layout: the operator's intermediate signs workload leaves.
//
//   ca-cert.pem     the signing (intermediate) certificate
//   ca-key.pem      its key
//   root-cert.pem   the root(s) of trust; becomes the mesh trust bundle
//   cert-chain.pem  ca-cert.pem first, then each issuer up to the root
//
// Everything is checked before the CA starts: the key matches ca-cert.pem, every certificate in
// the chain is a CA, each one is signed by the next, and the chain ends at a root in root-cert.pem.

import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CaError, CaErrors } from './errors.ts';
import { pemBlocks, toPem } from './pem.ts';
import { makeSigner, type Signer } from './signer.ts';

export const PLUGIN_FILES = { caCert: 'ca-cert.pem', caKey: 'ca-key.pem', root: 'root-cert.pem', chain: 'cert-chain.pem' } as const;

export interface PluginCa {
  signer: Signer;
  roots: string[];
}

const fail = (msg: string, cause?: unknown) =>
  new CaError(CaErrors.PLUGIN_INVALID, `plug-in CA: ${msg}`, cause === undefined ? undefined : { cause });

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw fail(`${path} is missing (expected Istio's cacerts layout: ${Object.values(PLUGIN_FILES).join(', ')})`, e);
    }
    throw fail(`cannot read ${path}: ${(e as Error).message}`, e);
  }
}

function readCerts(path: string, text: string): X509Certificate[] {
  const blocks = pemBlocks(text);
  if (blocks === null || blocks.length === 0) throw fail(`${path} holds no PEM certificates (or text outside PEM blocks)`);
  return blocks.map((b, i) => {
    if (b.label !== 'CERTIFICATE') throw fail(`${path}: block ${i + 1} is "${b.label}", expected "CERTIFICATE"`);
    try {
      return new X509Certificate(b.der);
    } catch (e) {
      throw fail(`${path}: certificate ${i + 1} cannot be parsed (${(e as Error).message})`, e);
    }
  });
}

const describe = (c: X509Certificate) => JSON.stringify(c.subject.replace(/\n/g, ', ') || '(empty subject)');
const signs = (issuer: X509Certificate, child: X509Certificate) => child.checkIssued(issuer) && child.verify(issuer.publicKey);

export async function loadPluginCa(dir: string, now = Date.now()): Promise<PluginCa> {
  const path = {
    caCert: join(dir, PLUGIN_FILES.caCert),
    caKey: join(dir, PLUGIN_FILES.caKey),
    root: join(dir, PLUGIN_FILES.root),
    chain: join(dir, PLUGIN_FILES.chain),
  };
  const [caCertText, caKeyText, rootText, chainText] = await Promise.all([readText(path.caCert), readText(path.caKey), readText(path.root), readText(path.chain)]);

  const caCerts = readCerts(path.caCert, caCertText);
  if (caCerts.length !== 1) throw fail(`${path.caCert} must hold exactly one certificate, found ${caCerts.length}`);
  const caCert = caCerts[0]!;
  const roots = readCerts(path.root, rootText);
  for (const r of roots) if (!r.ca) throw fail(`${path.root}: ${describe(r)} is not a CA certificate`);
  const chain = readCerts(path.chain, chainText);

  if (!chain[0]!.raw.equals(caCert.raw)) throw fail(`${path.chain} must start with ${PLUGIN_FILES.caCert}; its first certificate is ${describe(chain[0]!)}`);
  for (let i = 0; i < chain.length; i++) {
    const c = chain[i]!;
    if (!c.ca) throw fail(`${path.chain}: ${describe(c)} is not a CA certificate`);
    if (Date.parse(c.validTo) <= now) throw fail(`${path.chain}: ${describe(c)} expired at ${new Date(c.validTo).toISOString()}`);
    const up = chain[i + 1];
    if (up !== undefined && !signs(up, c)) throw fail(`${path.chain}: certificate ${i + 1} ${describe(c)} is not signed by certificate ${i + 2} ${describe(up)}`);
  }
  const isRoot = (c: X509Certificate) => roots.some((r) => r.raw.equals(c.raw));
  const top = chain[chain.length - 1]!;
  const anchor = isRoot(top) ? top : roots.find((r) => signs(r, top));
  if (anchor === undefined) throw fail(`${path.chain} does not chain to any certificate in ${path.root} (its last certificate ${describe(top)} is neither a root nor signed by one)`);

  const carried = chain.filter((c) => !isRoot(c));
  const above = [...chain.slice(1), anchor];
  const signer = await makeSigner({
    certPem: caCertText,
    keyPem: caKeyText,
    chain: carried.map((c) => toPem(c.raw, 'CERTIFICATE')),
    chainNotAfter: Math.min(...above.map((c) => Date.parse(c.validTo))),
    certFile: path.caCert,
    keyFile: path.caKey,
    code: CaErrors.PLUGIN_INVALID,
  });
  return { signer, roots: roots.map((r) => toPem(r.raw, 'CERTIFICATE')) };
}
