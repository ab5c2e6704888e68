/**
 * Three real node processes, RF 3. A writer sends continuously to nodes 0 and 1; node 2 is SIGKILLed
 * mid-stream. Every acknowledged sample must be readable from the survivors during the outage, and after
 * node 2 restarts on its data dir (WAL replay, back to ACTIVE with its old tokens) from every node.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { apiData, waitFor } from '../e2e/harness.ts';
import { TestCluster } from './test-cluster.ts';

let cluster: TestCluster | undefined;
after(async () => {
  await cluster?.destroy();
});

test('SIGKILL of one of three nodes loses no acknowledged sample; the node replays its WAL and rejoins ACTIVE', { timeout: 90_000 }, async () => {
  cluster = await TestCluster.start({ nodes: 3 });
  const [n0, n1, n2] = cluster.nodes as [typeof cluster.nodes[0], typeof cluster.nodes[0], typeof cluster.nodes[0]];
  const before = await cluster.waitRingConverged([n0.id, n1.id, n2.id]);
  const tokensBefore = before.find((i) => i.id === n2.id)!.tokens;

  const writer = cluster.writer({ name: 'kill', series: 20, targets: () => [n0.url, n1.url] });
  writer.start();
  await waitFor(async () => writer.acks.length >= 20, 10_000, () => 'first acknowledged writes');

  n2.kill('SIGKILL');
  await n2.exited();
  const acksAtKill = writer.acks.length;
  // Node 2 is declared dead by gossip and unhealthy in the ring of the survivors
  await waitFor(async () => (await n0.members()).find((m) => m.name === n2.id)?.state === 'dead', 10_000, () => 'node-2 dead on node-0');
  await waitFor(async () => (await n0.ring()).find((i) => i.id === n2.id)?.healthy === false, 10_000, () => 'node-2 unhealthy on node-0');
  await waitFor(async () => writer.acks.length >= acksAtKill + 20, 10_000, () => 'writes acknowledged during the outage');

  // During the outage: complete data from both survivors
  for (const n of [n0, n1]) assert.deepEqual((await writer.missing(n.url)).slice(0, 10), [], `acknowledged samples missing on ${n.id} during the outage`);
  const count = await apiData(n1.url, '/api/v1/query', { query: 'count(cluster_test_metric{writer="kill"})' });
  assert.equal(count.result[0].value[1], '20', 'PromQL sees every series during the outage');

  await n2.start();
  const afterRestart = await cluster.waitRingConverged([n0.id, n1.id, n2.id]);
  assert.deepEqual(afterRestart.find((i) => i.id === n2.id)!.tokens, tokensBefore, 'node-2 took back its tokens');
  await waitFor(async () => writer.acks.length >= acksAtKill + 60, 10_000, () => 'writes after the restart');
  await writer.stop();
  await sleep(50);

  assert.ok(writer.acks.length > acksAtKill + 40, `writes continued: ${writer.acks.length} acknowledged`);
  for (const n of [n0, n1, n2]) assert.deepEqual((await writer.missing(n.url)).slice(0, 10), [], `acknowledged samples missing on ${n.id} after the restart`);
  assert.deepEqual(writer.failures.slice(0, 5), [], 'no write failed');
});
