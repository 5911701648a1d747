// Gateway rules: servers, ports and protocols, `namespace/host` hosts, and server TLS settings
// against the port protocol.

import { SERVER_TLS_MODES, TLS_PROTOCOLS } from './schemas/networking.ts';
import {
  arr,
  checkPort,
  checkSelector,
  dns1123LabelProblem,
  has,
  isIP,
  nonEmpty,
  obj,
  str,
  wildcardHostProblem,
  type Findings,
  type Obj,
  type Path,
} from './validate-common.ts';

/** Protocols a port may declare (matched without regard to case). */
export const PORT_PROTOCOLS: ReadonlySet<string> = new Set(['HTTP', 'HTTPS', 'HTTP2', 'HTTP_PROXY', 'GRPC', 'GRPC-WEB', 'TCP', 'TLS', 'UDP', 'MONGO', 'REDIS', 'MYSQL']);
const PLAIN_HTTP: ReadonlySet<string> = new Set(['HTTP', 'HTTP2', 'GRPC', 'GRPC-WEB']);
const TLS_TERMINATED: ReadonlySet<string> = new Set(['HTTPS', 'TLS']);

/** The message for a protocol that is not known; the same wording as Istio's. */
export function invalidProtocolMessage(protocol: string): string {
  return `invalid protocol "${protocol}", supported protocols are HTTP, HTTP2, GRPC, GRPC-WEB, MONGO, REDIS, MYSQL, TCP`;
}

export function validateGateway(f: Findings, specValue: unknown): void {
  const spec = obj(specValue) ?? {};
  const base: Path = ['spec'];
  const servers = arr(spec['servers']);
  if (servers.length === 0) f.error([...base, 'servers'], 'ISTHMUS_ERR_CONFIG_INVALID_SERVER', 'gateway must have at least one server');

  const portNames = new Set<string>();
  const serverNames = new Set<string>();
  servers.forEach((s, i) => {
    const server = obj(s);
    if (server === undefined) return;
    const sp = [...base, 'servers', i];
    const protocol = validateServerPort(f, [...sp, 'port'], server['port']);
    const portName = str(obj(server['port'])?.['name']);
    if (portName !== undefined && portName !== '') {
      if (portNames.has(portName)) f.error([...sp, 'port', 'name'], 'ISTHMUS_ERR_CONFIG_DUPLICATE', `port names in servers must be unique: duplicate name ${portName}`);
      portNames.add(portName);
    }
    const name = str(server['name']);
    if (name !== undefined && name !== '') {
      if (serverNames.has(name)) f.error([...sp, 'name'], 'ISTHMUS_ERR_CONFIG_DUPLICATE', `server names must be unique: duplicate name ${name}`);
      serverNames.add(name);
    }

    const hosts = arr(server['hosts']);
    if (hosts.length === 0) f.error([...sp, 'hosts'], 'ISTHMUS_ERR_CONFIG_INVALID_SERVER', 'server config must contain at least one host');
    hosts.forEach((h, j) => checkServerHost(f, [...sp, 'hosts', j], h));

    const bind = str(server['bind']);
    if (bind !== undefined && bind !== '' && !isIP(bind) && !bind.startsWith('unix://')) {
      f.error([...sp, 'bind'], 'ISTHMUS_ERR_CONFIG_INVALID_ADDRESS', `bind "${bind}" must be an IP address or a unix:// socket path`);
    }

    const tls = obj(server['tls']);
    if (protocol !== undefined) {
      if (TLS_TERMINATED.has(protocol) && tls === undefined) {
        f.error(sp, 'ISTHMUS_ERR_CONFIG_INVALID_TLS', 'server must have TLS settings for HTTPS/TLS protocols');
      }
      if (PLAIN_HTTP.has(protocol) && tls !== undefined && Object.keys(tls).some((k) => k !== 'httpsRedirect' && tls[k] !== undefined && tls[k] !== null)) {
        f.error([...sp, 'tls'], 'ISTHMUS_ERR_CONFIG_INVALID_TLS', 'server cannot have TLS settings for plain text HTTP ports');
      }
    }
    if (tls !== undefined) validateServerTLS(f, [...sp, 'tls'], tls, protocol);
  });

  checkSelector(f, [...base, 'selector'], spec['selector']);
}

/** Returns the upper-cased protocol when it is known. */
function validateServerPort(f: Findings, path: Path, value: unknown): string | undefined {
  const port = obj(value);
  if (port === undefined) {
    if (value === undefined || value === null) f.error(path, 'ISTHMUS_ERR_CONFIG_MISSING_FIELD', 'server port is required');
    return undefined;
  }
  if (!has(port, 'number')) f.error([...path, 'number'], 'ISTHMUS_ERR_CONFIG_MISSING_FIELD', 'port number is required');
  checkPort(f, [...path, 'number'], port['number']);
  if (has(port, 'targetPort')) {
    f.warn([...path, 'targetPort'], 'ISTHMUS_ERR_CONFIG_DEPRECATED', 'targetPort is deprecated on gateway ports');
    checkPort(f, [...path, 'targetPort'], port['targetPort'], 'target port');
  }
  const name = port['name'];
  if (name === undefined || name === null || name === '') f.error([...path, 'name'], 'ISTHMUS_ERR_CONFIG_MISSING_FIELD', 'port name is required');
  const protocol = port['protocol'];
  if (protocol === undefined || protocol === null || protocol === '') {
    f.error([...path, 'protocol'], 'ISTHMUS_ERR_CONFIG_MISSING_FIELD', 'port protocol is required');
    return undefined;
  }
  if (typeof protocol !== 'string') return undefined;
  const upper = protocol.toUpperCase();
  if (!PORT_PROTOCOLS.has(upper)) {
    f.error([...path, 'protocol'], 'ISTHMUS_ERR_CONFIG_INVALID_PROTOCOL', invalidProtocolMessage(protocol));
    return undefined;
  }
  return upper;
}

/** Gateway server hosts: `[namespace/]host`, namespace `*`, `.` or a name; host `*`, `*.suffix` or a DNS name. */
function checkServerHost(f: Findings, path: Path, value: unknown): void {
  if (typeof value !== 'string') return;
  const parts = value.split('/');
  let problem: string | undefined;
  if (parts.length > 2) problem = 'expected [namespace/]host';
  else {
    const host = parts.length === 2 ? (parts[1] as string) : value;
    if (parts.length === 2) {
      const ns = parts[0] as string;
      if (ns !== '*' && ns !== '.') {
        const p = dns1123LabelProblem(ns);
        if (p !== undefined) problem = `namespace "${ns}" ${p}`;
      }
    }
    problem ??= wildcardHostProblem(host);
  }
  if (problem !== undefined) f.error(path, 'ISTHMUS_ERR_CONFIG_INVALID_HOST', `invalid host "${value}": ${problem}`);
}

function validateServerTLS(f: Findings, path: Path, tls: Obj, protocol: string | undefined): void {
  const code = 'ISTHMUS_ERR_CONFIG_INVALID_TLS';
  const mode = tls['mode'];
  if (typeof mode === 'string' && !(SERVER_TLS_MODES as readonly string[]).includes(mode)) {
    f.error([...path, 'mode'], 'ISTHMUS_ERR_CONFIG_INVALID_ENUM', `invalid TLS mode "${mode}"; expected one of ${SERVER_TLS_MODES.join(', ')}`);
  }
  // Appendix B: at most one way of naming certificates.
  if (has(tls, 'tlsCertificates') && has(tls, 'credentialNames')) f.error(path, 'ISTHMUS_ERR_CONFIG_CONFLICT', 'only one of credentialNames or tlsCertificates can be set');
  if (has(tls, 'credentialName') && has(tls, 'credentialNames')) f.error(path, 'ISTHMUS_ERR_CONFIG_CONFLICT', 'only one of credentialName or credentialNames can be set');
  if (has(tls, 'credentialName') && has(tls, 'tlsCertificates')) f.error(path, 'ISTHMUS_ERR_CONFIG_CONFLICT', 'only one of credentialName or tlsCertificates can be set');

  const byCredential = nonEmpty(tls['credentialName']) || nonEmpty(tls['credentialNames']) || nonEmpty(tls['tlsCertificates']);
  // Only HTTPS/TLS servers terminate TLS; an HTTP server with only httpsRedirect has no mode.
  const terminates = protocol === undefined || TLS_TERMINATED.has(protocol);
  if (terminates && (mode === 'SIMPLE' || mode === 'MUTUAL' || mode === 'OPTIONAL_MUTUAL') && !byCredential) {
    const label = mode === 'SIMPLE' ? 'SIMPLE' : 'MUTUAL';
    if (!nonEmpty(tls['serverCertificate'])) f.error([...path, 'serverCertificate'], code, `${label} TLS requires a server certificate`);
    if (!nonEmpty(tls['privateKey'])) f.error([...path, 'privateKey'], code, `${label} TLS requires a private key`);
    if (mode !== 'SIMPLE' && !nonEmpty(tls['caCertificates'])) f.error([...path, 'caCertificates'], code, `${label} TLS requires a client CA bundle`);
  }
  if (mode === 'ISTIO_MUTUAL') {
    const forbidden: [string, string][] = [
      ['serverCertificate', 'server certificate'],
      ['privateKey', 'private key'],
      ['caCertificates', 'CA bundle'],
      ['credentialName', 'credentialName'],
    ];
    for (const [k, what] of forbidden) if (nonEmpty(tls[k])) f.error([...path, k], code, `ISTIO_MUTUAL TLS cannot have associated ${what}`);
  }
  arr(tls['tlsCertificates']).forEach((c, i) => {
    const cert = obj(c);
    if (cert === undefined) return;
    if (!nonEmpty(cert['serverCertificate'])) f.error([...path, 'tlsCertificates', i, 'serverCertificate'], code, 'server certificate is required');
    if (!nonEmpty(cert['privateKey'])) f.error([...path, 'tlsCertificates', i, 'privateKey'], code, 'private key is required');
  });
  const min = str(tls['minProtocolVersion']);
  const max = str(tls['maxProtocolVersion']);
  const rank = (v: string | undefined) => (v === undefined ? -1 : (TLS_PROTOCOLS as readonly string[]).indexOf(v));
  if (min !== undefined && max !== undefined && rank(min) > 0 && rank(max) > 0 && rank(min) > rank(max)) {
    f.error([...path, 'minProtocolVersion'], code, `minProtocolVersion ${min} must not be higher than maxProtocolVersion ${max}`);
  }
}
