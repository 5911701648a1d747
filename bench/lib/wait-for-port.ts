// Polls a loopback port until it accepts a TCP connection, failing early if the process that
// should open it exits.

import { connect } from 'node:net';
import { type Child, describeExit } from './process-group.ts';

function tryConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export async function waitForPort(port: number, owner: Child, timeoutMs = 5000, extraOnFailure = ''): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (owner.exitStatus !== null) {
      throw new Error(`${owner.name} exited (${describeExit(owner.exitStatus)}) before listening on port ${port}${details(owner, extraOnFailure)}`);
    }
    if (await tryConnect(port)) return;
    if (Date.now() > deadline) throw new Error(`${owner.name} did not listen on port ${port} within ${timeoutMs} ms${details(owner, extraOnFailure)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function details(owner: Child, extra: string): string {
  const parts = [owner.outputTail, extra].filter((s) => s.trim() !== '');
  return parts.length > 0 ? `:\n${parts.join('\n')}` : '';
}
