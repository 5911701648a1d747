import type { Command } from 'commander';
import { kindByName } from '../../api/index.ts';
import { formatDiagnostic } from '../../config/index.ts';
import { CliError, clientFor, err, out } from '../context.ts';
import { loadManifests } from '../manifests.ts';

export function registerDelete(program: Command): void {
  program
    .command('delete')
    .description('Delete resources named in files, or by kind and name')
    .argument('[kind]', 'resource kind, e.g. virtualservice (with names)')
    .argument('[names...]', 'resource names')
    .option('-f, --filename <path...>', 'file, directory or - for stdin')
    .option('-R, --recursive', 'read directories recursively', false)
    .option('-n, --namespace <ns>', 'namespace', 'default')
    .option('--ignore-not-found', 'treat missing resources as deleted', false)
    .option('--server <url>', 'control plane address (default: the running mesh)')
    .action(async (kind: string | undefined, names: string[], o: { filename?: string[]; recursive: boolean; namespace: string; ignoreNotFound: boolean; server?: string }) => {
      const refs: { apiVersion?: string; kind: string; namespace?: string; name: string }[] = [];
      if (o.filename) {
        const loaded = loadManifests(o.filename, { recursive: o.recursive, namespace: o.namespace });
        for (const d of loaded.diagnostics) if (d.severity === 'error') err(`${formatDiagnostic(d)}\n`);
        if (loaded.diagnostics.some((d) => d.severity === 'error')) process.exitCode = 1;
        for (const l of loaded.resources) {
          const ref: { apiVersion?: string; kind: string; namespace?: string; name: string } = { apiVersion: l.resource.apiVersion, kind: l.resource.kind, name: l.resource.metadata.name };
          if (l.resource.metadata.namespace) ref.namespace = l.resource.metadata.namespace;
          refs.push(ref);
        }
      } else {
        if (!kind || names.length === 0) throw new CliError('error: give -f FILE, or a kind and one or more names');
        const info = kindByName(kind);
        if (!info) throw new CliError(`error: the server doesn't have a resource type "${kind}"`);
        for (const name of names) refs.push({ kind: info.kind, namespace: o.namespace, name });
      }
      if (!refs.length) return;
      const results = await clientFor(o.server).delete({ resources: refs });
      for (const r of results) {
        const info = kindByName(r.kind);
        const q = info ? (info.group ? `${info.plural}.${info.group}` : info.plural) : r.kind;
        const one = info ? (info.group ? `${info.kind.toLowerCase()}.${info.group}` : info.kind.toLowerCase()) : r.kind;
        if (r.action === 'deleted') out(`${one} "${r.name}" deleted\n`);
        else if (!o.ignoreNotFound) {
          err(`Error from server (NotFound): ${q} "${r.name}" not found\n`);
          process.exitCode = 1;
        }
      }
    });
}
