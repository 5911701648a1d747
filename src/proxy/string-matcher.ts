// StringMatcher → predicate, compiled once per config version. Regexes are anchored (full-string
// match, as Envoy's safe_regex) and built here exactly once.

import type { StringMatcher } from '../api/index.ts';

export type StringPredicate = (value: string) => boolean;

/** Compiles a matcher; throws an Error whose message says what is wrong with it. */
export function compileStringMatcher(m: StringMatcher, ignoreCase = false): StringPredicate {
  const set = (m.exact !== undefined ? 1 : 0) + (m.prefix !== undefined ? 1 : 0) + (m.regex !== undefined ? 1 : 0);
  if (set !== 1) throw new Error(`a string matcher needs exactly one of exact, prefix, regex (has ${set})`);
  if (m.exact !== undefined) {
    if (typeof m.exact !== 'string') throw new Error('exact must be a string');
    if (ignoreCase) {
      const want = m.exact.toLowerCase();
      return (v) => v.length === want.length && v.toLowerCase() === want;
    }
    const want = m.exact;
    return (v) => v === want;
  }
  if (m.prefix !== undefined) {
    if (typeof m.prefix !== 'string') throw new Error('prefix must be a string');
    if (m.prefix === '') return () => true;
    if (ignoreCase) {
      const want = m.prefix.toLowerCase();
      return (v) => v.length >= want.length && v.slice(0, want.length).toLowerCase() === want;
    }
    const want = m.prefix;
    return (v) => v.startsWith(want);
  }
  const source = m.regex as string;
  if (typeof source !== 'string') throw new Error('regex must be a string');
  let re: RegExp;
  try {
    re = new RegExp(`^(?:${source})$`, ignoreCase ? 'i' : '');
  } catch (e) {
    throw new Error(`invalid regex ${JSON.stringify(source)}: ${(e as Error).message}`);
  }
  return (v) => re.test(v);
}
