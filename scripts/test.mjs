// The whole test suite: typecheck, then every *.test.ts under src/, samples/ and test/ with
// node's test runner (Node 20's --test does not expand globs, so the files are listed here).
import { readdirSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join, relative } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const only = process.argv.slice(2);
const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.test.ts')) files.push(relative(root, p));
  }
};
for (const d of ['src', 'samples', 'test']) walk(join(root, d));
const selected = only.length ? files.filter((f) => only.some((o) => f.includes(o))) : files;
selected.sort();

if (!only.length) {
  process.stderr.write('typecheck: tsc -p . --noEmit\n');
  const tsc = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', '.', '--noEmit'], { cwd: root, stdio: 'inherit' });
  if (tsc.status !== 0) process.exit(tsc.status ?? 1);
}
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...selected], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, ISTHMUS_TEST: '1' },
});
process.exit(r.status ?? 1);
