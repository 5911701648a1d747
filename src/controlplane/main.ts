// The control plane program: `node dist/controlplane.js --port 15010 [--host 127.0.0.1] [--state FILE] [--resume]`.
// Prints `{"event":"listening","port":N}` on stdout when ready. Exits when its parent closes stdin.

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { formatDiagnostic, parseMeshConfig } from '../config/index.ts';
import { createLogger } from '../shared/index.ts';
import { ControlPlane } from './server/index.ts';

const log = createLogger('controlplane');
const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '15010' },
    host: { type: 'string', default: '127.0.0.1' },
    state: { type: 'string' },
    resume: { type: 'boolean', default: false },
    'exit-with-stdin': { type: 'boolean', default: false },
    'mesh-config': { type: 'string' },
    'ca-dir': { type: 'string' },
    cacerts: { type: 'string' },
    'platform-key': { type: 'string' },
    'secrets-dir': { type: 'string' },
  },
});

const opts: ConstructorParameters<typeof ControlPlane>[0] = { host: values.host, port: Number(values.port), resume: values.resume };
if (values.state) opts.stateFile = values.state;
if (values['mesh-config']) {
  const file = values['mesh-config'];
  const parsed = parseMeshConfig(readFileSync(file, 'utf8'), file);
  for (const d of parsed.diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
  if (parsed.diagnostics.some((d) => d.severity === 'error')) process.exit(1);
  opts.mesh = parsed.config;
}
if (values['ca-dir']) opts.caDir = values['ca-dir'];
if (values.cacerts) opts.pluginCaDir = values.cacerts;
if (values['platform-key']) opts.platformKeyFile = values['platform-key'];
if (values['secrets-dir']) opts.secretsDir = values['secrets-dir'];
const cp = new ControlPlane(opts);
const port = await cp.listen();
process.stdout.write(JSON.stringify({ event: 'listening', port }) + '\n');
log.info('control plane ready', { address: `http://${values.host}:${port}`, resources: cp.store.list().length });

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  void cp.close().then(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
};
// Our reader is gone (EPIPE on stdout/stderr): the platform that started us died. Stop, quietly.
process.stdout.on('error', stop);
process.stderr.on('error', stop);
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
if (values['exit-with-stdin']) {
  process.stdin.on('end', stop);
  process.stdin.on('error', stop);
  process.stdin.resume();
}
