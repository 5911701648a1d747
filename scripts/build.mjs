// Bundles each program (CLI, control plane, proxy, sample apps) into dist/ with esbuild.
// Dependencies stay external and load from node_modules at run time.
import { build } from 'esbuild';
import { readdirSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entries = {
  cli: 'src/cli/main.ts',
  controlplane: 'src/controlplane/main.ts',
  proxy: 'src/proxy/main.ts',
};
const bookinfoDir = join(root, 'samples/bookinfo/src');
if (existsSync(bookinfoDir)) {
  for (const f of readdirSync(bookinfoDir)) {
    if (f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.startsWith('_')) {
      entries[`bookinfo/${f.slice(0, -3)}`] = `samples/bookinfo/src/${f}`;
    }
  }
}
const present = Object.fromEntries(Object.entries(entries).filter(([, p]) => existsSync(join(root, p))));
await build({
  absWorkingDir: root,
  entryPoints: present,
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: 'linked',
  logLevel: 'warning',
});
