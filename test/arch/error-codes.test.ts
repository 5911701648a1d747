// Every error code the source uses is listed in docs/errors.md, and every listed code exists.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../..');

function codesIn(dir: string, out = new Set<string>()): Set<string> {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) codesIn(p, out);
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) for (const m of readFileSync(p, 'utf8').matchAll(/ISTHMUS_ERR_[A-Z0-9]+_[A-Z0-9_]*[A-Z0-9]/g)) out.add(m[0]);
  }
  return out;
}

test('docs/errors.md lists every error code, and only real ones', () => {
  const used = codesIn(join(root, 'src'));
  const documented = new Set([...readFileSync(join(root, 'docs/errors.md'), 'utf8').matchAll(/`(ISTHMUS_ERR_[A-Z0-9_]+)`/g)].map((m) => m[1]!));
  assert.ok(used.size > 50, `found only ${used.size} codes: the scan is broken`);
  assert.deepEqual([...used].filter((c) => !documented.has(c)).sort(), [], 'missing from docs/errors.md (run node --import tsx scripts/errors-doc.ts)');
  assert.deepEqual([...documented].filter((c) => !used.has(c)).sort(), [], 'documented but not used');
});
