import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import { PodAnnotations, type Resource } from '../../api/index.ts';
import { CliError, clientFor } from '../context.ts';

/** `deploy/NAME` picks a running pod of that deployment; anything else is a pod name. */
function choosePod(pods: Resource[], target: string, ns: string): Resource {
  const running = (p: Resource) => (p.status as { phase?: string } | undefined)?.phase === 'Running';
  if (target.startsWith('deploy/') || target.startsWith('deployment/')) {
    const dep = target.slice(target.indexOf('/') + 1);
    const mine = pods.filter((p) => p.metadata.annotations?.[PodAnnotations.owner] === dep);
    const pod = mine.find(running) ?? mine[0];
    if (pod === undefined) throw new CliError(`error: no pods found for deployment "${dep}" in namespace "${ns}"`);
    return pod;
  }
  const pod = pods.find((p) => p.metadata.name === target);
  if (pod === undefined) throw new CliError(`Error from server (NotFound): pods "${target}" not found`);
  return pod;
}

export function registerExec(program: Command): void {
  program
    .command('exec')
    .description('Run a command as if inside a pod: its name, namespace and, with a sidecar, its HTTP_PROXY (as kubectl exec -- curl ...)')
    .argument('<pod>', 'pod name, or deploy/NAME')
    .argument('<command...>', 'command and arguments (after --)')
    .option('-n, --namespace <ns>', 'namespace', 'default')
    .option('--server <url>', 'control plane address (default: the running mesh)')
    .action(async (target: string, command: string[], o: { namespace: string; server?: string }) => {
      const pods = (await clientFor(o.server).list('pods', o.namespace)).items;
      const pod = choosePod(pods, target, o.namespace);
      const env: NodeJS.ProcessEnv = { ...process.env, POD_NAME: pod.metadata.name, POD_NAMESPACE: o.namespace, HOSTNAME: pod.metadata.name };
      for (const k of ['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'ALL_PROXY', 'all_proxy', 'NO_PROXY', 'no_proxy']) delete env[k];
      const outbound = pod.metadata.annotations?.[PodAnnotations.outbound];
      if (outbound !== undefined) {
        env['HTTP_PROXY'] = `http://${outbound}`;
        env['http_proxy'] = `http://${outbound}`;
      }
      const [cmd, ...args] = command as [string, ...string[]];
      const code = await new Promise<number>((resolve) => {
        const child = spawn(cmd, args, { env, stdio: 'inherit' });
        child.on('error', (e) => {
          process.stderr.write(`error: cannot run ${cmd}: ${e.message}\n`);
          resolve(127);
        });
        child.on('exit', (c, signal) => resolve(c ?? (signal ? 128 : 1)));
      });
      // kubectl reports a failed command this way too.
      if (code !== 0) process.stderr.write(`command terminated with exit code ${code}\n`);
      process.exitCode = code;
    });
}
