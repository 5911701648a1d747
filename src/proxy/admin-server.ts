// The admin endpoint: readiness, config dump, counters, health, and a graceful quit. Not on the
// request hot path, so plain node:http.

import http from 'node:http';
import type { Proxy } from './proxy.ts';

export interface AdminOptions {
  proxy: Proxy;
  /** Called by POST /quitquitquit after the response is sent. */
  onQuit: () => void;
}

function send(res: http.ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

export function createAdminServer(o: AdminOptions): http.Server {
  const { proxy } = o;
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const method = req.method ?? 'GET';
    if (path === '/quitquitquit') {
      if (method !== 'POST') return send(res, 405, 'use POST\n');
      res.on('finish', () => o.onQuit());
      return send(res, 200, 'OK\n');
    }
    if (method !== 'GET' && method !== 'HEAD') return send(res, 405, 'method not allowed\n');
    switch (path) {
      case '/healthz':
        return send(res, 200, 'ok\n');
      case '/ready':
        return proxy.ready ? send(res, 200, 'ready\n') : send(res, 503, 'not ready: no config applied yet\n');
      case '/config_dump': {
        const cur = proxy.current;
        if (cur === null) return send(res, 503, 'no config applied yet\n');
        return send(res, 200, `${JSON.stringify(cur.config, null, 2)}\n`, 'application/json');
      }
      case '/stats':
        return send(
          res,
          200,
          `${JSON.stringify({ ...proxy.stats.toJSON(), listeners: { outbound: proxy.outboundPort, config: proxy.listenerPorts() } }, null, 2)}\n`,
          'application/json',
        );
      default:
        return send(res, 404, 'not found: try /ready /config_dump /stats /healthz /quitquitquit\n');
    }
  });
  server.keepAliveTimeout = 5000;
  return server;
}
