import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createKeyAndCsr } from './csr.ts';

test('the CSR is a valid PKCS#10 request that openssl verifies, with the SPIFFE URI SAN and an empty subject', async () => {
  const id = 'spiffe://cluster.local/ns/foo/sa/httpbin';
  const { csrPem, keyPem, spki } = await createKeyAndCsr(id);
  const text = execFileSync('openssl', ['req', '-verify', '-noout', '-text'], { input: csrPem, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
  assert.match(text, /Subject:\s*\n|Subject: $/m);
  assert.match(text, /ASN1 OID: prime256v1/);
  assert.match(text, /X509v3 Subject Alternative Name:\s*\n\s*URI:spiffe:\/\/cluster\.local\/ns\/foo\/sa\/httpbin/);
  assert.match(text, /Signature Algorithm: ecdsa-with-SHA256/);
  assert.match(keyPem, /^-----BEGIN PRIVATE KEY-----/);
  assert.equal(spki[0], 0x30);
  await assert.rejects(createKeyAndCsr('spiffe://x/with space'));
});
