// A minimal discovery server speaking the proxy's protocol (src/api/discovery.ts): each proxy
// gets its config when it connects and again on every `push`, then pings on the held-open
// stream; ACKs are recorded. With `ca`, it also answers POST /v1/ca/sign the way the control
// plane's CA does (a CSR and the pod credential in, a certificate chain and roots out). It stands
// in for the control plane so the benchmark measures the data plane alone.

import http from 'node:http';
import { ACK_PATH, type Ack, API, DISCOVERY_PATH, PING_INTERVAL_MS, type ProxyConfig, type ProxyNode, type SignRequest, type SignResponse } from '../../src/api/index.ts';

export interface StandInCa {
  /** The identity a pod credential proves, or null for an unknown credential. */
  identityFor(credential: string): string | null;
  sign(csrPem: string, identity: string): Promise<SignResponse>;
}

export interface DiscoveryServer {
  port: number;
  /** ACKs and NACKs received, in order. */
  acks: Ack[];
  /** Certificates issued, by identity. */
  issued: Map<string, number>;
  /**
   * Sends `config` to the pod (and to it on any later reconnect) and waits until the proxy ACKs
   * that version; rejects on a NACK or after `timeoutMs`. A no-op for the version it already has.
   */
  push(podName: string, config: ProxyConfig, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

function reply(res: http.ServerResponse, status: number, body = '', type = 'text/plain'): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}

/** Serves `configs` keyed by pod name on an ephemeral loopback port. */
export function startDiscoveryServer(initial: ReadonlyMap<string, ProxyConfig>, ca?: StandInCa): Promise<DiscoveryServer> {
  const configs = new Map(initial);
  const acks: Ack[] = [];
  const issued = new Map<string, number>();
  const streams = new Map<http.ServerResponse, string>();
  const ackWaiters: { version: string; settle: (a: Ack) => void }[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://discovery');
    if (req.method === 'GET' && url.pathname === DISCOVERY_PATH) {
      let node: ProxyNode;
      try {
        node = JSON.parse(url.searchParams.get('node') ?? '') as ProxyNode;
      } catch {
        return reply(res, 400, 'node must be JSON\n');
      }
      const config = configs.get(node?.podName);
      if (config === undefined) return reply(res, 404, `no config for pod ${JSON.stringify(node?.podName)}\n`);
      res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
      res.write(`${JSON.stringify({ type: 'config', config })}\n`);
      streams.set(res, node.podName);
      const ping = setInterval(() => res.write(`${JSON.stringify({ type: 'ping' })}\n`), PING_INTERVAL_MS);
      res.on('close', () => {
        clearInterval(ping);
        streams.delete(res);
      });
      return;
    }
    if (req.method === 'POST' && url.pathname === ACK_PATH) {
      void readBody(req).then((body) => {
        try {
          const ack = JSON.parse(body) as Ack;
          acks.push(ack);
          for (const w of ackWaiters.filter((w) => w.version === ack.version)) w.settle(ack);
        } catch {
          /* a malformed ACK is the proxy's bug; the config event on stdout still tells the story */
        }
        res.writeHead(204);
        res.end();
      });
      return;
    }
    if (req.method === 'POST' && url.pathname === API.sign && ca !== undefined) {
      void readBody(req)
        .then(async (body) => {
          const r = JSON.parse(body) as SignRequest;
          const identity = ca.identityFor(r.credential);
          if (identity === null) return reply(res, 403, JSON.stringify({ error: 'unknown pod credential' }), 'application/json');
          const signed = await ca.sign(r.csr, identity);
          issued.set(identity, (issued.get(identity) ?? 0) + 1);
          reply(res, 200, JSON.stringify(signed), 'application/json');
        })
        .catch((e: unknown) => reply(res, 500, JSON.stringify({ error: (e as Error).message }), 'application/json'));
      return;
    }
    reply(res, 404, 'not found\n');
  });

  const push = (podName: string, config: ProxyConfig, timeoutMs = 10_000): Promise<void> => {
    // The proxy already runs this version (versions are content hashes): nothing to send.
    if (configs.get(podName)?.version === config.version) return Promise.resolve();
    configs.set(podName, config);
    return new Promise<void>((resolve, reject) => {
      const waiter = {
        version: config.version,
        settle: (a: Ack) => {
          clearTimeout(timer);
          ackWaiters.splice(ackWaiters.indexOf(waiter), 1);
          if (a.error !== undefined) reject(new Error(`${podName} refused config ${config.version}: ${a.error}`));
          else resolve();
        },
      };
      const timer = setTimeout(() => {
        ackWaiters.splice(ackWaiters.indexOf(waiter), 1);
        reject(new Error(`${podName} did not ACK config ${config.version} within ${timeoutMs} ms`));
      }, timeoutMs);
      ackWaiters.push(waiter);
      let sent = 0;
      for (const [res, pod] of streams) {
        if (pod !== podName) continue;
        res.write(`${JSON.stringify({ type: 'config', config })}\n`);
        sent++;
      }
      if (sent === 0) waiter.settle({ node: podName, version: config.version, error: 'not connected to discovery' });
    });
  };

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      const port = typeof a === 'object' && a !== null ? a.port : 0;
      resolve({
        port,
        acks,
        issued,
        push,
        close: () =>
          new Promise<void>((r) => {
            for (const s of streams.keys()) s.destroy();
            server.close(() => r());
            server.closeAllConnections();
          }),
      });
    });
  });
}
