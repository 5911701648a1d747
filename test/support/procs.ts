import { readdirSync, readFileSync } from 'node:fs';

/** PIDs of live processes whose environment contains `KEY=value` (Linux /proc). */
export function pidsWithEnv(key: string, value: string): number[] {
  const needle = `${key}=${value}\0`;
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const env = readFileSync(`/proc/${name}/environ`, 'latin1');
      if (env.includes(needle) || env.endsWith(needle.slice(0, -1))) {
        const stat = readFileSync(`/proc/${name}/stat`, 'latin1');
        if (!/\) Z /.test(stat)) out.push(Number(name));
      }
    } catch {
      /* gone or not ours */
    }
  }
  return out;
}
