import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { SECRET_FILES, type SecretFile, type SecretRequest } from '../../api/index.ts';
import { CliError, clientFor, out } from '../context.ts';

function read(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new CliError(`error: cannot read ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

async function put(req: SecretRequest, server: string | undefined): Promise<void> {
  await clientFor(server).putSecret(req);
  out(`secret/${req.name} created\n`);
}

export function registerCreate(program: Command): void {
  const create = program.command('create').description('Create objects that are not YAML resources: TLS secrets for gateways (credentialName)');
  const secret = create.command('secret').description('Create a secret (kept in the mesh state directory; gateways read it by credentialName)');
  secret
    .command('tls')
    .description('A TLS secret from a certificate and key: kubectl create secret tls NAME --cert=FILE --key=FILE')
    .argument('<name>', 'secret name, as a Gateway server\'s tls.credentialName refers to it')
    .requiredOption('--cert <file>', 'PEM certificate (chain) for tls.crt')
    .requiredOption('--key <file>', 'PEM private key for tls.key')
    .option('--cacert <file>', 'PEM CA bundle for ca.crt (to verify client certificates, MUTUAL)')
    .option('-n, --namespace <ns>', 'namespace (the gateway\'s: istio-system)', 'istio-system')
    .option('--server <url>', 'control plane address (default: the running mesh)')
    .action(async (name: string, o: { cert: string; key: string; cacert?: string; namespace: string; server?: string }) => {
      const data: SecretRequest['data'] = { 'tls.crt': read(o.cert, '--cert'), 'tls.key': read(o.key, '--key') };
      if (o.cacert !== undefined) data['ca.crt'] = read(o.cacert, '--cacert');
      await put({ namespace: o.namespace, name, data }, o.server);
    });
  secret
    .command('generic')
    .description('A secret from files: --from-file=tls.crt=FILE --from-file=tls.key=FILE [--from-file=ca.crt=FILE]')
    .argument('<name>', 'secret name')
    .requiredOption('--from-file <key=file...>', 'one of tls.crt, tls.key, ca.crt (also cert, key, cacert) and its file')
    .option('-n, --namespace <ns>', 'namespace', 'istio-system')
    .option('--server <url>', 'control plane address (default: the running mesh)')
    .action(async (name: string, o: { fromFile: string[]; namespace: string; server?: string }) => {
      const alias: Record<string, SecretFile> = { cert: 'tls.crt', key: 'tls.key', cacert: 'ca.crt' };
      const data: SecretRequest['data'] = {};
      for (const item of o.fromFile) {
        const eq = item.indexOf('=');
        if (eq <= 0) throw new CliError(`error: --from-file needs KEY=FILE (got ${JSON.stringify(item)})`);
        const k = item.slice(0, eq);
        const key = (SECRET_FILES as readonly string[]).includes(k) ? (k as SecretFile) : alias[k];
        if (key === undefined) throw new CliError(`error: --from-file key ${k}: a TLS secret holds ${SECRET_FILES.join(', ')}`);
        data[key] = read(item.slice(eq + 1), `--from-file ${k}`);
      }
      await put({ namespace: o.namespace, name, data }, o.server);
    });
}
