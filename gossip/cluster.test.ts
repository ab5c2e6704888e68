import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from './clock.ts';
import { GossipCluster } from './cluster.ts';
import { MemoryNetwork } from './memory-transport.ts';
import { seededRandom } from './random.ts';
import { advance, advanceUntil } from './test-util.ts';

test('GossipCluster: ingesters start, register, serve lookups, forget and leave; a late seed is retried', async () => {
  const clock = new FakeClock(1_700_000_000_000);
  const random = seededRandom(5);
  const net = new MemoryNetwork({ clock, random });
  const seedAddr = 'mem:1';
  const make = (i: number, addr?: string): GossipCluster => new GossipCluster({
    memberlist: { name: `ing-${i}`, meta: { zone: 'z1', role: 'ingester' } },
    seeds: [seedAddr],
    rejoinIntervalMs: 1000,
    ring: { replicationFactor: 3, heartbeatTimeoutMs: 10_000 },
    lifecycler: { id: `ing-${i}`, addr: `10.0.0.${i}:9095`, observePeriodMs: 500, heartbeatPeriodMs: 1000, forgetAfterMs: 0 },
  }, { transport: net.createTransport(addr), clock, random });

  // Members 1..3 start before the seed exists: their join fails and is retried in the background
  const early = [make(1), make(2), make(3)];
  const starting = early.map((c) => c.start());
  await advance(clock, 600);
  await Promise.all(starting);
  const seed = make(0, seedAddr);
  const seedStart = seed.start();
  await advance(clock, 600);
  await seedStart;
  const all = [seed, ...early];
  const ok = await advanceUntil(clock, () => all.every((c) =>
    c.members().filter((m) => m.state === 'alive').length === 4 && c.instances().length === 4 && c.instances().every((i) => i.state === 'ACTIVE')), 20_000);
  assert.notEqual(ok, -1, 'cluster did not converge');
  assert.equal(seed.members().find((m) => m.name === 'ing-2')?.meta['state'], 'ACTIVE');
  const set = early[0]!.get(123456789, 'write');
  assert.equal(set.instances.length, 3);
  assert.equal(set.minSuccess, 2);
  const own = seed.instances().reduce((a, i) => a + i.ownership, 0);
  assert.ok(Math.abs(own - 1) < 1e-9);

  // Graceful stop of one member: ring LEFT, gossip left
  const leaving = early[2]!;
  const stopping = leaving.stop();
  await advance(clock, 1000);
  await stopping;
  assert.notEqual(await advanceUntil(clock, () => seed.instances().length === 3 && seed.members().find((m) => m.name === 'ing-3')?.state === 'left', 5000), -1);
  // Operator forget
  seed.forget('ing-2');
  assert.equal(seed.instances().length, 2);
  assert.throws(() => seed.forget('ing-9'), { code: 'RING_INSTANCE_NOT_FOUND' });

  const stops = [seed, early[0]!, early[1]!].map((c) => c.stop());
  await advance(clock, 2000);
  await Promise.all(stops);
});
