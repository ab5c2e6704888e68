import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from '../clock.ts';
import { GossipKV } from '../kv.ts';
import { InstanceState } from './instance-state.ts';
import { Lifecycler } from './lifecycler.ts';
import { Ring } from './ring.ts';
import { type InstanceDesc, RingDesc, ringDescCodec } from './ring-desc.ts';

const START = 1_700_000_000_000;

function setup(): { clock: FakeClock; kv: GossipKV } {
  return { clock: new FakeClock(START), kv: new GossipKV({ codecs: { ring: ringDescCodec } }) };
}

function ringOf(kv: GossipKV): RingDesc {
  return kv.get<RingDesc>('ring') ?? RingDesc.empty();
}

async function flush(): Promise<void> {
  await new Promise<void>((r) => setImmediate(r));
}

test('Lifecycler.start() goes PENDING → JOINING → ACTIVE after the observe period, with 128 tokens', async () => {
  const { clock, kv } = setup();
  const lc = new Lifecycler({ id: 'ing-1', addr: '10.0.0.1:9095', zone: 'a', observePeriodMs: 1000 }, { kv, clock });
  const states: string[] = [];
  lc.on('state', (s) => states.push(s));
  const started = lc.start();
  assert.deepEqual(states, [InstanceState.JOINING], 'PENDING is the initial state, JOINING follows at once');
  assert.equal(ringOf(kv).get('ing-1')!.state, InstanceState.JOINING);
  clock.tick(999);
  await flush();
  assert.equal(lc.state, InstanceState.JOINING);
  clock.tick(1);
  await started;
  assert.equal(lc.state, InstanceState.ACTIVE);
  const e = ringOf(kv).get('ing-1')!;
  assert.equal(e.state, InstanceState.ACTIVE);
  assert.equal(e.tokens.length, 128);
  assert.equal(e.zone, 'a');
  assert.equal(e.addr, '10.0.0.1:9095');
  await lc.stop();
});

test('Lifecycler heartbeats every period and stop() goes LEAVING (during beforeLeave) then LEFT without tokens', async () => {
  const { clock, kv } = setup();
  const lc = new Lifecycler({ id: 'ing-1', addr: 'a:1', observePeriodMs: 0, heartbeatPeriodMs: 500 }, { kv, clock });
  await lc.start();
  const hb0 = ringOf(kv).get('ing-1')!.heartbeatMs;
  clock.tick(1200);
  assert.equal(ringOf(kv).get('ing-1')!.heartbeatMs, hb0 + 1000);
  let during: string | undefined;
  await lc.stop({ beforeLeave: async () => { during = ringOf(kv).get('ing-1')!.state; } });
  assert.equal(during, InstanceState.LEAVING);
  const e = ringOf(kv).get('ing-1')!;
  assert.equal(e.state, InstanceState.LEFT);
  assert.equal(e.tokens.length, 0);
  const hb = e.heartbeatMs;
  clock.tick(5000);
  assert.equal(ringOf(kv).get('ing-1')!.heartbeatMs, hb, 'no heartbeat after stop');
});

test('Lifecycler restarting with the same id takes back its tokens and goes ACTIVE at once', async () => {
  const { clock, kv } = setup();
  const first = new Lifecycler({ id: 'ing-1', addr: 'a:1', observePeriodMs: 0 }, { kv, clock });
  await first.start();
  const tokens = first.tokens;
  // Crash: the entry stays ACTIVE in the ring; a new process with the same id starts
  const second = new Lifecycler({ id: 'ing-1', addr: 'a:1', observePeriodMs: 5000 }, { kv, clock });
  const states: string[] = [];
  second.on('state', (s) => states.push(s));
  await second.start();
  assert.deepEqual(states, [InstanceState.ACTIVE]);
  assert.deepEqual(second.tokens, tokens);
  await second.stop();
  await first.stop();
});

test('Lifecycler replaces tokens that an earlier-registered instance also claimed', async () => {
  const { clock, kv } = setup();
  const lc = new Lifecycler({ id: 'ing-new', addr: 'a:1', observePeriodMs: 1000 }, { kv, clock });
  const started = lc.start();
  const mine = lc.tokens;
  // Another instance that registered earlier shows up (via gossip) with half of the same tokens
  const clash = Uint32Array.from(mine.filter((_, i) => i % 2 === 0));
  kv.cas<RingDesc>('ring', (d) => d!.withInstance(desc('ing-old', clash, { registeredMs: START - 10_000 })));
  clock.tick(1000);
  await started;
  const now = lc.tokens;
  assert.equal(now.length, 128);
  const theirs = new Set(clash);
  assert.ok(!now.some((t) => theirs.has(t)), 'conflicting tokens kept');
  assert.deepEqual(ringOf(kv).get('ing-new')!.tokens, now);
  await lc.stop();
});

test('Lifecycler auto-forgets instances silent for longer than forgetAfterMs but keeps at least RF live instances', async () => {
  const { clock, kv } = setup();
  const lc = new Lifecycler({ id: 'me', addr: 'a:1', observePeriodMs: 0, heartbeatPeriodMs: 1000, forgetAfterMs: 60_000, replicationFactor: 3 }, { kv, clock });
  await lc.start();
  // Four crashed instances with stale heartbeats of different ages
  kv.cas<RingDesc>('ring', (d) => {
    let out = d!;
    for (let i = 0; i < 4; i++) out = out.withInstance(desc(`dead-${i}`, Uint32Array.of(10 + i), { heartbeatMs: START - 1000 * (4 - i) }));
    return out;
  });
  const forgot: string[] = [];
  lc.on('forgot', (id) => forgot.push(id));
  clock.tick(50_000);
  assert.deepEqual(forgot, [], 'nothing is forgotten before forgetAfterMs');
  clock.tick(20_000);
  // 5 live instances, RF 3: only the two oldest can go
  assert.deepEqual(forgot, ['dead-0', 'dead-1']);
  const r = ringOf(kv);
  assert.equal(r.get('dead-0')!.state, InstanceState.LEFT);
  assert.equal(r.live().length, 3);
  clock.tick(600_000);
  assert.equal(ringOf(kv).live().length, 3, 'auto-forget never goes below RF');
  // The operator can still forget below RF
  lc.forget('dead-2');
  assert.equal(ringOf(kv).live().length, 2);
  assert.throws(() => lc.forget('nobody'), { code: 'RING_INSTANCE_NOT_FOUND' });
  await lc.stop();
});

test('Lifecycler drops tombstones after tombstoneTtlMs; a forgotten live instance re-registers on its next heartbeat', async () => {
  const { clock, kv } = setup();
  const lc = new Lifecycler({ id: 'me', addr: 'a:1', observePeriodMs: 0, heartbeatPeriodMs: 1000, tombstoneTtlMs: 10_000 }, { kv, clock });
  await lc.start();
  kv.cas<RingDesc>('ring', (d) => d!.withInstance(desc('gone', new Uint32Array(0), { state: InstanceState.LEFT, updatedMs: START })));
  lc.forget('me');
  assert.equal(ringOf(kv).get('me')!.state, InstanceState.LEFT);
  clock.tick(1000);
  assert.equal(ringOf(kv).get('me')!.state, InstanceState.ACTIVE);
  assert.equal(ringOf(kv).get('me')!.tokens.length, 128);
  clock.tick(11_000);
  assert.equal(ringOf(kv).get('gone'), undefined);
  await lc.stop();
});

test('Ring follows the KV: lifecyclers joining one by one see balanced ownership', async () => {
  const { clock, kv } = setup();
  const ring = new Ring({ replicationFactor: 3 }, { kv, clock });
  await ring.start();
  const lcs: Lifecycler[] = [];
  for (let i = 0; i < 5; i++) {
    const lc = new Lifecycler({ id: `ing-${i}`, addr: `10.0.0.${i}:9095`, observePeriodMs: 0 }, { kv, clock });
    await lc.start();
    lcs.push(lc);
  }
  const list = ring.instances();
  assert.equal(list.length, 5);
  for (const i of list) {
    assert.equal(i.state, InstanceState.ACTIVE);
    assert.ok(i.healthy);
    assert.ok(Math.abs(i.ownership - 0.2) <= 0.02, `${i.id} owns ${i.ownership}`);
  }
  assert.equal(ring.get(12345, 'write').instances.length, 3);
  for (const lc of lcs) await lc.stop();
  assert.equal(ring.instances().length, 0);
  await ring.stop();
});

function desc(id: string, tokens: Uint32Array, opts: Partial<InstanceDesc> = {}): InstanceDesc {
  return { id, addr: `${id}:9095`, zone: '', state: InstanceState.ACTIVE, tokens, heartbeatMs: START, registeredMs: START, updatedMs: START, ...opts };
}
