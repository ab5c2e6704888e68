import type { MergeableCodec } from '../kv.ts';
import { InstanceState, isInstanceState } from './instance-state.ts';

/** One ingester in the ring. Immutable: every change builds a new object. */
export interface InstanceDesc {
  readonly id: string;
  /** Address clients use to reach the instance (its API, not its gossip port). */
  readonly addr: string;
  /** Availability zone; '' when zones are not used. */
  readonly zone: string;
  readonly state: InstanceState;
  /** Sorted, distinct positions on the 32-bit ring. Empty for PENDING and LEFT. */
  readonly tokens: Uint32Array;
  /** Last heartbeat written by the instance itself, in ms. */
  readonly heartbeatMs: number;
  /** When the instance first registered, in ms. */
  readonly registeredMs: number;
  /** Last-writer-wins timestamp of this entry, in ms; every writer makes it strictly larger than the entry it replaces. */
  readonly updatedMs: number;
}

/**
 * Total order used for last-writer-wins: the larger updatedMs wins, and on a tie the larger canonical form,
 * so every replica picks the same entry whatever the order it saw them in.
 */
export function compareInstances(a: InstanceDesc, b: InstanceDesc): number {
  if (a.updatedMs !== b.updatedMs) return a.updatedMs < b.updatedMs ? -1 : 1;
  const ca = canonical(a);
  const cb = canonical(b);
  return ca < cb ? -1 : ca > cb ? 1 : 0;
}

function canonical(i: InstanceDesc): string {
  return `${i.state}|${i.heartbeatMs}|${i.registeredMs}|${i.zone}|${i.addr}|${i.tokens.join(',')}`;
}

/**
 * The ring descriptor: instance id → entry, LEFT entries kept as tombstones so a departure or a forget
 * wins over older copies still gossiping around.
 *
 * merge() is a per-instance maximum under compareInstances, i.e. the join of a semilattice, so it is
 * idempotent (a ⊔ a = a), commutative (a ⊔ b = b ⊔ a) and associative ((a ⊔ b) ⊔ c = a ⊔ (b ⊔ c));
 * ring-desc.test.ts checks the three laws on random descriptors. Dropping old tombstones
 * (withoutTombstonesBefore) is a local clean-up outside these laws.
 */
export class RingDesc {
  readonly #instances: ReadonlyMap<string, InstanceDesc>;

  constructor(instances: Iterable<InstanceDesc> = []) {
    const m = new Map<string, InstanceDesc>();
    for (const i of instances) {
      const cur = m.get(i.id);
      if (cur === undefined || compareInstances(cur, i) < 0) m.set(i.id, i);
    }
    this.#instances = m;
  }

  static empty(): RingDesc {
    return new RingDesc();
  }

  /** Every entry, tombstones included. */
  get instances(): ReadonlyMap<string, InstanceDesc> {
    return this.#instances;
  }

  get(id: string): InstanceDesc | undefined {
    return this.#instances.get(id);
  }

  /** Entries that are not tombstones. */
  live(): InstanceDesc[] {
    return [...this.#instances.values()].filter((i) => i.state !== InstanceState.LEFT);
  }

  /** Pure merge; see the class comment for the laws. */
  merge(other: RingDesc): RingDesc {
    return this.mergeWithDelta(other).value;
  }

  /** Merge plus the entries of other that won (null when other brought nothing new). */
  mergeWithDelta(other: RingDesc): { value: RingDesc; delta: RingDesc | null } {
    const out = new Map(this.#instances);
    const won: InstanceDesc[] = [];
    for (const inc of other.#instances.values()) {
      const cur = out.get(inc.id);
      if (cur === undefined || compareInstances(cur, inc) < 0) {
        out.set(inc.id, inc);
        won.push(inc);
      }
    }
    if (won.length === 0) return { value: this, delta: null };
    return { value: new RingDesc(out.values()), delta: new RingDesc(won) };
  }

  /** Sets an entry, overriding whatever is there (the writer's own change, or an operator's). */
  withInstance(inst: InstanceDesc): RingDesc {
    const m = new Map(this.#instances);
    m.set(inst.id, inst);
    return new RingDesc(m.values());
  }

  /** Replaces an instance with a LEFT tombstone that beats its current entry; the instance re-registers if it is in fact alive. */
  forget(id: string, nowMs: number): RingDesc {
    const cur = this.#instances.get(id);
    if (cur === undefined) return this;
    return this.withInstance({
      ...cur,
      state: InstanceState.LEFT,
      tokens: new Uint32Array(0),
      updatedMs: Math.max(nowMs, cur.updatedMs + 1),
    });
  }

  /** Drops tombstones last updated before cutoffMs (local clean-up). */
  withoutTombstonesBefore(cutoffMs: number): RingDesc {
    let dropped = false;
    const kept: InstanceDesc[] = [];
    for (const i of this.#instances.values()) {
      if (i.state === InstanceState.LEFT && i.updatedMs < cutoffMs) dropped = true;
      else kept.push(i);
    }
    return dropped ? new RingDesc(kept) : this;
  }

  equals(other: RingDesc): boolean {
    if (this.#instances.size !== other.#instances.size) return false;
    for (const [id, a] of this.#instances) {
      const b = other.#instances.get(id);
      if (b === undefined || compareInstances(a, b) !== 0) return false;
    }
    return true;
  }
}

const MAX_ID = 256;
const MAX_INSTANCES = 100_000;

/** Wire form: {i:[{id,addr,zone,state,tok,hb,reg,upd}]} with tokens as base64 of big-endian uint32s (4 bytes each). */
export function encodeRingDesc(d: RingDesc): unknown {
  const list: unknown[] = [];
  for (const i of d.instances.values()) {
    list.push({ id: i.id, addr: i.addr, zone: i.zone, state: i.state, tok: encodeTokens(i.tokens), hb: i.heartbeatMs, reg: i.registeredMs, upd: i.updatedMs });
  }
  return { i: list };
}

export function decodeRingDesc(wire: unknown): RingDesc {
  if (typeof wire !== 'object' || wire === null) throw new TypeError('Invalid ring descriptor: not an object');
  const list = (wire as { i?: unknown }).i;
  if (!Array.isArray(list) || list.length > MAX_INSTANCES) throw new TypeError('Invalid ring descriptor: "i" is not a bounded array');
  const out: InstanceDesc[] = [];
  for (const x of list) {
    if (typeof x !== 'object' || x === null) throw new TypeError('Invalid ring instance: not an object');
    const o = x as Record<string, unknown>;
    const { id, addr, zone, state, tok, hb, reg, upd } = o;
    if (typeof id !== 'string' || id.length === 0 || id.length > MAX_ID) throw new TypeError(`Invalid ring instance id: "${String(id)}"`);
    if (typeof addr !== 'string' || addr.length > 300) throw new TypeError(`Invalid ring instance address: instance "${id}"`);
    if (typeof zone !== 'string' || zone.length > MAX_ID) throw new TypeError(`Invalid ring instance zone: instance "${id}"`);
    if (!isInstanceState(state)) throw new TypeError(`Invalid ring instance state: instance "${id}", state "${String(state)}"`);
    if (typeof tok !== 'string') throw new TypeError(`Invalid ring instance tokens: instance "${id}"`);
    for (const [k, v] of [['hb', hb], ['reg', reg], ['upd', upd]] as const) {
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new TypeError(`Invalid ring instance field "${k}": instance "${id}"`);
    }
    out.push({ id, addr, zone, state, tokens: decodeTokens(tok, id), heartbeatMs: hb as number, registeredMs: reg as number, updatedMs: upd as number });
  }
  return new RingDesc(out);
}

function encodeTokens(t: Uint32Array): string {
  const b = Buffer.allocUnsafe(t.length * 4);
  for (let i = 0; i < t.length; i++) b.writeUInt32BE(t[i]!, i * 4);
  return b.toString('base64');
}

function decodeTokens(s: string, id: string): Uint32Array {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s)) throw new TypeError(`Invalid ring instance tokens: instance "${id}" is not base64`);
  const b = Buffer.from(s, 'base64');
  if (b.length % 4 !== 0) throw new TypeError(`Invalid ring instance tokens: instance "${id}" has ${b.length} bytes`);
  const t = new Uint32Array(b.length / 4);
  for (let i = 0; i < t.length; i++) {
    t[i] = b.readUInt32BE(i * 4);
    // Tokens must be strictly increasing: ring lookups binary-search them
    if (i > 0 && t[i]! <= t[i - 1]!) throw new TypeError(`Invalid ring instance tokens: instance "${id}" tokens are not sorted and distinct`);
  }
  return t;
}

/** The KV codec of the ring key. */
export const ringDescCodec: MergeableCodec<RingDesc> = {
  merge(local, incoming) {
    if (local === undefined) return { value: incoming, delta: incoming.instances.size > 0 ? incoming : null };
    return local.mergeWithDelta(incoming);
  },
  encode: encodeRingDesc,
  decode: decodeRingDesc,
  invalidationKey(delta) {
    // A delta about a single instance (a heartbeat, a state change) supersedes older pending ones about it
    return delta.instances.size === 1 ? [...delta.instances.keys()][0] : undefined;
  },
};
