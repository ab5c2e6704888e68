import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from '../clock.ts';
import { InstanceState } from './instance-state.ts';
import { doUntilQuorum, quorum, replicationSet } from './replication-set.ts';
import { Ring } from './ring.ts';
import { type InstanceDesc, RingDesc } from './ring-desc.ts';

const NOW = 1_000_000;

/** Instance owning the given tokens; heartbeat fresh unless stale. */
function inst(id: string, tokens: number[], opts: Partial<InstanceDesc> = {}): InstanceDesc {
  return {
    id, addr: `${id}:9095`, zone: '', state: InstanceState.ACTIVE, tokens: Uint32Array.from(tokens).sort(),
    heartbeatMs: NOW, registeredMs: 0, updatedMs: NOW, ...opts,
  };
}

function ring(instances: InstanceDesc[], cfg: { zoneAwareness?: boolean; replicationFactor?: number } = {}): Ring {
  const r = new Ring({ heartbeatTimeoutMs: 10_000, ...cfg }, { clock: new FakeClock(NOW) });
  r.update(new RingDesc(instances));
  return r;
}

const ids = (xs: readonly InstanceDesc[]): string[] => xs.map((i) => i.id);

test('Ring.get() returns RF distinct instances clockwise from the key', () => {
  const r = ring([inst('a', [100, 500]), inst('b', [200, 600]), inst('c', [300]), inst('d', [400])]);
  assert.deepEqual(ids(r.get(150, 'write').instances), ['b', 'c', 'd']);
  assert.deepEqual(ids(r.get(200, 'write').instances), ['b', 'c', 'd'], 'a key equal to a token belongs to that token');
  assert.deepEqual(ids(r.get(450, 'write').instances), ['a', 'b', 'c'], 'a repeated owner is skipped');
  assert.deepEqual(ids(r.get(4_000_000_000, 'read').instances), ['a', 'b', 'c'], 'the walk wraps past 2^32');
  const set = r.get(150, 'write');
  assert.equal(set.minSuccess, 2);
  assert.equal(set.maxErrors, 1);
});

test('Ring.get(write) skips unhealthy, LEAVING and JOINING owners and extends to the next healthy one', () => {
  const r = ring([
    inst('a', [100]),
    inst('b', [200], { state: InstanceState.LEAVING }),
    inst('c', [300], { heartbeatMs: NOW - 60_000 }),
    inst('d', [400], { state: InstanceState.JOINING }),
    inst('e', [500]),
    inst('f', [600]),
  ]);
  assert.deepEqual(ids(r.get(50, 'write').instances), ['a', 'e', 'f']);
  assert.equal(r.get(50, 'write').maxErrors, 1);
});

test('Ring.get(read) keeps LEAVING owners, passes over JOINING ones and counts unhealthy ones as errors', () => {
  const r = ring([
    inst('a', [100]),
    inst('b', [200], { state: InstanceState.LEAVING }),
    inst('c', [300], { state: InstanceState.JOINING }),
    inst('d', [400], { heartbeatMs: NOW - 60_000 }),
    inst('e', [500]),
  ]);
  const set = r.get(50, 'read');
  assert.deepEqual(ids(set.instances), ['a', 'b']);
  assert.equal(set.minSuccess, 2);
  assert.equal(set.maxErrors, 0);
});

test('Ring.get() fails with RING_TOO_MANY_UNHEALTHY below quorum and RING_EMPTY on an empty ring', () => {
  const r = ring([inst('a', [100]), inst('b', [200], { heartbeatMs: 0 }), inst('c', [300], { heartbeatMs: 0 })]);
  assert.throws(() => r.get(1, 'write'), { code: 'RING_TOO_MANY_UNHEALTHY' });
  assert.throws(() => r.get(1, 'read'), { code: 'RING_TOO_MANY_UNHEALTHY' });
  assert.throws(() => ring([]).get(1, 'write'), { code: 'RING_EMPTY' });
  assert.throws(() => ring([inst('x', [], { state: InstanceState.LEFT })]).get(1, 'read'), { code: 'RING_EMPTY' });
});

test('Ring.get() with zone awareness puts replicas in distinct zones first', () => {
  const r = ring([
    inst('a1', [100], { zone: 'a' }), inst('a2', [200], { zone: 'a' }), inst('b1', [300], { zone: 'b' }),
    inst('b2', [400], { zone: 'b' }), inst('c1', [500], { zone: 'c' }),
  ], { zoneAwareness: true });
  assert.deepEqual(ids(r.get(50, 'write').instances), ['a1', 'b1', 'c1']);
  // Without zone awareness the same key lands on a1, a2, b1
  const plain = ring([
    inst('a1', [100], { zone: 'a' }), inst('a2', [200], { zone: 'a' }), inst('b1', [300], { zone: 'b' }),
    inst('b2', [400], { zone: 'b' }), inst('c1', [500], { zone: 'c' }),
  ]);
  assert.deepEqual(ids(plain.get(50, 'write').instances), ['a1', 'a2', 'b1']);
  // Only two zones: the third replica falls back to a zone already used
  const two = ring([inst('a1', [100], { zone: 'a' }), inst('a2', [200], { zone: 'a' }), inst('b1', [300], { zone: 'b' })], { zoneAwareness: true });
  assert.deepEqual(ids(two.get(50, 'write').instances), ['a1', 'b1', 'a2']);
  // An unhealthy zone-c instance is skipped for writes without giving up zone diversity
  const sick = ring([
    inst('a1', [100], { zone: 'a' }), inst('c1', [150], { zone: 'c', heartbeatMs: 0 }), inst('a2', [200], { zone: 'a' }),
    inst('b1', [300], { zone: 'b' }), inst('c2', [400], { zone: 'c' }),
  ], { zoneAwareness: true });
  assert.deepEqual(ids(sick.get(50, 'write').instances), ['a1', 'b1', 'c2']);
});

test('Ring.instances() reports ownership and health; allHealthy() sees stale heartbeats', () => {
  const r = ring([inst('a', [0, 2 ** 31]), inst('b', [2 ** 30], { heartbeatMs: 0 }), inst('z', [], { state: InstanceState.LEFT })]);
  const list = r.instances();
  assert.deepEqual(list.map((i) => [i.id, i.ownership, i.healthy]), [['a', 0.75, true], ['b', 0.25, false]]);
  assert.equal(r.allHealthy(), false);
  assert.equal(ring([inst('a', [1])]).allHealthy(), true);
});

test('replicationSet() and quorum() follow floor(RF/2)+1', () => {
  assert.deepEqual([1, 2, 3, 4, 5].map(quorum), [1, 2, 2, 3, 3]);
  const s = replicationSet([inst('a', [1]), inst('b', [2]), inst('c', [3])], 3);
  assert.equal(s.minSuccess, 2);
  assert.equal(s.maxErrors, 1);
  assert.throws(() => replicationSet([inst('a', [1])], 3), { code: 'RING_TOO_MANY_UNHEALTHY' });
});

test('doUntilQuorum() resolves on minSuccess results and fails after maxErrors failures', async () => {
  const set = replicationSet([inst('a', [1]), inst('b', [2]), inst('c', [3])], 3);
  const aborted: string[] = [];
  const ok = await doUntilQuorum(set, async (i, signal) => {
    if (i.id === 'c') {
      await new Promise<void>((r) => signal.addEventListener('abort', () => { aborted.push(i.id); r(); }));
      return 'late';
    }
    return i.id;
  });
  assert.deepEqual(ok.sort(), ['a', 'b']);
  assert.deepEqual(aborted, ['c']);
  await assert.rejects(doUntilQuorum(set, async (i) => {
    if (i.id !== 'a') throw new Error(`down: ${i.id}`);
    return 1;
  }), { code: 'RING_QUORUM_FAILED' });
  // One failure is tolerated
  assert.equal((await doUntilQuorum(set, async (i) => { if (i.id === 'b') throw new Error('x'); return 1; })).length, 2);
});
