/**
 * Finds the chunks of given series in block objects (block-format.ts): reads the
 * fence table once, then only the directory pages that can hold the wanted series,
 * coalesced into few range reads (the whole directory when most of it is wanted).
 * Fences and pages are cached by bytes; blocks are immutable, so never stale.
 */
import type { Bucket } from './bucket.ts';
import { blockKey, compareIdAt, DIR_ENTRY_BYTES, readEntry, type BlockEntry, type BlockMeta } from './block-format.ts';
import { ChunkCache } from './chunk-cache.ts';
import { storageError } from './errors.ts';
import { mapLimit } from './map-limit.ts';
import { SERIES_ID_BYTES } from './series-id.ts';

/** Missing pages at most this many pages apart are read in one request. */
const PAGE_GAP = 8;

export interface BlockReaderStats {
  /** Directory or fence reads sent to the bucket. */
  reads: number;
  pageHits: number;
  pageMisses: number;
}

export class BlockReader {
  #cache: ChunkCache;
  #concurrency: number;
  readonly stats: BlockReaderStats = { reads: 0, pageHits: 0, pageMisses: 0 };

  constructor(opts: { cacheBytes: number; concurrency: number }) {
    this.#cache = new ChunkCache(opts.cacheBytes);
    this.#concurrency = opts.concurrency;
  }

  get cachedBytes(): number {
    return this.#cache.bytes;
  }

  /**
   * Directory entries of the wanted series (sorted, distinct 16-byte IDs, with their hex forms
   * in `wantedHex`) whose chunks overlap [start, end], in (series, minT) order. `bucket` is the
   * tenant's bucket; `scope` keys the cache.
   */
  async entries(bucket: Bucket, scope: string, meta: BlockMeta, wanted: readonly Uint8Array[], start: number, end: number, wantedHex?: readonly string[]): Promise<BlockEntry[]> {
    const out: BlockEntry[] = [];
    if (wanted.length === 0 || meta.dirEntries === 0 || meta.minT > end || meta.maxT < start) return out;
    const key = blockKey(meta.id);
    const every = meta.fenceEvery;
    const pages = Math.ceil(meta.dirEntries / every);
    const fences = await this.#fences(bucket, scope, key, meta, pages);
    // Pages [p0, p1] of each wanted series: p1 is the last page starting at or before it, p0 the
    // last starting strictly before it (a series' entries may run over from the previous page).
    const spans = new Int32Array(wanted.length * 2);
    const need = new Uint8Array(pages);
    for (let w = 0; w < wanted.length; w++) {
      const id = wanted[w]!;
      const p1 = lastFence(fences, pages, id, true);
      if (p1 < 0) {
        spans[2 * w] = -1;
        continue;
      }
      const p0 = Math.max(0, lastFence(fences, pages, id, false));
      spans[2 * w] = p0;
      spans[2 * w + 1] = p1;
      for (let p = p0; p <= p1; p++) need[p] = 1;
    }
    const pageBytes = await this.#pages(bucket, scope, key, meta, need, pages);
    const views: (DataView | undefined)[] = new Array(pages);
    for (let w = 0; w < wanted.length; w++) {
      const p0 = spans[2 * w]!;
      if (p0 < 0) continue;
      const id = wanted[w]!;
      for (let p = p0; p <= spans[2 * w + 1]!; p++) {
        const page = pageBytes[p]!;
        const dv = (views[p] ??= new DataView(page.buffer, page.byteOffset, page.byteLength));
        const n = page.length / DIR_ENTRY_BYTES;
        // First entry >= id in this page.
        let lo = 0;
        let hi = n;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if (compareIdAt(page, mid * DIR_ENTRY_BYTES, id) < 0) lo = mid + 1;
          else hi = mid;
        }
        let k = lo;
        for (; k < n && compareIdAt(page, k * DIR_ENTRY_BYTES, id) === 0; k++) {
          const e = readEntry(page, k, meta.minT, dv, wantedHex?.[w]);
          if (e.maxT >= start && e.minT <= end) out.push(e);
        }
        if (k < n) break; // the series ended inside this page
      }
    }
    return out;
  }

  async #fences(bucket: Bucket, scope: string, key: string, meta: BlockMeta, pages: number): Promise<Uint8Array> {
    const cacheKey = `${scope}/${key}#f`;
    const cached = this.#cache.get(cacheKey);
    if (cached !== undefined) return cached;
    this.stats.reads++;
    const bytes = await bucket.getRange(key, meta.fenceOffset, pages * SERIES_ID_BYTES);
    if (bytes === undefined) throw missingBlock(scope, key);
    if (bytes.length !== pages * SERIES_ID_BYTES) throw corruptBlock(scope, key, `fence table is ${bytes.length} bytes, want ${pages * SERIES_ID_BYTES}`);
    this.#cache.set(cacheKey, bytes);
    return bytes;
  }

  /** Every needed page's bytes (index = page number), from the cache or coalesced range reads. */
  async #pages(bucket: Bucket, scope: string, key: string, meta: BlockMeta, need: Uint8Array, pages: number): Promise<(Uint8Array | undefined)[]> {
    const every = meta.fenceEvery;
    const out: (Uint8Array | undefined)[] = new Array(pages);
    const missing: number[] = [];
    for (let p = 0; p < pages; p++) {
      if (need[p] === 0) continue;
      const c = this.#cache.get(`${scope}/${key}#p${p}`);
      if (c !== undefined) {
        out[p] = c;
        this.stats.pageHits++;
      } else {
        missing.push(p);
        this.stats.pageMisses++;
      }
    }
    if (missing.length === 0) return out;
    // Runs of missing pages; most of the directory wanted: one read of all of it.
    const runs: [number, number][] = [];
    if (missing.length * 2 >= pages) runs.push([missing[0]!, missing[missing.length - 1]!]);
    else {
      for (const p of missing) {
        const last = runs[runs.length - 1];
        if (last !== undefined && p - last[1] <= PAGE_GAP) last[1] = p;
        else runs.push([p, p]);
      }
    }
    await mapLimit(runs, this.#concurrency, async ([a, b]) => {
      const from = meta.dirOffset + a * every * DIR_ENTRY_BYTES;
      const entries = Math.min(meta.dirEntries, (b + 1) * every) - a * every;
      this.stats.reads++;
      const bytes = await bucket.getRange(key, from, entries * DIR_ENTRY_BYTES);
      if (bytes === undefined) throw missingBlock(scope, key);
      if (bytes.length !== entries * DIR_ENTRY_BYTES) throw corruptBlock(scope, key, `directory read of ${bytes.length} bytes, want ${entries * DIR_ENTRY_BYTES}`);
      for (let p = a; p <= b; p++) {
        const o = (p - a) * every * DIR_ENTRY_BYTES;
        const n = Math.min(meta.dirEntries, (p + 1) * every) - p * every;
        const page = bytes.subarray(o, o + n * DIR_ENTRY_BYTES);
        this.#cache.set(`${scope}/${key}#p${p}`, page);
        out[p] = page;
      }
    });
    return out;
  }
}

/** Last page whose first series ID is < id (or <= id when `orEqual`); -1 when none. */
function lastFence(fences: Uint8Array, pages: number, id: Uint8Array, orEqual: boolean): number {
  let lo = 0;
  let hi = pages;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const c = compareIdAt(fences, mid * SERIES_ID_BYTES, id);
    if (c < 0 || (orEqual && c === 0)) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

export function missingBlock(scope: string, key: string): Error {
  return storageError('STORE_CHUNK_MISSING', `Block object missing: tenant ${JSON.stringify(scope)}, key ${JSON.stringify(key)}`);
}

function corruptBlock(scope: string, key: string, why: string): Error {
  return storageError('STORE_CHUNK_CORRUPT', `Corrupt block: tenant ${JSON.stringify(scope)}, key ${JSON.stringify(key)}: ${why}`);
}
