// Gateway rules: servers, ports and protocols, `namespace/host` hosts, bind addresses, and
// server TLS settings against the mode and the port protocol.

import { SERVER_TLS_MODES, TLS_PROTOCOLS } from './schemas/networking.ts';
import {
  arr,
  checkLabels,
  checkPort,
  dns1123LabelProblem,
  has,
  isIP,
  isPartialWildcard,
  nonEmpty,
  num,
  obj,
  str,
  wildcardHostProblem,
  type Findings,
  type Obj,
  type Path,
} from './validate-common.ts';

/** Protocols a port may declare (matched without regard to case). */
export const PORT_PROTOCOLS: ReadonlySet<string> = new Set(['HTTP', 'HTTPS', 'HTTP2', 'HTTP_PROXY', 'GRPC', 'GRPC-WEB', 'TCP', 'TLS', 'UDP', 'MONGO', 'REDIS', 'MYSQL']);
/** Protocols carried as HTTP. */
export const HTTP_PROTOCOLS: ReadonlySet<string> = new Set(['HTTP', 'HTTP2', 'HTTP_PROXY', 'GRPC', 'GRPC-WEB']);
/** Protocols whose servers terminate or pass through TLS. */
export const TLS_PROTOCOLS_SET: ReadonlySet<string> = new Set(['HTTPS', 'TLS']);

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

    const hosts = arr(server['hosts']);
    if (hosts.length === 0) f.error([...sp, 'hosts'], 'ISTHMUS_ERR_CONFIG_INVALID_SERVER', 'server config must contain at least one host');
    hosts.forEach((h, j) => checkServerHost(f, [...sp, 'hosts', j], h));

    const bind = str(server['bind']) ?? '';
    const port = obj(server['port']);
    const protocol = validateServerPort(f, [...sp, 'port'], server['port'], bind);
    validateBind(f, [...sp, 'bind'], bind, port);

    const tls = obj(server['tls']);
    if (tls !== undefined) validateServerTLS(f, [...sp, 'tls'], tls);
    if (protocol !== undefined) {
      if (TLS_PROTOCOLS_SET.has(protocol) && tls === undefined) {
        f.error(sp, 'ISTHMUS_ERR_CONFIG_INVALID_TLS', 'server must have TLS settings for HTTPS/TLS protocols');
      } else if (!TLS_PROTOCOLS_SET.has(protocol) && tls !== undefined) {
        if (!HTTP_PROTOCOLS.has(protocol)) {
          f.error([...sp, 'tls'], 'ISTHMUS_ERR_CONFIG_INVALID_TLS', 'server cannot have TLS settings for non HTTPS/TLS ports');
        } else if (!isPassthrough(tls) || nonEmpty(tls['caCertificates']) || nonEmpty(tls['privateKey']) || nonEmpty(tls['serverCertificate'])) {
          // On a plain HTTP port only `httpsRedirect` makes sense.
          f.error([...sp, 'tls'], 'ISTHMUS_ERR_CONFIG_INVALID_TLS', 'server cannot have TLS settings for plain text HTTP ports');
        }
      }
      if (!HTTP_PROTOCOLS.has(protocol) && tls?.['httpsRedirect'] === true) {
        f.warn([...sp, 'tls', 'httpsRedirect'], 'ISTHMUS_ERR_CONFIG_INVALID_TLS', 'tls.httpsRedirect should only be used with http servers');
      }
    }

    if (port !== undefined) {
      const name = str(port['name']) ?? '';
      if (portNames.has(name)) f.error([...sp, 'port', 'name'], 'ISTHMUS_ERR_CONFIG_DUPLICATE', `port names in servers must be unique: duplicate name ${name}`);
      portNames.add(name);
    }
    const serverName = str(server['name']);
    if (serverName !== undefined && serverName !== '') {
      if (serverNames.has(serverName)) f.warn([...sp, 'name'], 'ISTHMUS_ERR_CONFIG_DUPLICATE', `server names should be unique: duplicate name ${serverName}`);
      serverNames.add(serverName);
    }
  });

  checkLabels(f, [...base, 'selector'], spec['selector']);
}

/** With no mode set, a server's TLS mode is PASSTHROUGH. */
function isPassthrough(tls: Obj): boolean {
  const mode = tls['mode'];
  return mode === undefined || mode === 'PASSTHROUGH' || mode === 'AUTO_PASSTHROUGH';
}

/** Returns the upper-cased protocol when the port is valid. */
function validateServerPort(f: Findings, path: Path, value: unknown, bind: string): string | undefined {
  const port = obj(value);
  if (port === undefined) {
    if (value === undefined || value === null) f.error(path, 'ISTHMUS_ERR_CONFIG_MISSING_FIELD', 'port is required');
    return undefined;
  }
  let valid = true;
  const protocol = port['protocol'];
  let upper: string | undefined;
  if (protocol === undefined || protocol === null || protocol === '') {
    f.error([...path, 'protocol'], 'ISTHMUS_ERR_CONFIG_MISSING_FIELD', 'port protocol is required, such as HTTP, HTTPS, TLS or TCP');
    valid = false;
  } else if (typeof protocol === 'string') {
    upper = protocol.toUpperCase();
    if (!PORT_PROTOCOLS.has(upper)) {
      f.error([...path, 'protocol'], 'ISTHMUS_ERR_CONFIG_INVALID_PROTOCOL', invalidProtocolMessage(protocol));
      valid = false;
    }
  }
  // A server bound to a unix socket has port number 0.
  const number = num(port['number']) ?? 0;
  if (number > 0 || !bind.startsWith('unix://')) {
    if (!has(port, 'number')) {
      f.error([...path, 'number'], 'ISTHMUS_ERR_CONFIG_MISSING_FIELD', 'port number is required');
      valid = false;
    } else if (!Number.isInteger(number) || number < 1 || number > 65535) {
      checkPort(f, [...path, 'number'], number);
      valid = false;
    }
  }
  if ((num(port['targetPort']) ?? 0) > 0) {
    f.error([...path, 'targetPort'], 'ISTHMUS_ERR_CONFIG_INVALID_PORT', 'targetPort has no impact on Gateways');
    valid = false;
  }
  if (!nonEmpty(port['name'])) {
    f.error([...path, 'name'], 'ISTHMUS_ERR_CONFIG_MISSING_FIELD', 'port name must be set');
    valid = false;
  }
  return valid ? upper : undefined;
}

function validateBind(f: Findings, path: Path, bind: string, port: Obj | undefined): void {
  if (bind === '') return;
  const code = 'ISTHMUS_ERR_CONFIG_INVALID_ADDRESS';
  if (bind.startsWith('unix://')) {
    const p = bind.slice('unix://'.length);
    if (p === '') f.error(path, code, 'unix address must not be empty');
    else if (!p.startsWith('@') && (!p.startsWith('/') || p.endsWith('/'))) f.error(path, code, `${p} is not an absolute path to a file`);
    if ((num(port?.['number']) ?? 0) !== 0) f.error(path, code, 'port number must be 0 for unix domain socket');
  } else if (!isIP(bind)) {
    f.error(path, code, `${bind} is not a valid IP`);
  }
}

/**
 * Gateway server hosts: `[namespace/]dnsName`. The namespace is `*`, `.` or a name; the name is
 * `*`, `*.suffix`, a fully qualified name or an IP address. Short names are not allowed.
 */
function checkServerHost(f: Findings, path: Path, value: unknown): void {
  if (typeof value !== 'string') return;
  const code = 'ISTHMUS_ERR_CONFIG_INVALID_HOST';
  const slash = value.indexOf('/');
  let host = value;
  if (slash >= 0) {
    const ns = value.slice(0, slash);
    host = value.slice(slash + 1);
    if (ns === '' || host === '') {
      f.error(path, code, `invalid host "${value}": config namespace and dnsName in host entry cannot be empty`);
      return;
    }
    if (ns !== '*' && ns !== '.' && dns1123LabelProblem(ns) !== undefined) {
      f.error(path, code, `invalid host "${value}": invalid namespace value "${ns}" in gateway`);
    }
  }
  if (host !== '*' && !host.includes('.') && !isIP(host)) {
    f.error(path, code, `invalid host "${value}": short names (non FQDN) are not allowed`);
    return;
  }
  const p = isIP(host) ? undefined : wildcardHostProblem(host);
  if (p !== undefined) f.error(path, code, `invalid host "${value}": ${p}`);
  else if (isPartialWildcard(host)) f.error(path, code, `invalid host "${value}": partial wildcard "${host}" not allowed`);
}

function validateServerTLS(f: Findings, path: Path, tls: Obj): void {
  const code = 'ISTHMUS_ERR_CONFIG_INVALID_TLS';
  const mode = tls['mode'];
  if (typeof mode === 'string' && !(SERVER_TLS_MODES as readonly string[]).includes(mode)) {
    f.error([...path, 'mode'], 'ISTHMUS_ERR_CONFIG_INVALID_ENUM', `invalid TLS mode "${mode}"; expected one of ${SERVER_TLS_MODES.join(', ')}`);
  }
  const min = str(tls['minProtocolVersion']);
  const max = str(tls['maxProtocolVersion']);
  const ciphers = arr(tls['cipherSuites']).filter((c): c is string => typeof c === 'string');
  if ((min === 'TLSV1_0' || min === 'TLSV1_1') && ciphers.length === 0) {
    f.warn([...path, 'minProtocolVersion'], code, 'TLS version below TLSV1_2 require setting compatible ciphers as by default they no longer include compatible ciphers.');
  }
  const rank = (v: string | undefined) => (v === undefined ? -1 : (TLS_PROTOCOLS as readonly string[]).indexOf(v));
  if (rank(min) > 0 && rank(max) > 0 && rank(min) > rank(max)) {
    f.error([...path, 'minProtocolVersion'], code, `minProtocolVersion ${min ?? ''} must not be higher than maxProtocolVersion ${max ?? ''}`);
  }
  const dupCiphers = ciphers.filter((c, i) => ciphers.indexOf(c) !== i);
  if (dupCiphers.length > 0) f.warn([...path, 'cipherSuites'], code, `ignoring duplicate cipher suites: [${[...new Set(dupCiphers)].sort().join(' ')}]`);

  const sc = nonEmpty(tls['serverCertificate']);
  const pk = nonEmpty(tls['privateKey']);
  const ca = nonEmpty(tls['caCertificates']);
  const cn = nonEmpty(tls['credentialName']);
  const cns = nonEmpty(tls['credentialNames']);
  const certs = arr(tls['tlsCertificates']);

  if (mode === 'ISTIO_MUTUAL') {
    // The mesh supplies the certificates; none may be named.
    const forbidden: [boolean, string, string][] = [
      [sc, 'serverCertificate', 'server certificate'],
      [pk, 'privateKey', 'private key'],
      [ca, 'caCertificates', 'CA bundle'],
      [certs.length > 0, 'tlsCertificates', 'tlsCertificates'],
      [cn, 'credentialName', 'credentialName'],
      [cns, 'credentialNames', 'credentialNames'],
    ];
    for (const [set, k, what] of forbidden) if (set) f.error([...path, k], code, `ISTIO_MUTUAL TLS cannot have associated ${what}`);
    return;
  }
  const passthrough = mode === undefined || mode === 'PASSTHROUGH' || mode === 'AUTO_PASSTHROUGH';
  if (passthrough && (nonEmpty(tls['caCrl']) || sc || pk || ca || certs.length > 0 || cn || cns)) {
    f.warn(path, code, `${typeof mode === 'string' ? mode : 'PASSTHROUGH'} mode does not use certificates, they will be ignored`);
  }

  // One source of server certificates.
  const pairs: [boolean, string][] = [
    [cn && cns, 'only one of credentialName or credentialNames can be set'],
    [cn && certs.length > 0, 'only one of credentialName or tlsCertificates can be set'],
    [cns && certs.length > 0, 'only one of credentialNames or tlsCertificates can be set'],
  ];
  for (const [bad, message] of pairs) if (bad) f.error(path, 'ISTHMUS_ERR_CONFIG_CONFLICT', message);
  const sources = [sc && pk, cn, cns, certs.length > 0].filter(Boolean).length;
  if (sources > 1 && !pairs.some(([bad]) => bad)) {
    f.error(path, 'ISTHMUS_ERR_CONFIG_CONFLICT', 'only one of credential_name, credential_names, server_certificate/private_key, tls_certificates should be specified');
  }

  const terminating = mode === 'SIMPLE' || mode === 'MUTUAL' || mode === 'OPTIONAL_MUTUAL';
  if (terminating && !cn && !cns) {
    // Certificates are read from files (or listed in tlsCertificates).
    const label = mode === 'SIMPLE' ? 'SIMPLE TLS' : 'MUTUAL TLS';
    if (mode !== 'SIMPLE' && !ca) f.error([...path, 'caCertificates'], code, `${label} requires a client CA bundle`);
    if (certs.length > 2) f.warn([...path, 'tlsCertificates'], code, `${label} can support up to 2 server certificates`);
    if (certs.length > 0) {
      certs.forEach((c, i) => {
        const cert = obj(c) ?? {};
        if (!nonEmpty(cert['serverCertificate'])) f.error([...path, 'tlsCertificates', i, 'serverCertificate'], code, `${label} requires a server certificate`);
        if (!nonEmpty(cert['privateKey'])) f.error([...path, 'tlsCertificates', i, 'privateKey'], code, `${label} requires a private key`);
      });
    } else {
      if (!sc) f.error([...path, 'serverCertificate'], code, `${label} requires a server certificate`);
      if (!pk) f.error([...path, 'privateKey'], code, `${label} requires a private key`);
    }
  }
  if (nonEmpty(tls['caCrl'])) {
    if (cn) f.error([...path, 'caCrl'], code, 'CRL is not supported with credentialName. CRL has to be specified in the credential');
    if (mode === 'SIMPLE') f.error([...path, 'caCrl'], code, 'CRL is not supported with SIMPLE TLS');
  }
}
