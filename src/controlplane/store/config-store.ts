// The control plane's config store: every resource by key, with creation time, resourceVersion
// and generation kept as Kubernetes keeps them, change notification, and an optional JSON file
// so a restarted control plane resumes with what was applied.

import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { randomUUID } from 'node:crypto';
import { resourceKey, type Resource } from '../../api/index.ts';
import { stableStringify } from '../../shared/index.ts';

export type ChangeAction = 'created' | 'configured' | 'unchanged' | 'deleted';

export class ConfigStore {
  #items = new Map<string, Resource>();
  #rev = 0;
  #listeners: ((keys: string[]) => void)[] = [];
  readonly #file: string | undefined;

  constructor(file?: string, resume = false) {
    this.#file = file;
    if (file && resume && existsSync(file)) {
      const saved = JSON.parse(readFileSync(file, 'utf8')) as { rev: number; items: Resource[] };
      this.#rev = saved.rev;
      for (const r of saved.items) this.#items.set(resourceKey(r), r);
    }
  }

  get revision(): number {
    return this.#rev;
  }

  list(): Resource[] {
    return [...this.#items.values()];
  }

  get(key: string): Resource | undefined {
    return this.#items.get(key);
  }

  onChange(fn: (keys: string[]) => void): void {
    this.#listeners.push(fn);
  }

  /** Creates or replaces one resource; metadata the store owns is kept across updates. */
  put(r: Resource, now = new Date()): { action: Exclude<ChangeAction, 'deleted'>; resource: Resource } {
    const key = resourceKey(r);
    const old = this.#items.get(key);
    const userView = (x: Resource) => stableStringify({ ...x, metadata: { ...x.metadata, creationTimestamp: undefined, resourceVersion: undefined, generation: undefined, uid: undefined } });
    if (old && userView(old) === userView(r)) return { action: 'unchanged', resource: old };
    this.#rev++;
    const stored: Resource = {
      ...r,
      metadata: {
        ...r.metadata,
        creationTimestamp: old?.metadata.creationTimestamp ?? now.toISOString(),
        uid: old?.metadata.uid ?? randomUUID(),
        resourceVersion: String(this.#rev),
        generation: (old?.metadata.generation ?? 0) + 1,
      },
    };
    this.#items.set(key, stored);
    this.#changed([key]);
    return { action: old ? 'configured' : 'created', resource: stored };
  }

  delete(key: string): Resource | undefined {
    const old = this.#items.get(key);
    if (!old) return undefined;
    this.#items.delete(key);
    this.#rev++;
    this.#changed([key]);
    return old;
  }

  #changed(keys: string[]): void {
    if (this.#file) {
      mkdirSync(dirname(this.#file), { recursive: true });
      const tmp = `${this.#file}.tmp`;
      writeFileSync(tmp, JSON.stringify({ rev: this.#rev, items: this.list() }));
      renameSync(tmp, this.#file);
    }
    for (const l of this.#listeners) l(keys);
  }
}
