import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileAnchoredRe2 } from './re2.ts';

const cases: [pattern: string, input: string, matches: boolean][] = [
  ['foo|bar', 'bar', true],
  ['foo|bar', 'foobar', false],
  ['.*', 'a\nb', true],
  ['\\d+\\.\\d+', '1.5', true],
  ['a\\-b', 'a-b', true],
  ['a\\:b', 'a:b', true],
  ['[\\:\\-a]+', ':-a', true],
  ['\\x{41}', 'A', true],
  ['a{,3}', 'a{,3}', true],
  ['a{2}', 'aa', true],
  ['(?i)abc', 'ABC', true],
  ['(?i)[a-c]+', 'AbC', true],
  ['x(?i:b)c', 'xBc', true],
  ['x(?i:b)c', 'xBC', false],
  ['((?i)duc)x', 'DUCx', true],
  ['((?i)duc)x', 'DUCX', false],
  ['\\Qa.b\\E', 'a.b', true],
  ['\\Qa.b\\E', 'axb', false],
  ['(?P<n>a)', 'a', true],
  ['\\pL+', 'abc', true],
  ['[[:alpha:]]+', 'abc', true],
  ['[[:digit:]]+', '12a', false],
  ['x\\z', 'x', true],
];

test('RE2 patterns behave like Go regexp (anchored, dot-all)', () => {
  for (const [pattern, input, want] of cases) {
    assert.equal(compileAnchoredRe2(pattern).test(input), want, `${pattern} on ${JSON.stringify(input)}`);
  }
});

test('invalid patterns throw SyntaxError', () => {
  assert.throws(() => compileAnchoredRe2('('), SyntaxError);
  assert.throws(() => compileAnchoredRe2('[a'), SyntaxError);
});
