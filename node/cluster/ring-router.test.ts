import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from '../../gossip/clock.ts';
import { InstanceState } from '../../gossip/ring/instance-state.ts';
import { type InstanceDesc, RingDesc } from '../../gossip/ring/ring-desc.ts';
import type { IngesterClient } from '../distributor/ingester-client.ts';
import { RingRouter } from './ring-router.ts';

const NOW = 5_000_000;

function inst(id: string, tokens: number[], opts: Partial<InstanceDesc> = {}): InstanceDesc {
  return { id, addr: `${id}:9009`, zone: '', state: InstanceState.ACTIVE, tokens: Uint32Array.from(tokens).sort(), heartbeatMs: NOW, registeredMs: 0, updatedMs: NOW, ...opts };
}

/** Clients only carry an id here: the router under test chooses them, it never calls them. */
function client(id: string): IngesterClient {
  return {
    id,
    push: () => Promise.reject(new Error(`not called: ${id}`)),
    querier: () => {
      throw new Error(`not called: ${id}`);
    },
  };
}

function router(instances: InstanceDesc[], rf = 3): { r: RingRouter; local: IngesterClient; clock: FakeClock; made: Map<string, IngesterClient> } {
  const clock = new FakeClock(NOW);
  const local = client('local:a');
  const made = new Map<string, IngesterClient>();
  const r = new RingRouter({
    localId: 'a',
    local,
    replicationFactor: rf,
    heartbeatTimeoutMs: 10_000,
    clock,
    clientFor: (i) => {
      let c = made.get(i.id);
      if (!c) made.set(i.id, (c = client(i.id)));
      return c;
    },
  });
  r.update(new RingDesc(instances));
  return { r, local, clock, made };
}

const ids = (cs: readonly IngesterClient[]): string[] => cs.map((c) => c.id);

test('RingRouter.writeReplicas() picks RF instances clockwise with quorum floor(RF/2)+1; the local one is called in-process', () => {
  const { r, local } = router([inst('a', [100]), inst('b', [200]), inst('c', [300]), inst('d', [400])]);
  const set = r.writeReplicas(150);
  assert.deepEqual(ids(set.clients), ['b', 'c', 'd']);
  assert.equal(set.minSuccess, 2);
  const wrap = r.writeReplicas(350);
  assert.deepEqual(ids(wrap.clients), ['d', 'local:a', 'b']);
  assert.equal(wrap.clients[1], local);
  assert.equal(r.writeReplicas(150).clients[0], set.clients[0], 'one client object per instance');
  assert.deepEqual(ids(router([inst('a', [1]), inst('b', [2]), inst('c', [3]), inst('d', [4]), inst('e', [5])], 5).r.writeReplicas(0).clients).length, 5);
  assert.equal(router([inst('a', [1]), inst('b', [2]), inst('c', [3]), inst('d', [4]), inst('e', [5])], 5).r.writeReplicas(0).minSuccess, 3);
});

test('RingRouter.writeReplicas() skips down, stale, LEAVING and JOINING owners and extends to the next healthy instance', () => {
  const { r, clock } = router([inst('a', [100]), inst('b', [200]), inst('c', [300]), inst('d', [400]), inst('e', [500])]);
  r.setDown(['c']);
  assert.deepEqual(ids(r.writeReplicas(150).clients), ['b', 'd', 'e'], 'gossip says c is down');
  r.setDown([]);
  assert.deepEqual(ids(r.writeReplicas(150).clients), ['b', 'c', 'd'], 'c is back');
  r.update(new RingDesc([inst('a', [100]), inst('b', [200], { state: InstanceState.LEAVING }), inst('c', [300], { state: InstanceState.JOINING }), inst('d', [400]), inst('e', [500])]));
  assert.deepEqual(ids(r.writeReplicas(150).clients), ['d', 'e', 'local:a']);
  // Heartbeats age: d and e go stale, a refreshes its own
  clock.tick(20_000);
  r.update(new RingDesc([inst('a', [100], { heartbeatMs: NOW + 20_000 }), inst('b', [200], { heartbeatMs: NOW + 20_000 }), inst('c', [300]), inst('d', [400]), inst('e', [500])]));
  const set = r.writeReplicas(150);
  assert.deepEqual(ids(set.clients), ['b', 'local:a'], 'only two healthy instances: both must acknowledge');
  assert.equal(set.minSuccess, 2);
  r.setDown(['b']);
  assert.throws(() => r.writeReplicas(150), { code: 'CLUSTER_RING_UNAVAILABLE', httpStatus: 503 });
});

test('RingRouter.setDown() never marks the local instance down', () => {
  const { r } = router([inst('a', [100]), inst('b', [200]), inst('c', [300])]);
  r.setDown(['a', 'b', 'c']);
  assert.deepEqual([...r.down].sort(), ['b', 'c']);
  assert.throws(() => r.writeReplicas(50), { code: 'CLUSTER_RING_UNAVAILABLE' }, 'a alone is below quorum');
});

test('RingRouter.readReplicas() asks every usable ACTIVE or LEAVING instance and tolerates quorum-1 missing ones in total', () => {
  const { r } = router([inst('a', [100]), inst('b', [200], { state: InstanceState.LEAVING }), inst('d', [400]), inst('e', [500])]);
  const all = r.readReplicas('t');
  assert.deepEqual(ids(all.clients), ['local:a', 'b', 'd', 'e']);
  assert.equal(all.maxFailures, 1);
  r.setDown(['d']);
  const one = r.readReplicas('t');
  assert.deepEqual(ids(one.clients), ['local:a', 'b', 'e']);
  assert.equal(one.maxFailures, 0, 'd is already missing: every other answer is needed');
  r.setDown(['d', 'e']);
  assert.throws(() => r.readReplicas('t'), (err: Error & { code?: string; httpStatus?: number }) => {
    assert.equal(err.code, 'CLUSTER_RING_UNAVAILABLE');
    assert.equal(err.httpStatus, 503);
    assert.match(err.message, /"d" \(ACTIVE, down\), "e" \(ACTIVE, down\)/);
    return true;
  });
  assert.throws(() => router([]).r.readReplicas('t'), { code: 'CLUSTER_RING_UNAVAILABLE' });
});

test('RingRouter.readReplicas() counts instances that left, were forgotten or are rejoining as missing copies', () => {
  // c left (or was forgotten): the writes it acknowledged may now rest on one other instance only
  const left = router([inst('a', [100]), inst('b', [200]), inst('c', [], { state: InstanceState.LEFT })]).r.readReplicas('t');
  assert.deepEqual(ids(left.clients), ['local:a', 'b']);
  assert.equal(left.maxFailures, 0);
  // c restarted and is JOINING: its old copies are not read yet
  const joining = router([inst('a', [100]), inst('b', [200]), inst('c', [300], { state: InstanceState.JOINING })]).r.readReplicas('t');
  assert.deepEqual(ids(joining.clients), ['local:a', 'b']);
  assert.equal(joining.maxFailures, 0);
  // One instance gone and another one down: some acknowledged samples may be unreachable, so no answer
  const { r } = router([inst('a', [100]), inst('b', [200]), inst('c', [], { state: InstanceState.LEFT }), inst('d', [400])]);
  assert.equal(r.readReplicas('t').maxFailures, 0);
  r.setDown(['d']);
  assert.throws(() => r.readReplicas('t'), /"c" \(LEFT\), "d" \(ACTIVE, down\)/);
  // RF 5 tolerates two
  assert.equal(router([inst('a', [1]), inst('b', [2]), inst('c', [3]), inst('d', [4]), inst('e', [], { state: InstanceState.LEFT })], 5).r.readReplicas('t').maxFailures, 1);
});

test('RingRouter.writeReplicas() caches sets per token range but sees heartbeats go stale within 200 ms', () => {
  const { r, clock } = router([inst('a', [100, 700]), inst('b', [200, 800]), inst('c', [300]), inst('d', [400], { heartbeatMs: NOW - 9_950 })]);
  const first = r.writeReplicas(350);
  assert.deepEqual(ids(first.clients), ['d', 'local:a', 'b']);
  assert.equal(r.writeReplicas(360), first, 'same token range, same cached set');
  assert.deepEqual(ids(r.writeReplicas(4_000_000_000).clients), ['local:a', 'b', 'c'], 'keys past the last token wrap to the first');
  clock.tick(100);
  assert.equal(r.writeReplicas(350), first, 'd is stale now but the cache is younger than 200 ms');
  clock.tick(150);
  assert.deepEqual(ids(r.writeReplicas(350).clients), ['local:a', 'b', 'c']);
});

test('RingRouter.primary() names the first healthy ACTIVE owner of a key, the same on every node', () => {
  const descs = [inst('a', [100]), inst('b', [200]), inst('c', [300])];
  const { r } = router(descs);
  assert.equal(r.primary(150), 'b');
  r.setDown(['b']);
  assert.equal(r.primary(150), 'c');
  assert.equal(router([]).r.primary(150), undefined);
});

test('RingRouter avoids suspected instances only while enough others remain for a quorum', () => {
  const { r } = router([inst('a', [100]), inst('b', [200]), inst('c', [300])]);
  r.setDown([], ['b']);
  assert.deepEqual(ids(r.writeReplicas(150).clients), ['c', 'local:a'], 'b just failed a call: routed around');
  assert.deepEqual(ids(r.readReplicas('t').clients), ['local:a', 'c']);
  assert.equal(r.readReplicas('t').maxFailures, 0);
  r.setDown(['c'], ['b']);
  const w = r.writeReplicas(150);
  assert.deepEqual(ids(w.clients), ['b', 'local:a'], 'c is dead: the suspect b is needed for the quorum');
  assert.equal(w.minSuccess, 2);
  assert.deepEqual(ids(r.readReplicas('t').clients), ['local:a', 'b']);
  assert.deepEqual([...r.down].sort(), ['b', 'c']);
  r.setDown(['c']);
  assert.deepEqual(ids(r.writeReplicas(150).clients), ['b', 'local:a']);
});

test('RingRouter.onlyReplicaSet() is the one write set when the ring has no more instances than RF, else undefined', () => {
  const three = router([inst('a', [100, 400]), inst('b', [200]), inst('c', [300])]);
  const only = three.r.onlyReplicaSet();
  assert.ok(only);
  assert.equal(only.minSuccess, 2);
  for (const token of [0, 150, 250, 350, 450]) {
    assert.deepEqual(ids(three.r.writeReplicas(token).clients).sort(), ids(only.clients).sort(), `token ${token}`);
  }
  assert.deepEqual(ids(only.clients).sort(), ['b', 'c', 'local:a']);
  // A down instance leaves every series the same two replicas
  three.r.setDown(['c']);
  assert.deepEqual(ids(three.r.onlyReplicaSet()!.clients).sort(), ['b', 'local:a']);
  assert.deepEqual(ids(three.r.writeReplicas(250).clients).sort(), ['b', 'local:a']);
  // More instances than RF: series have different sets
  assert.equal(router([inst('a', [100]), inst('b', [200]), inst('c', [300]), inst('d', [400])]).r.onlyReplicaSet(), undefined);
  assert.equal(router([]).r.onlyReplicaSet(), undefined);
});
