import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PackedRows } from './packed-rows.ts';
import type { IndexRow } from './row-store.ts';

const b = (s: string): Uint8Array => Buffer.from(s);
const show = (rows: readonly IndexRow[]) => rows.map((r) => `${r.hash}|${Buffer.from(r.range).toString()}|${r.value === undefined ? '-' : Buffer.from(r.value).toString()}`);

test('packed scan rows give back exactly the rows they were built from, whole or by hash tail', () => {
  const rows: IndexRow[] = [
    { hash: 'C:aa', range: b('1'), value: b('v1') },
    { hash: 'C:aa', range: b('2') },
    { hash: 'C:bb', range: b(''), value: b('v3') },
    { hash: 'C:cc', range: b('4'), value: b('') },
  ];
  const p = new PackedRows('C:', rows);
  assert.equal(p.length, 4);
  // An empty value reads back as absent, like the stores answer it.
  assert.deepEqual(show(p.all()), ['C:aa|1|v1', 'C:aa|2|-', 'C:bb||v3', 'C:cc|4|-']);
  assert.deepEqual(show(p.only(['cc', 'aa', 'zz'])), ['C:cc|4|-', 'C:aa|1|v1', 'C:aa|2|-']);
  assert.deepEqual(p.only([]), []);
  assert.ok(p.bytes > 0);
  assert.deepEqual(show(new PackedRows('C:', []).all()), []);
});

test('rows not grouped by hash key are refused', () => {
  assert.throws(() => new PackedRows('C:', [{ hash: 'C:a', range: b('1') }, { hash: 'C:b', range: b('2') }, { hash: 'C:a', range: b('3') }]), /not grouped/);
});
