import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatFloat, formatG } from './format.ts';

test('formatFloat matches strconv.FormatFloat(v, f, -1, 64)', () => {
  const cases: [number, string][] = [
    [0, '0'],
    [1, '1'],
    [-2.5, '-2.5'],
    [0.1, '0.1'],
    [1e21, '1000000000000000000000'],
    [1.5e-7, '0.00000015'],
    [123456789.125, '123456789.125'],
    [1 / 3, '0.3333333333333333'],
    [Infinity, '+Inf'],
    [-Infinity, '-Inf'],
    [NaN, 'NaN'],
  ];
  for (const [v, s] of cases) assert.equal(formatFloat(v), s, `${v}`);
});

test('formatG matches Go %g', () => {
  assert.equal(formatG(1.1), '1.1');
  assert.equal(formatG(-1.1), '-1.1');
  assert.equal(formatG(2), '2');
  assert.equal(formatG(1e6), '1e+06');
  assert.equal(formatG(0.00001), '1e-05');
  assert.equal(formatG(NaN), 'NaN');
});
