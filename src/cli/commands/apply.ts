import type { Command } from 'commander';
import { formatDiagnostic } from '../../config/index.ts';
import { clientFor, err, out } from '../context.ts';
import { loadManifests } from '../manifests.ts';

export function qualifiedKind(kind: string, apiVersion: string): string {
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  return group ? `${kind.toLowerCase()}.${group}` : kind.toLowerCase();
}

export function registerApply(program: Command): void {
  program
    .command('apply')
    .description('Apply configuration from files, directories or stdin; each resource is accepted or rejected on its own')
    .requiredOption('-f, --filename <path...>', 'file, directory or - for stdin (repeatable)')
    .option('-R, --recursive', 'read directories recursively', false)
    .option('-n, --namespace <ns>', 'namespace for resources that do not name one')
    .option('--dry-run', 'validate and show what would change, change nothing', false)
    .option('--wait', 'return when every proxy has taken the new config', false)
    .option('--server <url>', 'control plane address (default: the running mesh)')
    .action(async (o: { filename: string[]; recursive: boolean; namespace?: string; dryRun: boolean; wait: boolean; server?: string }) => {
      const loaded = loadManifests(o.filename, o.namespace ? { recursive: o.recursive, namespace: o.namespace } : { recursive: o.recursive });
      let failed = loaded.diagnostics.some((d) => d.severity === 'error');
      for (const d of loaded.diagnostics) err(`${formatDiagnostic(d)}\n`);
      if (loaded.resources.length) {
        const client = clientFor(o.server);
        const t0 = performance.now();
        const res = await client.apply({ resources: loaded.resources.map((l) => l.resource), dryRun: o.dryRun }, { wait: o.wait });
        res.results.forEach((r, i) => {
          const src = loaded.resources[i];
          const errors = r.diagnostics.filter((d) => d.severity === 'error');
          for (const d of r.diagnostics) {
            err(`${src ? `${src.file}:${src.line}: ` : ''}${d.severity}: ${r.kind} ${r.namespace ? `${r.namespace}/` : ''}${r.name}: ${d.path ? `${d.path}: ` : ''}${d.message} [${d.code}]\n`);
          }
          if (errors.length) failed = true;
          else out(`${qualifiedKind(r.kind, r.apiVersion)}/${r.name} ${r.action}${o.dryRun ? ' (dry run)' : ''}\n`);
        });
        if (res.propagation) {
          const p = res.propagation;
          const total = p.synced.length + p.pending.length + p.nacked.length;
          out(`reached ${p.synced.length} of ${total} proxies in ${Math.round(performance.now() - t0)} ms\n`);
          for (const id of p.nacked) err(`proxy ${id} rejected the config\n`);
          for (const id of p.pending) err(`proxy ${id} has not confirmed the config yet\n`);
        }
      }
      if (failed) process.exitCode = 1;
    });
}

