// nginx in the roles the benchmark needs: the upstream (a fixed 1 KB answer), and the reverse
// proxies of the reference pairs: plain HTTP, or the TLS pair, whose client proxy originates TLS
// with a client certificate (verifying the server's) and whose server proxy terminates it and
// requires a client certificate from the same root. Each instance is a child process
// (`daemon off`) with one worker and everything it writes (pid, error log, temp dirs) inside the
// run's temp dir.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Child, ProcessGroup } from './process-group.ts';
import { waitForPort } from './wait-for-port.ts';

/** The upstream's body: 1024 bytes of a fixed pattern, so a check can compare it byte for byte. */
export const BODY = (() => {
  const pattern = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return pattern.repeat(Math.ceil(1024 / pattern.length)).slice(0, 1024);
})();

/** TLS to the next hop: present this client certificate, verify the server's against `trustedFile` and `name`. */
export interface NginxUpstreamTls {
  certFile: string;
  keyFile: string;
  trustedFile: string;
  /** The DNS name the next hop's certificate must carry. */
  name: string;
}

/** TLS on the listener, with a client certificate required and verified against `clientCaFile`. */
export interface NginxServerTls {
  certFile: string;
  keyFile: string;
  clientCaFile: string;
}

export type NginxRole = { kind: 'upstream' } | { kind: 'proxy'; to: number; upstreamTls?: NginxUpstreamTls; serverTls?: NginxServerTls };

/**
 * TLS versions for every TLS nginx here. nginx 1.22 (Debian 12) defaults to TLS 1.0-1.2 on both
 * sides; Node (the Isthmus side) negotiates TLS 1.3, so nginx is given the same.
 */
const TLS_PROTOCOLS = 'TLSv1.2 TLSv1.3';

/** Connections nginx keeps per upstream and requests per connection: effectively unlimited, as the mesh proxies do. */
const KEEPALIVE_REQUESTS = 1_000_000;

export function nginxConfig(name: string, dir: string, port: number, role: NginxRole): string {
  const tmp = join(dir, `${name}-temp`);
  const lines = [
    // As root, workers would otherwise switch to `nobody`; elsewhere the directive is refused.
    ...(process.getuid?.() === 0 ? ['user root;'] : []),
    'worker_processes 1;',
    `pid ${join(dir, `${name}.pid`)};`,
    `error_log ${join(dir, `${name}-error.log`)} warn;`,
    'events { worker_connections 4096; }',
    'http {',
    '  access_log off;',
    '  default_type text/plain;',
    `  keepalive_requests ${KEEPALIVE_REQUESTS};`,
    `  client_body_temp_path ${join(tmp, 'body')};`,
    `  proxy_temp_path ${join(tmp, 'proxy')};`,
    `  fastcgi_temp_path ${join(tmp, 'fastcgi')};`,
    `  uwsgi_temp_path ${join(tmp, 'uwsgi')};`,
    `  scgi_temp_path ${join(tmp, 'scgi')};`,
  ];
  if (role.kind === 'proxy') {
    lines.push(
      '  upstream next_hop {',
      `    server 127.0.0.1:${role.to};`,
      '    keepalive 64;',
      `    keepalive_requests ${KEEPALIVE_REQUESTS};`,
      '  }',
    );
  }
  const serverTls = role.kind === 'proxy' ? role.serverTls : undefined;
  lines.push('  server {', `    listen 127.0.0.1:${port}${serverTls !== undefined ? ' ssl' : ''};`);
  if (serverTls !== undefined) {
    lines.push(
      `    ssl_certificate ${serverTls.certFile};`,
      `    ssl_certificate_key ${serverTls.keyFile};`,
      `    ssl_client_certificate ${serverTls.clientCaFile};`,
      '    ssl_verify_client on;',
      '    ssl_verify_depth 2;',
      `    ssl_protocols ${TLS_PROTOCOLS};`,
    );
  }
  lines.push('    location / {');
  if (role.kind === 'upstream') {
    lines.push(`      return 200 "${BODY}";`);
  } else {
    const up = role.upstreamTls;
    lines.push(
      `      proxy_pass ${up !== undefined ? 'https' : 'http'}://next_hop;`,
      '      proxy_http_version 1.1;',
      '      proxy_set_header Connection "";',
      // Forward the Host the client sent, as the mesh proxies do.
      '      proxy_set_header Host $http_host;',
    );
    if (up !== undefined) {
      lines.push(
        `      proxy_ssl_certificate ${up.certFile};`,
        `      proxy_ssl_certificate_key ${up.keyFile};`,
        `      proxy_ssl_trusted_certificate ${up.trustedFile};`,
        '      proxy_ssl_verify on;',
        '      proxy_ssl_verify_depth 2;',
        `      proxy_ssl_name ${up.name};`,
        '      proxy_ssl_session_reuse on;',
        `      proxy_ssl_protocols ${TLS_PROTOCOLS};`,
      );
    }
  }
  lines.push('    }', '  }', '}', '');
  return lines.join('\n');
}

export interface RunningNginx {
  name: string;
  port: number;
  child: Child;
  /** Master and worker pids. */
  pids(): number[];
}

/** Writes the config, starts `nginx -p dir -c conf -g 'daemon off;'` and waits until it accepts connections. */
export async function startNginx(group: ProcessGroup, dir: string, name: string, port: number, role: NginxRole): Promise<RunningNginx> {
  const conf = join(dir, `${name}.conf`);
  writeFileSync(conf, nginxConfig(name, dir, port, role));
  mkdirSync(join(dir, `${name}-temp`), { recursive: true });
  const errorLog = join(dir, `${name}-error.log`);
  // -e: even before reading the config, log into the temp dir, not /var/log/nginx.
  const child = group.spawn(name, 'nginx', ['-p', `${dir}/`, '-e', errorLog, '-c', conf, '-g', 'daemon off;']);
  const logTail = () => (existsSync(errorLog) ? readFileSync(errorLog, 'utf8').slice(-2000) : '');
  try {
    await waitForPort(port, child, 5000);
  } catch (e) {
    throw new Error(`${(e as Error).message}\n${logTail()}`);
  }
  child.rememberTree();
  return { name, port, child, pids: () => child.tree() };
}
