import type { Memberlist, MemberlistDelegate } from './memberlist.ts';

/**
 * A value type the gossip KV can replicate. merge must obey the join-semilattice laws, so replicas that
 * saw the same updates in any order, any number of times, hold the same value (dskit's Mergeable):
 *   idempotent   merge(a, a) = a
 *   commutative  merge(a, b) = merge(b, a)
 *   associative  merge(merge(a, b), c) = merge(a, merge(b, c))
 */
export interface MergeableCodec<T> {
  /** Pure merge of an incoming value into the local one; delta is the part of incoming that changed local, or null. */
  merge(local: T | undefined, incoming: T): { value: T; delta: T | null };
  /** JSON-able form for the wire. */
  encode(value: T): unknown;
  /** Inverse of encode; throws TypeError on anything malformed. */
  decode(wire: unknown): T;
  /** Optional: a newer broadcast with the same key replaces an older pending one (e.g. one instance's heartbeats). */
  invalidationKey?(delta: T): string | undefined;
}

export interface GossipKVStats {
  updatesReceived: number;
  updatesRejected: number;
  broadcasts: number;
}

type Watcher = (value: unknown) => void;

/**
 * Small replicated key → Mergeable value store over memberlist (dskit's memberlist KV):
 * local changes go out as delta broadcasts, the full state goes in every push-pull, and watchers
 * hear about every change. Without a memberlist it is a plain in-memory KV (single node, tests).
 */
export class GossipKV implements MemberlistDelegate {
  readonly #codecs: ReadonlyMap<string, MergeableCodec<unknown>>;
  readonly #values = new Map<string, unknown>();
  readonly #watchers = new Map<string, Set<Watcher>>();
  #memberlist: Memberlist | undefined;
  readonly stats: GossipKVStats = { updatesReceived: 0, updatesRejected: 0, broadcasts: 0 };

  /** codecs: the keys this store replicates and the value type of each; other keys are rejected. */
  constructor(opts: { codecs: Record<string, MergeableCodec<any>>; memberlist?: Memberlist }) {
    this.#codecs = new Map(Object.entries(opts.codecs));
    if (opts.memberlist !== undefined) this.attach(opts.memberlist);
  }

  /** Connects the store to a memberlist (before memberlist.start()). */
  attach(memberlist: Memberlist): void {
    this.#memberlist = memberlist;
    memberlist.setDelegate(this);
  }

  get<T>(key: string): T | undefined {
    this.#codec(key);
    return this.#values.get(key) as T | undefined;
  }

  /**
   * Local compare-and-set: fn gets the current value and returns the new one, or null to change nothing.
   * The returned value replaces the local one (so local removals, such as dropping old tombstones, stick);
   * what is newer in it than the old value is broadcast. Returns true when the value changed.
   */
  cas<T>(key: string, fn: (current: T | undefined) => T | null): boolean {
    const codec = this.#codec(key) as MergeableCodec<T>;
    const cur = this.#values.get(key) as T | undefined;
    const next = fn(cur);
    if (next === null) return false;
    const { delta } = codec.merge(cur, next);
    this.#values.set(key, next);
    if (delta !== null) this.#broadcast(key, codec, delta);
    this.#notify(key, next);
    return true;
  }

  /** Calls fn with the new value after every change of key; returns an unsubscribe function. */
  watchKey<T>(key: string, fn: (value: T) => void): () => void {
    this.#codec(key);
    let set = this.#watchers.get(key);
    if (set === undefined) {
      set = new Set();
      this.#watchers.set(key, set);
    }
    set.add(fn as Watcher);
    return () => { set.delete(fn as Watcher); };
  }

  keys(): string[] {
    return [...this.#values.keys()];
  }

  // ------------------------------------------------------ MemberlistDelegate

  /** A delta from another member: merge it and pass on what was news to us (infection-style). */
  notifyUser(payload: unknown): void {
    this.stats.updatesReceived++;
    if (typeof payload !== 'object' || payload === null) {
      this.stats.updatesRejected++;
      return;
    }
    const { k, v } = payload as { k?: unknown; v?: unknown };
    if (typeof k !== 'string') {
      this.stats.updatesRejected++;
      return;
    }
    const delta = this.#mergeWire(k, v);
    const codec = this.#codecs.get(k);
    if (delta !== null && codec !== undefined) this.#broadcast(k, codec, delta);
  }

  localState(_join: boolean): unknown {
    const out: Record<string, unknown> = {};
    for (const [k, v] of this.#values) out[k] = this.#codecs.get(k)!.encode(v);
    return out;
  }

  mergeRemoteState(state: unknown, _join: boolean): void {
    if (typeof state !== 'object' || state === null || Array.isArray(state)) {
      this.stats.updatesRejected++;
      return;
    }
    for (const [k, v] of Object.entries(state as Record<string, unknown>)) this.#mergeWire(k, v);
  }

  // ------------------------------------------------------ internals

  #mergeWire(key: string, wire: unknown): unknown {
    const codec = this.#codecs.get(key);
    if (codec === undefined) {
      this.stats.updatesRejected++;
      return null;
    }
    let incoming: unknown;
    try {
      incoming = codec.decode(wire);
    } catch {
      this.stats.updatesRejected++;
      return null;
    }
    const { value, delta } = codec.merge(this.#values.get(key), incoming);
    if (delta === null) return null;
    this.#values.set(key, value);
    this.#notify(key, value);
    return delta;
  }

  #broadcast(key: string, codec: MergeableCodec<unknown>, delta: unknown): void {
    if (this.#memberlist === undefined) return;
    this.stats.broadcasts++;
    const inv = codec.invalidationKey?.(delta);
    this.#memberlist.broadcastUser({ k: key, v: codec.encode(delta) }, inv === undefined ? undefined : `${key}/${inv}`);
  }

  #notify(key: string, value: unknown): void {
    const set = this.#watchers.get(key);
    if (set === undefined) return;
    for (const fn of [...set]) {
      try {
        fn(value);
      } catch {
        // A failing watcher must not stop replication or other watchers
      }
    }
  }

  #codec(key: string): MergeableCodec<unknown> {
    const c = this.#codecs.get(key);
    if (c === undefined) throw new TypeError(`Unknown gossip KV key: "${key}"`);
    return c;
  }
}
