import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GossipKV } from './kv.ts';
import { encodeMessage, encodePacket } from './messages.ts';
import { Lifecycler } from './ring/lifecycler.ts';
import { type RingDesc, ringDescCodec } from './ring/ring-desc.ts';
import { advance, advanceUntil, allSeeAlive, simCluster } from './test-util.ts';

function sameRing(kvs: readonly GossipKV[], n: number): boolean {
  const first = kvs[0]!.get<RingDesc>('ring');
  if (first === undefined || first.live().length !== n) return false;
  return kvs.every((kv) => kv.get<RingDesc>('ring')?.equals(first) === true);
}

test('GossipKV replicates the ring of 10 ingesters (128 tokens each) with 512-byte datagrams and no periodic push-pull', async () => {
  const n = 10;
  // Every ring delta is bigger than a datagram here: it must travel over TCP gossip, never be dropped
  const c = await simCluster(n, { seed: 11, config: { udpBufferSize: 512, pushPullIntervalMs: 0 } });
  const kvs = c.nodes.map((m) => new GossipKV({ codecs: { ring: ringDescCodec }, memberlist: m }));
  assert.notEqual(await advanceUntil(c.clock, () => allSeeAlive(c.nodes, c.nodes.map((m) => m.name)), 10_000), -1);
  const lcs = c.nodes.map((m, i) => new Lifecycler({ id: `ing-${i}`, addr: `10.0.0.${i}:9095`, observePeriodMs: 0, heartbeatPeriodMs: 1000 }, { kv: kvs[i]!, clock: c.clock }));
  for (const lc of lcs) {
    await lc.start();
    // Space joins out so each one sees the tokens of the previous ones
    await advance(c.clock, 500);
  }
  const took = await advanceUntil(c.clock, () => sameRing(kvs, n), 20_000);
  assert.notEqual(took, -1, 'ring did not converge');
  const size = JSON.stringify(ringDescCodec.encode(kvs[0]!.get<RingDesc>('ring')!)).length;
  assert.ok(size > 1400 * 4, `ring state is only ${size} bytes`);
  // Heartbeats keep flowing and stay converged
  await advance(c.clock, 5000);
  assert.notEqual(await advanceUntil(c.clock, () => sameRing(kvs, n), 5000), -1);
  for (const lc of lcs) await lc.stop();
  await c.shutdownAll();
});

test('GossipKV gives a late joiner the full ring through the join push-pull', async () => {
  const c = await simCluster(3, { seed: 12 });
  const kvs = c.nodes.map((m) => new GossipKV({ codecs: { ring: ringDescCodec }, memberlist: m }));
  const lcs = kvs.map((kv, i) => new Lifecycler({ id: `ing-${i}`, addr: `h${i}:1`, observePeriodMs: 0 }, { kv, clock: c.clock }));
  for (const lc of lcs) await lc.start();
  assert.notEqual(await advanceUntil(c.clock, () => sameRing(kvs, 3), 10_000), -1);
  const late = await c.add('late');
  const lateKv = new GossipKV({ codecs: { ring: ringDescCodec }, memberlist: late });
  const seen: number[] = [];
  lateKv.watchKey<RingDesc>('ring', (d) => seen.push(d.live().length));
  const p = late.join([c.nodes[0]!.addr]);
  await advance(c.clock, 20);
  assert.equal(await p, 1);
  assert.equal(lateKv.get<RingDesc>('ring')?.live().length, 3);
  assert.ok(seen.length >= 1);
  for (const lc of lcs) await lc.stop();
  await c.shutdownAll();
});

test('GossipKV rejects malformed or unknown updates and counts them', async () => {
  const c = await simCluster(2, { seed: 13 });
  const kv = new GossipKV({ codecs: { ring: ringDescCodec }, memberlist: c.nodes[1]! });
  const evil = c.net.createTransport();
  await evil.start({ onPacket: () => {}, onRequest: async () => new Uint8Array() });
  const payloads: unknown[] = [42, { k: 'ring', v: { i: [{ id: 'x' }] } }, { k: 'other', v: {} }, { v: 1 }];
  evil.sendPacket(c.nodes[1]!.addr, encodePacket('evil', payloads.map((p) => encodeMessage({ t: 'user', p }))));
  await advance(c.clock, 20);
  assert.equal(kv.stats.updatesRejected, payloads.length);
  assert.equal(kv.get('ring'), undefined);
  assert.throws(() => kv.get('nope'), TypeError);
  await evil.close();
  await c.shutdownAll();
});

test('GossipKV without a memberlist is a local KV with watchers', () => {
  const kv = new GossipKV({ codecs: { ring: ringDescCodec } });
  let calls = 0;
  const off = kv.watchKey('ring', () => { calls++; });
  assert.equal(kv.cas<RingDesc>('ring', () => null), false);
  const lc = new Lifecycler({ id: 'a', addr: 'a:1', observePeriodMs: 0 }, { kv });
  void lc.start();
  assert.ok(calls >= 2);
  off();
  const before = calls;
  lc.heartbeat();
  assert.equal(calls, before);
  void lc.stop();
});
