// The `isthmus` command line.

import { Command, CommanderError } from 'commander';
import { isIsthmusError } from '../shared/index.ts';
import { registerApply } from './commands/apply.ts';
import { registerCa } from './commands/ca.ts';
import { registerCreate } from './commands/create.ts';
import { registerDashboard } from './commands/dashboard.ts';
import { registerDelete } from './commands/delete.ts';
import { registerExec } from './commands/exec.ts';
import { registerGet } from './commands/get.ts';
import { registerProxyStatus } from './commands/proxy-status.ts';
import { registerUp } from './commands/up.ts';
import { CliError } from './context.ts';

const program = new Command('isthmus')
  .description('Isthmus: a service mesh that runs Istio configuration, on one machine or on Kubernetes')
  .version('0.1.0')
  .showHelpAfterError()
  .exitOverride();

registerUp(program);
registerApply(program);
registerCreate(program);
registerDelete(program);
registerExec(program);
registerGet(program);
registerProxyStatus(program);
registerCa(program);
registerDashboard(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) process.exit(e.exitCode);
  if (e instanceof CliError) {
    process.stderr.write(`${e.message}\n`);
    process.exit(e.exitCode);
  }
  if (isIsthmusError(e)) {
    process.stderr.write(`error: ${e.message}\n`);
    process.exit(1);
  }
  throw e;
}
