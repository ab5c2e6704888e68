/**
 * The in-memory head of one tenant: a collision-safe series table (series-table.ts),
 * increasing integer refs, the inverted index, and the append
 * checks (ordering, duplicates, bounds, series limits).
 */
import { formatLabels, getLabel, METRIC_NAME, type Labels } from '../../query/model/labels.ts';
import type { Matcher } from '../../query/model/matchers.ts';
import type { ResolvedHeadConfig, TenantLimits } from './config.ts';
import type { RejectReason } from './errors.ts';
import { MemPostings } from './postings.ts';
import { beginSamplesRecord, finishSamplesRecord } from './records.ts';
import { MemSeries } from './series.ts';
import { hashLabels, SeriesTable } from './series-table.ts';

/** One series of a push: parallel timestamp (integer ms) and value columns. */
export interface PushSeries {
  readonly labels: Labels;
  readonly timestamps: ArrayLike<number>;
  readonly values: ArrayLike<number>;
  /**
   * Optional zero-copy form (decoded remote write): when columnTimestamps is set,
   * this series' samples are [sampleOffset, sampleOffset + sampleCount) of the
   * shared columns, which the head reads instead of timestamps/values (those must
   * still describe the same samples, for other consumers).
   */
  readonly columnTimestamps?: Float64Array;
  readonly columnValues?: Float64Array;
  readonly sampleOffset?: number;
  readonly sampleCount?: number;
  /**
   * Optional id of `labels` in the decoder's SeriesLabelsCache (DecodedSeries.labelsId):
   * a known series is then found by array index instead of hashing its labels.
   */
  readonly labelsId?: number;
}

/** Outcome of one push. Rejections never fail the batch; they are counted here. */
export interface PushResult {
  /** Samples appended. */
  accepted: number;
  /** Samples identical to the stored one (same timestamp, same value bits): accepted as no-ops. */
  duplicates: number;
  /** Samples rejected, all reasons together. */
  rejected: number;
  /** Rejected samples per reason. */
  reasons: Partial<Record<RejectReason, number>>;
  /** Up to MAX_MESSAGES human-readable rejection messages (series labels + timestamp). */
  messages: string[];
}

export const MAX_MESSAGES = 10;

export function emptyPushResult(): PushResult {
  return { accepted: 0, duplicates: 0, rejected: 0, reasons: {}, messages: [] };
}

export interface AppendOutcome {
  result: PushResult;
  /** Series touched by this push whose series record is not durable yet (new ones, or after a failed WAL write). */
  unpersisted: MemSeries[];
  /** The samples record payload for the WAL (null when nothing was appended). */
  samplesRecord: Uint8Array | null;
}

export class TenantHead {
  readonly tenant: string;
  readonly postings = new MemPostings();
  #cfg: ResolvedHeadConfig;
  #series = new SeriesTable();
  #byRef = new Map<number, MemSeries>();
  /**
   * Series by labels id (PushSeries.labelsId), confirmed by the identity of the
   * labels array last pushed with that id: remote write hands the same array for
   * a known series every time, so this skips hashing and comparing labels.
   * Emptied whenever series are removed, so it never points at a removed one.
   */
  #idSeries: (MemSeries | undefined)[] = [];
  #idLabels: (Labels | undefined)[] = [];
  #nextRef = 1;
  /** Newest sample timestamp ever appended. */
  #maxT = -Infinity;
  /** Lower bound of the oldest sample held (exact after GC, may be lower after tombstones). */
  #minT = Infinity;
  /** GC cut-off: samples older than this are out of bounds forever. */
  #watermark = -Infinity;

  constructor(tenant: string, cfg: ResolvedHeadConfig) {
    this.tenant = tenant;
    this.#cfg = cfg;
  }

  get seriesCount(): number {
    return this.#series.size;
  }

  get maxTime(): number {
    return this.#maxT;
  }

  get watermark(): number {
    return this.#watermark;
  }

  set watermark(t: number) {
    if (t > this.#watermark) this.#watermark = t;
  }

  /**
   * Samples older than this are rejected as out of bounds: the GC cut-off, or the
   * newest sample minus the retention. With `now`, samples from the future do not
   * count as newest, so one bad client clock cannot push everything out of bounds.
   */
  minValidTime(now = Infinity): number {
    return Math.max(this.#watermark, Math.min(this.#maxT, now) - this.#cfg.headRetentionMs);
  }

  getByRef(ref: number): MemSeries | undefined {
    return this.#byRef.get(ref);
  }

  getByLabels(labels: Labels): MemSeries | undefined {
    return this.#series.get(labels);
  }

  allSeries(): IterableIterator<MemSeries> {
    return this.#byRef.values();
  }

  /** Creates a series with a given ref (replay) or the next one; returns the existing series when present. */
  getOrCreate(labels: Labels, ref?: number, hash = hashLabels(labels)): MemSeries {
    const found = this.#series.get(labels, hash);
    if (found !== undefined) return found;
    const r = ref ?? this.#nextRef;
    if (r >= this.#nextRef) this.#nextRef = r + 1;
    const s = new MemSeries(r, this.postings.add(r, labels), hash);
    this.#series.add(s, hash);
    this.#byRef.set(r, s);
    return s;
  }

  /**
   * Appends a batch synchronously (so concurrent pushes never interleave between
   * check and append) and builds the samples WAL record of what was appended.
   */
  append(batch: readonly PushSeries[], limits: TenantLimits, now = Infinity): AppendOutcome {
    const res = emptyPushResult();
    const unpersisted: MemSeries[] = [];
    let total = 0;
    for (const s of batch) {
      const cts = s.columnTimestamps;
      if (cts !== undefined) {
        const end = s.sampleOffset! + s.sampleCount!;
        if (!(s.sampleOffset! >= 0 && end <= cts.length && end <= s.columnValues!.length)) {
          throw new TypeError(`Invalid push for tenant "${this.tenant}": samples [${s.sampleOffset}, ${end}) outside the columns for series ${formatLabels(s.labels)}`);
        }
        total += s.sampleCount!;
        continue;
      }
      if (s.values.length !== s.timestamps.length) {
        throw new TypeError(`Invalid push for tenant "${this.tenant}": ${s.timestamps.length} timestamps but ${s.values.length} values for series ${formatLabels(s.labels)}`);
      }
      total += s.timestamps.length;
    }
    const rec = beginSamplesRecord(this.tenant, total);
    const { chunkMaxSamples, chunkWindowMs } = this.#cfg;
    const maxPerUser = limits.maxSeriesPerUser ?? 0;
    const maxPerMetric = limits.maxSeriesPerMetric ?? 0;
    let appended = 0;
    for (const ps of batch) {
      const cts = ps.columnTimestamps;
      const ts = cts !== undefined ? cts : ps.timestamps;
      const vs = cts !== undefined ? ps.columnValues! : ps.values;
      const base = cts !== undefined ? ps.sampleOffset! : 0;
      const n = cts !== undefined ? ps.sampleCount! : ts.length;
      if (n === 0) continue;
      const id = ps.labelsId ?? -1;
      let s = id >= 0 && this.#idLabels[id] === ps.labels ? this.#idSeries[id] : undefined;
      if (s === undefined) {
        const hash = hashLabels(ps.labels);
        s = this.#series.get(ps.labels, hash);
        if (s === undefined) {
          if (maxPerUser > 0 && this.#series.size >= maxPerUser) {
            this.#reject(res, 'per-user-series-limit', n, `Per-user series limit of ${maxPerUser} exceeded for series ${formatLabels(ps.labels)}`);
            continue;
          }
          if (maxPerMetric > 0) {
            const name = getLabel(ps.labels, METRIC_NAME);
            if (this.postings.count(METRIC_NAME, name) >= maxPerMetric) {
              this.#reject(res, 'per-metric-series-limit', n, `Per-metric series limit of ${maxPerMetric} exceeded for series ${formatLabels(ps.labels)}`);
              continue;
            }
          }
          s = this.getOrCreate(ps.labels, undefined, hash);
        }
        if (id >= 0) {
          this.#idSeries[id] = s;
          this.#idLabels[id] = ps.labels;
        }
      }
      if (!s.persisted) unpersisted.push(s);
      const minValid = this.minValidTime(now);
      const ref = s.ref;
      for (let i = base; i < base + n; i++) {
        const t = ts[i]!;
        const v = vs[i]!;
        if (t > s.lastT) {
          if (t < minValid || !Number.isSafeInteger(t)) {
            const why = t < minValid ? `is before ${minValid}` : 'is not an integer number of milliseconds';
            this.#reject(res, 'sample-out-of-bounds', 1, `Sample timestamp out of bounds: timestamp ${t} ${why} for series ${formatLabels(s.labels)}`);
            continue;
          }
          s.append(t, v, chunkMaxSamples, chunkWindowMs);
          rec.w.sample(ref, t, v);
          appended++;
          if (t > this.#maxT) this.#maxT = t;
          if (t < this.#minT) this.#minT = t;
        } else if (t === s.lastT) {
          if (s.lastValueIs(v)) res.duplicates++;
          else this.#reject(res, 'new-value-for-timestamp', 1, `New value for existing timestamp: timestamp ${t}, value ${v} for series ${formatLabels(s.labels)}`);
        } else if (t < minValid) {
          this.#reject(res, 'sample-out-of-bounds', 1, `Sample timestamp out of bounds: timestamp ${t} is before ${minValid} for series ${formatLabels(s.labels)}`);
        } else {
          this.#reject(res, 'sample-out-of-order', 1, `Sample out of order: timestamp ${t} is before last timestamp ${s.lastT} for series ${formatLabels(s.labels)}`);
        }
      }
      // A series that got no sample still exists (Prometheus creates it too); GC removes it when empty.
    }
    res.accepted = appended;
    return { result: res, unpersisted, samplesRecord: appended > 0 ? finishSamplesRecord(rec, appended) : null };
  }

  #reject(res: PushResult, reason: RejectReason, n: number, message: string): void {
    res.rejected += n;
    res.reasons[reason] = (res.reasons[reason] ?? 0) + n;
    if (res.messages.length < MAX_MESSAGES) res.messages.push(message);
  }

  /** Replays one WAL sample: silently skips what is already present or below the GC watermark. */
  replaySample(ref: number, t: number, v: number): boolean {
    const s = this.#byRef.get(ref);
    if (s === undefined || t <= s.lastT || t < this.#watermark) return false;
    s.append(t, v, this.#cfg.chunkMaxSamples, this.#cfg.chunkWindowMs);
    if (t > this.#maxT) this.#maxT = t;
    if (t < this.#minT) this.#minT = t;
    return true;
  }

  /** Notes a restored chunk's time range (bounds check, label API fast path). */
  noteChunk(minT: number, maxT: number): void {
    if (maxT > this.#maxT) this.#maxT = maxT;
    if (minT < this.#minT) this.#minT = minT;
  }

  /** Removes series by ref (tombstones, GC). */
  remove(refs: Iterable<number>): MemSeries[] {
    const gone: MemSeries[] = [];
    for (const r of refs) {
      const s = this.#byRef.get(r);
      if (s === undefined) continue;
      this.#byRef.delete(r);
      this.#series.delete(s, s.hash);
      gone.push(s);
    }
    if (gone.length > 0) {
      this.#idSeries = [];
      this.#idLabels = [];
    }
    this.postings.remove(gone);
    return gone;
  }

  /**
   * Retention: drops closed chunks older than `cutoff`, then series left without
   * samples (out of the table and the index). Returns the removed series.
   */
  dropBefore(cutoff: number): MemSeries[] {
    this.watermark = cutoff;
    const dead: number[] = [];
    let minT = Infinity;
    for (const s of this.#byRef.values()) {
      if (s.dropBefore(cutoff, this.#cfg.keepUnflushed) || s.empty) dead.push(s.ref);
      else if (s.minTime < minT) minT = s.minTime;
    }
    this.#minT = minT;
    return this.remove(dead);
  }

  /** Series matching the matchers (sorted by ref) that have samples in [start, end]. */
  select(matchers: readonly Matcher[], start: number, end: number): MemSeries[] {
    const refs = this.postings.select(matchers);
    const out: MemSeries[] = [];
    for (let i = 0; i < refs.length; i++) {
      const s = this.#byRef.get(refs[i]!);
      if (s !== undefined && s.hasSamplesIn(start, end)) out.push(s);
    }
    return out;
  }

  /** A lower bound of the oldest sample held (Infinity when nothing was appended). */
  get minTime(): number {
    return this.#minT;
  }
}
