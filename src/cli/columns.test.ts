import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Resource } from '../api/index.ts';
import { rowsFor } from './columns.ts';

const res = (kind: string, name: string, spec: unknown): Resource => ({
  apiVersion: 'security.istio.io/v1',
  kind,
  metadata: { name, namespace: 'foo', creationTimestamp: new Date(Date.now() - 5_000).toISOString() },
  spec,
});
const opts = { wide: false, allNamespaces: false, namespaced: true };

test('peer authentications show the mTLS mode, empty when unset', () => {
  const { headers, rows } = rowsFor('PeerAuthentication', [res('PeerAuthentication', 'default', { mtls: { mode: 'STRICT' } }), res('PeerAuthentication', 'ports', { portLevelMtls: { '80': { mode: 'DISABLE' } } })], opts);
  assert.deepEqual(headers, ['NAME', 'MODE', 'AGE']);
  assert.deepEqual(rows.map((r) => r.slice(0, 2)), [['default', 'STRICT'], ['ports', '']]);
});

test('authorization policies show the action as written', () => {
  const { headers, rows } = rowsFor('AuthorizationPolicy', [res('AuthorizationPolicy', 'deny-get', { action: 'DENY', rules: [{}] }), res('AuthorizationPolicy', 'allow-nothing', {})], opts);
  assert.deepEqual(headers, ['NAME', 'ACTION', 'AGE']);
  assert.deepEqual(rows.map((r) => r.slice(0, 2)), [['deny-get', 'DENY'], ['allow-nothing', '']]);
});

test('request authentications show name and age, with the namespace across namespaces', () => {
  const { headers, rows } = rowsFor('RequestAuthentication', [res('RequestAuthentication', 'jwt-example', { jwtRules: [{ issuer: 'a' }] })], { ...opts, allNamespaces: true });
  assert.deepEqual(headers, ['NAMESPACE', 'NAME', 'AGE']);
  assert.deepEqual(rows, [['foo', 'jwt-example', '5s']]);
});
