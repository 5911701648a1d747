// The import rules of docs/architecture.md, enforced: which area may import which, imports
// across areas go through the area's index.ts, pure areas do no I/O, leaves stay leaves, and
// there are no cycles between areas.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../..');
const src = join(root, 'src');

const ALLOWED: Record<string, string[]> = {
  shared: [],
  api: ['shared'],
  config: ['api', 'shared'],
  model: ['api', 'shared'],
  proxy: ['api', 'shared'],
  'controlplane/generate': ['model', 'api', 'shared'],
  'controlplane/store': ['api', 'shared'],
  'controlplane/ca': ['api', 'shared'],
  'controlplane/jwks': ['shared'],
  'controlplane/push': ['controlplane/generate', 'model', 'api', 'shared'],
  'controlplane/server': ['controlplane/push', 'controlplane/store', 'controlplane/generate', 'controlplane/ca', 'controlplane/jwks', 'model', 'config', 'api', 'shared'],
  controlplane: ['controlplane/server', 'config', 'shared'],
  runtime: ['api', 'shared', 'config'],
  dashboard: ['api', 'shared', 'runtime'],
  cli: ['runtime', 'config', 'model', 'controlplane/generate', 'proxy', 'api', 'shared'],
};
const NO_IO = new Set(['model', 'controlplane/generate']);
const IO_MODULES = /^node:(net|http|https|http2|fs|fs\/promises|child_process|dgram|tls|timers|timers\/promises)$/;

function areaOf(file: string): string {
  const rel = relative(src, file).split('/');
  if (rel[0] === 'controlplane' && rel.length > 2) return `controlplane/${rel[1]}`;
  return rel[0] ?? '';
}

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

interface Edge { from: string; to: string; file: string; spec: string }

function collect(): { edges: Edge[]; io: { file: string; spec: string }[] } {
  const edges: Edge[] = [];
  const io: { file: string; spec: string }[] = [];
  for (const file of walk(src)) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(IMPORT)) {
      const spec = m[1] ?? m[2] ?? '';
      if (spec.startsWith('.')) {
        const target = resolve(dirname(file), spec);
        const from = areaOf(file);
        const to = areaOf(target);
        if (from !== to) edges.push({ from, to, file: relative(root, file), spec });
      } else if (NO_IO.has(areaOf(file)) && IO_MODULES.test(spec)) {
        io.push({ file: relative(root, file), spec });
      }
    }
  }
  return { edges, io };
}

const { edges, io } = collect();

test('each area imports only the areas it may', () => {
  const bad = edges.filter((e) => !(ALLOWED[e.from] ?? []).includes(e.to)).map((e) => `${e.file}: ${e.from} may not import ${e.to} (${e.spec})`);
  assert.deepEqual(bad, []);
});

test('imports across areas go through the area index.ts', () => {
  const bad = edges.filter((e) => !e.spec.endsWith('/index.ts')).map((e) => `${e.file}: ${e.spec}`);
  assert.deepEqual(bad, []);
});

test('model and generators do no I/O', () => {
  assert.deepEqual(io.map((x) => `${x.file}: ${x.spec}`), []);
});

test('cli and dashboard are leaves', () => {
  const bad = edges.filter((e) => (e.to === 'cli' || e.to === 'dashboard') && e.from !== e.to).map((e) => `${e.file}: ${e.spec}`);
  assert.deepEqual(bad, []);
});

test('no cycles between areas', () => {
  const graph = new Map<string, Set<string>>();
  for (const e of edges) {
    if (!graph.has(e.from)) graph.set(e.from, new Set());
    graph.get(e.from)!.add(e.to);
  }
  const state = new Map<string, 'visiting' | 'done'>();
  const cycles: string[] = [];
  const visit = (n: string, path: string[]) => {
    if (state.get(n) === 'done') return;
    if (state.get(n) === 'visiting') {
      cycles.push([...path.slice(path.indexOf(n)), n].join(' -> '));
      return;
    }
    state.set(n, 'visiting');
    for (const m of graph.get(n) ?? []) visit(m, [...path, n]);
    state.set(n, 'done');
  };
  for (const n of graph.keys()) visit(n, []);
  assert.deepEqual(cycles, []);
});

test('the rule checker sees the real import graph', () => {
  // Guards against a regex that silently matches nothing: the control plane does import the model.
  assert.ok(edges.some((e) => e.from === 'controlplane/generate' && e.to === 'model'));
  assert.ok(edges.some((e) => e.from === 'cli' && e.to === 'runtime'));
});
