// ServiceEntry rules: hosts against the resolution mode, addresses, ports, and endpoints.

import { SE_LOCATIONS, SE_RESOLUTIONS } from './schemas/networking.ts';
import { invalidProtocolMessage, PORT_PROTOCOLS } from './validate-gateway.ts';
import {
  arr,
  checkExportTo,
  checkHost,
  checkLabels,
  checkPort,
  checkSelector,
  dnsNameProblem,
  entries,
  has,
  isCIDR,
  isIP,
  nonEmpty,
  num,
  obj,
  str,
  type Findings,
  type Path,
} from './validate-common.ts';

const PORT_NAME = /^[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?$/;

export function validateServiceEntry(f: Findings, specValue: unknown): void {
  const spec = obj(specValue) ?? {};
  const base: Path = ['spec'];
  const resolution = str(spec['resolution']) ?? 'NONE';
  const endpoints = arr(spec['endpoints']);
  const hasEndpoints = has(spec, 'endpoints');

  // Hosts
  const hosts = arr(spec['hosts']);
  if (hosts.length === 0) f.error([...base, 'hosts'], 'ISTHMUS_ERR_CONFIG_MISSING_FIELD', 'service entry must have at least one host');
  const seenHosts = new Set<string>();
  hosts.forEach((h, i) => {
    if (typeof h !== 'string') return;
    const hp = [...base, 'hosts', i];
    if (h === '*') {
      f.error(hp, 'ISTHMUS_ERR_CONFIG_INVALID_HOST', 'hostname cannot be wildcard');
      return;
    }
    checkHost(f, hp, h);
    if (seenHosts.has(h.toLowerCase())) f.error(hp, 'ISTHMUS_ERR_CONFIG_DUPLICATE', `duplicate host in service entry: ${h}`);
    seenHosts.add(h.toLowerCase());
    if ((resolution === 'DNS' || resolution === 'DNS_ROUND_ROBIN') && endpoints.length === 0 && h.startsWith('*')) {
      f.error(hp, 'ISTHMUS_ERR_CONFIG_INVALID_RESOLUTION', `hosts must be FQDN if no endpoints are provided for resolution mode ${resolution}`);
    }
  });

  // Addresses
  const addresses = arr(spec['addresses']);
  addresses.forEach((a, i) => {
    if (typeof a !== 'string') return;
    if (!isIP(a) && !isCIDR(a)) f.error([...base, 'addresses', i], 'ISTHMUS_ERR_CONFIG_INVALID_ADDRESS', `invalid address "${a}": expected an IP address or CIDR range`);
    else if (isCIDR(a) && resolution !== 'NONE' && resolution !== 'STATIC') {
      f.error([...base, 'addresses', i], 'ISTHMUS_ERR_CONFIG_INVALID_RESOLUTION', 'CIDR addresses are allowed only for NONE/STATIC resolution types');
    }
  });

  // Enums (also checked by the schema; repeated for resources built in memory)
  const res = spec['resolution'];
  if (typeof res === 'string' && !(SE_RESOLUTIONS as readonly string[]).includes(res)) {
    f.error([...base, 'resolution'], 'ISTHMUS_ERR_CONFIG_INVALID_ENUM', `invalid resolution "${res}"; expected one of ${SE_RESOLUTIONS.join(', ')}`);
  }
  const loc = spec['location'];
  if (typeof loc === 'string' && !(SE_LOCATIONS as readonly string[]).includes(loc)) {
    f.error([...base, 'location'], 'ISTHMUS_ERR_CONFIG_INVALID_ENUM', `invalid location "${loc}"; expected one of ${SE_LOCATIONS.join(', ')}`);
  }

  // Ports
  const portNames = new Set<string>();
  const portNumbers = new Set<number>();
  let tcpLike = false;
  arr(spec['ports']).forEach((p, i) => {
    const port = obj(p);
    if (port === undefined) return;
    const pp = [...base, 'ports', i];
    if (!has(port, 'number')) f.error([...pp, 'number'], 'ISTHMUS_ERR_CONFIG_MISSING_FIELD', 'port number is required');
    checkPort(f, [...pp, 'number'], port['number']);
    checkPort(f, [...pp, 'targetPort'], port['targetPort'], 'target port');
    const n = num(port['number']);
    if (n !== undefined) {
      if (portNumbers.has(n)) f.error([...pp, 'number'], 'ISTHMUS_ERR_CONFIG_DUPLICATE', `service entry port ${n} already defined`);
      portNumbers.add(n);
    }
    const name = port['name'];
    if (name === undefined || name === null || name === '') f.error([...pp, 'name'], 'ISTHMUS_ERR_CONFIG_MISSING_FIELD', 'port name is required');
    else if (typeof name === 'string') {
      if (portNames.has(name)) f.error([...pp, 'name'], 'ISTHMUS_ERR_CONFIG_DUPLICATE', `service entry port name ${name} already defined`);
      portNames.add(name);
    }
    const protocol = str(port['protocol']);
    if (protocol !== undefined && protocol !== '' && !PORT_PROTOCOLS.has(protocol.toUpperCase())) {
      f.error([...pp, 'protocol'], 'ISTHMUS_ERR_CONFIG_INVALID_PROTOCOL', invalidProtocolMessage(protocol));
    }
    const upper = (protocol ?? '').toUpperCase();
    if (upper === '' || upper === 'TCP') tcpLike = true;
  });

  // TCP (or unset) ports are told apart by address only; with several hosts and no address the
  // hosts cannot be separated.
  if (tcpLike && addresses.length === 0 && resolution === 'NONE') {
    if (hosts.length > 1) f.error([...base, 'hosts'], 'ISTHMUS_ERR_CONFIG_INVALID_RESOLUTION', 'multiple hosts provided with non-HTTP, non-TLS ports');
    f.warn([...base, 'addresses'], 'ISTHMUS_ERR_CONFIG_INVALID_RESOLUTION', 'addresses are required for ports serving TCP (or unset) protocol');
  }

  // Endpoints against the resolution mode
  if (has(spec, 'workloadSelector') && hasEndpoints) {
    f.error(base, 'ISTHMUS_ERR_CONFIG_CONFLICT', 'only one of WorkloadSelector or Endpoints is allowed in Service Entry');
  }
  if (resolution === 'NONE' && endpoints.length > 0) {
    f.error([...base, 'endpoints'], 'ISTHMUS_ERR_CONFIG_INVALID_RESOLUTION', 'no endpoints should be provided for resolution type none');
  }
  if (resolution === 'STATIC' && endpoints.length === 0 && !has(spec, 'workloadSelector')) {
    f.warn([...base, 'endpoints'], 'ISTHMUS_ERR_CONFIG_INVALID_RESOLUTION', 'resolution STATIC with neither endpoints nor a workloadSelector: the service has no endpoints');
  }
  if (resolution === 'DNS_ROUND_ROBIN' && endpoints.length > 1) {
    f.error([...base, 'endpoints'], 'ISTHMUS_ERR_CONFIG_INVALID_RESOLUTION', 'DNS_ROUND_ROBIN mode cannot have multiple endpoints');
  }
  endpoints.forEach((e, i) => {
    const ep = obj(e);
    if (ep === undefined) return;
    const epp = [...base, 'endpoints', i];
    const address = str(ep['address']);
    if (!nonEmpty(ep['address']) && !nonEmpty(ep['network'])) f.error([...epp, 'address'], 'ISTHMUS_ERR_CONFIG_INVALID_ENDPOINT', 'Address is required');
    if (address !== undefined && address !== '') {
      if (address.startsWith('unix://')) {
        const rest = address.slice('unix://'.length);
        if (!rest.startsWith('/') && !rest.startsWith('@')) f.error([...epp, 'address'], 'ISTHMUS_ERR_CONFIG_INVALID_ENDPOINT', 'UDS must be an absolute path or abstract socket');
        else if (address.endsWith('/')) f.error([...epp, 'address'], 'ISTHMUS_ERR_CONFIG_INVALID_ENDPOINT', 'UDS may not be a dir');
        if (has(ep, 'ports')) f.error([...epp, 'ports'], 'ISTHMUS_ERR_CONFIG_INVALID_ENDPOINT', 'UDS may not include ports');
      } else if (resolution === 'STATIC') {
        if (!isIP(address)) f.error([...epp, 'address'], 'ISTHMUS_ERR_CONFIG_INVALID_ENDPOINT', `endpoint address "${address}" is not a valid IP address`);
      } else if (!isIP(address) && dnsNameProblem(address) !== undefined) {
        f.error([...epp, 'address'], 'ISTHMUS_ERR_CONFIG_INVALID_ENDPOINT', `endpoint address "${address}" is not a valid FQDN or an IP address`);
      }
    }
    for (const [name, port] of entries(ep['ports'])) {
      const pp = [...epp, 'ports', name];
      if (name.length >= 63 || !PORT_NAME.test(name)) f.error(pp, 'ISTHMUS_ERR_CONFIG_INVALID_PORT', `port name must be valid: "${name}"`);
      else if (!portNames.has(name)) f.error(pp, 'ISTHMUS_ERR_CONFIG_INVALID_ENDPOINT', `endpoint port ${name} is not defined by the service entry`);
      const n = num(port);
      if (n !== undefined && (n < 1 || n > 65535)) f.error(pp, 'ISTHMUS_ERR_CONFIG_INVALID_PORT', `port must be between 1-65535 (it is ${n})`);
    }
    checkLabels(f, [...epp, 'labels'], ep['labels']);
  });

  const ws = obj(spec['workloadSelector']);
  if (ws !== undefined) checkSelector(f, [...base, 'workloadSelector', 'labels'], ws['labels']);
  checkExportTo(f, [...base, 'exportTo'], spec['exportTo'], true);
  arr(spec['subjectAltNames']).forEach((s, i) => {
    if (s === '') f.error([...base, 'subjectAltNames', i], 'ISTHMUS_ERR_CONFIG_INVALID_VALUE', 'subject alt name must not be empty');
  });
}
