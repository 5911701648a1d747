import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ConfigCodes } from './codes.ts';
import { SUPPORTED_KINDS } from './index.ts';

describe('code table', () => {
  const here = dirname(fileURLToPath(import.meta.url));
  const sources = readdirSync(here)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && f !== 'codes.ts')
    .map((f) => readFileSync(join(here, f), 'utf8'))
    .join('\n');

  test('codes follow ISTHMUS_ERR_CONFIG_<NAME> and every one is used', () => {
    for (const code of Object.keys(ConfigCodes)) {
      assert.match(code, /^ISTHMUS_ERR_CONFIG_[A-Z0-9_]+$/);
      assert.ok(sources.includes(`'${code}'`), `${code} is never emitted`);
    }
  });

  test('every code emitted is in the table', () => {
    const used = new Set(sources.match(/ISTHMUS_ERR_CONFIG_[A-Z0-9_]+/g) ?? []);
    for (const code of used) assert.ok(code in ConfigCodes, `${code} is missing from codes.ts`);
  });

  test('SUPPORTED_KINDS lists the eleven kinds', () => {
    assert.deepEqual(
      SUPPORTED_KINDS.map((k) => k.kind),
      [
        'VirtualService',
        'DestinationRule',
        'Gateway',
        'ServiceEntry',
        'PeerAuthentication',
        'AuthorizationPolicy',
        'RequestAuthentication',
        'Namespace',
        'Service',
        'ServiceAccount',
        'Deployment',
      ],
    );
  });
});
