// Where a running mesh leaves its address, logs and state: $ISTHMUS_HOME, or ~/.isthmus.
// The CLI finds the running mesh through `mesh.json` there, with no flags.

import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface MeshInfo {
  pid: number;
  controlPlane: string;
  ingress: string;
  home: string;
  startedAt: string;
  /** Prometheus' URL, when one runs with the mesh. */
  prometheus?: string;
}

export function meshHome(): string {
  return process.env['ISTHMUS_HOME'] ?? join(homedir(), '.isthmus');
}

export function meshInfoPath(home = meshHome()): string {
  return join(home, 'mesh.json');
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The running mesh in this home, or undefined (a stale file from a dead mesh counts as none). */
export function readMeshInfo(home = meshHome()): MeshInfo | undefined {
  const p = meshInfoPath(home);
  if (!existsSync(p)) return undefined;
  try {
    const info = JSON.parse(readFileSync(p, 'utf8')) as MeshInfo;
    return isAlive(info.pid) ? info : undefined;
  } catch {
    return undefined;
  }
}

export function writeMeshInfo(info: MeshInfo): void {
  mkdirSync(info.home, { recursive: true });
  writeFileSync(meshInfoPath(info.home), JSON.stringify(info, null, 2) + '\n');
}

export function removeMeshInfo(home: string, pid: number): void {
  const cur = existsSync(meshInfoPath(home)) ? (JSON.parse(readFileSync(meshInfoPath(home), 'utf8')) as MeshInfo) : undefined;
  if (cur?.pid === pid) rmSync(meshInfoPath(home), { force: true });
}
