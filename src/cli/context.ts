// What every command needs: where the package is, how to reach the running mesh, and how to fail.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ControlPlaneClient, readMeshInfo, meshHome } from '../runtime/index.ts';

export class CliError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
  }
}

/** The directory holding the isthmus package.json (works from dist/ and from src/). */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pj = join(dir, 'package.json');
    if (existsSync(pj) && (JSON.parse(readFileSync(pj, 'utf8')) as { name?: string }).name === 'isthmus') return dir;
    const up = dirname(dir);
    if (up === dir) throw new CliError('cannot find the isthmus package directory');
    dir = up;
  }
}

export function clientFor(server: string | undefined): ControlPlaneClient {
  if (server) return new ControlPlaneClient(server.replace(/\/$/, ''));
  const env = process.env['ISTHMUS_SERVER'];
  if (env) return new ControlPlaneClient(env.replace(/\/$/, ''));
  const info = readMeshInfo();
  if (!info || !info.controlPlane) {
    throw new CliError(`no running mesh found in ${meshHome()} (start one with \`isthmus up\`, or pass --server URL)`);
  }
  return new ControlPlaneClient(info.controlPlane);
}

export function out(s: string): void {
  process.stdout.write(s);
}

export function err(s: string): void {
  process.stderr.write(s);
}
