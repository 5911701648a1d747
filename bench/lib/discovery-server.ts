// A minimal discovery server speaking the proxy's protocol (src/api/discovery.ts): each proxy
// gets its fixed config once, then pings on the held-open stream; ACKs are recorded. It stands
// in for the control plane so the benchmark measures the data plane alone.

import http from 'node:http';
import { ACK_PATH, type Ack, DISCOVERY_PATH, PING_INTERVAL_MS, type ProxyConfig, type ProxyNode } from '../../src/api/index.ts';

export interface DiscoveryServer {
  port: number;
  /** ACKs and NACKs received, in order. */
  acks: Ack[];
  close(): Promise<void>;
}

function reply(res: http.ServerResponse, status: number, body = ''): void {
  res.writeHead(status, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** Serves `configs` keyed by pod name on an ephemeral loopback port. */
export function startDiscoveryServer(configs: ReadonlyMap<string, ProxyConfig>): Promise<DiscoveryServer> {
  const acks: Ack[] = [];
  const streams = new Set<http.ServerResponse>();
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
      streams.add(res);
      const ping = setInterval(() => res.write(`${JSON.stringify({ type: 'ping' })}\n`), PING_INTERVAL_MS);
      res.on('close', () => {
        clearInterval(ping);
        streams.delete(res);
      });
      return;
    }
    if (req.method === 'POST' && url.pathname === ACK_PATH) {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (body += c));
      req.on('end', () => {
        try {
          acks.push(JSON.parse(body) as Ack);
        } catch {
          /* a malformed ACK is the proxy's bug; the config event on stdout still tells the story */
        }
        res.writeHead(204);
        res.end();
      });
      return;
    }
    reply(res, 404, 'not found\n');
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      const port = typeof a === 'object' && a !== null ? a.port : 0;
      resolve({
        port,
        acks,
        close: () =>
          new Promise<void>((r) => {
            for (const s of streams) s.destroy();
            server.close(() => r());
            server.closeAllConnections();
          }),
      });
    });
  });
}
