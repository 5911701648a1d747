import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatDiagnostic, formatPath, parsePath, type PathSegment } from './diagnostic.ts';

describe('paths and the diagnostic format', () => {
  const paths: [PathSegment[], string][] = [
    [['spec', 'http', 0, 'match', 1, 'uri', 'regex'], 'spec.http[0].match[1].uri.regex'],
    [['metadata', 'labels', 'app.kubernetes.io/name'], 'metadata.labels["app.kubernetes.io/name"]'],
    [['spec', 'headers', 'x-request-id'], 'spec.headers.x-request-id'],
    [['spec', 'headers', ':path'], 'spec.headers[":path"]'],
    [['a', 'b "c"'], 'a["b \\"c\\""]'],
    [[], ''],
  ];
  for (const [segs, text] of paths) {
    test(`formats and parses ${text || '(root)'}`, () => {
      assert.equal(formatPath(segs), text);
      assert.deepEqual(parsePath(text), segs);
    });
  }

  test('leaves out what is not known', () => {
    const base = { severity: 'error' as const, code: 'ISTHMUS_ERR_CONFIG_INVALID_WEIGHT', path: 'spec.x', message: 'bad' };
    assert.equal(formatDiagnostic(base), 'error: spec.x: bad [ISTHMUS_ERR_CONFIG_INVALID_WEIGHT]');
    assert.equal(formatDiagnostic({ ...base, file: 'a.yaml' }), 'a.yaml: error: spec.x: bad [ISTHMUS_ERR_CONFIG_INVALID_WEIGHT]');
    assert.equal(formatDiagnostic({ ...base, file: 'a.yaml', line: 3, column: 5, resource: 'Gateway default/gw' }), 'a.yaml:3:5: error: Gateway default/gw: spec.x: bad [ISTHMUS_ERR_CONFIG_INVALID_WEIGHT]');
    assert.equal(formatDiagnostic({ ...base, path: '', severity: 'warning' }), 'warning: bad [ISTHMUS_ERR_CONFIG_INVALID_WEIGHT]');
  });
});
