// The composition root of the control plane: config store -> snapshot -> push hub, behind an
// HTTP API for the CLI, the local platform and the proxies' discovery streams.

import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import {
  ACK_PATH, DISCOVERY_PATH, Kinds, PING_INTERVAL_MS, groupKind, kindByName, resourceKey,
  type Ack, type DiscoveryMessage, type ProxyNode, type Resource,
} from '../../api/index.ts';
import { PROMETHEUS_CONTENT_TYPE, createLogger, isIsthmusError, stableStringify, verifyPodCredential } from '../../shared/index.ts';
import { validateResource } from '../../config/index.ts';
import { buildSnapshot, type MeshSnapshot } from '../../model/index.ts';
import { CertificateAuthority } from '../ca/index.ts';
import type { SecurityContext } from '../generate/index.ts';
import { JwksResolver } from '../jwks/index.ts';
import { PushHub } from '../push/index.ts';
import { ControlPlaneMetrics } from './metrics.ts';
import { SecretStore } from './secrets.ts';
import { ConfigStore } from '../store/index.ts';
import {
  API, DEFAULT_MESH_CONFIG,
  type ApplyRequest, type ApplyResponse, type ApplyResult, type DeleteRequest, type DeleteResult, type MeshConfig, type PodSpec, type SecretRequest, type SignRequest,
} from '../../api/index.ts';

const log = createLogger('controlplane');
const MAX_BODY = 16 * 1024 * 1024;
/** Prometheus scrapes the control plane here. */
export const METRICS_PATH = '/metrics';

export interface ControlPlaneOptions {
  host?: string;
  port?: number;
  /** File the store persists to; with `resume`, loaded at start. */
  stateFile?: string;
  resume?: boolean;
  /** Mesh-wide settings (trust domain, root namespace, certificate lifetime, extension providers). */
  mesh?: MeshConfig;
  /** The CA's state directory (self-signed root, rotation state). Without it, no CA runs. */
  caDir?: string;
  /** Istio-style `cacerts` directory: plug in an intermediate instead of a self-signed root. */
  pluginCaDir?: string;
  /** File with the platform key that per-pod credentials are signed with. */
  platformKeyFile?: string;
  /** Where `credentialName` secrets are read from by gateways. */
  secretsDir?: string;
  /** JWKS refresh period (tests shorten it). */
  jwksRefreshMs?: number;
}

const namespacedKinds = new Set<string>(
  Object.values(Kinds).filter((k) => k.namespaced).map((k) => `${k.group === '' ? 'core' : k.group}/${k.kind}`),
);

function normalise(r: Resource): Resource {
  const gk = groupKind(r);
  const metadata = { ...r.metadata };
  if (namespacedKinds.has(gk)) metadata.namespace = metadata.namespace ?? 'default';
  else delete metadata.namespace;
  return { ...r, metadata, spec: r.spec ?? {} };
}

export class ControlPlane {
  readonly store: ConfigStore;
  readonly hub: PushHub;
  #server: Server | undefined;
  #pinger: NodeJS.Timeout | undefined;
  #rebuild: NodeJS.Immediate | undefined;
  #snapVersion = 0;
  /** When the config change (or connection) that the push under way answers happened (performance.now()). */
  #pushStart = 0;
  /** When the first change of the batch waiting for a rebuild happened. */
  #changeAt = 0;
  #streams = new Set<ServerResponse>();
  readonly mesh: MeshConfig;
  ca: CertificateAuthority | null = null;
  readonly jwks: JwksResolver;
  #platformKey: Buffer | null = null;
  readonly secrets: SecretStore | null;
  readonly #providers: Map<string, MeshConfig['extensionProviders'][number]>;
  readonly metrics: ControlPlaneMetrics;

  constructor(readonly opts: ControlPlaneOptions = {}) {
    this.mesh = opts.mesh ?? DEFAULT_MESH_CONFIG;
    this.#providers = new Map(this.mesh.extensionProviders.map((p) => [p.name, p]));
    this.store = new ConfigStore(opts.stateFile, opts.resume ?? false);
    this.secrets = opts.secretsDir !== undefined ? new SecretStore(opts.secretsDir) : null;
    this.jwks = new JwksResolver({ onChange: () => this.#refresh(), log, ...(opts.jwksRefreshMs !== undefined ? { refreshMs: opts.jwksRefreshMs } : {}) });
    this.hub = new PushHub(this.#snapshot(0), () => this.#securityContext());
    this.store.onChange(() => this.#scheduleRebuild());
    this.metrics = new ControlPlaneMetrics({
      proxies: () => this.hub.statuses(),
      resources: () => this.store.list(),
      revision: () => this.store.revision,
    });
  }

  #snapshot(version: number): MeshSnapshot {
    const snap = buildSnapshot(this.store.list(), version, { trustDomain: this.mesh.trustDomain, rootNamespace: this.mesh.rootNamespace, localityLbSetting: this.mesh.localityLbSetting });
    // Keep fetching only the JWKS that some RequestAuthentication still names.
    this.jwks?.retain(snap.requestAuthentications.flatMap((ra) => (ra.spec.jwtRules ?? []).flatMap((r) => (r.jwksUri ? [r.jwksUri] : []))));
    return snap;
  }

  #securityContext(): SecurityContext {
    const ctx: SecurityContext = { roots: this.ca?.roots ?? [], jwks: this.jwks.lookup, extensionProviders: this.#providers, numTrustedProxies: this.mesh.numTrustedProxies, reasonHeader: this.mesh.reasonHeader };
    if (this.opts.secretsDir !== undefined) ctx.secretsDir = this.opts.secretsDir;
    const secrets = this.secrets;
    if (secrets !== null) ctx.secretVersion = (ns, name) => secrets.version(ns, name);
    return ctx;
  }

  #scheduleRebuild(): void {
    // Coalesce a burst of changes (one apply of many resources) into one snapshot and push.
    if (this.#rebuild) return;
    this.#changeAt = performance.now();
    this.#rebuild = setImmediate(() => {
      this.#rebuild = undefined;
      this.#pushRound(this.#changeAt, () => this.hub.update(this.#snapshot(++this.#snapVersion)));
    });
  }

  /** Regenerates every proxy's config (roots rotated, a JWKS or a secret changed). */
  #refresh(): void {
    this.#pushRound(performance.now(), () => this.hub.refresh());
  }

  /**
   * Runs one synchronous round of pushes. The discovery streams count what is sent and time it
   * from `start`; a proxy whose config could not be generated is left with `generateError` set
   * (the hub sets or clears it on every attempt), which is counted here.
   */
  #pushRound(start: number, push: () => void, only?: string): void {
    this.#pushStart = start;
    push();
    let failed = 0;
    for (const s of this.hub.statuses()) if (s.connected && s.generateError !== undefined && (only === undefined || s.id === only)) failed++;
    if (failed) this.metrics.push('error', failed);
  }

  /** Starts the CA (creating or loading its root) and reads the platform key. */
  async #startSecurity(): Promise<void> {
    if (this.opts.platformKeyFile !== undefined) this.#platformKey = await readFile(this.opts.platformKeyFile);
    if (this.opts.caDir === undefined) return;
    this.ca = await CertificateAuthority.open({
      dir: this.opts.caDir,
      trustDomain: this.mesh.trustDomain,
      workloadTtlMs: this.mesh.workloadCertTtlMs,
      log,
      ...(this.opts.pluginCaDir !== undefined ? { pluginDir: this.opts.pluginCaDir } : {}),
    });
    this.ca.onBundleChange(() => this.#refresh());
    this.#refresh();
  }

  /** POST /v1/ca/sign: the credential names the pod; the pod's service account is the identity signed. */
  async #sign(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const ca = this.ca;
    if (ca === null || this.#platformKey === null) return json(res, 503, { error: 'this control plane runs no certificate authority' });
    let body: SignRequest;
    try {
      body = (await readJson(req)) as SignRequest;
    } catch (e) {
      return json(res, 400, { error: (e as Error).message });
    }
    const check = verifyPodCredential(this.#platformKey, body?.credential);
    if (!check.ok) {
      this.metrics.refused('credential');
      log.warn('refused a certificate request: bad pod credential', { reason: check.reason, from: req.socket.remoteAddress });
      return json(res, 403, { error: `pod credential refused: ${check.reason}` });
    }
    const claims = check.claims;
    const pod = this.store.list().find((r) => r.kind === 'Pod' && r.metadata.name === claims.pod && r.metadata.namespace === claims.namespace);
    const sa = (pod?.spec as PodSpec | undefined)?.serviceAccountName ?? 'default';
    if (pod === undefined || sa !== claims.serviceAccount) {
      this.metrics.refused('unregistered');
      log.warn('refused a certificate request: no such pod with that service account', { pod: `${claims.namespace}/${claims.pod}`, serviceAccount: claims.serviceAccount });
      return json(res, 403, { error: `pod ${claims.namespace}/${claims.pod} with service account ${claims.serviceAccount} is not registered` });
    }
    try {
      const signed = await ca.sign(typeof body.csr === 'string' ? body.csr : '', { namespace: claims.namespace, serviceAccount: claims.serviceAccount });
      this.metrics.issued();
      return json(res, 200, signed);
    } catch (e) {
      this.metrics.refused('csr');
      log.warn('refused a certificate request', { pod: `${claims.namespace}/${claims.pod}`, error: (e as Error).message });
      return json(res, isIsthmusError(e) ? 403 : 500, { error: (e as Error).message });
    }
  }

  async listen(): Promise<number> {
    await this.#startSecurity();
    const server = createServer((req, res) => {
      this.#handle(req, res).catch((e: unknown) => {
        log.error('request failed', { path: req.url, error: e });
        if (!res.headersSent) json(res, 500, { error: (e as Error).message });
        else res.destroy();
      });
    });
    server.keepAliveTimeout = 65_000;
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port ?? 15010, this.opts.host ?? '127.0.0.1', () => resolve());
    });
    this.#pinger = setInterval(() => this.hub.ping(), PING_INTERVAL_MS);
    this.#pinger.unref();
    const addr = server.address();
    return typeof addr === 'object' && addr ? addr.port : 0;
  }

  async close(): Promise<void> {
    if (this.#pinger) clearInterval(this.#pinger);
    this.jwks.close();
    this.ca?.close();
    this.hub.close();
    for (const s of this.#streams) s.destroy();
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
    this.#server?.closeAllConnections();
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    if (path === DISCOVERY_PATH && method === 'GET') return this.#discovery(url, req, res);
    if (path === ACK_PATH && method === 'POST') {
      const ack = (await readJson(req)) as Ack;
      if (ack.error !== undefined) this.metrics.push('nack');
      this.hub.ack(ack);
      res.writeHead(204).end();
      return;
    }
    if (path === API.health) return void res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    if (path === METRICS_PATH && (method === 'GET' || method === 'HEAD')) {
      const text = this.metrics.render();
      res.writeHead(200, { 'content-type': PROMETHEUS_CONTENT_TYPE, 'content-length': Buffer.byteLength(text) });
      return void res.end(method === 'HEAD' ? undefined : text);
    }
    if (path === API.sign && method === 'POST') return this.#sign(req, res);
    if (path === API.secrets && method === 'GET') return json(res, 200, { secrets: this.secrets?.list() ?? [] });
    if (path === API.secrets && method === 'POST') {
      if (this.secrets === null) return json(res, 503, { error: 'this control plane keeps no secrets (no --secrets-dir)' });
      const problem = this.secrets.put((await readJson(req)) as SecretRequest);
      if (problem !== null) return json(res, 400, { error: problem });
      this.#refresh();
      return json(res, 200, { ok: true });
    }
    if (path === API.roots && method === 'GET') {
      return json(res, 200, { roots: this.ca?.roots ?? [], trustDomain: this.mesh.trustDomain, mode: this.ca?.mode ?? null, rotation: this.ca?.rotation ?? null });
    }
    if (path === '/v1/ca/rotate-root' && method === 'POST') {
      if (this.ca === null) return json(res, 503, { error: 'this control plane runs no certificate authority' });
      try {
        await this.ca.rotateRoot();
      } catch (e) {
        // Plug-in CA, or a rotation already under way: the request conflicts with the CA's state.
        if (isIsthmusError(e)) return json(res, 409, { error: (e as Error).message });
        throw e;
      }
      return json(res, 200, { roots: this.ca.roots, rotation: this.ca.rotation });
    }
    if (path === API.info && method === 'GET') {
      return json(res, 200, { revision: this.store.revision, snapshot: this.#snapVersion, proxies: this.hub.statuses().length, pushes: this.hub.pushes });
    }
    if (path === API.apply && method === 'POST') {
      const body = (await readJson(req)) as ApplyRequest;
      const out = this.apply(body);
      if (url.searchParams.get('wait') === '1' && !body.dryRun) {
        await new Promise((r) => setImmediate(r));
        out.propagation = await this.hub.whenSettled(Number(url.searchParams.get('timeoutMs') ?? 10_000));
      }
      return json(res, 200, out);
    }
    if (path === API.delete && method === 'POST') {
      return json(res, 200, { results: this.delete((await readJson(req)) as DeleteRequest), revision: this.store.revision });
    }
    if (path === API.resources && method === 'GET') {
      const kindName = url.searchParams.get('kind') ?? '';
      const info = kindByName(kindName);
      if (!info) return json(res, 400, { error: `the server doesn't have a resource type "${kindName}"` });
      const ns = url.searchParams.get('namespace');
      const name = url.searchParams.get('name');
      const items = this.store.list().filter((r) =>
        r.kind === info.kind && groupKind(r).startsWith(info.group === '' ? 'core/' : `${info.group}/`) &&
        (!ns || !info.namespaced || r.metadata.namespace === ns) && (!name || r.metadata.name === name),
      ).sort((a, b) => (resourceKey(a) < resourceKey(b) ? -1 : 1));
      return json(res, 200, { kind: info.kind, group: info.group, plural: info.plural, namespaced: info.namespaced, items });
    }
    if (path === API.proxies && method === 'GET') return json(res, 200, { proxies: this.hub.statuses() });
    if (path.startsWith(`${API.proxies}/`) && path.endsWith('/config') && method === 'GET') {
      const id = decodeURIComponent(path.slice(API.proxies.length + 1, -'/config'.length));
      const cfg = this.hub.configOf(id);
      return cfg ? json(res, 200, cfg) : json(res, 404, { error: `proxy ${id} is not connected` });
    }
    json(res, 404, { error: `no such endpoint: ${method} ${path}` });
  }

  apply(body: ApplyRequest): ApplyResponse {
    const results: ApplyResult[] = [];
    for (const raw of body.resources ?? []) {
      const r = normalise(raw);
      const result: ApplyResult = { apiVersion: r.apiVersion, kind: r.kind, name: r.metadata?.name ?? '', diagnostics: [] };
      if (r.metadata.namespace) result.namespace = r.metadata.namespace;
      const gk = groupKind(r);
      if (gk === 'core/Pod' && !body.platform) {
        result.diagnostics.push({ severity: 'error', code: 'ISTHMUS_ERR_CONFIG_UNKNOWN_KIND', path: 'kind', message: 'kind Pod is not accepted: pods are started by the platform from Deployments; apply a Deployment instead' });
      } else if (gk !== 'core/Pod') {
        for (const d of validateResource(r)) result.diagnostics.push({ severity: d.severity, code: d.code, path: d.path, message: d.message });
      }
      if (!body.dryRun && result.diagnostics.some((d) => d.severity === 'error')) this.metrics.rejected(r.apiVersion, r.kind);
      if (!result.diagnostics.some((d) => d.severity === 'error') && !body.dryRun) {
        result.action = this.store.put(r).action;
      } else if (body.dryRun && !result.diagnostics.some((d) => d.severity === 'error')) {
        const old = this.store.get(resourceKey(r));
        result.action = old ? (stableStringify(old.spec) === stableStringify(r.spec) ? 'unchanged' : 'configured') : 'created';
      }
      results.push(result);
    }
    return { results, revision: this.store.revision };
  }

  delete(body: DeleteRequest): DeleteResult[] {
    const out: DeleteResult[] = [];
    for (const ref of body.resources ?? []) {
      const info = kindByName(ref.kind);
      const apiVersion = ref.apiVersion ?? (info ? (info.group === '' ? 'v1' : `${info.group}/v1`) : 'v1');
      const r = normalise({ apiVersion, kind: info?.kind ?? ref.kind, metadata: ref.namespace ? { name: ref.name, namespace: ref.namespace } : { name: ref.name }, spec: {} });
      const gone = this.store.delete(resourceKey(r));
      const res: DeleteResult = { kind: r.kind, name: ref.name, action: gone ? 'deleted' : 'notfound' };
      if (r.metadata.namespace) res.namespace = r.metadata.namespace;
      if (gone && r.kind === 'Pod') this.hub.forget(`${ref.name}.${r.metadata.namespace}`);
      out.push(res);
    }
    return out;
  }

  #discovery(url: URL, req: IncomingMessage, res: ServerResponse): void {
    let node: ProxyNode;
    try {
      node = JSON.parse(url.searchParams.get('node') ?? '') as ProxyNode;
      if (!node.id || !node.podName || !node.namespace || (node.role !== 'sidecar' && node.role !== 'gateway')) throw new Error('incomplete node');
    } catch (e) {
      return json(res, 400, { error: `bad node parameter: ${(e as Error).message}` });
    }
    res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
    res.flushHeaders();
    req.socket.setNoDelay(true);
    this.#streams.add(res);
    const stream = {
      send: (m: DiscoveryMessage) => {
        res.write(JSON.stringify(m) + '\n');
        if (m.type === 'config') {
          this.metrics.push('success');
          this.metrics.pushDuration.observe((performance.now() - this.#pushStart) / 1000);
        }
      },
      close: () => res.end(),
    };
    let disconnect: () => void = () => {};
    this.#pushRound(performance.now(), () => (disconnect = this.hub.connect(node, stream, url.searchParams.get('version') ?? '')), node.id);
    log.info('proxy connected', { proxy: node.id, role: node.role });
    res.on('close', () => {
      this.#streams.delete(res);
      disconnect();
      log.info('proxy disconnected', { proxy: node.id });
    });
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) throw new Error('request body too large');
    chunks.push(c as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? JSON.parse(text) : {};
}
