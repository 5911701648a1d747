// `isthmus dashboard prometheus`: the URL of the Prometheus running with the mesh (as
// `istioctl dashboard prometheus`), opened in a browser with --open.

import type { Command } from 'commander';
import { spawn } from 'node:child_process';
import { PROMETHEUS_MISSING_NOTE, findPrometheus, meshHome, readMeshInfo } from '../../runtime/index.ts';
import { CliError, out } from '../context.ts';

function openInBrowser(url: string): boolean {
  const cmd = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  try {
    const p = spawn(cmd, [url], { stdio: 'ignore', detached: true });
    p.on('error', () => {});
    p.unref();
    return p.pid !== undefined;
  } catch {
    return false;
  }
}

export function registerDashboard(program: Command): void {
  const dashboard = program.command('dashboard').description('Open a web UI of the running mesh');
  dashboard
    .command('prometheus')
    .description('Print the URL of the Prometheus that scrapes the mesh (with --open, open it in a browser)')
    .option('--open', 'open the URL in a browser', false)
    .action((o: { open: boolean }) => {
      const info = readMeshInfo();
      if (info === undefined) throw new CliError(`no running mesh found in ${meshHome()} (start one with \`isthmus up\`)`);
      if (info.prometheus === undefined) {
        const why = findPrometheus() === undefined ? PROMETHEUS_MISSING_NOTE : 'this mesh runs without Prometheus (started with --no-prometheus, or Prometheus failed to start: see its logs)';
        throw new CliError(`error: ${why}`);
      }
      out(`${info.prometheus}\n`);
      if (o.open && !openInBrowser(info.prometheus)) process.stderr.write('note: could not open a browser; open the URL above\n');
    });
}
