import { test } from 'node:test';
import assert from 'node:assert/strict';
import { localityFromLabels, normalizeLocality, splitLocality, topologyLabels } from './locality.ts';

test('a locality from labels: the one-label forms first (dots or slashes), then the topology labels', () => {
  assert.equal(localityFromLabels({ 'topology.istio.io/locality': 'r1.z1.s1', 'istio-locality': 'r9.z9' }), 'r1/z1/s1');
  assert.equal(localityFromLabels({ 'istio-locality': 'r1.z1', 'topology.kubernetes.io/region': 'r9' }), 'r1/z1');
  assert.equal(localityFromLabels({ 'istio-locality': 'r1/z1.a' }), 'r1/z1.a', 'a value with a slash is taken as written');
  assert.equal(localityFromLabels({ 'topology.kubernetes.io/region': 'us-east1', 'topology.kubernetes.io/zone': 'us-east1-b' }), 'us-east1/us-east1-b');
  assert.equal(localityFromLabels({ 'topology.kubernetes.io/region': 'r1', 'topology.istio.io/subzone': 's1' }), 'r1//s1');
  assert.equal(localityFromLabels({ app: 'x' }), undefined);
  assert.equal(localityFromLabels(undefined), undefined);
});

test('canonical form drops empty trailing parts; split fills missing parts with empty strings', () => {
  assert.equal(normalizeLocality('r1/z1/'), 'r1/z1');
  assert.equal(normalizeLocality(''), undefined);
  assert.deepEqual(splitLocality('r1'), { region: 'r1', zone: '', subzone: '' });
  assert.deepEqual(splitLocality('r1/z1/s1/x'), { region: 'r1', zone: 'z1', subzone: 's1/x' });
  assert.deepEqual(topologyLabels({ app: 'a', 'topology.kubernetes.io/zone': 'old' }, 'r1/z1'), {
    app: 'a', 'topology.kubernetes.io/region': 'r1', 'topology.kubernetes.io/zone': 'z1',
  });
});
