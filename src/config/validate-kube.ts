// Kubernetes Service and Deployment: the rules Kubernetes itself applies to the fields the mesh
// reads (ports, selectors, containers). Other fields pass through unchecked.

import { PORT_PROTOCOLS, SERVICE_TYPES } from './schemas/kube.ts';
import {
  arr,
  checkLabels,
  checkPort,
  dns1123LabelProblem,
  dns1123SubdomainProblem,
  entries,
  has,
  isIP,
  isObj,
  nonEmpty,
  num,
  obj,
  qualifiedNameProblem,
  str,
  type Findings,
  type Obj,
  type Path,
} from './validate-common.ts';

const IANA_SVC_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

/** Why `s` is not an IANA service name (named ports: at most 15 characters, one letter or more). */
function ianaSvcNameProblem(s: string): string | undefined {
  if (s.length > 15) return `must be no more than 15 characters (it has ${s.length})`;
  if (!IANA_SVC_NAME.test(s)) return "must consist of lower case letters, digits and '-', and start and end with a letter or digit";
  if (s.includes('--')) return "must not contain '--'";
  if (!/[a-z]/.test(s)) return 'must contain at least one letter';
  return undefined;
}

export function validateKubeService(f: Findings, specValue: unknown): void {
  const spec = obj(specValue) ?? {};
  const base: Path = ['spec'];
  const type = str(spec['type']) ?? 'ClusterIP';
  if (!(SERVICE_TYPES as readonly string[]).includes(type)) {
    f.error([...base, 'type'], 'ISTHMUS_ERR_CONFIG_INVALID_ENUM', `invalid service type "${type}"; expected one of ${SERVICE_TYPES.join(', ')}`);
  }
  const clusterIP = str(spec['clusterIP']);
  if (clusterIP !== undefined && clusterIP !== '' && clusterIP !== 'None' && !isIP(clusterIP)) {
    f.error([...base, 'clusterIP'], 'ISTHMUS_ERR_CONFIG_INVALID_ADDRESS', `clusterIP "${clusterIP}" must be an IP address, "None" or empty`);
  }
  const ports = arr(spec['ports']);
  if (ports.length === 0 && type !== 'ExternalName' && clusterIP !== 'None') {
    f.error([...base, 'ports'], 'ISTHMUS_ERR_CONFIG_MISSING_FIELD', 'a Service needs at least one port');
  }
  const names = new Set<string>();
  const seen = new Set<string>();
  ports.forEach((p, i) => {
    const port = obj(p);
    if (port === undefined) return;
    const pp = [...base, 'ports', i];
    if (!has(port, 'port')) f.error([...pp, 'port'], 'ISTHMUS_ERR_CONFIG_MISSING_FIELD', 'port is required');
    checkPort(f, [...pp, 'port'], port['port']);
    const target = port['targetPort'];
    if (typeof target === 'number') checkPort(f, [...pp, 'targetPort'], target, 'target port');
    else if (typeof target === 'string') {
      const tp = ianaSvcNameProblem(target);
      if (tp !== undefined) f.error([...pp, 'targetPort'], 'ISTHMUS_ERR_CONFIG_INVALID_PORT', `target port name "${target}" ${tp}`);
    }
    if (has(port, 'nodePort')) checkPort(f, [...pp, 'nodePort'], port['nodePort'], 'node port');
    const name = str(port['name']);
    if (name === undefined || name === '') {
      if (ports.length > 1) f.error([...pp, 'name'], 'ISTHMUS_ERR_CONFIG_MISSING_FIELD', 'port name is required when a Service has more than one port');
    } else {
      const np = dns1123LabelProblem(name);
      if (np !== undefined) f.error([...pp, 'name'], 'ISTHMUS_ERR_CONFIG_INVALID_PORT', `port name "${name}" ${np}`);
      if (names.has(name)) f.error([...pp, 'name'], 'ISTHMUS_ERR_CONFIG_DUPLICATE', `duplicate port name ${name}`);
      names.add(name);
    }
    const protocol = str(port['protocol']) ?? 'TCP';
    if (!(PORT_PROTOCOLS as readonly string[]).includes(protocol)) {
      f.error([...pp, 'protocol'], 'ISTHMUS_ERR_CONFIG_INVALID_ENUM', `invalid protocol "${protocol}"; expected one of ${PORT_PROTOCOLS.join(', ')}`);
    }
    const n = num(port['port']);
    if (n !== undefined) {
      const key = `${n}/${protocol}`;
      if (seen.has(key)) f.error([...pp, 'port'], 'ISTHMUS_ERR_CONFIG_DUPLICATE', `duplicate port ${n}/${protocol}`);
      seen.add(key);
    }
  });
  checkLabels(f, [...base, 'selector'], spec['selector']);
}

export function validateDeployment(f: Findings, specValue: unknown): void {
  const base: Path = ['spec'];
  const spec = obj(specValue);
  if (spec === undefined) {
    f.error(base, 'ISTHMUS_ERR_CONFIG_MISSING_FIELD', 'spec is required: a Deployment needs a selector and a pod template');
    return;
  }
  const replicas = num(spec['replicas']);
  if (replicas !== undefined && replicas < 0) f.error([...base, 'replicas'], 'ISTHMUS_ERR_CONFIG_INVALID_WORKLOAD', `replicas ${replicas} must be non-negative`);

  const selector = obj(spec['selector']);
  const matchLabels = obj(selector?.['matchLabels']);
  if (selector === undefined) f.error([...base, 'selector'], 'ISTHMUS_ERR_CONFIG_MISSING_FIELD', 'selector is required');
  else if (!nonEmpty(selector['matchExpressions']) && (matchLabels === undefined || Object.keys(matchLabels).length === 0)) {
    f.error([...base, 'selector'], 'ISTHMUS_ERR_CONFIG_INVALID_WORKLOAD', 'empty selector is invalid for deployment');
  }
  checkLabels(f, [...base, 'selector', 'matchLabels'], matchLabels);

  const template = obj(spec['template']);
  if (template === undefined) {
    f.error([...base, 'template'], 'ISTHMUS_ERR_CONFIG_MISSING_FIELD', 'template is required');
    return;
  }
  const tp = [...base, 'template'];
  const meta = obj(template['metadata']);
  const labels = obj(meta?.['labels']) ?? {};
  checkLabels(f, [...tp, 'metadata', 'labels'], labels);
  for (const [k] of entries(meta?.['annotations'])) {
    const p = qualifiedNameProblem(k);
    if (p !== undefined) f.error([...tp, 'metadata', 'annotations', k], 'ISTHMUS_ERR_CONFIG_INVALID_LABEL', `invalid annotation "${k}": ${p}`);
  }
  if (matchLabels !== undefined) {
    const missing = Object.entries(matchLabels).filter(([k, v]) => labels[k] !== v);
    if (missing.length > 0) {
      f.error([...tp, 'metadata', 'labels'], 'ISTHMUS_ERR_CONFIG_INVALID_WORKLOAD', `selector does not match template labels: ${missing.map(([k, v]) => `${k}=${String(v)}`).join(', ')}`);
    }
  }
  validatePodSpec(f, [...tp, 'spec'], template['spec']);
}

function validatePodSpec(f: Findings, path: Path, value: unknown): void {
  const pod = obj(value);
  if (pod === undefined) {
    f.error(path, 'ISTHMUS_ERR_CONFIG_MISSING_FIELD', 'pod template spec is required');
    return;
  }
  const sa = str(pod['serviceAccountName']);
  if (sa !== undefined && sa !== '') {
    const p = dns1123SubdomainProblem(sa);
    if (p !== undefined) f.error([...path, 'serviceAccountName'], 'ISTHMUS_ERR_CONFIG_INVALID_NAME', `invalid serviceAccountName "${sa}": ${p}`);
  }
  const containers = arr(pod['containers']);
  if (containers.length === 0) f.error([...path, 'containers'], 'ISTHMUS_ERR_CONFIG_MISSING_FIELD', 'at least one container is required');
  const names = new Set<string>();
  for (const field of ['initContainers', 'containers'] as const) {
    arr(pod[field]).forEach((c, i) => {
      if (isObj(c)) validateContainer(f, [...path, field, i], c, names);
    });
  }
}

function validateContainer(f: Findings, path: Path, c: Obj, names: Set<string>): void {
  const name = str(c['name']);
  if (c['name'] === undefined || c['name'] === null || name === '') f.error([...path, 'name'], 'ISTHMUS_ERR_CONFIG_MISSING_FIELD', 'container name is required');
  else if (name !== undefined) {
    const p = dns1123LabelProblem(name);
    if (p !== undefined) f.error([...path, 'name'], 'ISTHMUS_ERR_CONFIG_INVALID_NAME', `invalid container name "${name}": ${p}`);
    if (names.has(name)) f.error([...path, 'name'], 'ISTHMUS_ERR_CONFIG_DUPLICATE', `duplicate container name ${name}`);
    names.add(name);
  }
  // Kubernetes runs an image; the local platform runs the command. One of them must say what to run.
  if (!nonEmpty(c['image']) && arr(c['command']).length === 0) {
    f.error([...path, 'image'], 'ISTHMUS_ERR_CONFIG_MISSING_FIELD', 'container image or command is required');
  }
  const portNames = new Set<string>();
  arr(c['ports']).forEach((p, i) => {
    const port = obj(p);
    if (port === undefined) return;
    const pp = [...path, 'ports', i];
    if (!has(port, 'containerPort')) f.error([...pp, 'containerPort'], 'ISTHMUS_ERR_CONFIG_MISSING_FIELD', 'containerPort is required');
    checkPort(f, [...pp, 'containerPort'], port['containerPort'], 'containerPort');
    if (has(port, 'hostPort')) checkPort(f, [...pp, 'hostPort'], port['hostPort'], 'hostPort');
    const pn = str(port['name']);
    if (pn !== undefined && pn !== '') {
      const np = ianaSvcNameProblem(pn);
      if (np !== undefined) f.error([...pp, 'name'], 'ISTHMUS_ERR_CONFIG_INVALID_PORT', `port name "${pn}" ${np}`);
      if (portNames.has(pn)) f.error([...pp, 'name'], 'ISTHMUS_ERR_CONFIG_DUPLICATE', `duplicate port name ${pn}`);
      portNames.add(pn);
    }
  });
  arr(c['env']).forEach((e, i) => {
    const env = obj(e);
    if (env === undefined) return;
    const n = str(env['name']);
    if (env['name'] === undefined || env['name'] === null || n === '') f.error([...path, 'env', i, 'name'], 'ISTHMUS_ERR_CONFIG_MISSING_FIELD', 'environment variable name is required');
    else if (n !== undefined && n.includes('=')) f.error([...path, 'env', i, 'name'], 'ISTHMUS_ERR_CONFIG_INVALID_NAME', `invalid environment variable name "${n}": must not contain '='`);
  });
}
