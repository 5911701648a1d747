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

## Responses the proxy makes itself

When the proxy answers a request itself instead of forwarding the upstream's answer, it records
Envoy's response flag and adds \`x-isthmus-reason: <FLAG> <reason>\` (the body says the same in one
line). Turn the header off mesh-wide with the MeshConfig
\`defaultConfig.proxyMetadata.ISTHMUS_REASON_HEADER: "false"\`. Forwarded responses can carry a
flag too (\`URX\` on an upstream 5xx after the retries ran out).

| Status | Flag | Reason (start of the text) | What happened |
|---|---|---|---|
| 404 | \`NR\` | \`no route table\`, \`no virtual host for host\`, \`no route matched\` | no VirtualService route (or service) matches the host, path and headers |
| 503 | \`NC\` | \`cluster "…" not found\`, \`route "…" has no destination\` | the route names a cluster the proxy does not have |
| 503 | \`UH\` | \`no healthy upstream for cluster "…"\` | the cluster has no endpoints (no ready pod, or a subset that selects none) |
| 503 | \`UF\` (\`UF,URX\`) | \`upstream connect error: ECONNREFUSED (127.0.0.x:9080, cluster …)\` | the connection could not be made (refused, timeout, TLS handshake or SAN check, unreadable TLS files); \`URX\` when retries were wanted but used up |
| 503 | \`UC\` | \`upstream connect error or disconnect/reset before headers: connection termination\` | the upstream closed the connection (FIN) before answering; after a response started, the client connection is reset with the same flag |
| 503 | \`UR\` | \`upstream connect error or disconnect/reset before headers: ECONNRESET\` | the upstream reset the connection (TCP RST) before answering |
| — | \`LR\` | — | the proxy shut down with the request still in flight (past its drain grace period) and reset the client connection |
| — | \`DC\` | — | the client went away before the response was complete |
| 429 | \`RL\` | — | reserved for local rate limiting; Istio configures that only through EnvoyFilter, which Isthmus rejects, so nothing produces it yet |
| 502 | \`UPE\` | \`upstream sent a malformed response\` | the upstream's response was not valid HTTP/1.1 |
| 504 | \`UT\` | \`upstream request timeout\`, \`upstream per-try timeout\` | the route \`timeout\` (or a try's \`perTryTimeout\` with no retry left) expired |
| 503 | \`UO\` | \`circuit breaker open: maxConnections=1, http1MaxPendingRequests=1 on outbound\|…\` | a DestinationRule connection pool limit was reached |
| (fault) | \`FI\` | \`fault filter abort\` | a VirtualService fault abort |
| — | \`DI\` | — | a VirtualService fault delay was applied (the request then continues) |
| 403 | — | body \`RBAC: access denied\` | an AuthorizationPolicy denied the request |
| (authorizer's) | \`UAEX\` | the authorizer's answer, or \`external authorizer …\` | a CUSTOM authorization provider denied the request, or could not be asked |
| 401 | — | Envoy's JWT texts (\`Jwt is expired\`, \`Jwt verification fails\`, …) | RequestAuthentication refused the token |
| 400, 408, 431, 505 | \`DPE\` | the parse error | the downstream request was malformed, too large or too slow |
| 503 | \`NC\` | \`no configuration received from the control plane yet\` | the proxy has not received its first config |

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
