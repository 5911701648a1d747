import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PeerCertificate } from 'node:tls';
import { checkServerSpiffeId, peerSpiffeId, spiffeIdOf } from './spiffe.ts';

const ID = 'spiffe://cluster.local/ns/default/sa/bookinfo-reviews';
const cert = (san: string | undefined) => ({ subjectaltname: san }) as PeerCertificate;

test('a peer SPIFFE ID is its only SAN, a spiffe:// URI', () => {
  assert.equal(spiffeIdOf('cluster.local', 'default', 'bookinfo-reviews'), ID);
  assert.equal(peerSpiffeId(cert(`URI:${ID}`)), ID);
  for (const san of [undefined, '', 'DNS:reviews', `URI:${ID}, DNS:reviews`, `DNS:reviews, URI:${ID}`, `URI:${ID}, URI:spiffe://cluster.local/ns/default/sa/admin`, 'URI:https://example.com/x', 'URI:spiffe://', 'URI:spiffe://Cluster.local/ns/a/sa/b']) {
    assert.equal(peerSpiffeId(cert(san)), null, String(san));
  }
  assert.equal(peerSpiffeId(null), null);
  assert.equal(peerSpiffeId(undefined), null);
});

test('checkServerSpiffeId accepts only the listed identities', () => {
  const check = checkServerSpiffeId([ID]);
  assert.equal(check('127.0.0.1', cert(`URI:${ID}`)), undefined);
  assert.match(String(check('127.0.0.1', cert('URI:spiffe://cluster.local/ns/default/sa/other'))), /is not one this client accepts/);
  assert.match(String(check('127.0.0.1', cert('DNS:reviews'))), /no single SPIFFE URI SAN/);
  const byNamespace = checkServerSpiffeId((id) => id.startsWith('spiffe://cluster.local/ns/default/'));
  assert.equal(byNamespace('x', cert(`URI:${ID}`)), undefined);
  assert.ok(byNamespace('x', cert('URI:spiffe://cluster.local/ns/prod/sa/x')) instanceof Error);
});
