import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareLabels, labelsFromObject, sortByLabels } from './labels.ts';

test('sortByLabels orders like compareLabels, prefixes and NUL-carrying values included', () => {
  const sets: Record<string, string>[] = [];
  for (let i = 0; i < 300; i++) sets.push({ __name__: `m${i % 7}`, a: String(i % 13), ...(i % 5 === 0 ? { b: 'x'.repeat(i % 3) } : {}) });
  sets.push({ __name__: 'm1', a: 'v' }, { __name__: 'm1', a: 'v\u0000' }, { __name__: 'm1', a: 'v\u0000\u0000w' }, { __name__: 'm1', a: 'v\u0000a' }, { __name__: 'm1', ab: 'v' }, { __name__: 'm' });
  const refs = sets.map((o, i) => ({ seriesId: String(i), labels: labelsFromObject(o) }));
  const show = (rs: { labels: ReturnType<typeof labelsFromObject> }[]) => rs.map((r) => JSON.stringify(r.labels));
  const want = show([...refs].sort((x, y) => compareLabels(x.labels, y.labels)));
  assert.deepEqual(show(sortByLabels([...refs].reverse())), want);
  assert.deepEqual(show(sortByLabels(refs.slice(0, 10))), show([...refs.slice(0, 10)].sort((x, y) => compareLabels(x.labels, y.labels))));
});
