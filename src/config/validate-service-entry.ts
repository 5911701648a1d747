// ServiceEntry rules: hosts against the resolution mode, addresses, ports, and endpoints.

import { SE_LOCATIONS, SE_RESOLUTIONS } from './schemas/networking.ts';
import { HTTP_PROTOCOLS, PORT_PROTOCOLS, TLS_PROTOCOLS_SET } from './validate-gateway.ts';
import {
  arr,
  checkExportTo,
  checkLabels,
  checkPort,
  checkSelector,
  dns1123LabelProblem,
  entries,
  fqdnProblem,
  has,
  isCIDR,
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

/** Protocols carried over plain TCP connections (no way to tell hosts apart by header or SNI). */
const TCP_PROTOCOLS: ReadonlySet<string> = new Set(['TCP', 'HTTPS', 'TLS', 'MONGO', 'REDIS', 'MYSQL']);

export function validateServiceEntry(f: Findings, specValue: unknown, namespace: string): void {
  const spec = obj(specValue) ?? {};
  const base: Path = ['spec'];
  const resolution = str(spec['resolution']) ?? 'NONE';
  const endpoints = arr(spec['endpoints']);

  // Workload selector
  const ws = obj(spec['workloadSelector']);
  if (ws !== undefined) checkSelector(f, [...base, 'workloadSelector', 'labels'], ws['labels'], 'service entry: workload selector');
  if (has(spec, 'workloadSelector') && has(spec, 'endpoints')) {
    f.error(base, 'ISTHMUS_ERR_CONFIG_CONFLICT', 'only one of WorkloadSelector or Endpoints is allowed in Service Entry');
  }

  // Hosts
  const hosts = arr(spec['hosts']).filter((h): h is string => typeof h === 'string');
  if (!nonEmpty(spec['hosts'])) f.error([...base, 'hosts'], 'ISTHMUS_ERR_CONFIG_MISSING_FIELD', 'service entry must have at least one host');
  arr(spec['hosts']).forEach((h, i) => {
    if (typeof h !== 'string') return;
    const hp = [...base, 'hosts', i];
    if (h === '*') {
      f.error(hp, 'ISTHMUS_ERR_CONFIG_INVALID_HOST', 'hostname cannot be wildcard');
      return;
    }
    const p = wildcardHostProblem(h);
    if (p !== undefined) f.error(hp, 'ISTHMUS_ERR_CONFIG_INVALID_HOST', `invalid host "${h}": ${p}`);
    else if (isPartialWildcard(h)) f.warn(hp, 'ISTHMUS_ERR_CONFIG_INVALID_HOST', `partial wildcard "${h}" not allowed`);
  });

  // Addresses
  const addresses = arr(spec['addresses']);
  let cidr = false;
  addresses.forEach((a, i) => {
    if (typeof a !== 'string') return;
    const at = [...base, 'addresses', i];
    if (a.includes('/')) {
      cidr = true;
      if (!isCIDR(a)) f.error(at, 'ISTHMUS_ERR_CONFIG_INVALID_ADDRESS', `${a} is not a valid CIDR block`);
    } else if (!isIP(a)) f.error(at, 'ISTHMUS_ERR_CONFIG_INVALID_ADDRESS', `${a} is not a valid IP`);
  });
  if (cidr && resolution !== 'NONE' && resolution !== 'STATIC') {
    f.error([...base, 'addresses'], 'ISTHMUS_ERR_CONFIG_INVALID_RESOLUTION', 'CIDR addresses are allowed only for NONE/STATIC resolution types');
  }

  // Enums (also checked by the schema; repeated for resources built in memory)
  const res = spec['resolution'];
  if (typeof res === 'string' && !(SE_RESOLUTIONS as readonly string[]).includes(res)) {
    f.error([...base, 'resolution'], 'ISTHMUS_ERR_CONFIG_INVALID_ENUM', `unsupported resolution type ${res}; expected one of ${SE_RESOLUTIONS.join(', ')}`);
  }
  const loc = spec['location'];
  if (typeof loc === 'string' && !(SE_LOCATIONS as readonly string[]).includes(loc)) {
    f.error([...base, 'location'], 'ISTHMUS_ERR_CONFIG_INVALID_ENUM', `invalid location "${loc}"; expected one of ${SE_LOCATIONS.join(', ')}`);
  }

  // Ports
  const portNames = new Set<string>();
  const portNumbers = new Set<number>();
  const protocols: string[] = [];
  arr(spec['ports']).forEach((p, i) => {
    const port = obj(p);
    if (port === undefined) return;
    const pp = [...base, 'ports', i];
    const name = str(port['name']);
    if (name === undefined || name === '') {
      if (typeof port['name'] !== 'number') f.error([...pp, 'name'], 'ISTHMUS_ERR_CONFIG_MISSING_FIELD', 'port name is required');
    } else {
      if (portNames.has(name)) f.error([...pp, 'name'], 'ISTHMUS_ERR_CONFIG_DUPLICATE', `service entry port name "${name}" already defined`);
      portNames.add(name);
      if (dns1123LabelProblem(name) !== undefined) f.error([...pp, 'name'], 'ISTHMUS_ERR_CONFIG_INVALID_PORT', `invalid port name: ${name}`);
    }
    const n = num(port['number']);
    if (!has(port, 'number')) f.error([...pp, 'number'], 'ISTHMUS_ERR_CONFIG_MISSING_FIELD', 'port number is required');
    else if (n !== undefined) {
      if (portNumbers.has(n)) f.error([...pp, 'number'], 'ISTHMUS_ERR_CONFIG_DUPLICATE', `service entry port ${n} already defined`);
      portNumbers.add(n);
      checkPort(f, [...pp, 'number'], n);
    }
    if (port['targetPort'] !== 0) checkPort(f, [...pp, 'targetPort'], port['targetPort'], 'target port');
    const protocol = str(port['protocol']) ?? '';
    if (protocol !== '' && !PORT_PROTOCOLS.has(protocol.toUpperCase())) {
      f.error([...pp, 'protocol'], 'ISTHMUS_ERR_CONFIG_INVALID_PROTOCOL', `unsupported protocol: ${protocol}`);
    }
    protocols.push(protocol.toUpperCase());
    if (addresses.length === 0 && (protocol === '' || protocol === 'TCP')) {
      f.warn(pp, 'ISTHMUS_ERR_CONFIG_INVALID_RESOLUTION', 'addresses are required for ports serving TCP (or unset) protocol when IP Autoallocation is not enabled');
    }
  });

  // Endpoints against the resolution mode
  switch (resolution) {
    case 'NONE':
      if (endpoints.length > 0) f.error([...base, 'endpoints'], 'ISTHMUS_ERR_CONFIG_INVALID_RESOLUTION', 'no endpoints should be provided for resolution type none');
      if (ws !== undefined) f.warn([...base, 'workloadSelector'], 'ISTHMUS_ERR_CONFIG_INVALID_RESOLUTION', 'workloadSelector should not be set when resolution mode is NONE');
      break;
    case 'STATIC':
      endpoints.forEach((e, i) => validateEndpoint(f, [...base, 'endpoints', i], e, portNames, false));
      break;
    case 'DNS':
    case 'DNS_ROUND_ROBIN':
      if (endpoints.length === 0) {
        hosts.forEach((h, i) => {
          if (h !== '*' && fqdnProblem(h) !== undefined && wildcardHostProblem(h) === undefined) {
            f.error([...base, 'hosts', i], 'ISTHMUS_ERR_CONFIG_INVALID_RESOLUTION', `hosts must be FQDN if no endpoints are provided for resolution mode ${resolution}`);
          }
        });
      }
      if (resolution === 'DNS_ROUND_ROBIN' && endpoints.length > 1) {
        f.error([...base, 'endpoints'], 'ISTHMUS_ERR_CONFIG_INVALID_RESOLUTION', 'DNS_ROUND_ROBIN mode cannot have multiple endpoints');
      }
      endpoints.forEach((e, i) => validateEndpoint(f, [...base, 'endpoints', i], e, portNames, true));
      if (addresses.length > 0 && hosts.length > 1 && protocols.some((p) => TCP_PROTOCOLS.has(p))) {
        f.warn([...base, 'hosts'], 'ISTHMUS_ERR_CONFIG_INVALID_RESOLUTION', 'service entry can not have more than one host specified simultaneously with address and tcp port');
      }
      break;
    default:
      break;
  }

  // Several hosts can only share a port when requests say which host they want (HTTP Host
  // header, TLS SNI); with resolution NONE the hosts are ignored.
  if (resolution !== 'NONE' && hosts.length > 1 && protocols.some((p) => !HTTP_PROTOCOLS.has(p) && !TLS_PROTOCOLS_SET.has(p))) {
    f.error([...base, 'hosts'], 'ISTHMUS_ERR_CONFIG_INVALID_RESOLUTION', 'multiple hosts provided with non-HTTP, non-TLS ports');
  }

  checkExportTo(f, [...base, 'exportTo'], spec['exportTo'], namespace, true);
  arr(spec['subjectAltNames']).forEach((s, i) => {
    if (s === '') f.error([...base, 'subjectAltNames', i], 'ISTHMUS_ERR_CONFIG_INVALID_VALUE', 'subject alt name must not be empty');
  });
}

/** One `endpoints[]` entry: an IP (STATIC), an IP or FQDN (DNS), or a unix socket; ports by name. */
function validateEndpoint(f: Findings, path: Path, value: unknown, portNames: Set<string>, allowFqdn: boolean): void {
  const ep: Obj | undefined = obj(value);
  if (ep === undefined) return;
  const code = 'ISTHMUS_ERR_CONFIG_INVALID_ENDPOINT';
  const address = str(ep['address']) ?? '';
  if (address === '') {
    if (!nonEmpty(ep['network'])) f.error([...path, 'address'], code, 'Address is required');
    else f.warn([...path, 'address'], code, `address is unset with network "${str(ep['network']) ?? ''}"`);
  } else if (address.startsWith('unix://')) {
    const p = address.slice('unix://'.length);
    if (!p.startsWith('/') && !p.startsWith('@')) f.error([...path, 'address'], code, 'UDS must be an absolute path or abstract socket');
    else if (p.endsWith('/')) f.error([...path, 'address'], code, 'UDS may not be a dir');
    if (entries(ep['ports']).length > 0) f.error([...path, 'ports'], code, `unix endpoint ${address} must not include ports`);
    if (portNames.size !== 1) f.error([...path, 'address'], code, 'exactly 1 service port required for unix endpoints');
  } else if (!isIP(address)) {
    if (!allowFqdn) f.error([...path, 'address'], code, `endpoint address "${address}" is not a valid IP address`);
    else if (fqdnProblem(address) !== undefined) f.error([...path, 'address'], code, `endpoint address "${address}" is not a valid FQDN or an IP address`);
  }
  for (const [name, port] of entries(ep['ports'])) {
    const pp = [...path, 'ports', name];
    if (!portNames.has(name)) f.error(pp, code, `endpoint port ${name} is not defined by the service entry`);
    if (dns1123LabelProblem(name) !== undefined) f.error(pp, 'ISTHMUS_ERR_CONFIG_INVALID_PORT', `invalid port name: ${name}`);
    const n = num(port);
    if (n !== undefined && (n < 1 || n > 65535)) f.error(pp, 'ISTHMUS_ERR_CONFIG_INVALID_PORT', `port must be between 1-65535 (it is ${n})`);
  }
  checkLabels(f, [...path, 'labels'], ep['labels']);
}
