import type { Command } from 'commander';
import { clientFor, out } from '../context.ts';
import { age, table } from '../output.ts';

export function registerProxyStatus(program: Command): void {
  program
    .command('proxy-status')
    .alias('ps')
    .description('List every proxy with the config version it runs: SYNCED, STALE, NACKED or DISCONNECTED')
    .option('--server <url>', 'control plane address (default: the running mesh)')
    .action(async (o: { server?: string }) => {
      const proxies = await clientFor(o.server).proxies();
      const rows = proxies.map((p) => {
        const state = !p.connected ? 'DISCONNECTED' : p.nacked && p.nacked.version === p.sent ? 'NACKED' : p.acked === p.sent ? 'SYNCED' : 'STALE';
        return [p.id, p.role, state, p.acked ?? '-', `${age(p.lastSeen)} ago`];
      });
      out(table(['NAME', 'ROLE', 'STATUS', 'VERSION', 'LAST SEEN'], rows));
    });
}
