// TLS secrets for gateways' `credentialName`, kept as files under the state directory
// (`<dir>/<namespace>/<name>/tls.crt|tls.key|ca.crt`, keys mode 0600). Each secret's version is
// a hash of its contents; generation puts it in the gateway's config, so a changed secret is a
// new config version and the gateway reloads it.

import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SECRET_FILES, type SecretFile, type SecretInfo, type SecretRequest } from '../../api/index.ts';

const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

export class SecretStore {
  readonly #dir: string;
  readonly #versions = new Map<string, SecretInfo>();

  constructor(dir: string) {
    this.#dir = dir;
    this.#scan();
  }

  #scan(): void {
    if (!existsSync(this.#dir)) return;
    for (const ns of readdirSync(this.#dir)) {
      if (!NAME.test(ns)) continue;
      for (const name of readdirSync(join(this.#dir, ns))) if (NAME.test(name)) this.#index(ns, name);
    }
  }

  #index(namespace: string, name: string): void {
    const h = createHash('sha256');
    const files: SecretFile[] = [];
    for (const f of SECRET_FILES) {
      const p = join(this.#dir, namespace, name, f);
      if (!existsSync(p)) continue;
      files.push(f);
      h.update(f).update('\0').update(readFileSync(p)).update('\0');
    }
    if (files.length === 0) this.#versions.delete(`${namespace}/${name}`);
    else this.#versions.set(`${namespace}/${name}`, { namespace, name, files, version: h.digest('hex').slice(0, 12) });
  }

  /** Checks and writes a secret; returns what is wrong, or null. */
  put(req: SecretRequest): string | null {
    if (typeof req?.namespace !== 'string' || !NAME.test(req.namespace)) return `bad namespace ${JSON.stringify(req?.namespace)}`;
    if (typeof req.name !== 'string' || !NAME.test(req.name)) return `bad secret name ${JSON.stringify(req.name)}`;
    const data = req.data ?? {};
    for (const k of Object.keys(data)) if (!(SECRET_FILES as readonly string[]).includes(k)) return `unknown key ${k}: a TLS secret holds ${SECRET_FILES.join(', ')}`;
    const crt = data['tls.crt'];
    const key = data['tls.key'];
    if (typeof crt !== 'string' || typeof key !== 'string') return 'tls.crt and tls.key are required';
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(crt);
    } catch (e) {
      return `tls.crt: not a PEM certificate (${(e as Error).message})`;
    }
    try {
      if (!cert.checkPrivateKey(createPrivateKey(key))) return 'tls.key does not match the certificate in tls.crt';
    } catch (e) {
      return `tls.key: not a PEM private key (${(e as Error).message})`;
    }
    const ca = data['ca.crt'];
    if (ca !== undefined) {
      try {
        new X509Certificate(ca);
      } catch (e) {
        return `ca.crt: not a PEM certificate (${(e as Error).message})`;
      }
    }
    const dir = join(this.#dir, req.namespace, req.name);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    for (const f of SECRET_FILES) {
      const content = data[f];
      const path = join(dir, f);
      if (content === undefined) {
        if (existsSync(path)) writeFileSync(path, '');
        continue;
      }
      const tmp = `${path}.${process.pid}.tmp`;
      writeFileSync(tmp, content, { mode: f === 'tls.key' ? 0o600 : 0o644 });
      if (f === 'tls.key') chmodSync(tmp, 0o600);
      renameSync(tmp, path);
    }
    this.#index(req.namespace, req.name);
    return null;
  }

  list(): SecretInfo[] {
    return [...this.#versions.values()].sort((a, b) => (`${a.namespace}/${a.name}` < `${b.namespace}/${b.name}` ? -1 : 1));
  }

  version(namespace: string, name: string): string | undefined {
    return this.#versions.get(`${namespace}/${name}`)?.version;
  }
}
