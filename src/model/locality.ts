// Where a workload runs: `region/zone/subzone`, read from its labels the way Istio reads a pod's.
//
// - `topology.istio.io/locality`, else the older `istio-locality`: the whole locality in one
//   label. Label values cannot hold `/`, so it is written with dots (`us-east.us-east-1a.rack4`);
//   a value that already has a `/` is taken as written.
// - Otherwise `topology.kubernetes.io/region`, `topology.kubernetes.io/zone` and
//   `topology.istio.io/subzone`. In Kubernetes the first two are node labels that Istio reads from
//   the pod's node; Isthmus has no nodes, so a pod carries them itself.
//
// The canonical string drops empty trailing parts (`us-east/us-east-1a`, `us-east`), so one
// locality has one spelling whichever way it was written; an unknown locality is `undefined`.

export const LocalityLabels = {
  locality: 'topology.istio.io/locality',
  legacyLocality: 'istio-locality',
  region: 'topology.kubernetes.io/region',
  zone: 'topology.kubernetes.io/zone',
  subzone: 'topology.istio.io/subzone',
} as const;

export interface LocalityParts {
  region: string;
  zone: string;
  subzone: string;
}

/** `region/zone/subzone` -> parts; a missing part is empty, and everything after the second `/` is the subzone. */
export function splitLocality(locality: string | undefined): LocalityParts {
  if (locality === undefined || locality === '') return { region: '', zone: '', subzone: '' };
  const first = locality.indexOf('/');
  if (first < 0) return { region: locality, zone: '', subzone: '' };
  const second = locality.indexOf('/', first + 1);
  if (second < 0) return { region: locality.slice(0, first), zone: locality.slice(first + 1), subzone: '' };
  return { region: locality.slice(0, first), zone: locality.slice(first + 1, second), subzone: locality.slice(second + 1) };
}

/** Parts -> the canonical string; undefined when every part is empty. */
export function joinLocality(p: LocalityParts): string | undefined {
  const parts = [p.region, p.zone, p.subzone];
  while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  return parts.length > 0 ? parts.join('/') : undefined;
}

/** A locality as written (ServiceEntry endpoint, WorkloadEntry), in canonical form. */
export function normalizeLocality(locality: string | undefined): string | undefined {
  return locality === undefined ? undefined : joinLocality(splitLocality(locality.trim()));
}

/** A workload's locality from its labels (see the file comment); undefined when none says. */
export function localityFromLabels(labels: Readonly<Record<string, string>> | undefined): string | undefined {
  if (labels === undefined) return undefined;
  const whole = labels[LocalityLabels.locality] ?? labels[LocalityLabels.legacyLocality];
  if (whole !== undefined && whole !== '') return normalizeLocality(whole.includes('/') ? whole : whole.replaceAll('.', '/'));
  return joinLocality({
    region: labels[LocalityLabels.region] ?? '',
    zone: labels[LocalityLabels.zone] ?? '',
    subzone: labels[LocalityLabels.subzone] ?? '',
  });
}

/**
 * The labels a failoverPriority rule compares: the workload's own, with the topology labels set
 * from its locality (as Istio adds them to endpoints and proxies), so a workload placed with the
 * one-label form still matches `topology.kubernetes.io/zone` and the others.
 */
export function topologyLabels(labels: Readonly<Record<string, string>> | undefined, locality: string | undefined): Record<string, string> {
  const out: Record<string, string> = { ...labels };
  const p = splitLocality(locality);
  if (p.region !== '') out[LocalityLabels.region] = p.region;
  if (p.zone !== '') out[LocalityLabels.zone] = p.zone;
  if (p.subzone !== '') out[LocalityLabels.subzone] = p.subzone;
  return out;
}
