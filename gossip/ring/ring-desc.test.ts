import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from '../random.ts';
import { InstanceState } from './instance-state.ts';
import { type InstanceDesc, RingDesc, decodeRingDesc, encodeRingDesc, ringDescCodec } from './ring-desc.ts';
import { randomDesc } from './test-fixtures.ts';

const ITERATIONS = 2000;

test('RingDesc.merge() is idempotent, commutative and associative on random descriptors', () => {
  const random = seededRandom(20261125);
  for (let i = 0; i < ITERATIONS; i++) {
    const a = randomDesc(random);
    const b = randomDesc(random);
    const c = randomDesc(random);
    assert.ok(a.merge(a).equals(a), `idempotence failed at iteration ${i}`);
    assert.ok(a.merge(b).equals(b.merge(a)), `commutativity failed at iteration ${i}`);
    assert.ok(a.merge(b).merge(c).equals(a.merge(b.merge(c))), `associativity failed at iteration ${i}`);
  }
});

test('RingDesc.mergeWithDelta() returns exactly what changed, and applying the delta gives the merge', () => {
  const random = seededRandom(7);
  for (let i = 0; i < ITERATIONS; i++) {
    const a = randomDesc(random);
    const b = randomDesc(random);
    const { value, delta } = a.mergeWithDelta(b);
    assert.ok(value.equals(a.merge(b)));
    if (delta === null) assert.ok(value.equals(a));
    else assert.ok(a.merge(delta).equals(value));
  }
});

test('RingDesc wire codec round-trips random descriptors', () => {
  const random = seededRandom(3);
  for (let i = 0; i < 500; i++) {
    const a = randomDesc(random);
    const back = decodeRingDesc(JSON.parse(JSON.stringify(encodeRingDesc(a))));
    assert.ok(back.equals(a));
  }
});

test('decodeRingDesc() rejects malformed input with TypeError', () => {
  const good = encodeRingDesc(new RingDesc([inst('a', 1)])) as { i: Record<string, unknown>[] };
  const bad: unknown[] = [
    null, 42, { i: 'x' }, { i: [null] },
    { i: [{ ...good.i[0], state: 'BOGUS' }] },
    { i: [{ ...good.i[0], tok: 'AAA' }] },
    { i: [{ ...good.i[0], tok: Buffer.from([0, 0, 0, 2, 0, 0, 0, 1]).toString('base64') }] },
    { i: [{ ...good.i[0], hb: -1 }] },
    { i: [{ ...good.i[0], id: '' }] },
  ];
  for (const b of bad) assert.throws(() => decodeRingDesc(b), TypeError);
});

test('RingDesc.forget() writes a tombstone that wins over the older entry everywhere', () => {
  const a = new RingDesc([inst('ing-1', 10), inst('ing-2', 10)]);
  const forgotten = a.forget('ing-1', 5);
  const t = forgotten.get('ing-1')!;
  assert.equal(t.state, InstanceState.LEFT);
  assert.equal(t.tokens.length, 0);
  assert.ok(t.updatedMs > 10, 'tombstone must beat the entry even with an older clock');
  // A replica that still has the old entry adopts the tombstone
  assert.equal(a.merge(forgotten).get('ing-1')!.state, InstanceState.LEFT);
  // The instance itself heartbeating later brings it back
  const back = forgotten.merge(new RingDesc([inst('ing-1', 100)]));
  assert.equal(back.get('ing-1')!.state, InstanceState.ACTIVE);
  assert.equal(forgotten.withoutTombstonesBefore(t.updatedMs + 1).get('ing-1'), undefined);
  assert.equal(forgotten.live().length, 1);
});

test('ringDescCodec.invalidationKey() names the instance of a one-instance delta', () => {
  assert.equal(ringDescCodec.invalidationKey!(new RingDesc([inst('x', 1)])), 'x');
  assert.equal(ringDescCodec.invalidationKey!(new RingDesc([inst('x', 1), inst('y', 1)])), undefined);
});

function inst(id: string, updatedMs: number): InstanceDesc {
  return { id, addr: `${id}:9095`, zone: '', state: InstanceState.ACTIVE, tokens: Uint32Array.of(1, 2, 3), heartbeatMs: updatedMs, registeredMs: 0, updatedMs };
}
