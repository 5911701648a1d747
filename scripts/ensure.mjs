// Makes a fresh clone runnable: installs npm dependencies when missing or stale, builds dist/,
// and with --test or --bench installs the Debian packages those need (apt-get, when missing).
// Without flags (`npm run up`) it also installs Prometheus, which `isthmus up` runs beside the
// mesh, when apt-get can be used without a password; otherwise the mesh runs without it.
// Uses Node built-ins only, because it runs before node_modules exists.
import { existsSync, statSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));
const log = (m) => process.stderr.write(`isthmus setup: ${m}\n`);
const run = (cmd, argv, opts = {}) => {
  const r = spawnSync(cmd, argv, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'], ...opts });
  if (r.status !== 0) {
    log(`'${cmd} ${argv.join(' ')}' failed (exit ${r.status})`);
    process.exit(r.status ?? 1);
  }
};
const mtime = (p) => (existsSync(p) ? statSync(p).mtimeMs : 0);

// 1. npm dependencies
const marker = join(root, 'node_modules/.package-lock.json');
if (mtime(marker) < mtime(join(root, 'package-lock.json'))) {
  log('installing npm dependencies (npm ci)');
  run('npm', ['ci', '--no-audit', '--no-fund']);
} else {
  run('node', ['scripts/build.mjs']);
}

// 2. Debian packages for tests and benchmarks
const want = [];
const has = (bin) => spawnSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' }).status === 0;
if (args.has('--test') || args.has('--bench')) {
  for (const [bin, pkg] of [['curl', 'curl'], ['openssl', 'openssl'], ['ss', 'iproute2'], ['prometheus', 'prometheus']]) if (!has(bin)) want.push(pkg);
}
if (args.has('--bench')) {
  for (const [bin, pkg] of [['wrk', 'wrk'], ['nginx', 'nginx-light']]) if (!has(bin)) want.push(pkg);
}
const sudo = process.getuid && process.getuid() !== 0 ? ['sudo'] : [];
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
if (want.length > 0) {
  log(`installing Debian packages: ${want.join(' ')}`);
  const apt = (a) => (sudo.length ? run('sudo', ['apt-get', ...a], { env }) : run('apt-get', a, { env }));
  apt(['update', '-q']);
  apt(['install', '-y', '-q', '--no-install-recommends', ...want]);
}

// 3. Prometheus for `npm run up`: optional, so nothing here may stop the mesh from starting.
if (args.size === 0 && !has('prometheus') && !has('/usr/bin/prometheus')) {
  const aptUsable = has('apt-get') && (sudo.length === 0 || spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0);
  let ok = false;
  if (aptUsable) {
    log('installing Prometheus (Debian package prometheus), which isthmus up runs beside the mesh');
    const apt = (a) => spawnSync(sudo.length ? 'sudo' : 'apt-get', sudo.length ? ['apt-get', ...a] : a, { cwd: root, env, stdio: ['ignore', 'inherit', 'inherit'] }).status === 0;
    ok = apt(['update', '-q']) && apt(['install', '-y', '-q', '--no-install-recommends', 'prometheus']);
  }
  if (!ok) log('Prometheus is not installed, so the mesh runs without it (install it with: sudo apt-get install prometheus)');
}
void execFileSync;
