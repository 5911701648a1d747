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
// Every other sample's programs go to dist/samples/<file>.js; their manifests name them there.
const samplesDir = join(root, 'samples');
if (existsSync(samplesDir)) {
  for (const sample of readdirSync(samplesDir).sort()) {
    const dir = join(samplesDir, sample, 'src');
    if (sample === 'bookinfo' || !existsSync(dir)) continue;
    for (const f of readdirSync(dir).sort()) {
      if (!f.endsWith('.ts') || f.endsWith('.test.ts') || f.startsWith('_')) continue;
      const key = `samples/${f.slice(0, -3)}`;
      if (entries[key] !== undefined) throw new Error(`two samples have a program named ${f}: ${entries[key]} and samples/${sample}/src/${f}`);
      entries[key] = `samples/${sample}/src/${f}`;
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
  // Code a program loads only sometimes (the proxy's JWT support) goes into chunks loaded on demand.
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  target: 'node20',
  packages: 'external',
  sourcemap: 'linked',
  logLevel: 'warning',
});
