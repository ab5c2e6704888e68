import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { test } from 'node:test';
import { GossipKV } from './kv.ts';
import { Memberlist } from './memberlist.ts';
import { NodeState } from './node-state.ts';
import { Lifecycler } from './ring/lifecycler.ts';
import { Ring } from './ring/ring.ts';
import { type RingDesc, ringDescCodec } from './ring/ring-desc.ts';
import { UdpTransport } from './udp-transport.ts';

/** Polls cond every 20 ms for up to maxMs of wall time. */
async function waitFor(cond: () => boolean, maxMs: number): Promise<boolean> {
  const end = Date.now() + maxMs;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return cond();
}

interface RealNode {
  ml: Memberlist;
  kv: GossipKV;
  lc: Lifecycler;
  ring: Ring;
}

async function startNode(name: string): Promise<RealNode> {
  const ml = new Memberlist({ name, meta: { role: 'ingester', zone: 'z1' } }, { transport: new UdpTransport({ host: '127.0.0.1', port: 0 }) });
  const kv = new GossipKV({ codecs: { ring: ringDescCodec }, memberlist: ml });
  await ml.start();
  const lc = new Lifecycler({ id: name, addr: `127.0.0.1:${9000 + Number(name.slice(-1))}`, observePeriodMs: 0, heartbeatPeriodMs: 200 }, { kv });
  const ring = new Ring({ replicationFactor: 3 }, { kv });
  await ring.start();
  return { ml, kv, lc, ring };
}

test('Memberlist over real UDP/TCP on 127.0.0.1: 4 members join through one seed and converge on members and ring', async () => {
  const nodes: RealNode[] = [];
  for (let i = 0; i < 4; i++) nodes.push(await startNode(`real-${i}`));
  try {
    const seed = nodes[0]!.ml.addr;
    assert.match(seed, /^127\.0\.0\.1:\d+$/);
    for (const n of nodes.slice(1)) assert.equal(await n.ml.join([seed]), 1);
    for (const n of nodes) await n.lc.start();
    const names = nodes.map((n) => n.ml.name).sort().join(',');
    const converged = await waitFor(() => {
      if (!nodes.every((n) => n.ml.aliveMembers().map((m) => m.name).sort().join(',') === names)) return false;
      const first = nodes[0]!.kv.get<RingDesc>('ring');
      return first !== undefined && first.live().length === 4 && nodes.every((n) => n.kv.get<RingDesc>('ring')?.live().length === 4);
    }, 10_000);
    assert.ok(converged, 'members or ring did not converge within 10 s');
    // Same instances, tokens and states everywhere (heartbeat times may differ by one period)
    const view = (n: RealNode): string => n.ring.instances().map((i) => `${i.id}/${i.state}/${i.tokens.join(',')}`).join(';');
    assert.ok(await waitFor(() => nodes.every((n) => view(n) === view(nodes[0]!)), 5000));
    for (const n of nodes) assert.equal(n.ring.get(0xdeadbeef, 'write').instances.length, 3);
    assert.equal(nodes[1]!.ml.member('real-0')?.meta['role'], 'ingester');

    // A member that stops without leaving is declared dead by the others
    const victim = nodes.pop()!;
    await victim.lc.stop();
    await victim.ring.stop();
    await victim.ml.shutdown();
    assert.ok(await waitFor(() => nodes.every((n) => n.ml.member('real-3')?.state === NodeState.Dead), 15_000), 'stopped member not declared dead');
  } finally {
    for (const n of nodes) {
      await n.lc.stop();
      await n.ring.stop();
      await n.ml.leave(200);
      await n.ml.shutdown();
    }
  }
});

test('UdpTransport.start() reports a port in use as GOSSIP_BIND_FAILED instead of crashing', async () => {
  const a = new UdpTransport({ host: '127.0.0.1', port: 0 });
  const addr = await a.start({ onPacket: () => {}, onRequest: async () => new Uint8Array() });
  const port = Number(addr.split(':')[1]);
  const b = new UdpTransport({ host: '127.0.0.1', port });
  await assert.rejects(b.start({ onPacket: () => {}, onRequest: async () => new Uint8Array() }), { code: 'GOSSIP_BIND_FAILED' });
  await b.close();
  await a.close();
});

test('Memberlist over UDP survives malformed datagrams and TCP frames', async () => {
  const ml = new Memberlist({ name: 'target' }, { transport: new UdpTransport({ host: '127.0.0.1', port: 0 }) });
  await ml.start();
  const [host, portStr] = ml.addr.split(':');
  const port = Number(portStr);
  const sock = dgram.createSocket('udp4');
  const junk = [Buffer.from([0, 1, 2, 3]), Buffer.from('{"v":1,"f":"x","m":[{"t":"alive"}]}'), Buffer.alloc(2000, 0x7b)];
  for (const j of junk) await new Promise<void>((r) => sock.send(j, port, host, () => r()));
  sock.close();
  const net = await import('node:net');
  await new Promise<void>((resolve) => {
    const c = net.connect({ host, port }, () => {
      const b = Buffer.alloc(4 + 5);
      b.writeUInt32BE(5, 0);
      b.write('hello', 4);
      c.write(b);
    });
    c.on('close', () => resolve());
    c.on('error', () => resolve());
  });
  assert.ok(await waitFor(() => ml.stats.malformedPackets === junk.length && ml.stats.malformedStreams === 1, 2000));
  await ml.shutdown();
});
