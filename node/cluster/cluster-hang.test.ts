/**
 * A hung node (SIGSTOP): the others suspect it and declare it dead within the configured gossip timings,
 * writes keep being acknowledged, an operator can forget it, and after SIGCONT it refutes its death and
 * re-registers: ACTIVE and healthy again.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { waitFor } from '../e2e/harness.ts';
import { TestCluster } from './test-cluster.ts';

let cluster: TestCluster | undefined;
after(async () => {
  await cluster?.destroy();
});

test('SIGSTOP: the hung node is declared dead, writes keep succeeding, SIGCONT brings it back ACTIVE', { timeout: 90_000 }, async () => {
  cluster = await TestCluster.start({ nodes: 3 });
  const [n0, n1, n2] = cluster.nodes as [typeof cluster.nodes[0], typeof cluster.nodes[0], typeof cluster.nodes[0]];
  await cluster.waitRingConverged([n0.id, n1.id, n2.id]);
  const writer = cluster.writer({ name: 'hang', series: 10, targets: () => [n0.url, n1.url] });
  writer.start();
  await waitFor(async () => writer.acks.length >= 10, 10_000, () => 'first acknowledged writes');

  n2.kill('SIGSTOP');
  const stoppedAt = Date.now();
  const seen = new Set<string>();
  // local gossip preset: 200 ms probes, suspicion of 3 * log10(n) probe intervals up to 6x that: well under 10 s
  await waitFor(
    async () => {
      const st = (await n1.members()).find((m) => m.name === n2.id)?.state;
      if (st) seen.add(st);
      return st === 'dead';
    },
    10_000,
    () => `node-2 declared dead on node-1 (states seen: ${[...seen].join(', ')})`,
    50,
  );
  const acksAtDead = writer.acks.length;
  await waitFor(async () => writer.acks.length >= acksAtDead + 20, 10_000, () => `writes acknowledged while node-2 hangs (failures: ${writer.failures.slice(0, 3).join(' | ')})`);
  assert.ok(Date.now() - stoppedAt < 30_000);

  // Operator forget: unknown → 404, healthy → 409, the silent node → gone from the ring
  await waitFor(async () => (await n0.ring()).find((i) => i.id === n2.id)?.healthy === false, 10_000, () => 'node-2 unhealthy on node-0');
  const forget = (id: string) => fetch(`${n0.url}/ring/forget`, { method: 'POST', body: new URLSearchParams({ id }), headers: { accept: 'application/json' } });
  assert.equal((await forget('nobody')).status, 404);
  assert.equal((await forget(n1.id)).status, 409);
  assert.equal((await forget(n2.id)).status, 200);
  await waitFor(async () => !(await n1.ring()).some((i) => i.id === n2.id), 5000, () => 'node-2 forgotten on node-1');

  // SIGCONT: node-2 refutes its death in gossip and its next heartbeat re-registers it with its tokens
  n2.kill('SIGCONT');
  await waitFor(
    async () => {
      const m = (await n0.members()).find((x) => x.name === n2.id);
      const r = (await n0.ring()).find((i) => i.id === n2.id);
      return m?.state === 'alive' && r?.state === 'ACTIVE' && r.healthy;
    },
    15_000,
    () => 'node-2 alive, ACTIVE and healthy again on node-0',
  );
  await n2.waitReady();
  const acksAtBack = writer.acks.length;
  await waitFor(async () => writer.acks.length >= acksAtBack + 20, 10_000, () => 'writes after SIGCONT');
  await writer.stop();

  assert.deepEqual(writer.failures.slice(0, 5), [], 'every write was acknowledged');
  for (const n of [n0, n1, n2]) assert.deepEqual((await writer.missing(n.url)).slice(0, 10), [], `acknowledged samples missing on ${n.id}`);
});
