import type { Command } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { formatDiagnostic, parseMeshConfig } from '../../config/index.ts';
import { LocalPlatform, PROMETHEUS_MISSING_NOTE, SCRAPE_INTERVAL, findPrometheus, meshHome, readMeshInfo } from '../../runtime/index.ts';
import { CliError, err, out, packageRoot } from '../context.ts';
import { loadManifests } from '../manifests.ts';
import { createServer } from 'node:net';

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

export function defaultManifests(root: string): string[] {
  const b = join(root, 'samples', 'bookinfo');
  return [join(b, 'platform', 'bookinfo.yaml'), join(b, 'networking', 'bookinfo-gateway.yaml'), join(b, 'networking', 'destination-rule-all.yaml')];
}

export function registerUp(program: Command): void {
  program
    .command('up')
    .description('Run the mesh on this machine: control plane, ingress gateway, and the workloads in PATH (default: the Bookinfo sample), each with its sidecar')
    .argument('[paths...]', 'manifest files or directories (Services, ServiceAccounts, Deployments, Istio config)')
    .option('--ingress-port <port>', 'host port of the ingress gateway (its port 8080)', '8080')
    .option('--ingress-https-port <port>', 'host port of the ingress gateway\'s HTTPS servers (its ports 443 and 8443)', '8443')
    .option('--control-port <port>', 'port of the control plane API and discovery server', '15010')
    .option('-R, --recursive', 'read directories recursively', false)
    .option('--mesh-config <file>', 'MeshConfig YAML (trustDomain, rootNamespace, extensionProviders, defaultConfig.proxyMetadata.SECRET_TTL)')
    .option('--cacerts <dir>', "plug in your own CA: a directory with Istio's ca-cert.pem, ca-key.pem, root-cert.pem and cert-chain.pem")
    .option('--prometheus-port <port>', `port of the Prometheus that scrapes the control plane and every proxy every ${SCRAPE_INTERVAL} (0: any free port)`, '9090')
    .option('--no-prometheus', 'do not start Prometheus')
    .action(async (paths: string[], o: { ingressPort: string; ingressHttpsPort: string; controlPort: string; recursive: boolean; meshConfig?: string; cacerts?: string; prometheus: boolean; prometheusPort: string }, cmd: Command) => {
      const home = meshHome();
      const running = readMeshInfo(home);
      if (running) throw new CliError(`a mesh is already running from ${home} (pid ${running.pid}, control plane ${running.controlPlane}); stop it first or set ISTHMUS_HOME`);
      for (const [flag, port] of [['--ingress-port', o.ingressPort], ['--ingress-https-port', o.ingressHttpsPort], ['--control-port', o.controlPort]] as const) {
        if (!/^\d+$/.test(port) || Number(port) > 65535) throw new CliError(`error: ${flag} must be a port number (got "${port}")`);
        if (Number(port) !== 0 && !(await portFree(Number(port)))) {
          throw new CliError(`error: port ${port} on 127.0.0.1 is already in use; stop what uses it or pick another with ${flag}`);
        }
      }
      // Prometheus is optional: without the binary the mesh runs and says where metrics still are.
      let prometheus: { binary: string; port: number } | undefined;
      const promBinary = o.prometheus ? findPrometheus() : undefined;
      if (o.prometheus && promBinary === undefined) err(`note: ${PROMETHEUS_MISSING_NOTE}\n`);
      if (promBinary !== undefined) {
        const p = o.prometheusPort;
        if (!/^\d+$/.test(p) || Number(p) > 65535) throw new CliError(`error: --prometheus-port must be a port number (got "${p}")`);
        let port = Number(p);
        if (port !== 0 && !(await portFree(port))) {
          // Another Prometheus on the default port is common; only an explicit port is an error.
          if (cmd.getOptionValueSource('prometheusPort') !== 'default') throw new CliError(`error: port ${p} on 127.0.0.1 is already in use; stop what uses it or pick another with --prometheus-port`);
          err(`note: port ${p} is in use; Prometheus takes a free port instead (choose one with --prometheus-port)\n`);
          port = 0;
        }
        prometheus = { binary: promBinary, port };
      }
      let trustDomain = 'cluster.local';
      if (o.meshConfig !== undefined) {
        let text: string;
        try {
          text = readFileSync(o.meshConfig, 'utf8');
        } catch (e) {
          throw new CliError(`error: cannot read --mesh-config ${o.meshConfig}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
        }
        const mc = parseMeshConfig(text, o.meshConfig);
        for (const d of mc.diagnostics) err(`${formatDiagnostic(d)}\n`);
        if (mc.diagnostics.some((d) => d.severity === 'error')) throw new CliError('error: fix the mesh config above; nothing was started');
        trustDomain = mc.config.trustDomain;
      }
      if (o.cacerts !== undefined) {
        for (const f of ['ca-cert.pem', 'ca-key.pem', 'root-cert.pem', 'cert-chain.pem']) {
          if (!existsSync(join(o.cacerts, f))) throw new CliError(`error: --cacerts ${o.cacerts}: ${f} is missing (a plug-in CA needs ca-cert.pem, ca-key.pem, root-cert.pem and cert-chain.pem)`);
        }
      }
      const root = packageRoot();
      const files = paths.length ? paths : defaultManifests(root);
      const loaded = loadManifests(files, { recursive: o.recursive });
      for (const d of loaded.diagnostics) err(`${formatDiagnostic(d)}\n`);
      if (loaded.diagnostics.some((d) => d.severity === 'error')) throw new CliError('error: fix the manifests above; nothing was started');
      const platform = new LocalPlatform({
        distDir: join(root, 'dist'),
        home,
        resources: loaded.resources.map((l) => ({ resource: l.resource, dir: l.dir })),
        ingressPort: Number(o.ingressPort),
        ingressHttpsPort: Number(o.ingressHttpsPort),
        controlPort: Number(o.controlPort),
        trustDomain,
        ...(o.meshConfig !== undefined ? { meshConfigFile: resolve(o.meshConfig) } : {}),
        ...(o.cacerts !== undefined ? { cacertsDir: resolve(o.cacerts) } : {}),
        ...(prometheus !== undefined ? { prometheus } : {}),
      });
      let stopping: Promise<void> | undefined;
      const stop = (signal: string) => {
        if (stopping) return;
        err(`\n${signal}: stopping the mesh...\n`);
        stopping = platform.stop().then(() => {
          err('stopped: every process the mesh started has exited\n');
          process.exit(0);
        });
      };
      process.on('SIGINT', () => stop('SIGINT'));
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGHUP', () => stop('SIGHUP'));
      const started = Date.now();
      try {
        await platform.start();
      } catch (e) {
        err(`error: the mesh did not start: ${(e as Error).message}\nlogs: ${join(home, 'logs')}\n`);
        await platform.stop();
        process.exit(1);
      }
      const apps = platform.pods.filter((p) => !p.gateway);
      out(`Isthmus mesh is up (${((Date.now() - started) / 1000).toFixed(1)} s): ${apps.length} pods with sidecars, 1 ingress gateway\n`);
      out(`  control plane  ${platform.controlPlaneUrl}  (pid ${platform.controlPlanePid})\n`);
      out(`  logs           ${join(home, 'logs')}\n`);
      out(`  ingress        http://127.0.0.1:${platform.ingressPort}  (HTTPS servers: 127.0.0.1:${o.ingressHttpsPort})\n`);
      if (platform.prometheusUrl !== undefined) out(`  prometheus     ${platform.prometheusUrl}  (scrapes the control plane and every proxy every ${SCRAPE_INTERVAL})\n`);
      else if (platform.prometheusError !== undefined) err(`warning: Prometheus did not start (${platform.prometheusError}); the mesh runs without it\n`);
      if (!paths.length) out(`\nOpen http://127.0.0.1:${platform.ingressPort}/productpage\n`);
      out('Press Ctrl-C to stop.\n');
      // Scripts and tests that read our stdout through a pipe get a machine-readable ready line.
      if (!process.stdout.isTTY) out(JSON.stringify({ event: 'ready', ingress: `http://127.0.0.1:${platform.ingressPort}`, ingressHttps: `127.0.0.1:${o.ingressHttpsPort}`, controlPlane: platform.controlPlaneUrl, controlPlanePid: platform.controlPlanePid, prometheus: platform.prometheusUrl ?? null }) + '\n');
    });
}
