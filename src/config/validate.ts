// Semantic validation of one resource: what the schema cannot say (required fields, ranges,
// formats, fields that exclude each other, uniqueness). Every problem is collected; nothing stops
// at the first. Diagnostics carry a field path but no file position; `parseManifests` adds that.

import { DEFAULT_NAMESPACE, Kinds, type Resource } from '../api/index.ts';
import { resourceLabel, type Diagnostic } from './diagnostic.ts';
import { splitApiVersion } from './kinds.ts';
import {
  checkLabels,
  dns1123LabelProblem,
  dns1123SubdomainProblem,
  entries,
  Findings,
  isRfc1035Label,
  obj,
  qualifiedNameProblem,
  str,
} from './validate-common.ts';
import { validateDestinationRule } from './validate-destination-rule.ts';
import { validateGateway } from './validate-gateway.ts';
import { validateDeployment, validateKubeService } from './validate-kube.ts';
import { checkDryRun, validateAuthorizationPolicy, validatePeerAuthentication, validateRequestAuthentication } from './validate-security.ts';
import { validateServiceEntry } from './validate-service-entry.ts';
import { validateVirtualService } from './validate-virtual-service.ts';

/** Check one resource. Works on parsed manifests and on resources built in memory alike. */
export function validateResource(r: Resource): Diagnostic[] {
  // Read defensively: callers may hand over objects that only claim to be resources.
  const rec = obj(r as unknown) ?? {};
  const kind = str(rec['kind']) ?? '';
  const apiVersion = str(rec['apiVersion']) ?? '';
  const meta = obj(rec['metadata']) ?? {};
  const name = str(meta['name']);
  const namespace = str(meta['namespace']);
  const f = new Findings(resourceLabel(kind, name, namespace));
  validateMetadata(f, kind, meta);

  const ns = namespace ?? DEFAULT_NAMESPACE;
  const { group } = splitApiVersion(apiVersion);
  switch (`${group}/${kind}`) {
    case `${Kinds.VirtualService.group}/VirtualService`:
      validateVirtualService(f, rec['spec'], ns);
      break;
    case `${Kinds.DestinationRule.group}/DestinationRule`:
      validateDestinationRule(f, rec['spec'], ns);
      break;
    case `${Kinds.Gateway.group}/Gateway`:
      validateGateway(f, rec['spec']);
      break;
    case `${Kinds.ServiceEntry.group}/ServiceEntry`:
      validateServiceEntry(f, rec['spec'], ns);
      break;
    case `${Kinds.PeerAuthentication.group}/PeerAuthentication`:
      validatePeerAuthentication(f, rec['spec'], name);
      break;
    case `${Kinds.AuthorizationPolicy.group}/AuthorizationPolicy`:
      validateAuthorizationPolicy(f, rec['spec'], ns, meta['annotations']);
      break;
    case `${Kinds.RequestAuthentication.group}/RequestAuthentication`:
      validateRequestAuthentication(f, rec['spec'], ns);
      break;
    case '/Service':
      validateKubeService(f, rec['spec']);
      break;
    case 'apps/Deployment':
      validateDeployment(f, rec['spec']);
      break;
    case '/Namespace':
    case '/ServiceAccount':
      break;
    default:
      f.error([], 'ISTHMUS_ERR_CONFIG_UNKNOWN_KIND', `unsupported kind ${JSON.stringify(kind)} in ${JSON.stringify(apiVersion)}`);
  }
  // Only AuthorizationPolicy can be dry-run; Istio refuses the annotation on its other kinds.
  if (group.endsWith('istio.io') && kind !== 'AuthorizationPolicy') checkDryRun(f, meta['annotations'], kind);
  return f.diagnostics;
}

function validateMetadata(f: Findings, kind: string, meta: Record<string, unknown>): void {
  const name = meta['name'];
  if (name === undefined || name === null || name === '') {
    f.error(['metadata', 'name'], 'ISTHMUS_ERR_CONFIG_MISSING_FIELD', 'metadata.name is required');
  } else if (typeof name === 'string') {
    // Namespaces are DNS labels, Services RFC 1035 labels (they become DNS names), the rest subdomains.
    let problem: string | undefined;
    // Gateways are named by DNS labels too: `<namespace>/<name>` references cannot hold dots.
    if (kind === 'Namespace' || kind === 'Gateway') problem = dns1123LabelProblem(name);
    else if (kind === 'Service') {
      problem = dns1123LabelProblem(name);
      if (problem === undefined && !isRfc1035Label(name)) problem = 'must start with a lower case letter';
    } else problem = dns1123SubdomainProblem(name);
    if (problem !== undefined) f.error(['metadata', 'name'], 'ISTHMUS_ERR_CONFIG_INVALID_NAME', `invalid ${kind === 'Gateway' ? 'gateway ' : ''}name "${name}": ${problem}`);
  }
  const ns = str(meta['namespace']);
  if (ns !== undefined) {
    const p = dns1123LabelProblem(ns);
    if (p !== undefined) f.error(['metadata', 'namespace'], 'ISTHMUS_ERR_CONFIG_INVALID_NAME', `invalid namespace "${ns}": ${p}`);
  }
  checkLabels(f, ['metadata', 'labels'], meta['labels']);
  for (const [k] of entries(meta['annotations'])) {
    const p = qualifiedNameProblem(k);
    if (p !== undefined) f.error(['metadata', 'annotations', k], 'ISTHMUS_ERR_CONFIG_INVALID_LABEL', `invalid annotation "${k}": ${p}`);
  }
}
