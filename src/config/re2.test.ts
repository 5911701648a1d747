import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkRe2 } from './re2.ts';

describe('checkRe2', () => {
  const errors: [string, string][] = [
    ['(a', 'missing closing ): `(a`'],
    ['a)', 'unexpected ): `a)`'],
    ['[abc', 'missing closing ]: `[abc`'],
    ['*a', 'missing argument to repetition operator: `*`'],
    ['a|+', 'missing argument to repetition operator: `+`'],
    ['a**', 'invalid nested repetition operator: `**`'],
    ['a{2}{3}', 'invalid nested repetition operator: `{2}{3}`'],
    ['a{1001}', 'invalid repeat count: `{1001}`'],
    ['a{3,2}', 'invalid repeat count: `{3,2}`'],
    ['[z-a]', 'invalid character class range: `z-a`'],
    ['[[:word2:]]', 'invalid character class range: `[:word2:]`'],
    ['\\p{Klingon}', 'invalid character class range: `\\p{Klingon}`'],
    ['(?=a)', 'invalid or unsupported Perl syntax: `(?=`'],
    ['(?!a)', 'invalid or unsupported Perl syntax: `(?!`'],
    ['(?<=a)b', 'invalid or unsupported Perl syntax: `(?<`'],
    ['(?>a)', 'invalid or unsupported Perl syntax: `(?>`'],
    ['(?x)a', 'invalid or unsupported Perl syntax: `(?x`'],
    ['(a)\\1', 'invalid escape sequence: `\\1`'],
    ['\\k<n>', 'invalid escape sequence: `\\k`'],
    ['\\Z', 'invalid escape sequence: `\\Z`'],
    ['\\xZZ', 'invalid escape sequence: `\\xZZ`'],
    ['(?P<a>x)(?P<a>y)', 'duplicate capture group name'],
    ['(?P<>x)', 'invalid named capture'],
    ['a\\', 'trailing backslash at end of expression'],
  ];
  for (const [re, want] of errors) {
    test(`rejects ${re}`, () => {
      const r = checkRe2(re);
      assert.ok(r.error?.startsWith(`error parsing regexp: ${want}`), r.error ?? 'accepted');
    });
  }

  test('explains the constructs RE2 leaves out', () => {
    assert.match(checkRe2('a(?=b)').hint ?? '', /lookahead and lookbehind/);
    assert.match(checkRe2('(?<!b)a').hint ?? '', /lookahead and lookbehind/);
    assert.match(checkRe2('(a)\\1').hint ?? '', /backreferences/);
    assert.match(checkRe2('(?>a)').hint ?? '', /atomic groups/);
  });

  // Valid RE2, run through the JavaScript translation against strings whose RE2 result is known.
  const runs: [string, string[], string[]][] = [
    ['^/api/v[0-9]+/.*$', ['/api/v1/x', '/api/v22/'], ['/api/v/x', '/apiv1/']],
    ['(?i)^/Login$', ['/login', '/LOGIN'], ['/logout']],
    ['\\A/a\\z', ['/a'], ['/a\n', 'x/a']],
    ['^[[:alpha:]]+[[:digit:]]$', ['abc1'], ['abc', '1abc1']],
    ['^[^[:space:]]+$', ['abc'], ['a c']],
    ['^\\Q.*\\E$', ['.*'], ['abc']],
    ['^(?P<id>\\d+)$', ['42'], ['x']],
    ['^a.c$', ['abc', 'a\rc'], ['a\nc']],
    ['(?s)^a.c$', ['a\nc'], []],
    ['(?m)^b$', ['a\nb\nc'], ['abc']],
    ['^\\s$', [' ', '\t'], ['\v', '\u00a0']],
    ['^\\x{41}\\x42\\101$', ['ABA'], ['AB']],
    ['^\\pL+$', ['héllo'], ['h3llo']],
    ['^a{2,3}$', ['aa', 'aaa'], ['a', 'aaaa']],
    ['^x{,2}$', ['x{,2}'], ['xx']],
    ['(?U)^(a+)', ['aaa'], []],
    ['^[\\d-z]+$', ['1-z'], ['a']],
    ['^😀+$', ['😀😀'], ['😀x']],
  ];
  for (const [re, yes, no] of runs) {
    test(`runs ${re} as RE2 would`, () => {
      const r = checkRe2(re);
      assert.equal(r.error, undefined);
      assert.ok(r.js, r.unsupported);
      const js = new RegExp(r.js.source, r.js.flags);
      for (const s of yes) assert.ok(js.test(s), `${JSON.stringify(s)} should match`);
      for (const s of no) assert.ok(!js.test(s), `${JSON.stringify(s)} should not match`);
    });
  }

  test('ungreedy mode swaps greediness', () => {
    const r = checkRe2('(?U)a+');
    assert.ok(r.js);
    assert.equal(new RegExp(r.js.source, r.js.flags).exec('aaa')?.[0], 'a');
  });

  test('valid RE2 without a JavaScript equivalent is reported as unsupported', () => {
    assert.match(checkRe2('a(?i:b)').unsupported ?? '', /case-insensitive/);
    assert.match(checkRe2('(?i)a(?-i)b').unsupported ?? '', /\(\?-i\)/);
    assert.equal(checkRe2('a(?i:b)').error, undefined);
  });
});
