/**
 * Rolling restart of a three-node cluster under continuous load: each node in turn gets SIGTERM (graceful:
 * /ready turns 503, LEAVING, drain, LEFT, leave gossip, close), exits, restarts on its data dir and
 * becomes ACTIVE again. Writers only target nodes that are up and not shutting down. Zero failed writes,
 * zero acknowledged samples lost.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { waitFor } from '../e2e/harness.ts';
import { TestCluster } from './test-cluster.ts';

let cluster: TestCluster | undefined;
after(async () => {
  await cluster?.destroy();
});

test('rolling restart of all three nodes under load: no failed write, no lost sample', { timeout: 120_000 }, async () => {
  // Node 0 is every node's only seed: when it restarts it finds the others through the peers it saved
  cluster = await TestCluster.start({ nodes: 3 });
  const nodes = cluster.nodes;
  await cluster.waitRingConverged(nodes.map((n) => n.id));
  const up = new Set(nodes.map((n) => n.url));
  const targets = (): string[] => [...up];
  const writers = [
    cluster.writer({ name: 'roll-a', series: 20, targets }),
    cluster.writer({ name: 'roll-b', series: 20, targets }),
  ];
  for (const w of writers) w.start();
  const acked = (): number => writers.reduce((a, w) => a + w.acks.length, 0);
  const failures = (): string => writers.flatMap((w) => w.failures).slice(0, 3).join(' | ') || 'none';
  await waitFor(async () => acked() >= 20, 10_000, () => `first writes (failures: ${failures()})`);

  for (const n of nodes) {
    up.delete(n.url);
    const exit = await n.stop();
    assert.deepEqual(exit, { code: 0, signal: null }, `${n.id} exited cleanly; output:\n${n.output().slice(-2000)}`);
    const others = nodes.filter((x) => x !== n);
    // The survivors see it as left (not dead) and take every write meanwhile
    await waitFor(async () => (await others[0]!.members()).find((m) => m.name === n.id)?.state === 'left', 5000, () => `${n.id} left gossip`);
    const a0 = acked();
    await waitFor(async () => acked() >= a0 + 10, 10_000, () => `writes while ${n.id} is down (failures: ${failures()})`);
    for (const w of writers) {
      for (const o of others) {
        const miss = await w.missing(o.url);
        assert.equal(w.duplicateSeries, 0, `remote read on ${o.id} returned a series twice`);
        const ts = miss.length ? Number(/@(\d+)/.exec(miss[0]!)![1]) : 0;
        assert.deepEqual(miss.slice(0, 3), [], `samples missing on ${o.id} while ${n.id} is down; heads: ${miss.length ? await w.holders(others.map((x) => x.url), ts) : ''}\n${others.map((x) => x.output().slice(-1500)).join('\n----\n')}`);
      }
    }

    await n.start();
    await cluster.waitRingConverged(nodes.map((x) => x.id));
    up.add(n.url);
    const a1 = acked();
    await waitFor(async () => acked() >= a1 + 10, 10_000, () => `writes after ${n.id} restarted (failures: ${failures()})`);
  }
  for (const w of writers) await w.stop();

  for (const w of writers) assert.deepEqual(w.failures.slice(0, 5), [], `writer ${w.name} saw failed writes`);
  for (const w of writers) for (const n of nodes) assert.deepEqual((await w.missing(n.url)).slice(0, 10), [], `samples missing on ${n.id}`);
  assert.ok(acked() > 100, `${acked()} batches acknowledged`);
});
