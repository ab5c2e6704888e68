import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from './clock.ts';
import { Memberlist } from './memberlist.ts';
import { MemoryNetwork } from './memory-transport.ts';
import { encodeMessage, encodePacket } from './messages.ts';
import { NodeState } from './node-state.ts';
import { seededRandom } from './random.ts';
import { advance, advanceUntil, allSeeAlive, simCluster } from './test-util.ts';

test('Memberlist.join() through one seed makes every member see every other alive', async () => {
  const c = await simCluster(5);
  const names = c.nodes.map((m) => m.name);
  const took = await advanceUntil(c.clock, () => allSeeAlive(c.nodes, names), 10_000);
  assert.notEqual(took, -1, 'members did not converge');
  await c.shutdownAll();
});

test('Memberlist.join() rejects with GOSSIP_JOIN_FAILED when no seed answers', async () => {
  const clock = new FakeClock();
  const net = new MemoryNetwork({ clock, random: seededRandom(1) });
  const m = new Memberlist({ name: 'lonely' }, { transport: net.createTransport(), clock, random: seededRandom(2) });
  await m.start();
  const p = m.join(['mem:1']).then(() => undefined, (e: unknown) => e);
  await advance(clock, 50);
  const err = await p;
  assert.equal((err as { code?: string } | undefined)?.code, 'GOSSIP_JOIN_FAILED');
  await m.shutdown();
});

test('Memberlist detects a stopped member: suspect, then dead within the suspicion bound', async () => {
  const c = await simCluster(6);
  const names = c.nodes.map((m) => m.name);
  assert.notEqual(await advanceUntil(c.clock, () => allSeeAlive(c.nodes, names), 10_000), -1);
  const victim = c.nodes[3]!;
  const observer = c.nodes[0]!;
  const seen: string[] = [];
  observer.on('suspect', (m) => { if (m.name === victim.name) seen.push('suspect'); });
  observer.on('dead', (m) => { if (m.name === victim.name) seen.push('dead'); });
  await victim.shutdown();
  const cfg = observer.config;
  // One probe round to notice, plus the longest suspicion (no confirmations), plus gossip slack
  const bound = c.nodes.length * cfg.probeIntervalMs + cfg.suspicionMaxTimeoutMult * cfg.suspicionMult * cfg.probeIntervalMs + 2000;
  const others = c.nodes.filter((m) => m !== victim);
  const took = await advanceUntil(c.clock, () => others.every((m) => m.member(victim.name)?.state === NodeState.Dead), bound);
  assert.notEqual(took, -1, `victim not declared dead everywhere within ${bound} ms`);
  assert.deepEqual(seen.slice(0, 2), ['suspect', 'dead']);
  assert.ok(allSeeAlive(others, others.map((m) => m.name)));
  await c.shutdownAll();
});

test('Memberlist: a live member refutes a false suspicion by raising its incarnation', async () => {
  const c = await simCluster(5);
  const names = c.nodes.map((m) => m.name);
  assert.notEqual(await advanceUntil(c.clock, () => allSeeAlive(c.nodes, names), 10_000), -1);
  const target = c.nodes[2]!;
  const before = target.incarnation;
  let deaths = 0;
  let suspected = 0;
  for (const m of c.nodes) {
    m.on('dead', () => { deaths++; });
    m.on('suspect', (x) => { if (x.name === target.name) suspected++; });
  }
  // Inject a false accusation into every other member
  const liar = c.net.createTransport();
  await liar.start({ onPacket: () => {}, onRequest: async () => new Uint8Array() });
  const pkt = encodePacket('liar', [encodeMessage({ t: 'suspect', node: target.name, inc: before, from: 'liar' })]);
  for (const m of c.nodes) if (m !== target) liar.sendPacket(m.addr, pkt);
  await advance(c.clock, 5);
  assert.ok(suspected >= 1, 'accusation not applied');
  const took = await advanceUntil(c.clock, () => c.nodes.every((m) => m.member(target.name)?.state === NodeState.Alive), 5000);
  assert.notEqual(took, -1, 'suspicion not refuted');
  assert.ok(target.incarnation > before);
  assert.ok(target.stats.refutations >= 1);
  await advance(c.clock, 10_000);
  assert.equal(deaths, 0);
  assert.ok(c.nodes.every((m) => m.member(target.name)?.state === NodeState.Alive));
  await liar.close();
  await c.shutdownAll();
});

test('Memberlist spreads a metadata update to all 32 members within ceil(3*log2(n)) probe rounds', async () => {
  const n = 32;
  const c = await simCluster(n, { seed: 7 });
  const names = c.nodes.map((m) => m.name);
  assert.notEqual(await advanceUntil(c.clock, () => allSeeAlive(c.nodes, names), 30_000), -1, 'cluster did not converge');
  // Let join traffic drain so the update is not helped by queued broadcasts
  await advance(c.clock, 5000);
  const src = c.nodes[17]!;
  src.setMeta({ zone: 'zone-b', role: 'ingester', state: 'ACTIVE' });
  const round = src.config.probeIntervalMs;
  const limit = Math.ceil(3 * Math.log2(n));
  let rounds = 0;
  const seesIt = (): boolean => c.nodes.every((m) => m.member(src.name)?.meta['zone'] === 'zone-b');
  while (!seesIt() && rounds < limit + 5) {
    await advance(c.clock, round);
    rounds++;
  }
  assert.ok(seesIt(), 'update did not reach every member');
  assert.ok(rounds <= limit, `took ${rounds} probe rounds, bound is ${limit}`);
  await c.shutdownAll();
});

test('Memberlist.leave() is seen as left (not dead) by the others', async () => {
  const c = await simCluster(4);
  const names = c.nodes.map((m) => m.name);
  assert.notEqual(await advanceUntil(c.clock, () => allSeeAlive(c.nodes, names), 10_000), -1);
  const leaver = c.nodes[1]!;
  const events: string[] = [];
  c.nodes[0]!.on('leave', (m) => events.push(`leave:${m.name}`));
  c.nodes[0]!.on('dead', (m) => events.push(`dead:${m.name}`));
  const p = leaver.leave();
  await advance(c.clock, 1000);
  await p;
  await leaver.shutdown();
  const others = c.nodes.filter((m) => m !== leaver);
  const took = await advanceUntil(c.clock, () => others.every((m) => m.member(leaver.name)?.state === NodeState.Left), 2000);
  assert.notEqual(took, -1);
  await advance(c.clock, 5000);
  assert.deepEqual(events, [`leave:${leaver.name}`]);
  await c.shutdownAll();
});

test('Memberlist: 20% packet loss causes no false deaths (Lifeguard suspicion, UDP only)', async () => {
  // TCP fallback pings off: every failed UDP probe turns into a suspicion that must be refuted in time
  const c = await simCluster(8, { seed: 99, config: { disableTcpPings: true } });
  const names = c.nodes.map((m) => m.name);
  assert.notEqual(await advanceUntil(c.clock, () => allSeeAlive(c.nodes, names), 10_000), -1);
  const deaths: string[] = [];
  let suspicions = 0;
  for (const m of c.nodes) {
    m.on('dead', (x) => deaths.push(`${m.name} saw ${x.name} dead`));
    m.on('suspect', () => { suspicions++; });
  }
  c.net.packetLoss = 0.2;
  // 60 simulated seconds = 300 probe rounds per member
  await advance(c.clock, 60_000, 20);
  c.net.packetLoss = 0;
  await advance(c.clock, 3000);
  assert.deepEqual(deaths, []);
  assert.ok(suspicions > 20, `only ${suspicions} suspicions: the loss did not exercise refutation`);
  assert.ok(c.nodes.reduce((a, m) => a + m.stats.refutations, 0) > 20);
  assert.ok(allSeeAlive(c.nodes, names));
  assert.ok(c.net.stats.lost > 1000, 'loss was not applied');
  await c.shutdownAll();
});

test('Memberlist drops malformed packets, counts them, and keeps working', async () => {
  const c = await simCluster(3);
  const names = c.nodes.map((m) => m.name);
  assert.notEqual(await advanceUntil(c.clock, () => allSeeAlive(c.nodes, names), 10_000), -1);
  const evil = c.net.createTransport();
  await evil.start({ onPacket: () => {}, onRequest: async () => new Uint8Array() });
  const target = c.nodes[1]!;
  const bad: (string | Uint8Array)[] = [
    new Uint8Array([0xff, 0xfe, 0x00, 0x13]),
    'not json',
    '[]',
    'null',
    '{"v":1,"f":"x","m":[{"t":"alive","node":"a","addr":"nope","inc":1,"meta":{}}]}',
    '{"v":1,"f":"x","m":[{"t":"suspect","node":"node-0","inc":-1,"from":"x"}]}',
    '{"v":1,"f":"x","m":[{"t":"ping","seq":"1","node":"node-1"}]}',
    '{"v":2,"f":"x","m":[]}',
    '{"v":1,"f":"x","m":[{"t":"alive","node":"a","addr":"h:1","inc":1,"meta":{"x":{"nested":1}}}]}',
    `{"v":1,"f":"x","m":${JSON.stringify(new Array(600).fill({ t: 'ack', seq: 1 }))}}`,
  ];
  for (const b of bad) evil.sendPacket(target.addr, typeof b === 'string' ? new TextEncoder().encode(b) : b);
  // Malformed stream requests are refused without harm too
  const reply = evil.request(target.addr, new TextEncoder().encode('{"v":1,"t":"push-pull"}'), 1000).then(() => 'answered', () => 'refused');
  await advance(c.clock, 100);
  assert.equal(await reply, 'refused');
  assert.equal(target.stats.malformedStreams, 1);
  assert.equal(target.stats.malformedPackets, bad.length);
  assert.ok(!target.members().some((m) => m.name === 'a'));
  assert.equal(target.member('node-0')?.state, NodeState.Alive);
  const probes = target.stats.probes;
  await advance(c.clock, 3000);
  assert.ok(target.stats.probes > probes);
  assert.ok(allSeeAlive(c.nodes, names));
  await evil.close();
  await c.shutdownAll();
});

test('Memberlist.setMeta() rejects metadata above maxMetaBytes instead of dropping it', async () => {
  const c = await simCluster(1);
  const m = c.nodes[0]!;
  assert.throws(() => m.setMeta({ blob: 'x'.repeat(600) }), RangeError);
  assert.throws(() => m.setMeta({ nested: {} as unknown as string }), TypeError);
  m.setMeta({ zone: 'a' });
  assert.equal(m.meta['zone'], 'a');
  await c.shutdownAll();
});

test('Memberlist: a member declared dead that comes back with the same name is re-admitted', async () => {
  const c = await simCluster(4);
  const names = c.nodes.map((m) => m.name);
  assert.notEqual(await advanceUntil(c.clock, () => allSeeAlive(c.nodes, names), 10_000), -1);
  const victim = c.nodes[2]!;
  c.net.isolate(victim.addr);
  const others = c.nodes.filter((m) => m !== victim);
  assert.notEqual(await advanceUntil(c.clock, () => others.every((m) => m.member(victim.name)?.state === NodeState.Dead), 30_000), -1);
  c.net.isolate(victim.addr, false);
  // It learns of its death through gossip-to-the-dead or push-pull, refutes, and everyone sees it alive again
  const took = await advanceUntil(c.clock, () => allSeeAlive(c.nodes, names), 20_000);
  assert.notEqual(took, -1, 'member not re-admitted');
  await c.shutdownAll();
});

test('Memberlist with TCP fallback pings sees no suspicion at all under 20% UDP loss', async () => {
  const c = await simCluster(6, { seed: 5 });
  const names = c.nodes.map((m) => m.name);
  assert.notEqual(await advanceUntil(c.clock, () => allSeeAlive(c.nodes, names), 10_000), -1);
  let suspicions = 0;
  for (const m of c.nodes) m.on('suspect', () => { suspicions++; });
  c.net.packetLoss = 0.2;
  await advance(c.clock, 20_000, 20);
  assert.equal(suspicions, 0);
  await c.shutdownAll();
});
