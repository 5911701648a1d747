// The proxy program (dist/proxy.js): one process per sidecar or gateway.
//
//   --role sidecar|gateway --pod NAME --namespace NS --discovery http://127.0.0.1:PORT
//   [--outbound 127.0.0.1:PORT] [--admin 127.0.0.1:PORT] [--bind-address ADDR] [--port-map 8080=18080,...]
//   [--exit-with-stdin]   (stop when stdin closes: the platform that started us is gone)
//
// stdout carries one JSON object per line: `listening` once the listeners are bound, `config`
// for every version applied or rejected. Logs go to stderr. SIGTERM/SIGINT and POST
// /quitquitquit stop accepting, let in-flight requests finish for up to 2 s, and exit 0.

import { createLogger } from '../shared/index.ts';
import { parseProxyFlags } from './flags.ts';
import { type ProxyEvent, type RunningProxy, startProxy } from './start-proxy.ts';

async function main(): Promise<void> {
  const flags = parseProxyFlags(process.argv.slice(2));
  const log = createLogger(`proxy ${flags.podName}.${flags.namespace}`);
  let running: RunningProxy | undefined;
  let outputGone = false;
  let quitting = false;
  const exit = () => process.exit(0);
  const quit = (signal: string) => {
    if (quitting) return;
    quitting = true;
    if (!outputGone) log.info('shutting down', { signal });
    if (running) void running.stop(2000);
    else exit();
    setTimeout(exit, 3000).unref();
  };
  // If whoever reads our stdout/stderr is gone (EPIPE), so is the platform that started us: stop.
  // Without these listeners a write error would be an uncaught exception whose logging fails again.
  const onOutputError = () => {
    outputGone = true;
    quit('output closed');
  };
  process.stdout.on('error', onOutputError);
  process.stderr.on('error', onOutputError);
  // Last resort: a bug on one connection's event path must not take every other connection down.
  process.on('uncaughtException', (e) => {
    if (!outputGone) log.error('uncaught exception', { error: e, stack: e.stack });
  });
  process.on('SIGTERM', () => quit('SIGTERM'));
  process.on('SIGINT', () => quit('SIGINT'));

  const { exitWithStdin, ...opts } = flags;
  running = await startProxy({
    ...opts,
    onEvent: (ev: ProxyEvent) => process.stdout.write(`${JSON.stringify(ev)}\n`),
    onStopped: exit,
    log,
  });
  if (quitting) void running.stop(2000);
  if (exitWithStdin) {
    process.stdin.on('end', () => quit('stdin closed'));
    process.stdin.on('error', () => quit('stdin error'));
    process.stdin.resume();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`proxy: ${(e as Error).message}\n`);
  process.exit(2);
});
