// Output writers: kubectl-style tables, YAML and JSON.

import { stringify } from 'yaml';
import type { Resource } from '../api/index.ts';

export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd((widths[i] ?? 0) + 3))).join('').trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}

export function age(iso: string | undefined, now = Date.now()): string {
  if (!iso) return '<unknown>';
  const s = Math.max(0, Math.floor((now - Date.parse(iso)) / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return `${m}m${s % 60 ? `${s % 60}s` : ''}`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h`;
  return `${Math.floor(h / 24)}d`;
}

/** A resource as `get -o yaml` shows it: fields in Kubernetes order, empty spec omitted. */
export function forDisplay(r: Resource): Record<string, unknown> {
  const out: Record<string, unknown> = { apiVersion: r.apiVersion, kind: r.kind, metadata: r.metadata };
  if (r.spec && typeof r.spec === 'object' && Object.keys(r.spec).length > 0) out['spec'] = r.spec;
  if (r.status) out['status'] = r.status;
  return out;
}

export function toYaml(value: unknown): string {
  return stringify(value, { lineWidth: 0 });
}

export function toJson(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n';
}
