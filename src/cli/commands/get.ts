import type { Command } from 'commander';
import { kindByName } from '../../api/index.ts';
import { rowsFor } from '../columns.ts';
import { CliError, clientFor, out } from '../context.ts';
import { forDisplay, table, toJson, toYaml } from '../output.ts';

export function registerGet(program: Command): void {
  program
    .command('get')
    .description('Show applied resources: virtualservices, destinationrules, gateways, serviceentries, peerauthentications, authorizationpolicies, requestauthentications, services, deployments, pods, ...')
    .argument('<kind>', 'resource kind (plural, singular or short name: vs, dr, gw, se, pa, ap, ra, svc, deploy, po)')
    .argument('[name]', 'one resource by name')
    .option('-n, --namespace <ns>', 'namespace', 'default')
    .option('-A, --all-namespaces', 'list across all namespaces', false)
    .option('-o, --output <format>', 'yaml | json | wide | name')
    .option('--server <url>', 'control plane address (default: the running mesh)')
    .action(async (kind: string, name: string | undefined, o: { namespace: string; allNamespaces: boolean; output?: string; server?: string }) => {
      const info = kindByName(kind);
      if (!info) throw new CliError(`error: the server doesn't have a resource type "${kind}"`);
      if (o.output && !['yaml', 'json', 'wide', 'name'].includes(o.output)) throw new CliError(`error: unable to match a printer suitable for the output format "${o.output}", allowed formats are: json,name,wide,yaml`);
      const ns = o.allNamespaces || !info.namespaced ? undefined : o.namespace;
      const list = await clientFor(o.server).list(info.kind, ns, name);
      const plural = info.group ? `${info.plural}.${info.group}` : info.plural;
      if (name && list.items.length === 0) throw new CliError(`Error from server (NotFound): ${plural} "${name}" not found`);
      const items = list.items.map(forDisplay);
      if (o.output === 'yaml' || o.output === 'json') {
        const value = name ? items[0] : { apiVersion: 'v1', kind: 'List', items, metadata: { resourceVersion: '' } };
        out(o.output === 'yaml' ? toYaml(value) : toJson(value));
        return;
      }
      if (o.output === 'name') {
        for (const r of list.items) out(`${info.group ? `${info.kind.toLowerCase()}.${info.group}` : info.kind.toLowerCase()}/${r.metadata.name}\n`);
        return;
      }
      if (list.items.length === 0) {
        process.stderr.write(ns ? `No resources found in ${ns} namespace.\n` : 'No resources found\n');
        return;
      }
      const { headers, rows } = rowsFor(info.kind, list.items, { wide: o.output === 'wide', allNamespaces: ns === undefined, namespaced: info.namespaced });
      out(table(headers, rows));
    });
}
