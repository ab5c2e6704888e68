/**
 * Five node processes started at the same time, all seeded with node 0 only: every node's /ring converges
 * on the same five ACTIVE instances with the same tokens, /memberlist lists five alive members, and token
 * ownership is balanced.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { scrapeMetrics, sumMetric, waitFor } from '../e2e/harness.ts';
import { TestCluster } from './test-cluster.ts';

let cluster: TestCluster | undefined;
after(async () => {
  await cluster?.destroy();
});

test('five nodes joining through one seed converge on one ring', { timeout: 90_000 }, async () => {
  cluster = await TestCluster.start({ nodes: 5, parallel: true });
  const ids = cluster.nodes.map((n) => n.id);
  const ring = await cluster.waitRingConverged(ids, 20_000);
  assert.deepEqual(ring.map((i) => i.id).sort(), ids);
  const all = new Set<number>();
  for (const i of ring) {
    assert.equal(i.tokens.length, 128, `${i.id} has 128 tokens`);
    for (const t of i.tokens) all.add(t);
    assert.ok(i.ownership > 0.1 && i.ownership < 0.3, `${i.id} owns ${i.ownership}`);
  }
  assert.equal(all.size, 5 * 128, 'no token is claimed twice');
  for (const n of cluster.nodes) {
    await waitFor(async () => (await n.members()).filter((m) => m.state === 'alive').length === 5, 10_000, () => `five alive members on ${n.id}`);
  }
  const metrics = await scrapeMetrics(cluster.nodes[2]!.url);
  assert.equal(sumMetric(metrics, 'frankenstein_ring_members', { state: 'ACTIVE', healthy: 'true' }), 5);
  assert.equal(sumMetric(metrics, 'frankenstein_memberlist_members', { state: 'alive' }), 5);
  // The HTML page lists every instance
  const html = await (await fetch(`${cluster.nodes[3]!.url}/ring`, { headers: { accept: 'text/html' } })).text();
  for (const id of ids) assert.ok(html.includes(`<td>${id}</td>`), `${id} on the HTML ring page`);
});
