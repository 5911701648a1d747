import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import type { Resource } from '../api/index.ts';
import { formatDiagnostic } from './diagnostic.ts';
import { parseManifests, splitDocuments } from './parse.ts';
import { validateResource } from './validate.ts';

const here = dirname(fileURLToPath(import.meta.url));
const testdata = join(here, 'testdata');

/** Join lines so that tests can count them: line N of the file is `lines[N - 1]`. */
const lines = (...ls: string[]) => `${ls.join('\n')}\n`;

const REVIEWS = lines(
  'apiVersion: networking.istio.io/v1', //  1
  'kind: VirtualService', //                2
  'metadata:', //                           3
  '  name: reviews', //                     4
  'spec:', //                               5
  '  hosts:', //                            6
  '  - reviews', //                         7
  '  http:', //                             8
  '  - route:', //                          9
  '    - destination:', //                 10
  '        host: reviews', //              11
  '        subset: v1', //                 12
  '      weight: 100', //                  13
  '    - destination:', //                 14
  '        host: reviews', //              15
  '        subset: v2', //                 16
  '      weight: -1', //                   17
);

describe('parseManifests: positions', () => {
  test('an error points at the line and column of the offending field', () => {
    const r = parseManifests(REVIEWS, 'reviews.yaml');
    assert.equal(r.diagnostics.length, 1);
    assert.equal(
      formatDiagnostic(r.diagnostics[0]!),
      'reviews.yaml:17:7: error: VirtualService default/reviews: spec.http[0].route[1].weight: weight -1 < 0 [ISTHMUS_ERR_CONFIG_INVALID_WEIGHT]',
    );
    assert.equal(r.resources.length, 0);
  });

  test('a missing field is placed at its nearest existing parent', () => {
    const text = REVIEWS.replace('        host: reviews\n        subset: v2\n', '        subset: v2\n').replace('weight: -1', 'weight: 0');
    const r = parseManifests(text, 'reviews.yaml');
    const d = r.diagnostics.find((x) => x.path === 'spec.http[0].route[1].destination.host');
    assert.ok(d, r.diagnostics.map(formatDiagnostic).join('\n'));
    assert.equal(d.line, 14, 'the `destination:` line');
    assert.equal(d.column, 7);
    assert.match(d.message, /destination host is required/);
  });

  test('an unknown field is reported at its key, with a suggestion', () => {
    const text = REVIEWS.replace('      weight: 100', '      weigth: 100');
    const r = parseManifests(text, 'reviews.yaml');
    const d = r.diagnostics.find((x) => x.code === 'ISTHMUS_ERR_CONFIG_UNKNOWN_FIELD');
    assert.ok(d);
    assert.equal(d.path, 'spec.http[0].route[0].weigth');
    assert.equal(d.line, 13);
    assert.equal(d.column, 7);
    assert.equal(d.message, 'unknown field `weigth`; did you mean `weight`?');
  });

  test('map keys that need quoting are located too', () => {
    const text = lines(
      'apiVersion: networking.istio.io/v1',
      'kind: VirtualService',
      'metadata: {name: r}',
      'spec:',
      '  hosts: [r]',
      '  http:',
      '  - match:',
      '    - headers:',
      '        "x.trace id": {exact: a}',
      '    route: [{destination: {host: r}}]',
    );
    const d = parseManifests(text, 'f.yaml').diagnostics.find((x) => x.code === 'ISTHMUS_ERR_CONFIG_INVALID_HEADER');
    assert.ok(d);
    assert.equal(d.path, 'spec.http[0].match[0].headers["x.trace id"]');
    assert.equal(d.line, 9);
    assert.equal(d.column, 9);
  });

  test('positions are right in every document of a stream, and with CRLF line ends', () => {
    const second = REVIEWS.replace('name: reviews', 'name: reviews-b');
    const text = `${lines('apiVersion: v1', 'kind: Namespace', 'metadata:', '  name: ok')}---\n${second}`.replace(/\n/g, '\r\n');
    const r = parseManifests(text, 'two.yaml');
    assert.equal(r.documents.length, 2);
    assert.equal(r.documents[1]!.line, 6);
    const d = r.diagnostics.find((x) => x.code === 'ISTHMUS_ERR_CONFIG_INVALID_WEIGHT');
    assert.ok(d);
    assert.equal(d.line, 5 + 17);
    assert.equal(d.column, 7);
  });

  test('diagnostics of one document come in line order', () => {
    const text = REVIEWS.replace('  - reviews', '  - rev!ews').replace('        subset: v1', '        subset: V1');
    const ds = parseManifests(text, 'f.yaml').diagnostics;
    assert.ok(ds.length >= 3);
    const ls = ds.map((d) => d.line ?? 0);
    assert.deepEqual(ls, [...ls].sort((a, b) => a - b));
  });
});

describe('parseManifests: YAML errors and streams', () => {
  test('malformed YAML reports the line and the parser reason', () => {
    const text = lines('apiVersion: v1', 'kind: Namespace', 'metadata:', '  name: a', '\tlabels: {}');
    const r = parseManifests(text, 'bad.yaml');
    assert.equal(r.documents.length, 1);
    const d = r.diagnostics[0]!;
    assert.equal(d.code, 'ISTHMUS_ERR_CONFIG_YAML_SYNTAX');
    assert.equal(d.line, 5);
    assert.match(d.message, /^invalid YAML: Tabs are not allowed as indentation/);
    assert.equal(r.resources.length, 0);
  });

  test('a duplicate key is reported at the second key', () => {
    const text = lines('apiVersion: v1', 'kind: Namespace', 'metadata:', '  name: a', '  name: b');
    const d = parseManifests(text, 'dup.yaml').diagnostics[0]!;
    assert.equal(d.code, 'ISTHMUS_ERR_CONFIG_YAML_SYNTAX');
    assert.equal(d.line, 5);
    assert.match(d.message, /unique/);
  });

  test('a broken document does not stop the others', () => {
    const ns = (n: string) => lines('apiVersion: v1', 'kind: Namespace', 'metadata:', `  name: ${n}`);
    const text = [
      ns('first'),
      lines('apiVersion: v1', 'kind: Namespace', 'metadata:', '  name: "unclosed', '  labels: {}'), // YAML error
      ns('third'),
      lines('apiVersion: v1', 'kind: Namespace', 'metadata:', '    name: x', '  labels: [a'), // YAML error
      REVIEWS, // semantic error
      ns('sixth'),
    ].join('---\n');
    const r = parseManifests(text, 'stream.yaml');
    assert.equal(r.documents.length, 6);
    assert.deepEqual(
      r.resources.map((x) => x.metadata.name),
      ['first', 'third', 'sixth'],
    );
    assert.deepEqual(
      r.documents.map((d) => d.resource !== undefined),
      [true, false, true, false, false, true],
    );
    const broken = r.documents[1]!;
    assert.equal(broken.diagnostics[0]?.code, 'ISTHMUS_ERR_CONFIG_YAML_SYNTAX');
    assert.ok(broken.diagnostics[0]!.line! >= 6 && broken.diagnostics[0]!.line! <= 10, 'inside the broken document');
    assert.equal(r.documents[4]!.diagnostics[0]?.code, 'ISTHMUS_ERR_CONFIG_INVALID_WEIGHT');
  });

  test('empty documents and comment-only documents are skipped', () => {
    const text = lines('# a header comment', '---', '---', '# nothing here', '---', 'apiVersion: v1', 'kind: Namespace', 'metadata: {name: a}', '---', '');
    const r = parseManifests(text, 'e.yaml');
    assert.equal(r.documents.length, 1);
    assert.equal(r.documents[0]!.line, 6);
    assert.equal(r.resources.length, 1);
  });

  test('document indexes follow the file, empty documents included', () => {
    const text = lines('---', '---', 'apiVersion: v1', 'kind: Namespace', 'metadata: {name: a}');
    const r = parseManifests(text, 'i.yaml');
    assert.equal(r.documents.length, 1);
    assert.equal(r.documents[0]!.index, 1);
  });

  test('a document that is not a mapping', () => {
    const r = parseManifests(lines('- just', '- a list'), 'l.yaml');
    assert.equal(r.diagnostics[0]?.code, 'ISTHMUS_ERR_CONFIG_NOT_AN_OBJECT');
    assert.match(r.diagnostics[0]!.message, /got a list/);
  });

  test('anchors and aliases are expanded', () => {
    const text = lines(
      'apiVersion: networking.istio.io/v1',
      'kind: DestinationRule',
      'metadata: {name: reviews}',
      'spec:',
      '  host: reviews',
      '  subsets:',
      '  - name: v1',
      '    labels: &v1 {version: v1}',
      '  - name: v1-again',
      '    labels: *v1',
    );
    const r = parseManifests(text, 'a.yaml');
    assert.deepEqual(r.diagnostics, []);
    const spec = r.resources[0]!.spec as { subsets: { labels: unknown }[] };
    assert.deepEqual(spec.subsets[1]!.labels, { version: 'v1' });
  });

  test('a mapping key that is itself a mapping is an error, not a process warning', () => {
    const r = parseManifests(lines('apiVersion: v1', 'kind: Namespace', 'metadata:', '  name: a', '  ? {x: 1}', '  : y'), 'k.yaml');
    assert.equal(r.diagnostics.length, 1);
    assert.equal(r.diagnostics[0]!.code, 'ISTHMUS_ERR_CONFIG_YAML_SYNTAX');
    assert.equal(r.diagnostics[0]!.line, 5);
  });

  test('damaged copies of the samples never throw and always get a position in the file', () => {
    const texts = readdirSync(join(testdata, 'bookinfo')).map((f) => readFileSync(join(testdata, 'bookinfo', f), 'utf8'));
    const inserts = ['\n', ' ', ':', '-', '"', '[', '{', '}', '#', '&', '*', '!', '|', '\t', '---\n', 'x', '0', '?'];
    let seed = 7;
    const rnd = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 4294967296;
    };
    for (let i = 0; i < 400; i++) {
      let t = texts[Math.floor(rnd() * texts.length)]!;
      for (let m = 0; m < 3; m++) {
        const at = Math.floor(rnd() * t.length);
        t = rnd() < 0.5 ? t.slice(0, at) + inserts[Math.floor(rnd() * inserts.length)]! + t.slice(at) : t.slice(0, at) + t.slice(at + 1 + Math.floor(rnd() * 4));
      }
      const lineCount = t.split('\n').length;
      for (const d of parseManifests(t, 'f.yaml').diagnostics) {
        assert.ok(d.line! >= 1 && d.line! <= lineCount && d.column! >= 1, `${formatDiagnostic(d)}\n${t}`);
      }
    }
  });

  test('splitDocuments keeps directives with the document they open', () => {
    const chunks = splitDocuments(lines('%YAML 1.2', '---', 'a: 1', '...', '---', 'b: 2'));
    assert.deepEqual(
      chunks.map((c) => c.firstLine),
      [1, 5],
    );
  });
});

describe('parseManifests: kinds, namespaces, lists', () => {
  test('kind: List is expanded, each item judged alone', () => {
    const text = lines(
      'apiVersion: v1',
      'kind: List',
      'items:',
      '- apiVersion: v1',
      '  kind: Namespace',
      '  metadata: {name: good}',
      '- apiVersion: v1',
      '  kind: Namespace',
      '  metadata: {name: Bad}',
      '- apiVersion: v1',
      '  kind: ServiceAccount',
      '  metadata: {name: sa}',
    );
    const r = parseManifests(text, 'list.yaml');
    assert.equal(r.documents.length, 3);
    assert.deepEqual(
      r.documents.map((d) => [d.index, d.item, d.line]),
      [
        [0, 0, 4],
        [0, 1, 7],
        [0, 2, 10],
      ],
    );
    assert.deepEqual(
      r.resources.map((x) => `${x.kind}/${x.metadata.name}`),
      ['Namespace/good', 'ServiceAccount/sa'],
    );
    const d = r.documents[1]!.diagnostics[0]!;
    assert.equal(d.path, 'metadata.name');
    assert.equal(d.line, 9);
  });

  test('a List without items', () => {
    const r = parseManifests(lines('apiVersion: v1', 'kind: List', 'items: nope'), 'l.yaml');
    assert.equal(r.diagnostics[0]?.code, 'ISTHMUS_ERR_CONFIG_INVALID_TYPE');
  });

  test('namespaced kinds default to the default namespace; cluster-scoped kinds get none', () => {
    const text = lines('apiVersion: v1', 'kind: Namespace', 'metadata: {name: a, namespace: ignored}', '---', 'apiVersion: v1', 'kind: ServiceAccount', 'metadata: {name: b}');
    const [ns, sa] = parseManifests(text, 'n.yaml').resources;
    assert.equal(ns?.metadata.namespace, undefined);
    assert.equal(sa?.metadata.namespace, 'default');
  });

  test('the default namespace can be chosen or left to the caller', () => {
    const text = lines('apiVersion: v1', 'kind: ServiceAccount', 'metadata: {name: b}', '---', 'apiVersion: v1', 'kind: ServiceAccount', 'metadata: {name: c, namespace: team}');
    const chosen = parseManifests(text, 'n.yaml', { defaultNamespace: 'bookinfo' }).resources;
    assert.deepEqual(
      chosen.map((r) => r.metadata.namespace),
      ['bookinfo', 'team'],
    );
    const left = parseManifests(text, 'n.yaml', { defaultNamespace: null }).resources;
    assert.deepEqual(
      left.map((r) => r.metadata.namespace),
      [undefined, 'team'],
    );
  });

  test('the resource label names kind, namespace and name', () => {
    const r = parseManifests(REVIEWS.replace('  name: reviews', '  name: reviews\n  namespace: bookinfo'), 'f.yaml');
    assert.equal(r.diagnostics[0]?.resource, 'VirtualService bookinfo/reviews');
  });

  test('null fields count as absent, as in Kubernetes', () => {
    const text = lines(
      'apiVersion: networking.istio.io/v1',
      'kind: VirtualService',
      'metadata: {name: r, creationTimestamp: null}',
      'spec:',
      '  hosts: [r]',
      '  gateways: null',
      '  http:',
      '  - match: ~',
      '    route: [{destination: {host: r}}]',
    );
    const r = parseManifests(text, 'null.yaml');
    assert.deepEqual(r.diagnostics, []);
    assert.deepEqual(r.resources[0]!.spec, { hosts: ['r'], http: [{ route: [{ destination: { host: 'r' } }] }] });
  });

  test('status is accepted and not kept; warnings do not reject a resource', () => {
    const text = lines(
      'apiVersion: networking.istio.io/v1',
      'kind: DestinationRule',
      'metadata: {name: r}',
      'spec:',
      '  host: r',
      '  trafficPolicy: {loadBalancer: {simple: LEAST_CONN}}',
      'status: {observedGeneration: 3}',
    );
    const r = parseManifests(text, 's.yaml');
    assert.deepEqual(
      r.diagnostics.map((d) => [d.severity, d.code]),
      [['warning', 'ISTHMUS_ERR_CONFIG_DEPRECATED']],
    );
    assert.equal(r.resources.length, 1);
    assert.equal(r.resources[0]!.status, undefined);
  });

  test('raw holds the document as written', () => {
    const r = parseManifests(REVIEWS, 'f.yaml');
    assert.deepEqual(r.documents[0]!.raw, parseYaml(REVIEWS));
  });
});

describe('parseManifests: samples', () => {
  const expected: Record<string, number> = {
    'bookinfo-gateway.yaml': 2,
    'bookinfo.yaml': 14,
    'destination-rule-all.yaml': 4,
    'virtual-service-all-v1.yaml': 4,
    'virtual-service-reviews-50-v3.yaml': 1,
    'virtual-service-reviews-80-20.yaml': 1,
    'virtual-service-reviews-test-v2.yaml': 1,
  };
  const files = readdirSync(join(testdata, 'bookinfo'));
  test('every expected sample is present', () => {
    assert.deepEqual([...files].sort(), Object.keys(expected).sort());
  });
  for (const file of files) {
    test(`bookinfo/${file} parses cleanly`, () => {
      const r = parseManifests(readFileSync(join(testdata, 'bookinfo', file), 'utf8'), file);
      assert.deepEqual(r.diagnostics.map(formatDiagnostic), []);
      assert.equal(r.resources.length, expected[file]);
    });
  }

  test('fields the mesh does not act on yet are kept exactly as written', () => {
    const text = readFileSync(join(testdata, 'istio-extras.yaml'), 'utf8');
    const r = parseManifests(text, 'istio-extras.yaml');
    assert.deepEqual(r.diagnostics.map(formatDiagnostic), []);
    const written = text
      .split(/^---$/m)
      .map((t) => parseYaml(t) as { spec: unknown })
      .map((d) => d.spec);
    assert.deepEqual(
      r.resources.map((x) => x.spec),
      written,
    );
    // Key order as written, too (what `get -o yaml` will show).
    const vs = r.resources[0]!.spec as { http: Record<string, unknown>[] };
    assert.deepEqual(Object.keys(vs.http[1]!), ['match', 'fault', 'retries', 'timeout', 'corsPolicy', 'headers', 'mirror', 'mirrorPercentage', 'route']);
  });

  test('Kubernetes fields the mesh does not read pass through', () => {
    const r = parseManifests(readFileSync(join(testdata, 'bookinfo', 'bookinfo.yaml'), 'utf8'), 'bookinfo.yaml');
    const reviews = r.resources.find((x) => x.kind === 'Deployment' && x.metadata.name === 'reviews-v2');
    assert.ok(reviews);
    const spec = reviews.spec as { template: { spec: { volumes: unknown; containers: { securityContext: unknown; imagePullPolicy: unknown }[] } } };
    assert.deepEqual(spec.template.spec.volumes, [{ name: 'tmp', emptyDir: {} }]);
    assert.deepEqual(spec.template.spec.containers[0]!.securityContext, { runAsUser: 1000 });
    assert.equal(spec.template.spec.containers[0]!.imagePullPolicy, 'IfNotPresent');
  });
});

describe('validateResource on resources built in memory', () => {
  test('reports paths without positions', () => {
    const r: Resource = {
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name: 'reviews', namespace: 'default' },
      spec: { hosts: ['reviews'], http: [{ route: [{ destination: { subset: 'v1' } }] }] },
    };
    const ds = validateResource(r);
    assert.equal(ds.length, 1);
    assert.deepEqual(
      { ...ds[0], message: undefined },
      { severity: 'error', code: 'ISTHMUS_ERR_CONFIG_INVALID_DESTINATION', path: 'spec.http[0].route[0].destination.host', resource: 'VirtualService default/reviews', message: undefined },
    );
    assert.equal(formatDiagnostic(ds[0]!).startsWith('error: VirtualService default/reviews: spec.http[0].route[0].destination.host: destination host is required'), true);
  });

  test('collects every problem rather than stopping at the first', () => {
    const r: Resource = {
      apiVersion: 'networking.istio.io/v1',
      kind: 'Gateway',
      metadata: { name: 'gw' },
      spec: { servers: [{ port: { number: 0, name: 'x', protocol: 'FOO' }, hosts: [] }] },
    };
    const codes = validateResource(r).map((d) => d.code);
    assert.deepEqual(codes.sort(), ['ISTHMUS_ERR_CONFIG_INVALID_PORT', 'ISTHMUS_ERR_CONFIG_INVALID_PROTOCOL', 'ISTHMUS_ERR_CONFIG_INVALID_SERVER'].sort());
  });

  test('an unknown kind is an error', () => {
    const ds = validateResource({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, spec: {} });
    assert.equal(ds[0]?.code, 'ISTHMUS_ERR_CONFIG_UNKNOWN_KIND');
  });
});
