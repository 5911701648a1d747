// Reading -f FILE|DIR|- arguments into parsed documents, with diagnostics that name file and line.

import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseManifests, type Diagnostic } from '../config/index.ts';
import type { Resource } from '../api/index.ts';
import { readManifest, manifestDir } from '../runtime/index.ts';
import { CliError } from './context.ts';

export interface LoadedResource {
  resource: Resource;
  file: string;
  line: number;
  dir: string;
}

export interface Loaded {
  resources: LoadedResource[];
  diagnostics: Diagnostic[];
}

const MANIFEST = /\.(ya?ml|json)$/i;

export function expandFiles(args: string[], recursive: boolean): string[] {
  const files: string[] = [];
  for (const a of args) {
    if (a === '-') {
      files.push(a);
      continue;
    }
    let st;
    try {
      st = statSync(a);
    } catch {
      throw new CliError(`error: the path "${a}" does not exist`);
    }
    if (st.isDirectory()) {
      const walk = (d: string) => {
        for (const name of readdirSync(d).sort()) {
          const p = join(d, name);
          if (statSync(p).isDirectory()) {
            if (recursive) walk(p);
          } else if (MANIFEST.test(name)) files.push(p);
        }
      };
      walk(a);
    } else files.push(a);
  }
  return files;
}

export function loadManifests(args: string[], opts: { recursive?: boolean; namespace?: string } = {}): Loaded {
  const out: Loaded = { resources: [], diagnostics: [] };
  for (const file of expandFiles(args, opts.recursive ?? false)) {
    const text = readManifest(file);
    const name = file === '-' ? '<stdin>' : file;
    const parsed = parseManifests(text, name, opts.namespace ? { defaultNamespace: opts.namespace } : {});
    for (const doc of parsed.documents) {
      out.diagnostics.push(...doc.diagnostics);
      if (doc.resource && !doc.diagnostics.some((d) => d.severity === 'error')) {
        out.resources.push({ resource: doc.resource, file: name, line: doc.line, dir: manifestDir(file) });
      }
    }
  }
  return out;
}
