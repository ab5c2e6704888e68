import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RING_SIZE, type TokenOwner, generateTokens, ownership } from './tokens.ts';

function joinSequentially(n: number, zone = '', prefix = 'ingester'): TokenOwner[] {
  const owners: TokenOwner[] = [];
  for (let i = 0; i < n; i++) {
    const id = `${prefix}-${i}`;
    owners.push({ id, zone, tokens: generateTokens({ id, zone, count: 128, peers: owners }) });
  }
  return owners;
}

test('generateTokens() keeps every share within ±10% of the mean for 3..10 instances joining one by one', () => {
  for (let n = 3; n <= 10; n++) {
    const owners = joinSequentially(n);
    const own = ownership(owners);
    const mean = 1 / n;
    for (const [id, share] of own) {
      assert.ok(Math.abs(share - mean) / mean <= 0.1, `n=${n}: ${id} owns ${(share * 100).toFixed(2)}%, mean ${(mean * 100).toFixed(2)}%`);
    }
    const total = [...own.values()].reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(total - 1) < 1e-9);
  }
});

test('generateTokens() returns the requested number of sorted, distinct tokens never used by another instance', () => {
  const owners = joinSequentially(6);
  const all = new Set<number>();
  for (const o of owners) {
    assert.equal(o.tokens.length, 128);
    for (let i = 1; i < o.tokens.length; i++) assert.ok(o.tokens[i]! > o.tokens[i - 1]!);
    for (const t of o.tokens) {
      assert.ok(!all.has(t), `token ${t} used twice`);
      all.add(t);
      assert.ok(t >= 0 && t < RING_SIZE);
    }
  }
});

test('generateTokens() balances each zone on its own and keeps tokens unique across zones', () => {
  const owners: TokenOwner[] = [];
  for (let i = 0; i < 4; i++) {
    for (const zone of ['a', 'b', 'c']) {
      const id = `ing-${zone}-${i}`;
      owners.push({ id, zone, tokens: generateTokens({ id, zone, count: 128, peers: owners }) });
    }
  }
  const all = new Set<number>();
  for (const o of owners) for (const t of o.tokens) all.add(t);
  assert.equal(all.size, owners.length * 128);
  for (const zone of ['a', 'b', 'c']) {
    const own = ownership(owners.filter((o) => o.zone === zone));
    for (const [id, share] of own) assert.ok(Math.abs(share - 0.25) / 0.25 <= 0.1, `${id} owns ${share}`);
  }
});

test('generateTokens() rejects a bad count with RangeError', () => {
  assert.throws(() => generateTokens({ id: 'x', zone: '', count: 0, peers: [] }), RangeError);
});

test('ownership() of a single token is the whole ring', () => {
  assert.deepEqual([...ownership([{ id: 'a', zone: '', tokens: Uint32Array.of(5) }])], [['a', 1]]);
});
