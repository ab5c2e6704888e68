/** Configuration of one ingester: its in-memory head and the WAL beneath it. */
import type { Clock } from '../core/clock.ts';
import type { Wal } from '../../wal/wal.ts';

/** Per-tenant limits checked on every push. 0 means unlimited. */
export interface TenantLimits {
  /** Max in-memory series of the tenant on this ingester. @default 0 */
  maxSeriesPerUser?: number;
  /** Max in-memory series sharing one metric name (`__name__`). @default 0 */
  maxSeriesPerMetric?: number;
}

export interface HeadConfig {
  /** A chunk is cut after this many samples (Prometheus's head target). @default 120 */
  chunkMaxSamples?: number;
  /**
   * Chunks never span a window boundary: windows are aligned on multiples of this
   * (2 h like Prometheus blocks), so chunks map onto blocks cleanly. @default 7200000
   */
  chunkWindowMs?: number;
  /**
   * How much data the head keeps: GC drops closed chunks whose newest sample is
   * older than now − retention, and series left without samples. Samples older than
   * (newest sample of the tenant, capped at now − retention), or older than the last
   * GC cut-off, are rejected as `sample-out-of-bounds`. 24 h keeps a day in memory, which is
   * what queriers ask ingesters for by default. @default 86400000
   */
  headRetentionMs?: number;
}

export interface IngesterConfig extends HeadConfig {
  /** Directory of the WAL (a LevelDB database). Required. */
  dataDir: string;
  /**
   * WAL durability: 'process' survives a process crash (the data is in the OS),
   * 'group' fsyncs every group commit and survives power loss. @default 'process'
   */
  walFsync?: 'process' | 'group';
  /** Write a checkpoint at least this often. 0 disables the timer. @default 1800000 */
  checkpointIntervalMs?: number;
  /** ...or once this many WAL records were written since the last one. 0 disables. @default 50000 */
  checkpointRecords?: number;
  /** ...or once this many WAL bytes were written since the last one. 0 disables. @default 268435456 */
  checkpointBytes?: number;
  /** Write a checkpoint on stop() so the next start replays little. @default true */
  checkpointOnStop?: boolean;
  /** How often retention GC runs. 0 disables the timer (call gc() yourself). @default 60000 */
  gcIntervalMs?: number;
  /** Limits used when push() is called without explicit limits. @default () => ({}) */
  limits?: (tenant: string) => TenantLimits;
  /** Time source for timers and GC cut-offs. @default new SystemClock() */
  clock?: Clock;
  /** For tests only: use this (unopened) Wal instead of one on dataDir, e.g. to inject failures. */
  wal?: Wal;
}

export interface ResolvedHeadConfig {
  chunkMaxSamples: number;
  chunkWindowMs: number;
  headRetentionMs: number;
  /**
   * Set by the flusher (node/flush/) while it runs: retention GC then drops only chunks the
   * long-term store acknowledged, never data that exists nowhere else.
   */
  keepUnflushed: boolean;
}

export function resolveHeadConfig(c: HeadConfig = {}): ResolvedHeadConfig {
  const r = {
    chunkMaxSamples: c.chunkMaxSamples ?? 120,
    chunkWindowMs: c.chunkWindowMs ?? 2 * 3600_000,
    headRetentionMs: c.headRetentionMs ?? 24 * 3600_000,
    keepUnflushed: false,
  };
  if (!(r.chunkMaxSamples >= 1 && r.chunkMaxSamples <= 65535)) throw new RangeError(`Invalid chunkMaxSamples: ${r.chunkMaxSamples}, want 1..65535`);
  if (!(r.chunkWindowMs > 0)) throw new RangeError(`Invalid chunkWindowMs: ${r.chunkWindowMs}, want > 0`);
  if (!(r.headRetentionMs > 0)) throw new RangeError(`Invalid headRetentionMs: ${r.headRetentionMs}, want > 0`);
  return r;
}
