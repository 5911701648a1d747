// Istio's security tasks, reproduced on a running mesh with real certificates: the mTLS
// migration matrix (sidecars in foo and bar, none in legacy), XFCC, openssl s_client against a
// sidecar, RequestAuthentication with tokens signed here and a JWKS served here, the deny task,
// the Bookinfo HTTP authorization task step by step, and refused certificate requests.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { parseAllDocuments } from 'yaml';
import { issuePodCredential } from '../../src/shared/index.ts';
import { Mesh, ROOT, buildOnce, get } from '../support/cli.ts';
import { pidsWithEnv } from '../support/procs.ts';

const NAMESPACES = ['foo', 'bar', 'legacy'] as const;
type Ns = (typeof NAMESPACES)[number];

interface PodInfo {
  name: string;
  ip: string;
  outbound?: string;
  serviceAccount: string;
}

/** The httpbin and sleep samples in a namespace; in `legacy` without sidecars. */
function namespaceManifests(ns: Ns): string {
  const docs: string[] = [];
  for (const file of ['samples/httpbin/httpbin.yaml', 'samples/sleep/sleep.yaml']) {
    for (const doc of parseAllDocuments(readFileSync(join(ROOT, file), 'utf8'))) {
      const r = doc.toJS() as { kind: string; metadata: Record<string, unknown>; spec?: { template?: { metadata?: { annotations?: Record<string, string> } } } };
      if (!r) continue;
      r.metadata['namespace'] = ns;
      if (ns === 'legacy' && r.kind === 'Deployment' && r.spec?.template) {
        r.spec.template.metadata = { ...r.spec.template.metadata, annotations: { 'sidecar.istio.io/inject': 'false' } };
      }
      docs.push(JSON.stringify(r));
    }
  }
  return docs.join('\n---\n');
}

describe('security tasks', { timeout: 300_000 }, () => {
  const mesh = new Mesh();
  const dir = mkdtempSync(join(tmpdir(), 'isthmus-sec-'));
  const pods = new Map<string, PodInfo>();
  let jwks: Server;
  let jwksUrl = '';
  let signingKey: CryptoKey;
  let otherKey: CryptoKey;

  before(async () => {
    buildOnce();
    for (const ns of NAMESPACES) writeFileSync(join(dir, `${ns}.yaml`), namespaceManifests(ns));
    const bookinfo = ['platform/bookinfo.yaml', 'networking/bookinfo-gateway.yaml', 'networking/destination-rule-all.yaml'].map((f) => join(ROOT, 'samples/bookinfo', f));
    // The JWKS the RequestAuthentication points at, served here (the control plane fetches it).
    const pair = await generateKeyPair('RS256');
    signingKey = pair.privateKey;
    ({ privateKey: otherKey } = await generateKeyPair('RS256'));
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };
    jwks = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
    await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', () => r()));
    jwksUrl = `http://127.0.0.1:${(jwks.address() as { port: number }).port}/jwks.json`;
    await mesh.up([...bookinfo, ...NAMESPACES.map((ns) => join(dir, `${ns}.yaml`))], 120_000);
    const list = JSON.parse((await mesh.cli(['get', 'pods', '-A', '-o', 'json'])).stdout) as { items: { metadata: { name: string; namespace: string; labels: Record<string, string>; annotations: Record<string, string> }; spec: { serviceAccountName?: string }; status: { podIP: string } }[] };
    for (const p of list.items) {
      const info: PodInfo = { name: p.metadata.name, ip: p.status.podIP, serviceAccount: p.spec.serviceAccountName ?? 'default' };
      const ob = p.metadata.annotations['isthmus.io/outbound'];
      if (ob !== undefined) info.outbound = ob;
      pods.set(`${p.metadata.namespace}/${p.metadata.labels['app'] ?? ''}`, info);
    }
  });

  after(async () => {
    await mesh.down();
    for (const pid of pidsWithEnv('ISTHMUS_HOME', mesh.home)) process.kill(pid, 'SIGKILL');
    jwks?.close();
    mesh.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  function pod(ns: string, app: string): PodInfo {
    const p = pods.get(`${ns}/${app}`);
    assert.ok(p, `no pod ${ns}/${app}`);
    return p;
  }

  /**
   * A request from sleep.<from> to httpbin.<to>, as the tasks make them: through the sleep pod's
   * sidecar by service name, or (legacy, no sidecar) straight to the httpbin pod's address.
   */
  function call(from: Ns, to: Ns, path = '/ip', headers: Record<string, string> = {}, method = 'GET'): { exit: number; status: string; body: string } {
    const args = ['-sS', '--max-time', '10', '-o', '-', '-w', '\n%{http_code}', '-X', method];
    for (const [k, v] of Object.entries(headers)) args.push('-H', `${k}: ${v}`);
    if (from === 'legacy') args.push(`http://${pod(to, 'httpbin').ip}:80${path}`);
    else args.push('-x', `http://${pod(from, 'sleep').outbound}`, `http://httpbin.${to}:8000${path}`);
    const r = spawnSync('curl', args, { encoding: 'utf8' });
    const out = r.stdout ?? '';
    const nl = out.lastIndexOf('\n');
    return { exit: r.status ?? -1, status: out.slice(nl + 1), body: out.slice(0, Math.max(nl, 0)) };
  }

  function matrix(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const from of NAMESPACES) for (const to of NAMESPACES) {
      const r = call(from, to);
      out[`${from}->${to}`] = r.exit === 0 ? r.status : `${r.status}/${r.exit}`;
    }
    return out;
  }

  function expectMatrix(failing: string[]): void {
    const m = matrix();
    const want: Record<string, string> = {};
    for (const k of Object.keys(m)) want[k] = failing.includes(k) ? '000/56' : '200';
    assert.deepEqual(m, want);
  }

  async function apply(yaml: string): Promise<void> {
    const r = await mesh.cli(['apply', '-f', '-', '--wait'], yaml);
    assert.equal(r.code, 0, r.stderr + r.stdout);
  }

  async function remove(kind: string, ns: string, name: string): Promise<void> {
    const r = await mesh.cli(['delete', kind, name, '-n', ns]);
    assert.equal(r.code, 0, r.stderr);
  }

  function pa(ns: string, name: string, body: string): string {
    return `apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata:\n  name: ${name}\n  namespace: ${ns}\nspec:\n${body}`;
  }

  test('with no PeerAuthentication (PERMISSIVE) every client reaches every httpbin; isthmus exec runs curl inside a pod', async () => {
    expectMatrix([]);
    const r = await mesh.cli(['exec', '-n', 'foo', 'deploy/sleep', '--', 'curl', '-sS', 'http://httpbin.bar:8000/ip']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /"origin"/);
  });

  test('auto mTLS: sidecar to sidecar carries XFCC naming both SPIFFE identities; to a pod without a sidecar, plaintext and no XFCC', () => {
    const withSidecar = JSON.parse(call('foo', 'foo', '/headers').body) as { headers: Record<string, string> };
    assert.match(withSidecar.headers['X-Forwarded-Client-Cert'] ?? '', /^By=spiffe:\/\/cluster\.local\/ns\/foo\/sa\/httpbin;Hash=[0-9a-f]{64};Subject="";URI=spiffe:\/\/cluster\.local\/ns\/foo\/sa\/sleep$/);
    const legacy = JSON.parse(call('foo', 'legacy', '/headers').body) as { headers: Record<string, string> };
    assert.equal(legacy.headers['X-Forwarded-Client-Cert'], undefined);
  });

  test('mTLS migration: namespace STRICT, then mesh STRICT, refuse only clients without a sidecar (curl exit 56)', async () => {
    await apply(pa('foo', 'default', '  mtls:\n    mode: STRICT\n'));
    expectMatrix(['legacy->foo']);
    await apply(pa('istio-system', 'default', '  mtls:\n    mode: STRICT\n'));
    expectMatrix(['legacy->foo', 'legacy->bar']);
    // Bookinfo keeps working under mesh-wide STRICT: its sidecars speak mTLS.
    const page = await get(`${mesh.ingress}/productpage`);
    assert.equal(page.status, 200);
    assert.match(page.body, /Book Details/);
    await remove('peerauthentication', 'istio-system', 'default');
    await remove('peerauthentication', 'foo', 'default');
    expectMatrix([]);
  });

  test('workload STRICT, a port-level DISABLE override, and workload over namespace precedence', async () => {
    await apply(pa('bar', 'httpbin', '  selector:\n    matchLabels:\n      app: httpbin\n  mtls:\n    mode: STRICT\n'));
    expectMatrix(['legacy->bar']);
    await apply(pa('bar', 'httpbin', '  selector:\n    matchLabels:\n      app: httpbin\n  mtls:\n    mode: STRICT\n  portLevelMtls:\n    80:\n      mode: DISABLE\n'));
    expectMatrix([]);
    await remove('peerauthentication', 'bar', 'httpbin');
    await apply(pa('foo', 'default', '  mtls:\n    mode: STRICT\n'));
    await apply(pa('foo', 'overwrite-example', '  selector:\n    matchLabels:\n      app: httpbin\n  mtls:\n    mode: DISABLE\n'));
    assert.equal(call('legacy', 'foo').status, '200');
    // DISABLE on the server: sidecar clients fall back to plaintext by themselves (auto mTLS).
    assert.equal(call('bar', 'foo').status, '200');
    await remove('peerauthentication', 'foo', 'overwrite-example');
    await remove('peerauthentication', 'foo', 'default');
  });

  test('openssl s_client against a STRICT sidecar: a chain up to our root and the SPIFFE SAN; no client certificate, no answer', async () => {
    await apply(pa('foo', 'default', '  mtls:\n    mode: STRICT\n'));
    const target = `${pod('foo', 'httpbin').ip}:80`;
    const root = join(mesh.home, 'state', 'ca', 'root-cert.pem');
    const s = spawnSync('openssl', ['s_client', '-connect', target, '-showcerts', '-CAfile', root, '-verify_return_error'], { input: '', encoding: 'utf8', timeout: 10_000 });
    const out = `${s.stdout}${s.stderr}`;
    assert.match(out, /Verify return code: 0 \(ok\)/);
    const certs = out.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? [];
    assert.ok(certs.length >= 1);
    const leaf = new X509Certificate(certs[0] as string);
    assert.equal(leaf.subjectAltName, 'URI:spiffe://cluster.local/ns/foo/sa/httpbin');
    assert.ok(leaf.checkIssued(new X509Certificate(readFileSync(root))));
    assert.ok(leaf.publicKey.asymmetricKeyDetails?.namedCurve === 'prime256v1');
    // Without a client certificate the handshake fails: no HTTP answer comes back.
    const plain = spawnSync('openssl', ['s_client', '-connect', target, '-CAfile', root, '-ign_eof'], { input: 'GET /ip HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n', encoding: 'utf8', timeout: 10_000 });
    assert.doesNotMatch(`${plain.stdout}`, /HTTP\/1\.1 200/);
    await remove('peerauthentication', 'foo', 'default');
  });

  test('the CA refuses a bad credential and a CSR for an identity the caller does not hold', async () => {
    const key = readFileSync(join(mesh.home, 'state', 'platform.key'));
    const sleep = pod('foo', 'sleep');
    const tmp = mkdtempSync(join(tmpdir(), 'isthmus-csr-'));
    try {
      execFileSync('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(tmp, 'k.pem'), '-out', join(tmp, 'csr.pem'),
        '-subj', '/O=x', '-addext', 'subjectAltName=URI:spiffe://cluster.local/ns/foo/sa/httpbin'], { stdio: 'ignore' });
      const csr = readFileSync(join(tmp, 'csr.pem'), 'utf8');
      const post = (credential: string) => fetch(`${mesh.controlPlane}/v1/ca/sign`, { method: 'POST', body: JSON.stringify({ csr, credential }), headers: { 'content-type': 'application/json' } });
      const forged = await post('v1.eyJuYW1lc3BhY2UiOiJmb28ifQ.AAAA');
      assert.equal(forged.status, 403);
      assert.match(((await forged.json()) as { error: string }).error, /credential refused/);
      const asSleep = issuePodCredential(key, { namespace: 'foo', pod: sleep.name, serviceAccount: 'sleep', issuedAt: Date.now() });
      const stolen = await post(asSleep);
      assert.equal(stolen.status, 403);
      assert.match(((await stolen.json()) as { error: string }).error, /spiffe:\/\/cluster\.local\/ns\/foo\/sa\/sleep/);
      const garbage = await fetch(`${mesh.controlPlane}/v1/ca/sign`, { method: 'POST', body: '{"csr": 12, "credential": []}' });
      assert.equal(garbage.status, 403);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  async function token(claims: Record<string, unknown>, opts: { key?: CryptoKey; exp?: string | number; aud?: string } = {}): Promise<string> {
    let t = new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'test-key' }).setIssuer('testing@secure.istio.io').setSubject('testing@secure.istio.io').setIssuedAt();
    t = t.setExpirationTime(opts.exp ?? '1h');
    if (opts.aud !== undefined) t = t.setAudience(opts.aud);
    return t.sign(opts.key ?? signingKey);
  }

  test('JWT: invalid token 401, no token 200; require-jwt gives 403 without one; a groups claim narrows it; expired and foreign-key tokens 401', async () => {
    await apply(`apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata:
  name: jwt-example
  namespace: foo
spec:
  selector:
    matchLabels:
      app: httpbin
  jwtRules:
  - issuer: testing@secure.istio.io
    jwksUri: ${jwksUrl}
`);
    const demo = await token({ foo: 'bar' });
    const auth = (t: string) => ({ authorization: `Bearer ${t}` });
    // The control plane fetches the JWKS after the apply; the proxies get it with the next push.
    for (let i = 0; i < 100 && call('foo', 'foo', '/headers', auth(demo)).status !== '200'; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(call('foo', 'foo', '/headers', auth(demo)).status, '200');
    assert.equal(call('foo', 'foo', '/headers', auth('invalidToken')).status, '401');
    assert.equal(call('foo', 'foo', '/headers', auth('deadbeef')).status, '401');
    assert.equal(call('foo', 'foo', '/headers').status, '200');
    assert.equal(call('foo', 'foo', '/headers', auth(await token({}, { exp: Math.floor(Date.now() / 1000) - 120 }))).status, '401');
    assert.equal(call('foo', 'foo', '/headers', auth(await token({}, { key: otherKey }))).status, '401');
    assert.equal(call('foo', 'foo', '/headers', { authorization: 'Basic Zm9vOmJhcg==' }).status, '200', 'no bearer token: nothing to check');

    await apply(`apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: require-jwt
  namespace: foo
spec:
  selector:
    matchLabels:
      app: httpbin
  action: ALLOW
  rules:
  - from:
    - source:
        requestPrincipals: ["testing@secure.istio.io/testing@secure.istio.io"]
`);
    assert.equal(call('foo', 'foo', '/headers', auth(demo)).status, '200');
    const denied = call('foo', 'foo', '/headers');
    assert.equal(denied.status, '403');
    assert.equal(denied.body, 'RBAC: access denied');

    await apply(`apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: require-jwt
  namespace: foo
spec:
  selector:
    matchLabels:
      app: httpbin
  action: ALLOW
  rules:
  - from:
    - source:
        requestPrincipals: ["testing@secure.istio.io/testing@secure.istio.io"]
    when:
    - key: request.auth.claims[groups]
      values: ["group1"]
`);
    assert.equal(call('foo', 'foo', '/headers', auth(await token({ groups: ['group1', 'group2'] }))).status, '200');
    assert.equal(call('foo', 'foo', '/headers', auth(demo)).status, '403');
    await remove('authorizationpolicy', 'foo', 'require-jwt');
    await remove('requestauthentication', 'foo', 'jwt-example');
  });

  test('end-user authentication at the ingress: RequestAuthentication on the gateway, then a DENY for requests without a principal', async () => {
    await apply(`apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata:
  name: jwt-example
  namespace: istio-system
spec:
  selector:
    matchLabels:
      istio: ingressgateway
  jwtRules:
  - issuer: testing@secure.istio.io
    jwksUri: ${jwksUrl}
`);
    const demo = await token({});
    const page = async (headers: Record<string, string> = {}) => (await get(`${mesh.ingress}/productpage`, headers)).status;
    for (let i = 0; i < 100 && (await page({ authorization: `Bearer ${demo}` })) !== 200; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(await page(), 200, 'no token: allowed by RequestAuthentication alone');
    assert.equal(await page({ authorization: 'Bearer deadbeef' }), 401);
    assert.equal(await page({ authorization: `Bearer ${demo}` }), 200);
    await apply(`apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: frontend-ingress
  namespace: istio-system
spec:
  selector:
    matchLabels:
      istio: ingressgateway
  action: DENY
  rules:
  - from:
    - source:
        notRequestPrincipals: ["*"]
`);
    assert.equal(await page(), 403);
    assert.equal(await page({ authorization: `Bearer ${demo}` }), 200);
    await remove('authorizationpolicy', 'istio-system', 'frontend-ingress');
    await remove('requestauthentication', 'istio-system', 'jwt-example');
  });

  test('explicit deny: DENY GET, then only for x-token other than admin, with an ALLOW for /ip', async () => {
    const deny = (when: string) => `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: deny-method-get
  namespace: foo
spec:
  selector:
    matchLabels:
      app: httpbin
  action: DENY
  rules:
  - to:
    - operation:
        methods: ["GET"]
${when}`;
    await apply(deny(''));
    assert.equal(call('foo', 'foo', '/get').status, '403');
    assert.equal(call('foo', 'foo', '/post', {}, 'POST').status, '200');
    await apply(deny('    when:\n    - key: request.headers[x-token]\n      notValues: ["admin"]\n'));
    assert.equal(call('foo', 'foo', '/get', { 'x-token': 'admin' }).status, '200');
    assert.equal(call('foo', 'foo', '/get', { 'x-token': 'guest' }).status, '403');
    await apply(`apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: allow-path-ip
  namespace: foo
spec:
  selector:
    matchLabels:
      app: httpbin
  action: ALLOW
  rules:
  - to:
    - operation:
        paths: ["/ip"]
`);
    assert.equal(call('foo', 'foo', '/ip', { 'x-token': 'guest' }).status, '403');
    assert.equal(call('foo', 'foo', '/ip', { 'x-token': 'admin' }).status, '200');
    assert.equal(call('foo', 'foo', '/get', { 'x-token': 'admin' }).status, '403');
    await remove('authorizationpolicy', 'foo', 'allow-path-ip');
    await remove('authorizationpolicy', 'foo', 'deny-method-get');
  });

  test('Bookinfo HTTP authorization: allow-nothing, then productpage, details and reviews, then ratings viewers', async () => {
    const page = async () => (await get(`${mesh.ingress}/productpage`)).body;
    await apply(readFileSync(join(ROOT, 'samples/bookinfo/networking/virtual-service-reviews-v3.yaml'), 'utf8'));
    await apply('apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata:\n  name: allow-nothing\n  namespace: default\nspec: {}\n');
    const nothing = await get(`${mesh.ingress}/productpage`);
    assert.equal(nothing.status, 403);
    assert.equal(nothing.body, 'RBAC: access denied');
    const viewer = (name: string, app: string, principal?: string) => `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: ${name}
  namespace: default
spec:
  selector:
    matchLabels:
      app: ${app}
  action: ALLOW
  rules:
  - ${principal ? `from:\n    - source:\n        principals: ["${principal}"]\n    ` : ''}to:
    - operation:
        methods: ["GET"]
`;
    await apply(viewer('productpage-viewer', 'productpage'));
    let html = await page();
    assert.match(html, /William Shakespeare/);
    assert.match(html, /Error fetching product details/);
    assert.match(html, /Error fetching product reviews/);
    await apply(viewer('details-viewer', 'details', 'cluster.local/ns/default/sa/bookinfo-productpage'));
    await apply(viewer('reviews-viewer', 'reviews', 'cluster.local/ns/default/sa/bookinfo-productpage'));
    html = await page();
    assert.match(html, /PublisherA/);
    assert.match(html, /Ratings service is currently unavailable/);
    await apply(viewer('ratings-viewer', 'ratings', 'cluster.local/ns/default/sa/bookinfo-reviews'));
    html = await page();
    assert.match(html, /Book Details/);
    assert.match(html, /Book Reviews/);
    assert.match(html, /glyphicon glyphicon-star/);
    // A POST is still refused at productpage: only GET was allowed.
    const post = await fetch(`${mesh.ingress}/productpage`, { method: 'POST' });
    assert.equal(post.status, 403);
    for (const n of ['allow-nothing', 'productpage-viewer', 'details-viewer', 'reviews-viewer', 'ratings-viewer']) await remove('authorizationpolicy', 'default', n);
  });

  test('ingress TLS: SIMPLE and MUTUAL servers from credentialName secrets, picked by SNI; httpsRedirect; bad secrets refused', async () => {
    const pki = mkdtempSync(join(tmpdir(), 'isthmus-gw-pki-'));
    const ossl = (args: string[]) => execFileSync('openssl', args, { cwd: pki, stdio: ['ignore', 'ignore', 'pipe'] });
    try {
      ossl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'root.key', '-out', 'root.crt', '-days', '2', '-subj', '/O=example Inc./CN=example.com']);
      for (const name of ['bookinfo.example.com', 'httpbin.example.com', 'client.example.com']) {
        ossl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}/O=example`]);
        writeFileSync(join(pki, `${name}.ext`), `subjectAltName=DNS:${name}\n`);
        ossl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'root.crt', '-CAkey', 'root.key', '-CAcreateserial', '-days', '1', '-extfile', `${name}.ext`, '-out', `${name}.crt`]);
      }
      const f = (n: string) => join(pki, n);
      let r = await mesh.cli(['create', 'secret', 'tls', 'bookinfo-credential', '-n', 'istio-system', '--cert', f('bookinfo.example.com.crt'), '--key', f('bookinfo.example.com.key')]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /secret\/bookinfo-credential created/);
      r = await mesh.cli(['create', 'secret', 'generic', 'httpbin-credential', '-n', 'istio-system', `--from-file=tls.crt=${f('httpbin.example.com.crt')}`, `--from-file=tls.key=${f('httpbin.example.com.key')}`, `--from-file=ca.crt=${f('root.crt')}`]);
      assert.equal(r.code, 0, r.stderr);
      const mismatched = await mesh.cli(['create', 'secret', 'tls', 'broken', '-n', 'istio-system', '--cert', f('bookinfo.example.com.crt'), '--key', f('httpbin.example.com.key')]);
      assert.notEqual(mismatched.code, 0);
      assert.match(mismatched.stderr, /tls.key does not match the certificate/);

      await apply(`apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: secure-gateway
  namespace: default
spec:
  selector:
    istio: ingressgateway
  servers:
  - port: {number: 443, name: https-bookinfo, protocol: HTTPS}
    tls: {mode: SIMPLE, credentialName: bookinfo-credential}
    hosts: ["bookinfo.example.com"]
  - port: {number: 443, name: https-httpbin, protocol: HTTPS}
    tls: {mode: MUTUAL, credentialName: httpbin-credential}
    hosts: ["httpbin.example.com"]
  - port: {number: 80, name: http-redirect, protocol: HTTP}
    tls: {httpsRedirect: true}
    hosts: ["bookinfo.example.com"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: bookinfo-secure
  namespace: default
spec:
  hosts: ["bookinfo.example.com"]
  gateways: ["secure-gateway"]
  http:
  - route:
    - destination: {host: productpage, port: {number: 9080}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: httpbin-secure
  namespace: default
spec:
  hosts: ["httpbin.example.com"]
  gateways: ["secure-gateway"]
  http:
  - route:
    - destination: {host: httpbin.foo.svc.cluster.local, port: {number: 8000}}
`);
      const port = mesh.ingressHttps.split(':')[1] as string;
      const https = (host: string, path: string, extra: string[] = []) => spawnSync('curl', ['-sS', '--max-time', '10', '-o', '-', '-w', '\n%{http_code}', '--cacert', f('root.crt'), '--resolve', `${host}:${port}:127.0.0.1`, ...extra, `https://${host}:${port}${path}`], { encoding: 'utf8' });
      const page = https('bookinfo.example.com', '/productpage');
      assert.equal(page.status, 0, page.stderr);
      assert.match(page.stdout, /Book Details/);
      assert.match(page.stdout, /\n200$/);
      // SNI picks the certificate: httpbin.example.com is served with its own (curl verifies the name).
      const noCert = https('httpbin.example.com', '/headers');
      assert.notEqual(noCert.status, 0, 'MUTUAL without a client certificate must fail');
      const withCert = https('httpbin.example.com', '/headers', ['--cert', f('client.example.com.crt'), '--key', f('client.example.com.key')]);
      assert.equal(withCert.status, 0, withCert.stderr);
      assert.match(withCert.stdout, /"X-Forwarded-Proto":"https"/);
      assert.match(withCert.stdout, /\n200$/);
      // The plain port redirects this host to https and keeps routing the others.
      const redirect = spawnSync('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code} %{redirect_url}', '-H', 'host: bookinfo.example.com', `${mesh.ingress}/productpage`], { encoding: 'utf8' });
      assert.equal(redirect.stdout, '301 https://bookinfo.example.com/productpage');
      assert.equal((await get(`${mesh.ingress}/productpage`)).status, 200);
      await remove('virtualservice', 'default', 'bookinfo-secure');
      await remove('virtualservice', 'default', 'httpbin-secure');
      await remove('gateway', 'default', 'secure-gateway');
    } finally {
      rmSync(pki, { recursive: true, force: true });
    }
  });

  test('ingress authorization by client address: ipBlocks that exclude the client give 403; adding it gives 200', async () => {
    const policy = (blocks: string) => `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: ingress-policy
  namespace: istio-system
spec:
  selector:
    matchLabels:
      app: istio-ingressgateway
  action: ALLOW
  rules:
  - from:
    - source:
        ipBlocks: [${blocks}]
`;
    await apply(policy('"1.2.3.4", "5.6.7.0/24"'));
    assert.equal((await get(`${mesh.ingress}/productpage`)).status, 403);
    await apply(policy('"1.2.3.4", "5.6.7.0/24", "127.0.0.1"'));
    assert.equal((await get(`${mesh.ingress}/productpage`)).status, 200);
    await remove('authorizationpolicy', 'istio-system', 'ingress-policy');
  });

  test('get lists the security resources kubectl-style', async () => {
    await apply(pa('foo', 'default', '  mtls:\n    mode: STRICT\n'));
    const r = await mesh.cli(['get', 'pa', '-A']);
    assert.match(r.stdout, /^NAMESPACE\s+NAME\s+MODE\s+AGE$/m);
    assert.match(r.stdout, /^foo\s+default\s+STRICT\s+\S+$/m);
    await remove('peerauthentication', 'foo', 'default');
  });
});
