/**
 * Group commit: append() calls that arrive while a LevelDB write is in flight are queued and written together as one
 * atomic batch when it completes. Under load this turns N small writes (and, with fsync, N fsyncs) into one, without
 * any timer: an idle WAL writes a lone append at the next microtask, so latency only grows with contention.
 */
import { WalError } from './errors.ts';
import type { BatchOp } from './store.ts';

export interface PendingWrite {
  /** Operations of this append, in order: its frame put (if any records) then its state puts/dels. */
  ops: BatchOp[];
  /** Seq of the append's last record (for state-only writes: the last seq assigned before it). */
  lastSeq: number;
  bytes: number;
  resolve: (seq: number) => void;
  reject: (err: unknown) => void;
}

export interface GroupCommitOptions {
  write: (ops: BatchOp[]) => Promise<void>;
  /** Called with the highest seq of a group once LevelDB has acknowledged it, before any waiter resolves. */
  onCommitted: (lastSeq: number, bytes: number, appends: number) => void;
  maxAppends: number;
  maxBytes: number;
}

export class GroupCommitter {
  readonly #opts: GroupCommitOptions;
  #queue: PendingWrite[] = [];
  #writing = false;
  #scheduled = false;
  #idleWaiters: (() => void)[] = [];

  constructor(opts: GroupCommitOptions) {
    this.#opts = opts;
  }

  get pending(): number {
    return this.#queue.length;
  }

  enqueue(w: PendingWrite): void {
    this.#queue.push(w);
    if (!this.#writing && !this.#scheduled) {
      // A microtask, not an immediate write: appends issued in the same tick (Promise.all of many) share one batch.
      this.#scheduled = true;
      queueMicrotask(() => {
        this.#scheduled = false;
        void this.#flush();
      });
    }
  }

  /** Resolves once every queued write has been attempted. */
  drain(): Promise<void> {
    if (!this.#writing && !this.#scheduled && this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  async #flush(): Promise<void> {
    if (this.#writing) return;
    this.#writing = true;
    while (this.#queue.length > 0) {
      const group = this.#takeGroup();
      let ops: BatchOp[];
      if (group.length === 1) ops = group[0]!.ops;
      else {
        ops = [];
        for (const w of group) for (const op of w.ops) ops.push(op);
      }
      try {
        await this.#opts.write(ops);
      } catch (cause) {
        const err = new WalError(
          'WAL_WRITE_FAILED',
          `Cannot write WAL batch: ${group.length} appends up to seq ${group[group.length - 1]!.lastSeq} are not durable`,
          { cause },
        );
        for (const w of group) w.reject(err);
        continue;
      }
      let bytes = 0;
      for (const w of group) bytes += w.bytes;
      this.#opts.onCommitted(group[group.length - 1]!.lastSeq, bytes, group.length);
      for (const w of group) w.resolve(w.lastSeq);
    }
    this.#writing = false;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  #takeGroup(): PendingWrite[] {
    const q = this.#queue;
    let n = 0;
    let bytes = 0;
    // Always take at least one write, even one larger than maxBytes.
    while (n < q.length && n < this.#opts.maxAppends && (n === 0 || bytes + q[n]!.bytes <= this.#opts.maxBytes)) {
      bytes += q[n]!.bytes;
      n++;
    }
    if (n === q.length) {
      this.#queue = [];
      return q;
    }
    return q.splice(0, n);
  }
}
