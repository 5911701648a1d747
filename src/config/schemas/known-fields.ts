// The field names a schema defines at a given path, for "did you mean" suggestions.

import type { z } from 'zod';
import type { PathSegment } from '../diagnostic.ts';

interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  element?: z.ZodType;
  valueType?: z.ZodType;
  in?: z.ZodType;
  getter?: () => z.ZodType;
}

function defOf(schema: z.ZodType): Def {
  return (schema as unknown as { _zod: { def: Def } })._zod.def;
}

/** Unwrap optional/nullable/default/pipe/lazy wrappers. */
function unwrap(schema: z.ZodType): z.ZodType {
  let s = schema;
  for (let i = 0; i < 32; i++) {
    const d = defOf(s);
    if (d.innerType !== undefined && (d.type === 'optional' || d.type === 'nullable' || d.type === 'default' || d.type === 'prefault')) s = d.innerType;
    else if (d.type === 'pipe' && d.in !== undefined) s = d.in;
    else if (d.type === 'lazy' && d.getter !== undefined) s = d.getter();
    else break;
  }
  return s;
}

/** The schema found at `path`, or undefined when the path leaves the schema. */
export function schemaAt(root: z.ZodType, path: readonly PathSegment[]): z.ZodType | undefined {
  let s: z.ZodType | undefined = unwrap(root);
  for (const seg of path) {
    if (s === undefined) return undefined;
    const d = defOf(s);
    if (d.type === 'object' && typeof seg === 'string') s = d.shape?.[seg];
    else if (d.type === 'array' && typeof seg === 'number') s = d.element;
    else if (d.type === 'record') s = d.valueType;
    else return undefined;
    if (s !== undefined) s = unwrap(s);
  }
  return s;
}

/** Field names of the object schema at `path`. */
export function knownFields(root: z.ZodType, path: readonly PathSegment[]): string[] {
  const s = schemaAt(root, path);
  if (s === undefined) return [];
  const d = defOf(s);
  return d.type === 'object' && d.shape !== undefined ? Object.keys(d.shape) : [];
}
