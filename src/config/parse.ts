// Read a multi-document YAML file into resources. Each document is judged alone: a broken one
// never stops the others. Every diagnostic gets the line and column of the field it is about.

import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments, visit, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { DEFAULT_NAMESPACE, type ObjectMeta, type Resource } from '../api/index.ts';
import type { ConfigCode } from './codes.ts';
import { formatPath, parsePath, resourceLabel, type Diagnostic, type PathSegment } from './diagnostic.ts';
import { lookupKind } from './kinds.ts';
import { locate, type LinePositions } from './locate.ts';
import { knownFields, schemaAt } from './schemas/known-fields.ts';
import { suggest } from './suggest.ts';
import { validateResource } from './validate.ts';
import { isObj, str } from './validate-common.ts';

export interface ParseOptions {
  /**
   * Namespace given to namespaced resources that do not name one. Defaults to `default`;
   * `null` leaves `metadata.namespace` unset so the caller can decide.
   */
  defaultNamespace?: string | null;
}

export interface ParsedDocument {
  /** 0-based position of the YAML document in the file (empty documents count). */
  index: number;
  /** For the items of a `kind: List`: the 0-based item position. */
  item?: number;
  /** 1-based line where the document (or List item) starts. */
  line: number;
  /** Present when the document is a known kind and has no errors (warnings allowed). */
  resource?: Resource;
  /** The document as parsed from YAML, before any checks. */
  raw?: unknown;
  diagnostics: Diagnostic[];
}

export interface ParseResult {
  documents: ParsedDocument[];
  /** Every resource that parsed without errors, in file order. */
  resources: Resource[];
  /** Every diagnostic of every document, in file order. */
  diagnostics: Diagnostic[];
}

interface DocContext {
  file: string;
  lines: LinePositions;
  index: number;
  defaultNamespace: string | null;
}

export function parseManifests(text: string, file: string, options: ParseOptions = {}): ParseResult {
  const defaultNamespace = options.defaultNamespace === undefined ? DEFAULT_NAMESPACE : options.defaultNamespace;
  const documents: ParsedDocument[] = [];
  let index = 0;
  for (const chunk of splitDocuments(text)) {
    const counter = new LineCounter();
    // Errors found at the very end of a chunk (an unclosed quote) are placed on its last line,
    // not on the next document's `---`.
    const chunkLines = chunk.text.replace(/\r?\n$/, '').split(/\r?\n/);
    const lastLine = chunk.firstLine + chunkLines.length - 1;
    const lastCol = (chunkLines[chunkLines.length - 1] ?? '').length + 1;
    const lines: LinePositions = {
      linePos: (offset) => {
        const p = counter.linePos(offset);
        const line = Math.max(p.line, 1) + chunk.firstLine - 1;
        return line > lastLine ? { line: lastLine, col: lastCol } : { line, col: p.col };
      },
    };
    const docs = parseAllDocuments(chunk.text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true, logLevel: 'error' });
    for (const doc of docs) {
      documents.push(...readDocument(doc, { file, lines, index, defaultNamespace }));
      index++;
    }
  }

  const resources: Resource[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const d of documents) {
    if (d.resource !== undefined) resources.push(d.resource);
    diagnostics.push(...d.diagnostics);
  }
  return { documents, resources, diagnostics };
}

/**
 * Cut the stream at document markers (`---` or `...` at the start of a line) before parsing, so
 * that one broken document (an unclosed quote, say) cannot run on into the next: YAML forbids
 * those markers inside a document, but the parser would otherwise read on past them.
 */
export function splitDocuments(text: string): { text: string; firstLine: number }[] {
  const chunks: { text: string; firstLine: number }[] = [];
  const lines = text.split(/(?<=\n)/);
  let cur: string[] = [];
  let curFirst = 1;
  let content = false;
  let marker = false;
  const flush = (nextFirst: number) => {
    if (cur.length > 0) chunks.push({ text: cur.join(''), firstLine: curFirst });
    cur = [];
    curFirst = nextFirst;
    content = false;
    marker = false;
  };
  lines.forEach((line, i) => {
    const n = i + 1;
    if (/^---(?=[ \t\r\n]|$)/.test(line)) {
      // Directives and comments before `---` belong to the document it opens.
      if (content || marker) flush(n);
      cur.push(line);
      marker = true;
      if (/^---[ \t]*\S/.test(line) && !/^---[ \t]*#/.test(line)) content = true;
      return;
    }
    if (/^\.\.\.(?=[ \t\r\n]|$)/.test(line)) {
      cur.push(line);
      flush(n + 1);
      return;
    }
    if (line.startsWith('%') && (content || marker)) flush(n);
    cur.push(line);
    if (!/^\s*(#.*)?(\r?\n)?$/.test(line) && !line.startsWith('%')) content = true;
  });
  flush(lines.length + 1);
  return chunks;
}

function position(ctx: DocContext, offset: number | undefined): { line: number; column: number } {
  if (offset === undefined) return { line: 1, column: 1 };
  const p = ctx.lines.linePos(offset);
  // Offsets before the first newline give line 0 from the counter.
  return { line: Math.max(p.line, 1), column: Math.max(p.col, 1) };
}

function readDocument(doc: Document.Parsed, ctx: DocContext): ParsedDocument[] {
  const contents = doc.contents as Node | null;
  const start = contents?.range?.[0] ?? doc.range[0];
  const { line } = position(ctx, start);

  if (doc.errors.length > 0) {
    const diagnostics = doc.errors.map((e): Diagnostic => {
      const pos = position(ctx, e.pos[0]);
      return { severity: 'error', code: 'ISTHMUS_ERR_CONFIG_YAML_SYNTAX', file: ctx.file, line: pos.line, column: pos.column, path: '', message: `invalid YAML: ${e.message} (${e.code})` };
    });
    return [{ index: ctx.index, line, diagnostics }];
  }
  const warnings = doc.warnings.map((w): Diagnostic => {
    const pos = position(ctx, w.pos[0]);
    return { severity: 'warning', code: 'ISTHMUS_ERR_CONFIG_YAML_WARNING', file: ctx.file, line: pos.line, column: pos.column, path: '', message: `${w.message} (${w.code})` };
  });

  // Documents with nothing in them (`---` twice, comments only) are skipped.
  if (contents === null || (isScalar(contents) && (contents.value === null || contents.value === undefined))) {
    return warnings.length > 0 ? [{ index: ctx.index, line, diagnostics: warnings }] : [];
  }

  // Keys must be plain scalars: a resource is JSON underneath, and `{a: 1}: x` has no JSON form.
  const complexKeys: Diagnostic[] = [];
  visit(doc, {
    Pair(_, pair) {
      if (pair.key !== null && !isScalar(pair.key)) {
        const pos = position(ctx, (pair.key as Node).range?.[0]);
        complexKeys.push({ severity: 'error', code: 'ISTHMUS_ERR_CONFIG_YAML_SYNTAX', file: ctx.file, ...pos, path: '', message: 'invalid YAML: a mapping key must be a plain value, not a list or mapping' });
      }
    },
  });
  if (complexKeys.length > 0) return [{ index: ctx.index, line, diagnostics: [...warnings, ...complexKeys] }];

  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    const pos = position(ctx, start);
    const d: Diagnostic = { severity: 'error', code: 'ISTHMUS_ERR_CONFIG_YAML_SYNTAX', file: ctx.file, ...pos, path: '', message: `invalid YAML: ${(e as Error).message}` };
    return [{ index: ctx.index, line, diagnostics: [...warnings, d] }];
  }

  if (isObj(raw) && raw['kind'] === 'List' && (raw['apiVersion'] === 'v1' || raw['apiVersion'] === undefined)) {
    const itemsNode = isMap(contents) ? contents.get('items', true) : undefined;
    const items = raw['items'];
    if (!Array.isArray(items)) {
      const pos = position(ctx, start);
      const d: Diagnostic = { severity: 'error', code: 'ISTHMUS_ERR_CONFIG_INVALID_TYPE', file: ctx.file, ...pos, path: 'items', message: 'a List needs `items`, a list of resources' };
      return [{ index: ctx.index, line, raw, diagnostics: [...warnings, d] }];
    }
    const out: ParsedDocument[] = [];
    items.forEach((item, i) => {
      const node = isSeq(itemsNode) ? (itemsNode.items[i] as Node | undefined) : undefined;
      const itemLine = position(ctx, node?.range?.[0] ?? start).line;
      const pd = readObject(item, node ?? null, ctx, itemLine);
      pd.item = i;
      out.push(pd);
    });
    if (warnings.length > 0) out.unshift({ index: ctx.index, line, diagnostics: warnings });
    return out;
  }

  const pd = readObject(raw, contents, ctx, line);
  pd.diagnostics.unshift(...warnings);
  return [pd];
}

/** Check one resource object (a document or a List item) whose YAML node is `node`. */
function readObject(raw: unknown, node: Node | null, ctx: DocContext, line: number): ParsedDocument {
  const out: ParsedDocument = { index: ctx.index, line, raw, diagnostics: [] };
  const place = (d: Diagnostic): Diagnostic => {
    const segs = parsePath(d.path) ?? [];
    const pos = locate(node, segs, ctx.lines);
    const at = pos === undefined ? { line, column: 1 } : { line: Math.max(pos.line, 1), column: Math.max(pos.column, 1) };
    return { ...d, file: ctx.file, line: at.line, column: at.column };
  };

  if (!isObj(raw)) {
    out.diagnostics.push(place({ severity: 'error', code: 'ISTHMUS_ERR_CONFIG_NOT_AN_OBJECT', path: '', message: `expected a resource (a mapping with apiVersion, kind, metadata), got ${describe(raw)}` }));
    return out;
  }

  const apiVersion = raw['apiVersion'];
  const kind = raw['kind'];
  const early: Diagnostic[] = [];
  if (typeof apiVersion !== 'string' || apiVersion === '') early.push({ severity: 'error', code: 'ISTHMUS_ERR_CONFIG_MISSING_FIELD', path: 'apiVersion', message: 'apiVersion is required, such as networking.istio.io/v1' });
  if (typeof kind !== 'string' || kind === '') early.push({ severity: 'error', code: 'ISTHMUS_ERR_CONFIG_MISSING_FIELD', path: 'kind', message: 'kind is required, such as VirtualService' });
  if (typeof apiVersion !== 'string' || typeof kind !== 'string' || early.length > 0) {
    out.diagnostics.push(...early.map(place));
    return out;
  }

  const clean = stripNulls(raw) as Record<string, unknown>;
  const meta = isObj(clean['metadata']) ? clean['metadata'] : {};
  const name = str(meta['name']);
  const looked = lookupKind(apiVersion, kind);
  if (!looked.ok) {
    const label = resourceLabel(kind, name, str(meta['namespace']));
    const path = looked.code === 'ISTHMUS_ERR_CONFIG_UNSUPPORTED_VERSION' ? 'apiVersion' : 'kind';
    out.diagnostics.push(place({ severity: 'error', code: looked.code, path, message: looked.message, resource: label }));
    return out;
  }
  const def = looked.def;

  // Namespaced kinds get the default namespace; cluster-scoped kinds have none.
  let namespace = str(meta['namespace']);
  if (!def.namespaced) namespace = undefined;
  else if ((namespace === undefined || namespace === '') && ctx.defaultNamespace !== null) namespace = ctx.defaultNamespace;
  const label = resourceLabel(kind, name, namespace);

  const schemaDiags = schemaDiagnostics(def.schema, clean);

  const metadata: ObjectMeta = { name: name ?? '' };
  if (namespace !== undefined && namespace !== '') metadata.namespace = namespace;
  if (isObj(meta['labels'])) metadata.labels = meta['labels'] as Record<string, string>;
  if (isObj(meta['annotations'])) metadata.annotations = meta['annotations'] as Record<string, string>;
  const spec = clean['spec'] !== undefined ? clean['spec'] : def.specRequired ? undefined : {};
  const resource: Resource = { apiVersion, kind, metadata, spec };

  const semantic = validateResource(resource);

  // One finding per field: a schema problem (wrong type, unknown field) wins over a semantic
  // finding at the same path.
  const schemaPaths = new Set(schemaDiags.map((d) => d.path));
  const all = [...schemaDiags, ...semantic.filter((d) => !schemaPaths.has(d.path))];
  out.diagnostics = all.map((d) => place({ ...d, resource: label }));
  out.diagnostics.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
  if (!out.diagnostics.some((d) => d.severity === 'error')) out.resource = resource;
  return out;
}

/** Kubernetes treats `field: null` as an absent field; so does the mesh. */
function stripNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripNulls);
  if (isObj(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, val] of Object.entries(v)) if (val !== null && val !== undefined) out[k] = stripNulls(val);
    return out;
  }
  return v;
}

function valueAt(root: unknown, path: readonly PathSegment[]): unknown {
  let v = root;
  for (const s of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[s];
  }
  return v;
}

function describe(v: unknown): string {
  if (v === undefined || v === null) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v)}`;
  if (typeof v === 'number') return `the number ${v}`;
  if (typeof v === 'boolean') return `the boolean ${v}`;
  return typeof v;
}

const EXPECTED: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'a boolean (true or false)',
  array: 'a list',
  object: 'a mapping',
  record: 'a mapping',
};

interface Issue {
  code: string;
  path: PropertyKey[];
  message: string;
  expected?: string;
  keys?: string[];
  values?: unknown[];
  minimum?: number | bigint;
  maximum?: number | bigint;
  errors?: Issue[][];
}

function isIntegerSchema(s: z.ZodType | undefined): boolean {
  const format = (s as { _zod?: { def?: { format?: unknown } } } | undefined)?._zod?.def?.format;
  return typeof format === 'string' && format.includes('int');
}

function schemaDiagnostics(schema: z.ZodType, value: unknown): Diagnostic[] {
  const r = schema.safeParse(value);
  if (r.success) return [];
  const out: Diagnostic[] = [];
  const add = (path: readonly PathSegment[], code: ConfigCode, message: string) => out.push({ severity: 'error', code, path: formatPath(path), message });
  for (const raw of r.error.issues as unknown as Issue[]) {
    const path = raw.path.filter((s): s is PathSegment => typeof s === 'string' || typeof s === 'number');
    const got = valueAt(value, path);
    switch (raw.code) {
      case 'unrecognized_keys': {
        const known = knownFields(schema, path);
        for (const key of raw.keys ?? []) {
          const s = suggest(key, known);
          let msg = `unknown field \`${key}\``;
          if (s !== undefined) msg += `; did you mean \`${s}\`?`;
          else if (known.length > 0 && known.length <= 16) msg += `; known fields here: ${known.join(', ')}`;
          add([...path, key], 'ISTHMUS_ERR_CONFIG_UNKNOWN_FIELD', msg);
        }
        break;
      }
      case 'invalid_type': {
        let want = raw.expected ?? '';
        // Integer schemas report `number` when the value is not a number at all.
        if (want === 'number' && isIntegerSchema(schemaAt(schema, path))) want = 'int';
        const expected = EXPECTED[want] ?? (want === '' ? 'another type' : want);
        let msg = `expected ${expected}, got ${describe(got)}`;
        if (raw.expected === 'string' && (typeof got === 'number' || typeof got === 'boolean')) msg += ` (quote it: "${String(got)}")`;
        add(path, 'ISTHMUS_ERR_CONFIG_INVALID_TYPE', msg);
        break;
      }
      case 'invalid_value':
        add(path, 'ISTHMUS_ERR_CONFIG_INVALID_ENUM', `invalid value ${JSON.stringify(got)}; expected one of ${(raw.values ?? []).map(String).join(', ')}`);
        break;
      case 'too_small':
        add(path, 'ISTHMUS_ERR_CONFIG_INVALID_VALUE', `value ${describe(got).replace(/^the number /, '')} is below the minimum ${String(raw.minimum)}`);
        break;
      case 'too_big':
        add(path, 'ISTHMUS_ERR_CONFIG_INVALID_VALUE', `value ${describe(got).replace(/^the number /, '')} is above the maximum ${String(raw.maximum)}`);
        break;
      case 'invalid_union': {
        const expected = new Set<string>();
        for (const branch of raw.errors ?? []) {
          const first = branch[0];
          if (first?.expected !== undefined) expected.add(EXPECTED[first.expected] ?? first.expected);
          else if (first?.code === 'invalid_format') expected.add('a string of digits');
        }
        const list = [...expected];
        add(path, 'ISTHMUS_ERR_CONFIG_INVALID_TYPE', list.length > 0 ? `expected ${list.join(' or ')}, got ${describe(got)}` : `unexpected ${describe(got)}`);
        break;
      }
      default:
        add(path, 'ISTHMUS_ERR_CONFIG_INVALID_VALUE', raw.message);
    }
  }
  return out;
}
