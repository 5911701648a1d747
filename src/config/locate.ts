// Map a field path back to where it is written in the YAML source, so a diagnostic found on the
// parsed value can say `file:line:col`.

import { isAlias, isDocument, isMap, isScalar, isSeq, type Document, type Node } from 'yaml';
import type { PathSegment } from './diagnostic.ts';

export interface SourcePosition {
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  /** True when the path itself was found; false when this is the nearest existing parent. */
  exact: boolean;
}

/**
 * Offset of the node at `segments` under `root`: the key for a map entry (`weight:` rather than
 * its value), the item for a sequence entry. When the path does not exist (a missing required
 * field), the nearest existing parent is used.
 */
export function locateOffset(root: Document | Node | null | undefined, segments: readonly PathSegment[]): { offset: number; exact: boolean } | undefined {
  let node: unknown = isDocument(root) ? root.contents : root;
  let best: number | undefined = rangeStart(node);
  for (const seg of segments) {
    if (isAlias(node)) return best === undefined ? undefined : { offset: best, exact: false };
    if (isMap(node) && typeof seg === 'string') {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === seg);
      if (pair === undefined) return best === undefined ? undefined : { offset: best, exact: false };
      best = rangeStart(pair.key) ?? rangeStart(pair.value) ?? best;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg];
      if (item === undefined) return best === undefined ? undefined : { offset: best, exact: false };
      best = rangeStart(item) ?? best;
      node = item;
    } else {
      return best === undefined ? undefined : { offset: best, exact: false };
    }
  }
  return best === undefined ? undefined : { offset: best, exact: true };
}

/** Turns offsets into 1-based line and column; yaml's LineCounter is one. */
export interface LinePositions {
  linePos(offset: number): { line: number; col: number };
}

/** Line and column of `segments` under `root`, or of its nearest existing parent. */
export function locate(root: Document | Node | null | undefined, segments: readonly PathSegment[], lines: LinePositions): SourcePosition | undefined {
  const at = locateOffset(root, segments);
  if (at === undefined) return undefined;
  const pos = lines.linePos(at.offset);
  return { line: pos.line, column: pos.col, exact: at.exact };
}

function rangeStart(node: unknown): number | undefined {
  if (node === null || typeof node !== 'object') return undefined;
  const range = (node as { range?: readonly number[] | null }).range;
  return range?.[0];
}
