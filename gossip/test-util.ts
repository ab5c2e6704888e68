/**
 * Helpers for gossip tests: drive a fake clock while letting promise callbacks run, and build simulated
 * clusters on the in-memory network. Not used by production code.
 */
import { FakeClock } from './clock.ts';
import type { GossipConfig } from './config.ts';
import { Memberlist } from './memberlist.ts';
import { MemoryNetwork } from './memory-transport.ts';
import { type Random, seededRandom } from './random.ts';

/** Advances the fake clock by ms in steps, flushing microtasks and immediates between steps. */
export async function advance(clock: FakeClock, ms: number, stepMs = 10): Promise<void> {
  for (let t = 0; t < ms; t += stepMs) {
    clock.tick(Math.min(stepMs, ms - t));
    await new Promise<void>((r) => setImmediate(r));
  }
}

/** Advances until cond() holds or maxMs passed; returns the simulated ms it took, or -1. */
export async function advanceUntil(clock: FakeClock, cond: () => boolean, maxMs: number, stepMs = 10): Promise<number> {
  const start = clock.now();
  while (clock.now() - start <= maxMs) {
    if (cond()) return clock.now() - start;
    await advance(clock, stepMs, stepMs);
  }
  return cond() ? clock.now() - start : -1;
}

export interface SimCluster {
  clock: FakeClock;
  net: MemoryNetwork;
  random: Random;
  nodes: Memberlist[];
  /** Creates and starts one more member (not joined). */
  add(name: string, overrides?: Partial<GossipConfig>): Promise<Memberlist>;
  shutdownAll(): Promise<void>;
}

/** n started members named node-0 … node-(n-1) on one in-memory network, all joined through node-0. */
export async function simCluster(n: number, opts?: { seed?: number; config?: Partial<GossipConfig> }): Promise<SimCluster> {
  const clock = new FakeClock(1_700_000_000_000);
  const random = seededRandom(opts?.seed ?? 42);
  const net = new MemoryNetwork({ clock, random });
  const nodes: Memberlist[] = [];
  const add = async (name: string, overrides?: Partial<GossipConfig>): Promise<Memberlist> => {
    const m = new Memberlist({ name, ...opts?.config, ...overrides }, { transport: net.createTransport(), clock, random });
    await m.start();
    nodes.push(m);
    return m;
  };
  for (let i = 0; i < n; i++) await add(`node-${i}`);
  for (let i = 1; i < n; i++) {
    const p = nodes[i]!.join([nodes[0]!.addr]);
    await advance(clock, 20);
    await p;
  }
  return {
    clock, net, random, nodes, add,
    async shutdownAll() {
      await Promise.all(nodes.map((m) => m.shutdown()));
    },
  };
}

/** Whether every member in nodes sees exactly the names in expected as alive. */
export function allSeeAlive(nodes: readonly Memberlist[], expected: readonly string[]): boolean {
  const want = [...expected].sort().join(',');
  return nodes.every((m) => m.aliveMembers().map((x) => x.name).sort().join(',') === want);
}
