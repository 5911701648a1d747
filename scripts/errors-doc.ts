// Writes docs/errors.md from the error-code tables in the source (run: node --import tsx scripts/errors-doc.ts).
import { writeFileSync } from 'node:fs';
import { ConfigCodes } from '../src/config/index.ts';
import { ProxyErrorCode } from '../src/proxy/index.ts';
import { GenerateErrors } from '../src/controlplane/generate/index.ts';
import { ClientErrors } from '../src/runtime/index.ts';
import { CaErrors } from '../src/controlplane/ca/index.ts';
import { IdentityErrors } from '../src/proxy/identity/index.ts';
import { CredentialErrors } from '../src/shared/index.ts';

// Meanings come from the doc comment above each code in these tables.
const proxyDocs: Record<string, string> = {};
for (const file of ['../src/proxy/errors.ts', '../src/proxy/identity/errors.ts', '../src/controlplane/ca/errors.ts', '../src/shared/pod-credential.ts']) {
  const src = (await import('node:fs')).readFileSync(new URL(file, import.meta.url), 'utf8');
  for (const m of src.matchAll(/\/\*\* ([^*]+?) \*\/\s*\n\s*[A-Z_]+: '(ISTHMUS_ERR_[A-Z_]+)'/g)) proxyDocs[m[2]!] = m[1]!.trim();
}

const rows = (entries: [string, string, string?][]) => entries.map(([c, s, sev]) => `| \`${c}\` |${sev !== undefined ? ` ${sev} |` : ''} ${s} |`).join('\n');
const text = `# Error codes

Every error Isthmus reports carries a stable code, \`ISTHMUS_ERR_<AREA>_<NAME>\`. Match on the code,
not on the message text. This page is generated from the code tables (\`scripts/errors-doc.ts\`);
a test checks that it lists every code the source uses.

## Config (\`isthmus apply\`, \`isthmus up\`, the control plane's validation)

Errors reject the resource they belong to (the others in the same file are still applied);
warnings are printed and the resource is accepted.

| Code | Severity | Meaning |
|---|---|---|
${rows(Object.entries(ConfigCodes).map(([c, v]) => [c, v.summary, v.severity]))}

## Control plane

| Code | Meaning |
|---|---|
${rows([
  [GenerateErrors.UNKNOWN_PROXY, 'a proxy connected for a pod the registry does not know; it gets config once the pod is registered'],
  [GenerateErrors.INCONSISTENT, 'a generated config referred to a cluster, endpoint list or route table it does not contain; it is not sent'],
])}

## Proxy

| Code | Meaning |
|---|---|
${rows([...Object.values(ProxyErrorCode), ...Object.values(IdentityErrors)].map((c) => [c, proxyDocs[c] ?? '']))}

## Certificate authority and pod credentials

The CA refuses a sign request with one of these codes; the control plane logs it and answers the
proxy with the message.

| Code | Meaning |
|---|---|
${rows([...Object.values(CaErrors), ...Object.values(CredentialErrors)].map((c) => [c, proxyDocs[c] ?? '']))}

## CLI

| Code | Meaning |
|---|---|
${rows([
  [ClientErrors.UNREACHABLE, 'the control plane did not answer (is the mesh running? \`isthmus up\`, or pass --server)'],
  [ClientErrors.SERVER, 'the control plane answered with an error; the message says which'],
])}
`;
writeFileSync(new URL('../docs/errors.md', import.meta.url), text);
