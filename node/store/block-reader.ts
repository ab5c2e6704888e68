/**
 * Finds the chunks of given series in block objects (block-format.ts): reads the
 * fence table once, then only the directory pages that can hold the wanted series,
 * coalesced into few range reads (the whole directory when most of it is wanted).
 * Fences and pages are cached by bytes; blocks are immutable, so never stale.
 */
import type { Bucket } from './bucket.ts';
import { blockKey, compareIdAt, DIR_ENTRY_BYTES, readEntry, SERIES_ENTRY_BYTES, SERIES_PER_PAGE, type BlockEntry, type BlockMeta } from './block-format.ts';
import type { Label, Labels } from '../../query/model/labels.ts';
import { matches, matchesAll, matchesEmpty, type Matcher } from '../../query/model/matchers.ts';
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
  /** Parsed label tables by their cached bytes: they go when the bytes leave the cache. */
  #parsed = new WeakMap<Uint8Array, unknown>();
  /** Decoded series (ID, labels) of a cached label page, by slot. */
  #decoded = new WeakMap<Uint8Array, ({ id: string; labels: Labels } | undefined)[]>();
  readonly stats: BlockReaderStats = { reads: 0, pageHits: 0, pageMisses: 0 };

  constructor(opts: { cacheBytes: number; concurrency: number }) {
    this.#cache = new ChunkCache(opts.cacheBytes);
    this.#concurrency = opts.concurrency;
  }

  get cachedBytes(): number {
    return this.#cache.bytes;
  }

  /**
   * Directory entries of the wanted series (distinct 16-byte IDs, in any order, with their hex
   * forms in `wantedHex`) whose chunks overlap [start, end]; each series' entries in minT order.
   * `bucket` is the tenant's bucket; `scope` keys the cache.
   */
  async entries(bucket: Bucket, scope: string, meta: BlockMeta, wanted: readonly Uint8Array[], start: number, end: number, wantedHex?: readonly string[]): Promise<BlockEntry[]> {
    const out: BlockEntry[] = [];
    if (wanted.length === 0 || meta.dirEntries === 0 || meta.minT > end || meta.maxT < start) return out;
    const key = blockKey(meta.id);
    const every = meta.fenceEvery;
    const pages = Math.ceil(meta.dirEntries / every);
    const fences = await this.#bytes(bucket, scope, key, meta.fenceOffset, pages * SERIES_ID_BYTES);
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

  /** Every needed directory page's bytes (index = page number). */
  #pages(bucket: Bucket, scope: string, key: string, meta: BlockMeta, need: Uint8Array, pages: number): Promise<(Uint8Array | undefined)[]> {
    return this.#sectionPages(bucket, scope, key, { tag: 'p', offset: meta.dirOffset, entryBytes: DIR_ENTRY_BYTES, entries: meta.dirEntries, perPage: meta.fenceEvery }, need, pages);
  }

  /** Every needed page of a table section (index = page number), from the cache or coalesced range reads. */
  async #sectionPages(bucket: Bucket, scope: string, key: string, sec: Section, need: Uint8Array, pages: number): Promise<(Uint8Array | undefined)[]> {
    const out: (Uint8Array | undefined)[] = new Array(pages);
    const missing: number[] = [];
    for (let p = 0; p < pages; p++) {
      if (need[p] === 0) continue;
      const c = this.#cache.get(`${scope}/${key}#${sec.tag}${p}`);
      if (c !== undefined) {
        out[p] = c;
        this.stats.pageHits++;
      } else {
        missing.push(p);
        this.stats.pageMisses++;
      }
    }
    await mapLimit(runsOf(missing, pages), this.#concurrency, async ([a, b]) => {
      const first = a * sec.perPage;
      const entries = Math.min(sec.entries, (b + 1) * sec.perPage) - first;
      const bytes = await this.#read(bucket, scope, key, sec.offset + first * sec.entryBytes, entries * sec.entryBytes);
      for (let p = a; p <= b; p++) {
        const o = (p - a) * sec.perPage * sec.entryBytes;
        const n = Math.min(sec.entries, (p + 1) * sec.perPage) - p * sec.perPage;
        const page = bytes.subarray(o, o + n * sec.entryBytes);
        this.#cache.set(`${scope}/${key}#${sec.tag}${p}`, page);
        out[p] = page;
      }
    });
    return out;
  }

  /** Exactly `length` bytes at `offset` of the block, or STORE_CHUNK_MISSING / STORE_CHUNK_CORRUPT. */
  async #read(bucket: Bucket, scope: string, key: string, offset: number, length: number): Promise<Uint8Array> {
    this.stats.reads++;
    const bytes = await bucket.getRange(key, offset, length);
    if (bytes === undefined) throw missingBlock(scope, key);
    if (bytes.length !== length) throw corruptBlock(scope, key, `read of ${length} bytes at ${offset} returned ${bytes.length}`);
    return bytes;
  }

  /** A whole small section (fence table, label tables, postings spans), cached as bytes. */
  async #bytes(bucket: Bucket, scope: string, key: string, offset: number, length: number): Promise<Uint8Array> {
    const cacheKey = `${scope}/${key}#b${offset}+${length}`;
    const cached = this.#cache.get(cacheKey);
    if (cached !== undefined) return cached;
    const bytes = await this.#read(bucket, scope, key, offset, length);
    this.#cache.set(cacheKey, bytes);
    return bytes;
  }

  #json<T>(bytes: Uint8Array, scope: string, key: string, what: string): T {
    let v = this.#parsed.get(bytes);
    if (v === undefined) {
      try {
        v = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
      } catch (err) {
        throw corruptBlock(scope, key, `${what}: ${(err as Error).message}`);
      }
      this.#parsed.set(bytes, v);
    }
    return v as T;
  }

  /**
   * The block's series matching every matcher (Prometheus semantics: a matcher that accepts ""
   * also selects series without the label), with their chunks overlapping [start, end], in
   * series ID order. Series whose chunks all lie outside the range are left out.
   * Candidates come from the postings of one matcher that rejects "" (an equality one first);
   * every matcher is then applied to the labels.
   */
  async select(bucket: Bucket, scope: string, meta: BlockMeta, matchers: readonly Matcher[], start: number, end: number): Promise<BlockSeries[]> {
    if (meta.series === 0 || meta.minT > end || meta.maxT < start) return [];
    const key = blockKey(meta.id);
    const candidates = await this.#candidates(bucket, scope, key, meta, matchers);
    if (candidates !== null && candidates.length === 0) return [];
    const count = candidates === null ? meta.series : candidates.length;
    const ordAt = (i: number) => (candidates === null ? i : candidates[i]!);
    const seriesPages = Math.ceil(meta.series / SERIES_PER_PAGE);
    const need = new Uint8Array(seriesPages);
    for (let i = 0; i < count; i++) need[Math.floor(ordAt(i) / SERIES_PER_PAGE)] = 1;
    const sec = { tag: 's', offset: meta.seriesTableOffset, entryBytes: SERIES_ENTRY_BYTES, entries: meta.series, perPage: SERIES_PER_PAGE };
    const pages = await this.#sectionPages(bucket, scope, key, sec, need, seriesPages);
    const labelPages = await this.#labelPages(bucket, scope, key, meta, pages, need);
    const symbols = this.#json<string[]>(await this.#bytes(bucket, scope, key, meta.symbolsOffset, meta.symbolsBytes), scope, key, 'symbol table');
    // The matching series and the directory pages their entries are on.
    const picked: { id: string; labels: Labels; first: number; n: number; rank: number }[] = [];
    const dirPages = Math.ceil(meta.dirEntries / meta.fenceEvery);
    const needDir = new Uint8Array(dirPages);
    const pageViews: (DataView | undefined)[] = new Array(seriesPages);
    for (let i = 0; i < count; i++) {
      const ord = ordAt(i);
      const p = Math.floor(ord / SERIES_PER_PAGE);
      const page = pages[p]!;
      const slot = ord - p * SERIES_PER_PAGE;
      const e = slot * SERIES_ENTRY_BYTES;
      const dv = (pageViews[p] ??= new DataView(page.buffer, page.byteOffset, page.byteLength));
      const first = dv.getUint32(e + 16, true);
      const n = dv.getUint16(e + 24, true);
      const lp = labelPages[p]!;
      // Decoded series live with the cached label page: a repeated query decodes nothing.
      let decoded = this.#decoded.get(lp);
      if (decoded === undefined) this.#decoded.set(lp, (decoded = new Array(SERIES_PER_PAGE)));
      let s = decoded[slot];
      if (s === undefined) {
        const at = dv.getUint32(e + 20, true) - dv.getUint32(20, true); // relative to the page's first series
        const labels = decodeSymbolLabels(lp, at, dv.getUint16(e + 26, true), symbols, scope, key);
        decoded[slot] = s = { id: Buffer.from(page.buffer, page.byteOffset + e, SERIES_ID_BYTES).toString('hex'), labels };
      }
      const labels = s.labels;
      if (!matchesAll(matchers, labels)) continue;
      if (first + n > meta.dirEntries) throw corruptBlock(scope, key, `series ${ord} names directory entries past the end`);
      picked.push({ id: s.id, labels, first, n, rank: dv.getUint32(e + 28, true) });
      for (let k = first; k < first + n; k++) needDir[Math.floor(k / meta.fenceEvery)] = 1;
    }
    if (picked.length === 0) return [];
    const dir = await this.#pages(bucket, scope, key, meta, needDir, dirPages);
    const views: (DataView | undefined)[] = new Array(dirPages);
    const out: BlockSeries[] = [];
    for (const s of picked) {
      const entries: BlockEntry[] = [];
      for (let k = s.first; k < s.first + s.n; k++) {
        const p = Math.floor(k / meta.fenceEvery);
        const page = dir[p]!;
        const dv = (views[p] ??= new DataView(page.buffer, page.byteOffset, page.byteLength));
        const e = readEntry(page, k - p * meta.fenceEvery, meta.minT, dv, s.id);
        if (e.maxT >= start && e.minT <= end) entries.push(e);
      }
      if (entries.length > 0) out.push({ seriesId: s.id, labels: s.labels, entries, rank: s.rank });
    }
    return out;
  }

  /** Series ordinals (sorted) from one selecting matcher's postings; null: every series is a candidate. */
  async #candidates(bucket: Bucket, scope: string, key: string, meta: BlockMeta, matchers: readonly Matcher[]): Promise<number[] | null> {
    const sel = matchers.find((m) => m.type === '=' && m.value !== '') ?? matchers.find((m) => !matchesEmpty(m));
    if (sel === undefined) return null;
    const names = this.#json<[string, number, number][]>(await this.#bytes(bucket, scope, key, meta.namesOffset, meta.namesBytes), scope, key, 'label names table');
    const row = names.find((r) => r[0] === sel.name);
    if (row === undefined) return []; // no series has the label, and the matcher needs a value
    const values = this.#json<[string, number, number][]>(await this.#bytes(bucket, scope, key, row[1], row[2]), scope, key, `label values table of ${JSON.stringify(sel.name)}`);
    const hits = sel.type === '=' ? values.filter((v) => v[0] === sel.value) : values.filter((v) => matches(sel, v[0]));
    if (hits.length === 0) return [];
    // A name's postings are contiguous: one read spans all the hits.
    const from = Math.min(...hits.map((h) => h[1]));
    const to = Math.max(...hits.map((h) => h[1] + h[2]));
    const bytes = await this.#bytes(bucket, scope, key, meta.postingsOffset + from * 4, (to - from) * 4);
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const out: number[] = [];
    for (const [, at, n] of hits) for (let i = 0; i < n; i++) out.push(dv.getUint32((at - from + i) * 4, true));
    if (hits.length > 1) {
      out.sort((a, b) => a - b);
      let w = 0;
      for (let i = 0; i < out.length; i++) if (i === 0 || out[i] !== out[i - 1]) out[w++] = out[i]!;
      out.length = w;
    }
    for (const o of out) if (o >= meta.series) throw corruptBlock(scope, key, `posting ${o} is past the ${meta.series} series`);
    return out;
  }

  /** Labels bytes of each needed series page (the labels of its series, back to back). */
  async #labelPages(bucket: Bucket, scope: string, key: string, meta: BlockMeta, pages: (Uint8Array | undefined)[], need: Uint8Array): Promise<(Uint8Array | undefined)[]> {
    const out: (Uint8Array | undefined)[] = new Array(pages.length);
    const missing: number[] = [];
    for (let p = 0; p < pages.length; p++) {
      if (need[p] === 0) continue;
      const c = this.#cache.get(`${scope}/${key}#l${p}`);
      if (c !== undefined) out[p] = c;
      else missing.push(p);
    }
    const span = (p: number): [number, number] => {
      const page = pages[p]!;
      const dv = new DataView(page.buffer, page.byteOffset, page.byteLength);
      const last = page.length - SERIES_ENTRY_BYTES;
      return [dv.getUint32(20, true), dv.getUint32(last + 20, true) + dv.getUint16(last + 26, true)];
    };
    await mapLimit(runsOf(missing, pages.length), this.#concurrency, async ([a, b]) => {
      const from = span(a)[0];
      const to = span(b)[1];
      if (to > meta.labelsBytes || from > to) throw corruptBlock(scope, key, `labels span ${from}-${to} outside ${meta.labelsBytes} bytes`);
      const bytes = await this.#read(bucket, scope, key, meta.labelsOffset + from, to - from);
      for (let p = a; p <= b; p++) {
        const [x, y] = span(p);
        const page = bytes.subarray(x - from, y - from);
        this.#cache.set(`${scope}/${key}#l${p}`, page);
        out[p] = page;
      }
    });
    return out;
  }

}

interface Section {
  /** Cache key tag. */
  tag: string;
  offset: number;
  entryBytes: number;
  entries: number;
  perPage: number;
}

/** One series of a block selected by matchers, with its chunks in the range. */
export interface BlockSeries {
  seriesId: string;
  labels: Labels;
  entries: BlockEntry[];
  /** Position of the series in the block's label order (sorting one block's series needs no label comparison). */
  rank: number;
}

/** A series' labels from `len` bytes of uvarint symbol numbers (name, value, name, value, ...) at `at`. */
function decodeSymbolLabels(bytes: Uint8Array, at: number, len: number, symbols: readonly string[], scope: string, key: string): Labels {
  if (at < 0 || at + len > bytes.length) throw corruptBlock(scope, key, `labels at ${at}+${len} outside their page`);
  const out: Label[] = [];
  let name: string | undefined;
  let x = 0;
  let shift = 1;
  for (let i = at; i < at + len; i++) {
    const b = bytes[i]!;
    x += (b & 0x7f) * shift;
    if (b & 0x80) {
      shift *= 128;
      continue;
    }
    const sym = symbols[x];
    if (sym === undefined) throw corruptBlock(scope, key, `symbol ${x} past the table's ${symbols.length}`);
    if (name === undefined) name = sym;
    else {
      out.push({ name, value: sym });
      name = undefined;
    }
    x = 0;
    shift = 1;
  }
  if (name !== undefined || shift !== 1) throw corruptBlock(scope, key, 'labels end inside a label');
  return out;
}

/** Runs of missing pages to read; half of all pages or more missing: one run over all of them. */
function runsOf(missing: readonly number[], pages: number): [number, number][] {
  const runs: [number, number][] = [];
  if (missing.length === 0) return runs;
  if (missing.length * 2 >= pages) return [[missing[0]!, missing[missing.length - 1]!]];
  for (const p of missing) {
    const last = runs[runs.length - 1];
    if (last !== undefined && p - last[1] <= PAGE_GAP) last[1] = p;
    else runs.push([p, p]);
  }
  return runs;
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
