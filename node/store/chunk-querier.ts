/**
 * Querier (query/querier/queryable.ts) over the chunk store for one tenant.
 * Series come from the index, samples from the chunk objects and the blocks. Replicas flush
 * the same samples in chunks that may or may not line up, so overlapping
 * chunks are merged by timestamp and duplicates dropped (the first chunk in
 * minT order wins a tie, which is deterministic).
 */
import type { Labels } from '../../query/model/labels.ts';
import type { Matcher } from '../../query/model/matchers.ts';
import type { SeriesSamples } from '../../query/model/samples.ts';
import type { Querier, SelectHints } from '../../query/querier/queryable.ts';
import { chunkSampleCount, decodeChunkRange } from '../chunk/encoding.ts';
import type { ChunkRef } from './chunk-index.ts';
import { chunkEncodingOf, type ChunkStore } from './chunk-store.ts';
import { storageError } from './errors.ts';

export interface SampleColumns {
  timestamps: Float64Array;
  values: Float64Array;
}

export class ChunkStoreQuerier implements Querier {
  #tenant: string;
  #store: ChunkStore;

  constructor(tenant: string, store: ChunkStore) {
    this.#tenant = tenant;
    this.#store = store;
  }

  async select(matchers: readonly Matcher[], hints: SelectHints): Promise<SeriesSamples[]> {
    const { start, end, signal } = hints;
    signal?.throwIfAborted();
    const { series, chunks } = await this.#store.selectSeries(this.#tenant, matchers, start, end, signal);
    if (series.length === 0) return [];
    signal?.throwIfAborted();
    const refs: ChunkRef[] = [];
    for (const list of chunks.values()) refs.push(...list);
    const fetched = await this.#store.getChunks(this.#tenant, refs, signal, { skipCovered: true });
    const bytesByRef = new Map<ChunkRef, Uint8Array>();
    for (const f of fetched) bytesByRef.set(f.ref, f.bytes);
    if (fetched.length !== refs.length) {
      // Missing objects covered by another chunk of their series (chunk-store.ts withoutCoveredMissing).
      for (const [id, list] of chunks) chunks.set(id, list.filter((r) => bytesByRef.has(r)));
    }
    // Series whose chunks follow each other (the common case) decode into one pair of columns
    // for the whole selection, handed out as views: a typed array per series would allocate
    // a backing store each, which costs more than the decoding (as in the ingester querier).
    const bounds = new Int32Array(series.length); // sample bound per series; -1: overlapping chunks
    let total = 0;
    for (let i = 0; i < series.length; i++) {
      const s = series[i]!;
      const list = chunks.get(s.seriesId);
      const b = list === undefined ? 0 : sampleBound(list, bytesByRef, this.#tenant, s.labels);
      bounds[i] = b;
      if (b > 0) total += b;
    }
    const ts = new Float64Array(total);
    const vs = new Float64Array(total);
    const out: SeriesSamples[] = [];
    let o = 0;
    for (let i = 0; i < series.length; i++) {
      const s = series[i]!;
      const b = bounds[i]!;
      if (b === 0) continue;
      if (b < 0) {
        const merged = mergeSampleColumns(chunks.get(s.seriesId)!.map((r) => decodeRange(bytesByRef.get(r)!, start, end, this.#tenant, s.labels, r)));
        if (merged.timestamps.length > 0) out.push({ labels: s.labels, timestamps: merged.timestamps, values: merged.values });
        continue;
      }
      let k = 0;
      for (const ref of chunks.get(s.seriesId)!) {
        try {
          k += decodeChunkRange(chunkEncodingOf(ref), bytesByRef.get(ref)!, ts, vs, o + k, start, end);
        } catch (err) {
          throw corrupt(this.#tenant, s.labels, ref, err);
        }
      }
      if (k > 0) out.push({ labels: s.labels, timestamps: new Float64Array(ts.buffer, o * 8, k), values: new Float64Array(vs.buffer, o * 8, k) });
      o += k;
    }
    return out;
  }

  /** Series with a chunk overlapping the range (chunk granularity: no chunk bytes are read). */
  async series(matchers: readonly Matcher[], hints: SelectHints): Promise<Labels[]> {
    hints.signal?.throwIfAborted();
    const { series } = await this.#store.selectSeries(this.#tenant, matchers, hints.start, hints.end, hints.signal);
    return series.map((s) => s.labels);
  }

  async labelNames(matchers: readonly Matcher[], hints: SelectHints): Promise<string[]> {
    hints.signal?.throwIfAborted();
    if (matchers.length === 0) return this.#store.index.labelNames(this.#tenant, [], hints.start, hints.end);
    const names = new Set<string>();
    for (const ls of await this.series(matchers, hints)) for (const l of ls) names.add(l.name);
    return [...names].sort();
  }

  async labelValues(name: string, matchers: readonly Matcher[], hints: SelectHints): Promise<string[]> {
    hints.signal?.throwIfAborted();
    if (matchers.length === 0) return this.#store.index.labelValues(this.#tenant, name, [], hints.start, hints.end);
    const values = new Set<string>();
    for (const ls of await this.series(matchers, hints)) for (const l of ls) if (l.name === name) values.add(l.value);
    return [...values].sort();
  }
}

/**
 * Upper bound of the samples a series' chunks hold (their header counts), or -1 when
 * chunks overlap (replicas' copies not compacted yet): those take the merge path.
 */
function sampleBound(list: readonly ChunkRef[], bytesByRef: ReadonlyMap<ChunkRef, Uint8Array>, tenant: string, labels: Labels): number {
  let total = 0;
  for (let i = 0; i < list.length; i++) {
    const ref = list[i]!;
    if (i > 0 && ref.minT <= list[i - 1]!.maxT) return -1;
    try {
      total += chunkSampleCount(chunkEncodingOf(ref), bytesByRef.get(ref)!);
    } catch (err) {
      throw corrupt(tenant, labels, ref, err);
    }
  }
  return total;
}

function corrupt(tenant: string, labels: Labels, ref: ChunkRef, err: unknown): Error {
  return storageError(
    'STORE_CHUNK_CORRUPT',
    `Failed to decode chunk: tenant ${JSON.stringify(tenant)}, series ${JSON.stringify(labels.map((l) => `${l.name}=${l.value}`).join(','))}, chunk ${JSON.stringify(ref.id)}: ${(err as Error).message}`,
    err,
  );
}

function decodeRange(bytes: Uint8Array, start: number, end: number, tenant: string, labels: Labels, ref: ChunkRef): SampleColumns {
  try {
    const encoding = chunkEncodingOf(ref);
    const count = chunkSampleCount(encoding, bytes);
    const ts = new Float64Array(count);
    const vs = new Float64Array(count);
    const n = decodeChunkRange(encoding, bytes, ts, vs, 0, start, end);
    return { timestamps: ts.subarray(0, n), values: vs.subarray(0, n) };
  } catch (err) {
    throw corrupt(tenant, labels, ref, err);
  }
}

/**
 * Merges sorted sample columns into one sorted column pair without duplicate
 * timestamps. Non-overlapping inputs in order (the common case) are just
 * concatenated; overlapping ones are merged pairwise.
 */
export function mergeSampleColumns(parts: readonly SampleColumns[]): SampleColumns {
  const nonEmpty = parts.filter((p) => p.timestamps.length > 0);
  if (nonEmpty.length === 0) return { timestamps: new Float64Array(0), values: new Float64Array(0) };
  if (nonEmpty.length === 1) return { timestamps: nonEmpty[0]!.timestamps.slice(), values: nonEmpty[0]!.values.slice() };
  let ordered = true;
  let total = 0;
  for (let i = 0; i < nonEmpty.length; i++) {
    total += nonEmpty[i]!.timestamps.length;
    if (i > 0) {
      const prev = nonEmpty[i - 1]!.timestamps;
      if (nonEmpty[i]!.timestamps[0]! <= prev[prev.length - 1]!) ordered = false;
    }
  }
  if (ordered) {
    const timestamps = new Float64Array(total);
    const values = new Float64Array(total);
    let o = 0;
    for (const p of nonEmpty) {
      timestamps.set(p.timestamps, o);
      values.set(p.values, o);
      o += p.timestamps.length;
    }
    return { timestamps, values };
  }
  let acc = nonEmpty[0]!;
  for (let i = 1; i < nonEmpty.length; i++) acc = mergeTwo(acc, nonEmpty[i]!);
  return acc;
}

function mergeTwo(a: SampleColumns, b: SampleColumns): SampleColumns {
  const at = a.timestamps;
  const bt = b.timestamps;
  const ts = new Float64Array(at.length + bt.length);
  const vs = new Float64Array(at.length + bt.length);
  let i = 0;
  let j = 0;
  let o = 0;
  while (i < at.length || j < bt.length) {
    if (j >= bt.length || (i < at.length && at[i]! <= bt[j]!)) {
      if (j < bt.length && at[i] === bt[j]) j++; // duplicate: keep a's sample
      ts[o] = at[i]!;
      vs[o++] = a.values[i++]!;
    } else {
      ts[o] = bt[j]!;
      vs[o++] = b.values[j++]!;
    }
  }
  return { timestamps: ts.subarray(0, o), values: vs.subarray(0, o) };
}
