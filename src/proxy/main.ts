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
import { type ProxyEvent, startProxy } from './start-proxy.ts';

async function main(): Promise<void> {
  const flags = parseProxyFlags(process.argv.slice(2));
  const log = createLogger(`proxy ${flags.podName}.${flags.namespace}`);
  // Last resort: a bug on one connection's event path must not take every other connection down.
  process.on('uncaughtException', (e) => log.error('uncaught exception', { error: e, stack: e.stack }));

  let exiting = false;
  const exit = () => {
    if (exiting) return;
    exiting = true;
    process.exit(0);
  };
  const { exitWithStdin, ...opts } = flags;
  const running = await startProxy({
    ...opts,
    onEvent: (ev: ProxyEvent) => process.stdout.write(`${JSON.stringify(ev)}\n`),
    onStopped: exit,
    log,
  });
  const quit = (signal: string) => {
    log.info('shutting down', { signal });
    void running.stop(2000);
  };
  process.on('SIGTERM', () => quit('SIGTERM'));
  process.on('SIGINT', () => quit('SIGINT'));
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
