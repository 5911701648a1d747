// A throwaway PKI for the proxy's TLS tests, made with the openssl CLI: a root, and leaves with a
// SPIFFE URI SAN (workloads) or a DNS SAN (servers outside the mesh). Files live in a temp dir
// removed when the test ends.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { IdentitySource, TlsMaterial } from './mesh-tls.ts';

export interface TestCa {
  dir: string;
  rootPem: string;
  rootFile: string;
  /** A leaf signed by this root: key, cert, and the files they are in. */
  leaf(name: string, san: string): { key: string; cert: string; keyFile: string; certFile: string };
  /** Workload material for a SPIFFE identity. */
  workload(spiffe: string): TlsMaterial;
}

function ossl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

export function makeTestCa(t: TestContext, name = 'Test Root'): TestCa {
  const dir = mkdtempSync(join(tmpdir(), 'isthmus-pki-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  ossl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'root.key'], dir);
  ossl(['req', '-x509', '-new', '-key', 'root.key', '-subj', `/O=Isthmus Test/CN=${name}`, '-days', '2', '-out', 'root.pem',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  const rootFile = join(dir, 'root.pem');
  const rootPem = readFileSync(rootFile, 'utf8');
  let n = 0;
  const leaf = (leafName: string, san: string) => {
    const id = `${leafName.replace(/[^a-z0-9]/gi, '_')}-${n++}`;
    ossl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${id}.key`], dir);
    ossl(['req', '-new', '-key', `${id}.key`, '-subj', `/O=${leafName.replace(/\//g, '_')}`, '-out', `${id}.csr`], dir);
    writeFileSync(join(dir, `${id}.ext`), `subjectAltName=critical,${san}\nextendedKeyUsage=serverAuth,clientAuth\nkeyUsage=critical,digitalSignature\n`);
    ossl(['x509', '-req', '-in', `${id}.csr`, '-CA', 'root.pem', '-CAkey', 'root.key', '-CAcreateserial', '-days', '1', '-extfile', `${id}.ext`, '-out', `${id}.pem`], dir);
    const keyFile = join(dir, `${id}.key`);
    const certFile = join(dir, `${id}.pem`);
    return { key: readFileSync(keyFile, 'utf8'), cert: readFileSync(certFile, 'utf8'), keyFile, certFile };
  };
  return {
    dir,
    rootPem,
    rootFile,
    leaf,
    workload(spiffe) {
      const l = leaf(spiffe, `URI:${spiffe}`);
      return { key: l.key, certChain: l.cert, roots: [rootPem] };
    },
  };
}

/** An identity source that holds fixed material (and can be swapped to test rotation). */
export class StaticIdentity implements IdentitySource {
  material: TlsMaterial | null;
  readonly #listeners: (() => void)[] = [];
  constructor(m: TlsMaterial | null) {
    this.material = m;
  }
  onChange(fn: () => void): void {
    this.#listeners.push(fn);
  }
  set(m: TlsMaterial): void {
    this.material = m;
    for (const fn of this.#listeners) fn();
  }
}
