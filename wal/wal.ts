/**
 * Wal: a generic write-ahead log of typed records over LevelDB (classic-level), with group commit, checkpoints and a
 * side keyspace for the caller's persistent state. Layout and protocols: FORMAT.md.
 *
 * @example
 * const wal = new Wal({ dir: '/data/wal' });
 * await wal.open();
 * await wal.replay((rec, { seq, fromCheckpoint }) => apply(rec));
 * const seq = await wal.append([{ type: 1, data: encoded }]);
 * await wal.checkpoint(headSnapshotRecords(), seq);
 * await wal.close();
 */
import { isWalError, WAL_ERROR_STATUS, WalCorruptionError, WalError, type WalErrorCode } from './errors.ts';
import { writeCheckpoint } from './checkpoint.ts';
import { encodeFrame, frameSize, validateRecord, type WalRecord } from './frame.ts';
import { GroupCommitter } from './group-commit.ts';
import {
  CHECKPOINT_KEY_LENGTH,
  checkpointKeyGeneration,
  checkpointRange,
  keyspaceEnd,
  keyspaceStart,
  META_CHECKPOINT_KEY,
  META_FLOOR_KEY,
  META_VERSION_KEY,
  PREFIX_CHECKPOINT,
  PREFIX_RECORD,
  recordKey,
  recordKeyCount,
  recordKeyFloor,
  recordKeyLastSeq,
  stateKey,
  stateRange,
} from './keys.ts';
import { decodeFloor, decodeMarker, encodeFloor, FORMAT_VERSION, type CheckpointMarker } from './meta.ts';
import { replayCheckpoint, replayRecords, type ReplayCallback, type ReplayResult } from './replay.ts';
import { createDiskStore, deleteRange, VIEW, writeBatch, type BatchOp, type WalDb } from './store.ts';

export type { WalRecord } from './frame.ts';
export type { ReplayInfo, ReplayCallback, ReplayResult } from './replay.ts';
export type { WalDb } from './store.ts';

export interface WalConfig {
  /** LevelDB directory (created if missing). With `db` set, only used in messages. */
  dir: string;
  /**
   * 'process': a write survives a process crash (LevelDB writes its log without fsync; data reaches the OS page cache).
   * 'group': every group-committed batch, checkpoint marker and truncation floor is fsynced, to survive power loss.
   * @default 'process'
   */
  fsync?: 'process' | 'group';
  /**
   * Most append()/appendWithState() calls group-committed into one LevelDB batch.
   * @default 256
   */
  maxBatchAppends?: number;
  /**
   * A group stops growing before its encoded frames exceed this many bytes (an append larger than this is written alone).
   * Bounds the size of one LevelDB batch, which LevelDB copies into its log and memtable.
   * @default 8388608 (8 MiB)
   */
  maxBatchBytes?: number;
  /**
   * Checkpoint records are packed into frames of about this many bytes, one LevelDB write each: the memory a checkpoint holds.
   * @default 4194304 (4 MiB)
   */
  checkpointBatchBytes?: number;
  /**
   * Keys deleted per LevelDB batch by truncate() and checkpoint().
   * @default 10000
   */
  deleteBatchKeys?: number;
  /** An abstract-level database to use instead of classic-level on `dir` (tests: memory-level). The Wal opens and closes it. */
  db?: WalDb;
  /** Called with each warning as it happens (they are also kept in `Wal.warnings`). */
  onWarning?: (message: string) => void;
}

export interface StateChanges {
  put?: [Uint8Array | string, Uint8Array][];
  del?: (Uint8Array | string)[];
}

export interface WalStats {
  /** Seq of the first record replay would deliver from the WAL (not the checkpoint); 0 when there is none. */
  firstSeq: number;
  lastSeq: number;
  /** Seq the current checkpoint stands for; 0 without a checkpoint. */
  checkpointSeq: number;
  /**
   * Bytes of WAL and checkpoint data. classic-level: LevelDB's approximateSize over both keyspaces, which counts table
   * files only (the last few MB still in the memtable/log are missing). Other backends: frame bytes committed since open().
   */
  approximateBytes: number;
  /** lastSeq − firstSeq + 1: exact unless a failed write left a gap in the seqs. */
  records: number;
}

type Status = 'new' | 'opening' | 'open' | 'closing' | 'closed';

const NO_STATE_OPS: BatchOp[] = [];

export class Wal {
  readonly #config: Required<Omit<WalConfig, 'db' | 'onWarning'>> & Pick<WalConfig, 'db' | 'onWarning'>;
  #db: WalDb | undefined;
  #status: Status = 'new';
  #committer: GroupCommitter | undefined;
  /** Next seq to assign; seqs are assigned at append() time so the returned order is the call order. */
  #nextSeq = 1;
  /** Highest seq LevelDB has acknowledged. */
  #lastSeq = 0;
  #checkpoint: CheckpointMarker | undefined;
  /** Every seq <= floor was truncated. */
  #floor = 0;
  #nextGeneration = 1;
  /** Generations whose checkpoint failed in this process; their frames are deleted before the next checkpoint. */
  #abandonedGenerations: number[] = [];
  #committedBytes = 0;
  #batches = 0;
  #appends = 0;
  /** Serialises checkpoint() and truncate(); appends are never blocked by it. */
  #maintenance: Promise<unknown> = Promise.resolve();
  #warnings: string[] = [];

  constructor(config: WalConfig) {
    this.#config = {
      dir: config.dir,
      fsync: config.fsync ?? 'process',
      maxBatchAppends: config.maxBatchAppends ?? 256,
      maxBatchBytes: config.maxBatchBytes ?? 8 * 1024 * 1024,
      checkpointBatchBytes: config.checkpointBatchBytes ?? 4 * 1024 * 1024,
      deleteBatchKeys: config.deleteBatchKeys ?? 10_000,
      db: config.db,
      onWarning: config.onWarning,
    };
    if (this.#config.fsync !== 'process' && this.#config.fsync !== 'group') {
      throw new RangeError(`Invalid WAL fsync policy: '${String(this.#config.fsync)}' is not 'process' or 'group'`);
    }
  }

  /** Highest seq appended and acknowledged by LevelDB (0 when empty). Persisted across restarts. */
  get lastSeq(): number {
    return this.#lastSeq;
  }

  get status(): Status {
    return this.#status;
  }

  /** Seq the current checkpoint stands for (0 without one). */
  get checkpointSeq(): number {
    return this.#checkpoint?.seq ?? 0;
  }

  /** Group-commit counters since construction: LevelDB batches written, appends they held, frame bytes. For metrics. */
  get writeStats(): { batches: number; appends: number; bytes: number } {
    return { batches: this.#batches, appends: this.#appends, bytes: this.#committedBytes };
  }

  /** Warnings since construction, e.g. an incomplete checkpoint ignored at open(). */
  get warnings(): readonly string[] {
    return this.#warnings;
  }

  async open(): Promise<void> {
    if (this.#status === 'open' || this.#status === 'opening') throw new RangeError(`Cannot open WAL: it is already ${this.#status}: '${this.#config.dir}'`);
    if (this.#status === 'closing') throw new WalError('WAL_CLOSED', `Cannot open WAL: it is closing: '${this.#config.dir}'`);
    this.#status = 'opening';
    try {
      const db = this.#config.db ?? createDiskStore(this.#config.dir);
      this.#db = db;
      if (db.status !== 'open') await this.#openDb(db);
      await this.#recover(db);
    } catch (e) {
      this.#status = 'closed';
      if (this.#db && this.#db.status === 'open') await this.#db.close().catch(() => undefined);
      throw e;
    }
    this.#committer = new GroupCommitter({
      write: (ops) => writeBatch(this.#db!, ops, this.#config.fsync === 'group'),
      onCommitted: (lastSeq, bytes, appends) => {
        if (lastSeq > this.#lastSeq) this.#lastSeq = lastSeq;
        this.#committedBytes += bytes;
        this.#batches++;
        this.#appends += appends;
      },
      maxAppends: this.#config.maxBatchAppends,
      maxBytes: this.#config.maxBatchBytes,
    });
    this.#status = 'open';
  }

  async #openDb(db: WalDb): Promise<void> {
    try {
      await db.open();
    } catch (cause) {
      const text = `${(cause as Error)?.message ?? ''} ${String((cause as { cause?: Error })?.cause?.message ?? '')}`;
      if ((cause as { code?: string })?.code === 'LEVEL_LOCKED' || /lock/i.test(text)) {
        throw new WalError('WAL_LOCKED', `Cannot open WAL: directory is locked by another process or Wal: '${this.#config.dir}'`, { cause });
      }
      throw new WalError('WAL_OPEN_FAILED', `Cannot open WAL: '${this.#config.dir}'`, { cause });
    }
  }

  /** Reads the meta keys and the last record key, and drops checkpoint frames no marker points at. */
  async #recover(db: WalDb): Promise<void> {
    const version = (await db.get(META_VERSION_KEY, VIEW)) as Uint8Array | undefined;
    if (version === undefined) {
      await db.put(META_VERSION_KEY, Uint8Array.of(FORMAT_VERSION), VIEW);
    } else if (version.length !== 1 || version[0] !== FORMAT_VERSION) {
      throw new WalError('WAL_FORMAT_VERSION', `Cannot open WAL: unknown format version '${version[0]}' (this code reads '${FORMAT_VERSION}'): '${this.#config.dir}'`);
    }
    const markerValue = (await db.get(META_CHECKPOINT_KEY, VIEW)) as Uint8Array | undefined;
    this.#checkpoint = markerValue === undefined ? undefined : decodeMarker(META_CHECKPOINT_KEY, markerValue);
    const floorValue = (await db.get(META_FLOOR_KEY, VIEW)) as Uint8Array | undefined;
    this.#floor = floorValue === undefined ? 0 : decodeFloor(META_FLOOR_KEY, floorValue);

    let lastKeySeq = 0;
    const lastKeys = (await db.keys({ gte: keyspaceStart(PREFIX_RECORD), lt: keyspaceEnd(PREFIX_RECORD), reverse: true, limit: 1, keyEncoding: 'view' }).all()) as Uint8Array[];
    if (lastKeys.length > 0) lastKeySeq = recordKeyLastSeq(lastKeys[0]!);
    this.#lastSeq = Math.max(lastKeySeq, this.#checkpoint?.seq ?? 0, this.#floor);
    this.#nextSeq = this.#lastSeq + 1;

    // Checkpoint frames outside the marker's generation: a newer generation is an interrupted checkpoint (warn),
    // an older one is the superseded checkpoint whose deletion was interrupted (expected, silent).
    const current = this.#checkpoint?.generation ?? 0;
    let maxGeneration = current;
    const incomplete = new Set<number>();
    const onKey = (key: Uint8Array): void => {
      if (key.length !== CHECKPOINT_KEY_LENGTH) return;
      const g = checkpointKeyGeneration(key);
      if (g > maxGeneration) maxGeneration = g;
      if (g > current) incomplete.add(g);
    };
    const currentRange = checkpointRange(current);
    await deleteRange(db, { gte: keyspaceStart(PREFIX_CHECKPOINT), lt: currentRange.gte }, this.#config.deleteBatchKeys, onKey);
    await deleteRange(db, { gte: currentRange.lt, lt: keyspaceEnd(PREFIX_CHECKPOINT) }, this.#config.deleteBatchKeys, onKey);
    for (const g of incomplete) {
      this.#warn(`Ignored incomplete checkpoint: generation '${g}' has no completion marker, kept checkpoint generation '${current}' at seq ${this.checkpointSeq}: '${this.#config.dir}'`);
    }
    this.#nextGeneration = maxGeneration + 1;
  }

  /**
   * Closes the WAL: waits for queued appends to be written and for a running checkpoint/truncate to stop (they stop
   * between batches), then closes LevelDB. Appends called after close() starts reject with WAL_CLOSED.
   */
  async close(): Promise<void> {
    if (this.#status === 'new' || this.#status === 'closed') {
      this.#status = 'closed';
      return;
    }
    if (this.#status !== 'open') throw new WalError('WAL_CLOSED', `Cannot close WAL: it is ${this.#status}: '${this.#config.dir}'`);
    this.#status = 'closing';
    await this.#committer!.drain();
    await this.#maintenance.catch(() => undefined);
    await this.#db!.close();
    this.#status = 'closed';
  }

  /**
   * Appends records atomically (all or none) and resolves with the seq of the last record once durable per the fsync
   * policy. Records get consecutive seqs in call order. Concurrent calls are group-committed into one LevelDB batch.
   * Prefer one large record over many small ones: each record costs 5 bytes of framing and a loop iteration.
   */
  append(records: WalRecord[]): Promise<number> {
    return this.appendWithState(records, undefined);
  }

  /**
   * Like append(), and applies `state` changes to the state keyspace in the same atomic LevelDB batch.
   * With no records, writes the state changes only and resolves with the last seq assigned before the call.
   */
  appendWithState(records: WalRecord[], state: StateChanges | undefined): Promise<number> {
    try {
      this.#assertOpen('append');
      if (!Array.isArray(records)) throw new TypeError(`Invalid WAL records: expected an array, got '${typeof records}'`);
      const stateOps = state === undefined ? NO_STATE_OPS : stateBatchOps(state);
      if (records.length === 0 && stateOps.length === 0) throw new RangeError('Cannot append to WAL: no records and no state changes');
      let ops: BatchOp[];
      let bytes = 0;
      let lastSeq: number;
      if (records.length > 0) {
        for (let i = 0; i < records.length; i++) validateRecord(records[i]!);
        bytes = frameSize(records);
        const value = encodeFrame(records, 0, records.length, bytes);
        lastSeq = this.#nextSeq + records.length - 1;
        this.#nextSeq = lastSeq + 1;
        ops = [{ type: 'put', key: recordKey(lastSeq, records.length), value }];
        for (const op of stateOps) ops.push(op);
      } else {
        lastSeq = this.#nextSeq - 1;
        ops = stateOps;
      }
      for (const op of stateOps) bytes += op.key.length + (op.type === 'put' ? op.value.length : 0);
      return new Promise<number>((resolve, reject) => this.#committer!.enqueue({ ops, lastSeq, bytes, resolve, reject }));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Writes state changes only (shorthand for appendWithState([], state)). */
  stateWrite(state: StateChanges): Promise<number> {
    return this.appendWithState([], state);
  }

  /**
   * Replays the current checkpoint's records (fromCheckpoint: true, seq: the checkpoint's seq), then every record with
   * seq above the checkpoint and the truncation floor, in order. Awaits fn when it returns a promise. Record data are
   * views into LevelDB's buffers: copy them if kept long after the callback.
   * @throws WalCorruptionError naming the seq and key of a frame with a bad CRC or truncated value
   */
  async replay(fn: ReplayCallback): Promise<ReplayResult> {
    this.#assertOpen('replay');
    const db = this.#db!;
    const checkpointRecords = this.#checkpoint ? await replayCheckpoint(db, this.#checkpoint, fn) : 0;
    const records = await replayRecords(db, this.#replayStart(), fn);
    return { checkpointRecords, records, lastSeq: this.#lastSeq };
  }

  /**
   * Writes a new checkpoint = `records` standing for all state up to and including `uptoSeq`, then deletes every WAL
   * record with seq <= uptoSeq and the previous checkpoint. The checkpoint becomes visible atomically with its
   * completion marker; if it fails or the process dies before, the previous checkpoint and records stay valid.
   * Appends may run concurrently; checkpoint() and truncate() run one at a time.
   * @returns records written to the checkpoint, and WAL records deleted (records of a frame that straddles uptoSeq are
   *   not deleted yet, replay skips them)
   */
  checkpoint(records: Iterable<WalRecord> | AsyncIterable<WalRecord>, uptoSeq: number): Promise<{ written: number; deleted: number }> {
    return this.#exclusive('checkpoint', async () => {
      this.#assertSeq('checkpoint', uptoSeq, this.#checkpoint?.seq ?? 0);
      const db = this.#db!;
      await this.#dropAbandonedCheckpoints();
      const generation = this.#nextGeneration++;
      let marker: CheckpointMarker;
      try {
        marker = await writeCheckpoint(db, records, {
          generation,
          uptoSeq,
          batchBytes: this.#config.checkpointBatchBytes,
          sync: this.#config.fsync === 'group',
          assertRunning: () => this.#assertRunning('checkpoint'),
        });
      } catch (e) {
        this.#abandonedGenerations.push(generation);
        this.#warn(`Abandoned checkpoint: generation '${generation}' at seq ${uptoSeq} failed, its partial frames will be deleted: ${(e as Error)?.message}`);
        throw e;
      }
      const previous = this.#checkpoint;
      this.#checkpoint = marker;
      // From here on the new checkpoint is the state: a crash during the deletes only leaves garbage that replay
      // skips (seq <= checkpoint) and open()/the next truncate deletes.
      if (previous) await deleteRange(db, checkpointRange(previous.generation), this.#config.deleteBatchKeys, undefined, () => this.#assertRunning('checkpoint'));
      const deleted = await this.#deleteRecordsUpTo(uptoSeq, 'checkpoint');
      return { written: marker.records, deleted };
    });
  }

  /**
   * Deletes WAL records with seq <= uptoSeq without a checkpoint (e.g. data already flushed elsewhere); replay will not
   * deliver them even if a crash interrupts the deletes (the truncation floor is written first).
   * @returns the number of records deleted
   */
  truncate(uptoSeq: number): Promise<number> {
    return this.#exclusive('truncate', async () => {
      this.#assertSeq('truncate', uptoSeq, 0);
      if (uptoSeq > this.#floor) {
        await writeBatch(this.#db!, [{ type: 'put', key: META_FLOOR_KEY, value: encodeFloor(uptoSeq) }], this.#config.fsync === 'group');
        this.#floor = uptoSeq;
      }
      return this.#deleteRecordsUpTo(uptoSeq, 'truncate');
    });
  }

  async stats(): Promise<WalStats> {
    this.#assertOpen('stats');
    const db = this.#db!;
    const start = this.#replayStart();
    let firstSeq = 0;
    const first = (await db.keys({ gte: recordKeyFloor(start + 1), lt: keyspaceEnd(PREFIX_RECORD), limit: 1, keyEncoding: 'view' }).all()) as Uint8Array[];
    if (first.length > 0) {
      const key = first[0]!;
      firstSeq = Math.max(recordKeyLastSeq(key) - recordKeyCount(key) + 1, start + 1);
    }
    let approximateBytes = this.#committedBytes;
    if (typeof db.approximateSize === 'function') {
      approximateBytes = await db.approximateSize(keyspaceStart(PREFIX_RECORD), keyspaceEnd(PREFIX_CHECKPOINT), { keyEncoding: 'view' });
    }
    return {
      firstSeq,
      lastSeq: this.#lastSeq,
      checkpointSeq: this.#checkpoint?.seq ?? 0,
      approximateBytes,
      records: firstSeq === 0 ? 0 : this.#lastSeq - firstSeq + 1,
    };
  }

  /** Value of a state key, or undefined. */
  async stateGet(key: Uint8Array | string): Promise<Uint8Array | undefined> {
    this.#assertOpen('stateGet');
    return (await this.#db!.get(stateKey(key), VIEW)) as Uint8Array | undefined;
  }

  /** Streams [key, value] of every state key starting with `prefix` (all when omitted), in key order. Keys are returned without the keyspace prefix. */
  async *stateEntries(prefix?: Uint8Array | string): AsyncIterable<[Uint8Array, Uint8Array]> {
    this.#assertOpen('stateEntries');
    const iter = this.#db!.iterator({ ...stateRange(prefix), keyEncoding: 'view', valueEncoding: 'view' }) as AsyncIterable<[Uint8Array, Uint8Array]>;
    for await (const [key, value] of iter) yield [key.subarray(1), value];
  }

  /** Alias of stateEntries(). */
  stateIterator(prefix?: Uint8Array | string): AsyncIterable<[Uint8Array, Uint8Array]> {
    return this.stateEntries(prefix);
  }

  #replayStart(): number {
    return Math.max(this.#floor, this.#checkpoint?.seq ?? 0);
  }

  /** Deletes frames whose last seq <= uptoSeq; returns the records they held. */
  async #deleteRecordsUpTo(uptoSeq: number, op: string): Promise<number> {
    let records = 0;
    await deleteRange(
      this.#db!,
      { gte: keyspaceStart(PREFIX_RECORD), lt: recordKeyFloor(uptoSeq + 1) },
      this.#config.deleteBatchKeys,
      (key) => {
        records += recordKeyCount(key);
      },
      () => this.#assertRunning(op),
    );
    return records;
  }

  async #dropAbandonedCheckpoints(): Promise<void> {
    while (this.#abandonedGenerations.length > 0) {
      const g = this.#abandonedGenerations[0]!;
      await deleteRange(this.#db!, checkpointRange(g), this.#config.deleteBatchKeys);
      this.#abandonedGenerations.shift();
    }
  }

  #exclusive<T>(op: string, fn: () => Promise<T>): Promise<T> {
    try {
      this.#assertOpen(op);
    } catch (e) {
      return Promise.reject(e);
    }
    const run = this.#maintenance.then(fn);
    this.#maintenance = run.catch(() => undefined);
    return run;
  }

  #assertSeq(op: string, seq: number, min: number): void {
    if (!Number.isSafeInteger(seq) || seq < min || seq > this.#lastSeq) {
      throw new RangeError(`Invalid ${op} seq: '${seq}' is not an integer in ${min}..${this.#lastSeq} (checkpoint..lastSeq): '${this.#config.dir}'`);
    }
  }

  #assertOpen(op: string): void {
    if (this.#status === 'open') return;
    if (this.#status === 'closing' || this.#status === 'closed') throw new WalError('WAL_CLOSED', `Cannot ${op}: WAL is ${this.#status}: '${this.#config.dir}'`);
    throw new WalError('WAL_NOT_OPEN', `Cannot ${op}: WAL is not open: '${this.#config.dir}'`);
  }

  #assertRunning(op: string): void {
    if (this.#status !== 'open') throw new WalError('WAL_CLOSED', `Cannot ${op}: WAL is ${this.#status}, stopped between batches: '${this.#config.dir}'`);
  }

  #warn(message: string): void {
    this.#warnings.push(message);
    this.#config.onWarning?.(message);
  }
}

function stateBatchOps(state: StateChanges): BatchOp[] {
  const ops: BatchOp[] = [];
  for (const [key, value] of state.put ?? []) {
    if (!(value instanceof Uint8Array)) throw new TypeError(`Invalid WAL state value for key '${String(key)}': expected a Uint8Array`);
    ops.push({ type: 'put', key: stateKey(key), value });
  }
  for (const key of state.del ?? []) ops.push({ type: 'del', key: stateKey(key) });
  return ops;
}

export { isWalError, WAL_ERROR_STATUS, WalCorruptionError, WalError, type WalErrorCode };
