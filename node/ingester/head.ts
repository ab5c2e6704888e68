/**
 * The in-memory head of one ingester: a TenantHead per tenant, created on first
 * push. Knows nothing about the WAL; Ingester (ingester.ts) adds durability.
 */
import type { Labels } from '../../query/model/labels.ts';
import type { Querier } from '../../query/querier/queryable.ts';
import { resolveHeadConfig, type HeadConfig, type ResolvedHeadConfig, type TenantLimits } from './config.ts';
import { LabelOrderCache } from './label-order-cache.ts';
import { HeadQuerier } from './querier.ts';
import { encodeChunksRecord, encodeSeriesRecord, RECORD_CHUNKS, RECORD_SERIES, type ChunkEntry } from './records.ts';
import type { ClosedChunk, MemSeries } from './series.ts';
import { TenantHead, type AppendOutcome, type PushSeries } from './tenant-head.ts';

/** A record for the WAL (same shape as wal/wal.ts's WalRecord). */
export interface HeadRecord {
  type: number;
  data: Uint8Array;
}

/** How many series or chunks go in one checkpoint record. */
const CHECKPOINT_BATCH = 1000;

interface SeriesSnapshot {
  ref: number;
  labels: Labels;
  closed: readonly ClosedChunk[];
  head: ChunkEntry | null;
}

export class Head {
  readonly config: ResolvedHeadConfig;
  #tenants = new Map<string, TenantHead>();

  /** @param cfg chunk and retention settings; see HeadConfig for defaults. */
  constructor(cfg: HeadConfig = {}) {
    this.config = resolveHeadConfig(cfg);
  }

  /** The tenant's head, created when missing. */
  tenant(tenant: string): TenantHead {
    let h = this.#tenants.get(tenant);
    if (h === undefined) {
      h = new TenantHead(tenant, this.config);
      this.#tenants.set(tenant, h);
    }
    return h;
  }

  get(tenant: string): TenantHead | undefined {
    return this.#tenants.get(tenant);
  }

  tenants(): string[] {
    return [...this.#tenants.keys()].sort();
  }

  /** Appends synchronously with all checks; see TenantHead.append. `now` (ms) caps the bounds check, see minValidTime. */
  append(tenant: string, batch: readonly PushSeries[], limits: TenantLimits = {}, now?: number): AppendOutcome {
    return this.tenant(tenant).append(batch, limits, now);
  }

  /** A Querier scoped to one tenant: it never sees another tenant's series or labels. */
  querier(tenant: string): Querier {
    return new HeadQuerier(() => this.#tenants.get(tenant), this.#orderCacheFor);
  }

  // One label-order cache per tenant head, gone with the head.
  readonly #orderCaches = new WeakMap<TenantHead, LabelOrderCache>();
  readonly #orderCacheFor = (h: TenantHead): LabelOrderCache => {
    let c = this.#orderCaches.get(h);
    if (c === undefined) this.#orderCaches.set(h, (c = new LabelOrderCache()));
    return c;
  };

  /** Retention over every tenant; returns removed series refs per tenant. Tenants left empty are dropped. */
  dropBefore(cutoff: number): Map<string, number[]> {
    const out = new Map<string, number[]>();
    for (const [tenant, h] of this.#tenants) {
      const gone = h.dropBefore(cutoff);
      if (gone.length > 0) out.set(tenant, gone.map((s) => s.ref));
    }
    return out;
  }

  /** Series count per tenant. */
  seriesCounts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [t, h] of this.#tenants) out[t] = h.seriesCount;
    return out;
  }

  /**
   * Captures the whole head synchronously (closed chunks are immutable and shared;
   * open chunks are copied) and returns checkpoint records encoded lazily from that
   * capture: per tenant, series records first, then chunk records, oldest chunk first.
   */
  snapshot(): Iterable<HeadRecord> {
    const captured: { tenant: string; series: SeriesSnapshot[] }[] = [];
    for (const [tenant, h] of this.#tenants) {
      const series: SeriesSnapshot[] = [];
      for (const s of h.allSeries()) series.push(captureSeries(s));
      captured.push({ tenant, series });
    }
    return encodeSnapshot(captured);
  }
}

function captureSeries(s: MemSeries): SeriesSnapshot {
  const h = s.head;
  return {
    ref: s.ref,
    labels: s.labels,
    closed: s.closed === null ? [] : s.closed.slice(),
    head: h !== null && h.count > 0 ? { ref: s.ref, open: true, minT: h.minTime, maxT: h.maxTime, bytes: h.copyBytes() } : null,
  };
}

function* encodeSnapshot(captured: { tenant: string; series: SeriesSnapshot[] }[]): Generator<HeadRecord> {
  for (const { tenant, series } of captured) {
    for (let i = 0; i < series.length; i += CHECKPOINT_BATCH) {
      yield { type: RECORD_SERIES, data: encodeSeriesRecord(tenant, series.slice(i, i + CHECKPOINT_BATCH)) };
    }
    let batch: ChunkEntry[] = [];
    for (const s of series) {
      for (const c of s.closed) batch.push({ ref: s.ref, open: false, minT: c.minT, maxT: c.maxT, bytes: c.bytes });
      if (s.head !== null) batch.push(s.head);
      if (batch.length >= CHECKPOINT_BATCH) {
        yield { type: RECORD_CHUNKS, data: encodeChunksRecord(tenant, batch) };
        batch = [];
      }
    }
    if (batch.length > 0) yield { type: RECORD_CHUNKS, data: encodeChunksRecord(tenant, batch) };
  }
}
