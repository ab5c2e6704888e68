/**
 * One ingester: the multi-tenant in-memory head made durable by a WAL.
 *
 * push() checks and appends to the head synchronously (so interleaved pushes
 * cannot race between the out-of-order check and the append), then awaits the
 * WAL; it resolves only once its records are durable. Samples are queryable as
 * soon as they are appended, i.e. possibly before the WAL write resolves (like
 * Prometheus's head); a push whose WAL write fails rejects with a 500
 * IngesterError and its samples may still be served until restart.
 */
import { SystemClock, type Clock } from '../core/clock.ts';
import { Service } from '../core/service.ts';
import type { Querier } from '../../query/querier/queryable.ts';
import { Wal, type WalRecord, type WalStats } from '../../wal/wal.ts';
import type { IngesterConfig, TenantLimits } from './config.ts';
import { IngesterError, REJECT_REASONS, type RejectReason } from './errors.ts';
import { Head } from './head.ts';
import {
  decodeChunksRecord,
  decodeSamplesRecord,
  decodeSeriesRecord,
  decodeSeriesBlock,
  decodeTombstonesRecord,
  decodeWatermark,
  encodeF64,
  encodeSeriesBlock,
  encodeSeriesRecord,
  encodeTombstonesRecord,
  RECORD_CHUNKS,
  RECORD_SAMPLES,
  RECORD_SERIES,
  RECORD_TOMBSTONES,
  seriesBlockKey,
  STATE_BLOCK_REFS,
  SERIES_STATE_PREFIX,
  watermarkStateKey,
  WATERMARK_STATE_PREFIX,
} from './records.ts';
import type { PushResult, PushSeries } from './tenant-head.ts';
import type { TenantHead } from './tenant-head.ts';
import type { MemSeries } from './series.ts';

export type { PushResult, PushSeries } from './tenant-head.ts';

export interface ReplayStats {
  seconds: number;
  /** Part of `seconds` spent loading series from the state keyspace. */
  stateSeconds: number;
  seriesFromState: number;
  checkpointRecords: number;
  walRecords: number;
  samplesReplayed: number;
}

/** Counters as plain numbers (the caller exports them, e.g. with prom-client). */
export interface IngesterStats {
  seriesPerTenant: Record<string, number>;
  series: number;
  pushes: number;
  samplesAppended: number;
  samplesDuplicate: number;
  rejections: Record<RejectReason, number>;
  seriesCreated: number;
  seriesRemoved: number;
  walRecordsWritten: number;
  walBytesWritten: number;
  walWriteFailures: number;
  checkpoints: number;
  checkpointFailures: number;
  lastCheckpointSeq: number;
  lastCheckpointSeconds: number;
  gcRuns: number;
  replay: ReplayStats | null;
}

interface Resolved {
  dataDir: string;
  walFsync: 'process' | 'group';
  checkpointIntervalMs: number;
  checkpointRecords: number;
  checkpointBytes: number;
  checkpointOnStop: boolean;
  gcIntervalMs: number;
  limits: (tenant: string) => TenantLimits;
  clock: Clock;
}

const NO_LIMITS: TenantLimits = {};

/** Live series of one state block, by ref. */
function blockSeries(h: TenantHead, block: number): MemSeries[] {
  const out: MemSeries[] = [];
  const first = block * STATE_BLOCK_REFS;
  for (let r = first; r < first + STATE_BLOCK_REFS; r++) {
    const s = h.getByRef(r);
    if (s !== undefined) out.push(s);
  }
  return out;
}

export class Ingester extends Service {
  readonly head: Head;
  #cfg: Resolved;
  #wal: Wal;
  #inflight = new Set<Promise<unknown>>();
  #checkpointRunning: Promise<unknown> | null = null;
  #recordsSinceCheckpoint = 0;
  #bytesSinceCheckpoint = 0;
  #timers: { cancel(): void }[] = [];
  #stats = {
    pushes: 0,
    samplesAppended: 0,
    samplesDuplicate: 0,
    seriesCreated: 0,
    seriesRemoved: 0,
    walRecordsWritten: 0,
    walBytesWritten: 0,
    walWriteFailures: 0,
    checkpoints: 0,
    checkpointFailures: 0,
    lastCheckpointSeq: 0,
    lastCheckpointSeconds: 0,
    gcRuns: 0,
  };
  #rejections = Object.fromEntries(REJECT_REASONS.map((r) => [r, 0])) as Record<RejectReason, number>;
  #replay: ReplayStats | null = null;

  constructor(cfg: IngesterConfig) {
    super('ingester');
    if (!cfg.dataDir) throw new TypeError('Invalid ingester config: dataDir is required');
    this.#cfg = {
      dataDir: cfg.dataDir,
      walFsync: cfg.walFsync ?? 'process',
      checkpointIntervalMs: cfg.checkpointIntervalMs ?? 30 * 60_000,
      checkpointRecords: cfg.checkpointRecords ?? 50_000,
      checkpointBytes: cfg.checkpointBytes ?? 256 * 1024 * 1024,
      checkpointOnStop: cfg.checkpointOnStop ?? true,
      gcIntervalMs: cfg.gcIntervalMs ?? 60_000,
      limits: cfg.limits ?? (() => NO_LIMITS),
      clock: cfg.clock ?? new SystemClock(),
    };
    this.head = new Head(cfg);
    this.#wal = cfg.wal ?? new Wal({ dir: cfg.dataDir, fsync: this.#cfg.walFsync });
  }

  protected async starting(): Promise<void> {
    await this.#wal.open();
    try {
      await this.#replayAll();
    } catch (err) {
      await this.#wal.close().catch(() => undefined);
      throw err;
    }
    if (this.#cfg.checkpointIntervalMs > 0) this.#every(this.#cfg.checkpointIntervalMs, () => this.#backgroundCheckpoint());
    if (this.#cfg.gcIntervalMs > 0) this.#every(this.#cfg.gcIntervalMs, () => this.gc().catch(() => undefined));
  }

  protected async stopping(): Promise<void> {
    for (const t of this.#timers) t.cancel();
    this.#timers = [];
    await Promise.allSettled([...this.#inflight]);
    if (this.#checkpointRunning !== null) await this.#checkpointRunning.catch(() => undefined);
    try {
      if (this.#cfg.checkpointOnStop && this.#recordsSinceCheckpoint > 0) await this.#checkpointNow();
    } finally {
      await this.#wal.close();
    }
  }

  #every(ms: number, fn: () => void): void {
    const slot = this.#timers.length;
    const arm = (): void => {
      this.#timers[slot] = this.#cfg.clock.setTimeout(() => {
        fn();
        if (this.state === 'running') arm();
      }, ms);
    };
    arm();
  }

  #assertRunning(op: string): void {
    if (this.state !== 'running') throw new IngesterError('ingester-not-running', `Cannot ${op}: ingester is ${this.state}`);
  }

  /**
   * Appends a batch for one tenant and resolves once its WAL records are durable.
   * Per-sample and per-series problems are counted in the result, never thrown.
   * @param limits series limits for this call; defaults to config.limits(tenant)
   * @throws IngesterError 'ingester-wal-write-failed' (500) when the WAL write fails,
   *   'ingester-not-running' (503) before start() or after stop()
   */
  async push(tenant: string, series: readonly PushSeries[], limits?: TenantLimits): Promise<PushResult> {
    this.#assertRunning('push');
    const h = this.head.tenant(tenant);
    const before = h.seriesCount;
    const out = h.append(series, limits ?? this.#cfg.limits(tenant), this.#cfg.clock.now());
    const res = out.result;
    this.#stats.pushes++;
    this.#stats.samplesAppended += res.accepted;
    this.#stats.samplesDuplicate += res.duplicates;
    this.#stats.seriesCreated += h.seriesCount - before;
    for (const r in res.reasons) this.#rejections[r as RejectReason] += res.reasons[r as RejectReason]!;

    const records: WalRecord[] = [];
    let put: [Uint8Array, Uint8Array][] | undefined;
    const unpersisted = out.unpersisted;
    if (unpersisted.length > 0) {
      records.push({ type: RECORD_SERIES, data: encodeSeriesRecord(tenant, unpersisted) });
      put = this.#blockPuts(h, unpersisted);
    }
    if (out.samplesRecord !== null) records.push({ type: RECORD_SAMPLES, data: out.samplesRecord });
    if (records.length === 0) return res;

    let bytes = 0;
    for (const r of records) bytes += r.data.length;
    const write = put !== undefined ? this.#wal.appendWithState(records, { put }) : this.#wal.append(records);
    this.#inflight.add(write);
    try {
      await write;
    } catch (err) {
      this.#stats.walWriteFailures++;
      throw new IngesterError('ingester-wal-write-failed', `WAL write failed for tenant "${tenant}": ${(err as Error)?.message ?? String(err)}`, { cause: err });
    } finally {
      this.#inflight.delete(write);
    }
    for (const s of unpersisted) s.persisted = true;
    this.#stats.walRecordsWritten += records.length;
    this.#stats.walBytesWritten += bytes;
    this.#recordsSinceCheckpoint += records.length;
    this.#bytesSinceCheckpoint += bytes;
    if (
      (this.#cfg.checkpointRecords > 0 && this.#recordsSinceCheckpoint >= this.#cfg.checkpointRecords) ||
      (this.#cfg.checkpointBytes > 0 && this.#bytesSinceCheckpoint >= this.#cfg.checkpointBytes)
    ) {
      this.#backgroundCheckpoint();
    }
    return res;
  }

  /**
   * State puts for the blocks holding `series`, each encoded from the head as it
   * is now: the WAL applies batches in call order, so the last write of a block
   * always carries its latest content.
   */
  #blockPuts(h: TenantHead, series: readonly { ref: number }[]): [Uint8Array, Uint8Array][] {
    const puts: [Uint8Array, Uint8Array][] = [];
    let last = -1;
    const seen = new Set<number>();
    for (const s of series) {
      const b = Math.floor(s.ref / STATE_BLOCK_REFS);
      if (b === last || seen.has(b)) continue;
      last = b;
      seen.add(b);
      puts.push([seriesBlockKey(h.tenant, b), encodeSeriesBlock(blockSeries(h, b))]);
    }
    return puts;
  }

  /** A Querier over one tenant's head (see HeadQuerier). */
  querier(tenant: string): Querier {
    return this.head.querier(tenant);
  }

  #backgroundCheckpoint(): void {
    if (this.#checkpointRunning !== null || this.state !== 'running') return;
    this.checkpoint().catch(() => undefined);
  }

  /**
   * Writes a checkpoint of the whole head as of now (snapshotted synchronously at
   * uptoSeq = the WAL's last durable seq), then the WAL drops records up to it.
   * Records in flight get higher seqs and are replayed on top idempotently.
   */
  async checkpoint(): Promise<{ uptoSeq: number; written: number; deleted: number }> {
    this.#assertRunning('checkpoint');
    if (this.#checkpointRunning !== null) await this.#checkpointRunning.catch(() => undefined);
    return this.#checkpointNow();
  }

  async #checkpointNow(): Promise<{ uptoSeq: number; written: number; deleted: number }> {
    const started = performance.now();
    const uptoSeq = this.#wal.lastSeq;
    const records = this.head.snapshot();
    const recordsBefore = this.#recordsSinceCheckpoint;
    const bytesBefore = this.#bytesSinceCheckpoint;
    const p = this.#wal.checkpoint(records, uptoSeq);
    this.#checkpointRunning = p;
    try {
      const r = await p;
      this.#recordsSinceCheckpoint -= recordsBefore;
      this.#bytesSinceCheckpoint -= bytesBefore;
      this.#stats.checkpoints++;
      this.#stats.lastCheckpointSeq = uptoSeq;
      this.#stats.lastCheckpointSeconds = (performance.now() - started) / 1000;
      return { uptoSeq, ...r };
    } catch (err) {
      this.#stats.checkpointFailures++;
      throw err;
    } finally {
      this.#checkpointRunning = null;
    }
  }

  /**
   * Retention GC: drops chunks older than now − headRetentionMs and series left
   * empty, persisting tombstones, state deletions and the new per-tenant cut-off
   * in one atomic WAL batch. Returns the number of series removed.
   */
  async gc(now: number = this.#cfg.clock.now()): Promise<number> {
    this.#assertRunning('gc');
    return this.dropBefore(now - this.head.config.headRetentionMs);
  }

  /** Drops data older than `cutoff` ms (see gc). */
  async dropBefore(cutoff: number): Promise<number> {
    this.#assertRunning('dropBefore');
    this.#stats.gcRuns++;
    const removed = this.head.dropBefore(cutoff);
    const put: [Uint8Array, Uint8Array][] = [];
    for (const tenant of this.head.tenants()) put.push([watermarkStateKey(tenant), encodeF64(this.head.get(tenant)!.watermark)]);
    return this.#persistRemoval(removed, put);
  }

  /**
   * Removes series from the head now (synchronously, so no push can slip in between
   * the caller's emptiness check and the removal) and persists their tombstones.
   * Used by the flusher for series whose every chunk is in the long-term store.
   */
  async removeSeries(tenant: string, refs: readonly number[]): Promise<number> {
    this.#assertRunning('removeSeries');
    const th = this.head.get(tenant);
    if (th === undefined || refs.length === 0) return 0;
    const gone = th.remove(refs);
    if (gone.length === 0) return 0;
    return this.#persistRemoval(new Map([[tenant, gone.map((s) => s.ref)]]), []);
  }

  /** Tombstones and series-state updates for removed series, plus extra state puts, in one atomic WAL batch. */
  async #persistRemoval(removed: Map<string, number[]>, put: [Uint8Array, Uint8Array][]): Promise<number> {
    const records: WalRecord[] = [];
    const del: Uint8Array[] = [];
    let n = 0;
    for (const [tenant, refs] of removed) {
      n += refs.length;
      records.push({ type: RECORD_TOMBSTONES, data: encodeTombstonesRecord(tenant, refs) });
      const th = this.head.get(tenant)!;
      const blocks = new Set<number>();
      for (const r of refs) blocks.add(Math.floor(r / STATE_BLOCK_REFS));
      for (const b of blocks) {
        const live = blockSeries(th, b);
        if (live.length === 0) del.push(seriesBlockKey(tenant, b));
        else put.push([seriesBlockKey(tenant, b), encodeSeriesBlock(live)]);
      }
    }
    this.#stats.seriesRemoved += n;
    if (put.length === 0 && records.length === 0) return n;
    const write = this.#wal.appendWithState(records, { put, del });
    this.#inflight.add(write);
    try {
      await write;
    } finally {
      this.#inflight.delete(write);
    }
    this.#recordsSinceCheckpoint += records.length;
    return n;
  }

  stats(): IngesterStats {
    const seriesPerTenant = this.head.seriesCounts();
    let series = 0;
    for (const t in seriesPerTenant) series += seriesPerTenant[t]!;
    return { seriesPerTenant, series, ...this.#stats, rejections: { ...this.#rejections }, replay: this.#replay };
  }

  /** The WAL's own statistics (size on disk, seqs). */
  walStats(): Promise<WalStats> {
    return this.#wal.stats();
  }

  /** Rebuilds the head: cut-offs and series from the state keyspace, then the checkpoint, then the WAL. */
  async #replayAll(): Promise<void> {
    const started = performance.now();
    const head = this.head;
    for await (const [k, v] of this.#wal.stateEntries(WATERMARK_STATE_PREFIX)) {
      const { tenant, cutoff } = decodeWatermark(k, v);
      head.tenant(tenant).watermark = cutoff;
    }
    let seriesFromState = 0;
    for await (const [k, v] of this.#wal.stateEntries(SERIES_STATE_PREFIX)) {
      decodeSeriesBlock(k, v, (tenant, ref, labels) => {
        head.tenant(tenant).getOrCreate(labels, ref).persisted = true;
        seriesFromState++;
      });
    }
    const stateSeconds = (performance.now() - started) / 1000;
    let samplesReplayed = 0;
    const windowMs = head.config.chunkWindowMs;
    const res = await this.#wal.replay((rec) => {
      try {
        switch (rec.type) {
          case RECORD_SERIES:
            decodeSeriesRecord(rec.data, (tenant, ref, labels) => {
              head.tenant(tenant).getOrCreate(labels, ref).persisted = true;
            });
            break;
          case RECORD_SAMPLES: {
            let t: TenantHead | undefined;
            decodeSamplesRecord(
              rec.data,
              (tenant) => {
                t = head.tenant(tenant);
              },
              (ref, ts, v) => {
                if (t!.replaySample(ref, ts, v)) samplesReplayed++;
              },
            );
            break;
          }
          case RECORD_CHUNKS:
            decodeChunksRecord(rec.data, (tenant, c) => {
              const t = head.tenant(tenant);
              const s = t.getByRef(c.ref);
              if (s === undefined || c.maxT < t.watermark) return;
              s.restoreChunk(c.bytes, c.minT, c.maxT, c.open, windowMs);
              t.noteChunk(c.minT, c.maxT);
            });
            break;
          case RECORD_TOMBSTONES: {
            const { tenant, refs } = decodeTombstonesRecord(rec.data);
            head.get(tenant)?.remove(refs);
            break;
          }
          default:
          // Unknown types come from a newer version; skipping keeps old binaries able to start.
        }
      } catch (err) {
        if (err instanceof RangeError) throw new IngesterError('ingester-bad-wal-record', `Cannot decode WAL record of type ${rec.type}: ${err.message}`, { cause: err });
        throw err;
      }
    });
    // Series created from state/records but with every sample gone are collected by the next GC.
    this.#recordsSinceCheckpoint = res.records;
    this.#replay = {
      seconds: (performance.now() - started) / 1000,
      stateSeconds,
      seriesFromState,
      checkpointRecords: res.checkpointRecords,
      walRecords: res.records,
      samplesReplayed,
    };
  }
}
