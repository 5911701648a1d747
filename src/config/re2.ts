// RE2 regex syntax, which is what Istio (and Envoy) accept in `regex` fields. JavaScript's RegExp
// accepts things RE2 refuses (lookaround, backreferences) and refuses things RE2 accepts
// (`(?i)`, `\A`, `\z`, `\Q..\E`, `[[:alpha:]]`, `(?P<name>..)`), so neither engine can stand in
// for the other. This module walks the pattern once with RE2's grammar, reports the first error
// the way Go's `regexp` does, and otherwise emits an equivalent JavaScript pattern (always with
// the `u` flag) for the data plane to run.
//
// No imports: it may move to a shared area when the route generator needs it.

export interface Re2Check {
  /** Set when RE2 would refuse the pattern: `error parsing regexp: missing closing ): \`(a\``. */
  error?: string;
  /** Why, when the pattern uses a construct JavaScript has and RE2 deliberately lacks. */
  hint?: string;
  /** The JavaScript equivalent, when there is one. */
  js?: { source: string; flags: string };
  /** Valid RE2 that has no JavaScript equivalent here (scoped case-insensitivity, ...). */
  unsupported?: string;
}

class Re2SyntaxError extends Error {}

interface Flags {
  i: boolean;
  m: boolean;
  s: boolean;
  U: boolean;
}

const POSIX: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\0-\\x7F',
  blank: '\\t ',
  cntrl: '\\0-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`\\{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

// RE2's \s is exactly [\t\n\f\r ]; JavaScript's is wider, so it is spelled out.
const SPACE = '\\t\\n\\f\\r ';
const NOT_SPACE = '\\0-\\x08\\x0B\\x0E-\\x1F\\x21-\\u{10FFFF}';
const NOT_DIGIT = '\\0-\\/:-\\u{10FFFF}';
const NOT_WORD = '\\0-\\/:-@\\[-\\^`\\{-\\u{10FFFF}';

const JS_SYNTAX = new Set(['^', '$', '\\', '.', '*', '+', '?', '(', ')', '[', ']', '{', '}', '|', '/']);

function jsLiteral(cp: number, inClass: boolean): string {
  const ch = String.fromCodePoint(cp);
  if (JS_SYNTAX.has(ch) || (inClass && ch === '-')) return `\\${ch}`;
  if (cp < 0x20 || cp === 0x7f) return `\\x${cp.toString(16).padStart(2, '0')}`;
  return ch;
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

function isAlnum(c: string): boolean {
  return /^[0-9A-Za-z]$/.test(c);
}

function unicodeClass(name: string): string | undefined {
  // RE2 takes the short general categories and script names.
  if (name === 'Any') return '\\0-\\u{10FFFF}';
  if (/^[A-Z][a-z]?$/.test(name)) {
    try {
      new RegExp(`\\p{General_Category=${name}}`, 'u');
      return `\\p{General_Category=${name}}`;
    } catch {
      return undefined;
    }
  }
  if (/^[A-Z][A-Za-z_]*$/.test(name)) {
    try {
      new RegExp(`\\p{Script=${name}}`, 'u');
      return `\\p{Script=${name}}`;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

class Parser {
  readonly #p: string;
  #i = 0;
  #out = '';
  #unsupported: string | undefined;
  #flags: Flags = { i: false, m: false, s: false, U: false };
  readonly #stack: Flags[] = [];
  /** What the last item was, for repetition checks: none (start, `(`, `|`), atom, or a repetition (its text). */
  #last: { kind: 'none' } | { kind: 'atom' } | { kind: 'rep'; text: string } = { kind: 'none' };
  #globalI = false;
  readonly #names = new Set<string>();

  constructor(pattern: string) {
    this.#p = pattern;
  }

  #fail(code: string, expr: string): never {
    throw new Re2SyntaxError(`error parsing regexp: ${code}: \`${expr}\``);
  }

  #unsupportedHere(reason: string): void {
    this.#unsupported ??= reason;
  }

  #peek(k = 0): string | undefined {
    return this.#p[this.#i + k];
  }

  run(): Re2Check {
    try {
      this.#parse();
    } catch (e) {
      if (e instanceof Re2SyntaxError) return { error: e.message };
      throw e;
    }
    if (this.#unsupported !== undefined) return { unsupported: this.#unsupported };
    const flags = this.#globalI ? 'iu' : 'u';
    try {
      new RegExp(this.#out, flags);
    } catch (e) {
      return { unsupported: `no JavaScript equivalent: ${(e as Error).message}` };
    }
    return { js: { source: this.#out, flags } };
  }

  #parse(): void {
    const p = this.#p;
    while (this.#i < p.length) {
      const c = p[this.#i] as string;
      switch (c) {
        case '(':
          this.#group();
          break;
        case ')': {
          const outer = this.#stack.pop();
          if (outer === undefined) this.#fail('unexpected )', p);
          this.#flags = outer;
          this.#i++;
          this.#out += ')';
          this.#last = { kind: 'atom' };
          break;
        }
        case '|':
          this.#i++;
          this.#out += '|';
          this.#last = { kind: 'none' };
          break;
        case '*':
        case '+':
        case '?':
          this.#repeat(c);
          break;
        case '{': {
          const m = /^\{(\d+)(?:(,)(\d*))?\}/.exec(p.slice(this.#i));
          if (m === null) {
            this.#i++;
            this.#out += '\\{';
            this.#last = { kind: 'atom' };
          } else {
            const min = Number(m[1]);
            const max = m[2] === undefined ? min : m[3] === '' ? -1 : Number(m[3]);
            if (min > 1000 || max > 1000 || (max >= 0 && max < min)) this.#fail('invalid repeat count', m[0]);
            this.#repeat(m[0]);
          }
          break;
        }
        case '^':
          this.#i++;
          this.#out += this.#flags.m ? '(?<![^\\n])' : '^';
          this.#last = { kind: 'atom' };
          break;
        case '$':
          this.#i++;
          this.#out += this.#flags.m ? '(?![^\\n])' : '$';
          this.#last = { kind: 'atom' };
          break;
        case '.':
          this.#i++;
          this.#out += this.#flags.s ? '[^]' : '[^\\n]';
          this.#last = { kind: 'atom' };
          break;
        case '[':
          this.#class();
          this.#last = { kind: 'atom' };
          break;
        case '\\':
          this.#escape();
          break;
        default: {
          const cp = p.codePointAt(this.#i) as number;
          this.#i += cp > 0xffff ? 2 : 1;
          this.#literal(cp);
        }
      }
    }
    if (this.#stack.length > 0) this.#fail('missing closing )', p);
  }

  #literal(cp: number): void {
    this.#noteCase(cp);
    this.#out += jsLiteral(cp, false);
    this.#last = { kind: 'atom' };
  }

  #noteCase(cp: number): void {
    if (this.#flags.i && !this.#globalI) {
      const ch = String.fromCodePoint(cp);
      if (ch.toLowerCase() !== ch.toUpperCase()) {
        this.#unsupportedHere('case-insensitive matching `(?i)` is only supported for the whole pattern (put `(?i)` first)');
      }
    }
  }

  #repeat(op: string): void {
    this.#i += op.length;
    let text = op;
    let lazy = false;
    if (this.#peek() === '?') {
      this.#i++;
      text += '?';
      lazy = true;
    }
    if (this.#last.kind === 'none') this.#fail('missing argument to repetition operator', text);
    if (this.#last.kind === 'rep') this.#fail('invalid nested repetition operator', this.#last.text + text);
    // (?U) swaps greedy and lazy.
    if (this.#flags.U) lazy = !lazy;
    this.#out += op + (lazy ? '?' : '');
    this.#last = { kind: 'rep', text };
  }

  #group(): void {
    const p = this.#p;
    const start = this.#i;
    if (p[start + 1] !== '?') {
      this.#i++;
      this.#stack.push({ ...this.#flags });
      this.#out += '(';
      this.#last = { kind: 'none' };
      return;
    }
    const rest = p.slice(start);
    // Named capture: (?P<name>re) or (?<name>re).
    if (rest.startsWith('(?P<') || (rest.startsWith('(?<') && rest[3] !== '=' && rest[3] !== '!')) {
      const open = rest.startsWith('(?P<') ? 4 : 3;
      const end = rest.indexOf('>');
      if (end < 0) this.#fail('invalid named capture', rest);
      const name = rest.slice(open, end);
      if (!/^[A-Za-z0-9_]+$/.test(name)) this.#fail('invalid named capture', rest.slice(0, end + 1));
      if (this.#names.has(name)) this.#fail('duplicate capture group name', rest.slice(0, end + 1));
      this.#names.add(name);
      this.#i += end + 1;
      this.#stack.push({ ...this.#flags });
      this.#out += `(?<${name}>`;
      this.#last = { kind: 'none' };
      return;
    }
    // Flags: (?flags) or (?flags:re), flags from [imsU] with an optional `-` part.
    let j = 2;
    let neg = false;
    let sawFlag = false;
    const flags = { ...this.#flags };
    for (;;) {
      const c = rest[j];
      if (c === undefined) this.#fail('missing closing )', p);
      if (c === 'i' || c === 'm' || c === 's' || c === 'U') {
        flags[c] = !neg;
        sawFlag = true;
        j++;
        continue;
      }
      if (c === '-' && !neg) {
        neg = true;
        sawFlag = false;
        j++;
        continue;
      }
      // `(?-)` and `(?i-)` name no flag to clear.
      if ((c === ':' || c === ')') && !(neg && !sawFlag)) break;
      this.#fail('invalid or unsupported Perl syntax', rest.slice(0, j + 1));
    }
    const close = rest[j];
    this.#i += j + 1;
    const atStart = this.#out === '' && this.#stack.length === 0;
    if (close === ')' && atStart && flags.i && !this.#flags.i) {
      // `(?i)` before anything else becomes the whole pattern's `i` flag.
      this.#globalI = true;
    } else if (this.#globalI && !flags.i) {
      this.#unsupportedHere('turning case-insensitive matching off with `(?-i)` has no JavaScript equivalent');
    }
    if (close === ')') {
      this.#flags = flags;
      // A bare flag group is not an atom: `(?i)*` has nothing to repeat.
      return;
    }
    this.#stack.push({ ...this.#flags });
    this.#flags = flags;
    this.#out += '(?:';
    this.#last = { kind: 'none' };
  }

  #escape(): void {
    const p = this.#p;
    const start = this.#i;
    const c = p[start + 1];
    if (c === undefined) this.#fail('trailing backslash at end of expression', '');
    // Zero-width and class escapes.
    switch (c) {
      case 'A':
        this.#i += 2;
        this.#out += '(?<![^])';
        this.#last = { kind: 'atom' };
        return;
      case 'z':
        this.#i += 2;
        this.#out += '(?![^])';
        this.#last = { kind: 'atom' };
        return;
      case 'b':
      case 'B':
        this.#i += 2;
        this.#out += `\\${c}`;
        this.#last = { kind: 'atom' };
        return;
      case 'd':
      case 'w':
      case 'D':
      case 'W':
        this.#i += 2;
        this.#out += `\\${c}`;
        this.#last = { kind: 'atom' };
        return;
      case 's':
        this.#i += 2;
        this.#out += `[${SPACE}]`;
        this.#last = { kind: 'atom' };
        return;
      case 'S':
        this.#i += 2;
        this.#out += `[^${SPACE}]`;
        this.#last = { kind: 'atom' };
        return;
      case 'p':
      case 'P':
        this.#out += `[${this.#unicodeEscape()}]`;
        this.#last = { kind: 'atom' };
        return;
      case 'Q': {
        const end = p.indexOf('\\E', start + 2);
        const lit = end < 0 ? p.slice(start + 2) : p.slice(start + 2, end);
        this.#i = end < 0 ? p.length : end + 2;
        for (const ch of lit) this.#literal(ch.codePointAt(0) as number);
        return;
      }
      case 'E':
        // A stray \E is ignored, as in RE2.
        this.#i += 2;
        return;
      default:
        this.#literal(this.#charEscape());
    }
  }

  /** `\pL`, `\p{Greek}`, `\P{^Greek}`: returns class contents (without brackets). */
  #unicodeEscape(): string {
    const p = this.#p;
    const start = this.#i;
    let negate = p[start + 1] === 'P';
    let name: string;
    let text: string;
    if (p[start + 2] === '{') {
      const end = p.indexOf('}', start + 3);
      if (end < 0) this.#fail('invalid character class range', p.slice(start));
      name = p.slice(start + 3, end);
      text = p.slice(start, end + 1);
      this.#i = end + 1;
    } else {
      const ch = p[start + 2];
      if (ch === undefined) this.#fail('invalid character class range', p.slice(start));
      name = ch;
      text = p.slice(start, start + 3);
      this.#i = start + 3;
    }
    if (name.startsWith('^')) {
      negate = !negate;
      name = name.slice(1);
    }
    const cls = unicodeClass(name);
    if (cls === undefined) this.#fail('invalid character class range', text);
    if (!negate) return cls;
    if (name === 'Any') return '';
    return cls.replace(/^\\p/, '\\P');
  }

  /** A single-character escape (outside or inside a class); returns its code point. */
  #charEscape(): number {
    const p = this.#p;
    const start = this.#i;
    const c = p[start + 1] as string;
    if (c >= '1' && c <= '7' && !isDigit(p[start + 2])) this.#fail('invalid escape sequence', p.slice(start, start + 2));
    if (c >= '0' && c <= '7') {
      let j = start + 2;
      let v = Number(c);
      for (let k = 0; k < 2 && p[j] !== undefined && (p[j] as string) >= '0' && (p[j] as string) <= '7'; k++, j++) v = v * 8 + Number(p[j]);
      this.#i = j;
      return v;
    }
    if (c === 'x') {
      if (p[start + 2] === '{') {
        const end = p.indexOf('}', start + 3);
        const hex = end < 0 ? '' : p.slice(start + 3, end);
        if (!/^[0-9A-Fa-f]{1,8}$/.test(hex) || Number.parseInt(hex, 16) > 0x10ffff) {
          this.#fail('invalid escape sequence', end < 0 ? p.slice(start) : p.slice(start, end + 1));
        }
        this.#i = end + 1;
        return Number.parseInt(hex, 16);
      }
      const hex = p.slice(start + 2, start + 4);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) this.#fail('invalid escape sequence', p.slice(start, start + 2 + hex.length));
      this.#i = start + 4;
      return Number.parseInt(hex, 16);
    }
    const simple: Record<string, number> = { a: 7, f: 12, t: 9, n: 10, r: 13, v: 11 };
    const s = simple[c];
    if (s !== undefined) {
      this.#i = start + 2;
      return s;
    }
    const cp = c.codePointAt(0) as number;
    if (cp < 0x80 && !isAlnum(c)) {
      this.#i = start + 2;
      return cp;
    }
    // Backreferences (\8, \9, \k<name>), \Z, \C, \e, \h, ... are not RE2.
    this.#fail('invalid escape sequence', p.slice(start, start + 1 + String.fromCodePoint(cp).length));
  }

  #class(): void {
    const p = this.#p;
    const start = this.#i;
    this.#i++;
    let negate = false;
    if (p[this.#i] === '^') {
      negate = true;
      this.#i++;
    }
    const items: string[] = [];
    let negatedPosix: string | undefined;
    let first = true;
    for (;;) {
      const c = p[this.#i];
      if (c === undefined) this.#fail('missing closing ]', p.slice(start));
      if (c === ']' && !first) {
        this.#i++;
        break;
      }
      first = false;
      // POSIX class [:name:] or [:^name:].
      if (c === '[' && p[this.#i + 1] === ':') {
        const end = p.indexOf(':]', this.#i + 2);
        if (end >= 0) {
          const text = p.slice(this.#i, end + 2);
          let name = p.slice(this.#i + 2, end);
          const neg = name.startsWith('^');
          if (neg) name = name.slice(1);
          const body = POSIX[name];
          if (body === undefined) this.#fail('invalid character class range', text);
          this.#i = end + 2;
          if (neg) negatedPosix = body;
          else items.push(body);
          continue;
        }
      }
      // Class escapes that stand for sets.
      if (c === '\\') {
        const e = p[this.#i + 1];
        if (e === undefined) this.#fail('missing closing ]', p.slice(start));
        const sets: Record<string, string> = { d: '0-9', D: NOT_DIGIT, w: '0-9A-Za-z_', W: NOT_WORD, s: SPACE, S: NOT_SPACE };
        const set = sets[e];
        if (set !== undefined) {
          this.#i += 2;
          items.push(set);
          continue;
        }
        if (e === 'p' || e === 'P') {
          const body = this.#unicodeEscape();
          if (body !== '') items.push(body);
          continue;
        }
      }
      const rangeStart = this.#i;
      const lo = this.#classChar();
      if (p[this.#i] === '-' && p[this.#i + 1] !== ']' && p[this.#i + 1] !== undefined) {
        this.#i++;
        const hi = this.#classChar();
        if (hi < lo) this.#fail('invalid character class range', p.slice(rangeStart, this.#i));
        this.#noteCase(lo);
        this.#noteCase(hi);
        items.push(`${jsLiteral(lo, true)}-${jsLiteral(hi, true)}`);
      } else {
        this.#noteCase(lo);
        items.push(jsLiteral(lo, true));
      }
    }
    if (negatedPosix !== undefined) {
      if (items.length > 0) {
        this.#unsupportedHere('a negated POSIX class combined with other class items has no JavaScript equivalent');
      } else {
        this.#out += `[${negate ? '' : '^'}${negatedPosix}]`;
        return;
      }
    }
    this.#out += `[${negate ? '^' : ''}${items.join('')}]`;
  }

  /** One character inside a class, escaped or not; returns its code point. */
  #classChar(): number {
    const p = this.#p;
    if (p[this.#i] === '\\') {
      const e = p[this.#i + 1];
      if (e !== undefined && 'dDwWsSpPQEAzbB'.includes(e)) {
        this.#fail('invalid escape sequence', p.slice(this.#i, this.#i + 2));
      }
      return this.#charEscape();
    }
    const cp = p.codePointAt(this.#i) as number;
    this.#i += cp > 0xffff ? 2 : 1;
    return cp;
  }
}

/** Check `pattern` against RE2's syntax and translate it to JavaScript when valid. */
export function checkRe2(pattern: string): Re2Check {
  const r = new Parser(pattern).run();
  if (r.error !== undefined) {
    const expr = /`(.*)`$/s.exec(r.error)?.[1] ?? '';
    if (/^\(\?(=|!|<=|<!|<$)/.test(expr)) r.hint = 'lookahead and lookbehind assertions are not supported by RE2';
    else if (expr.startsWith('(?>')) r.hint = 'atomic groups are not supported by RE2';
    else if (/^\\([1-9]|k)/.test(expr)) r.hint = 'backreferences are not supported by RE2';
  }
  return r;
}
