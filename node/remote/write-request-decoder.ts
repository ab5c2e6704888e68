/**
 * Hand-written decoder for prometheus.WriteRequest (remote write 1.0) — the
 * ingest hot path. Samples land in two shared columns (timestamps, values);
 * each series records its offset and count in them (views made on access), so
 * no object is built per sample.
 * Sample values are copied as raw 64-bit patterns, which keeps every NaN
 * payload (in particular the stale marker 0x7ff0000000000002) bit-exact.
 */
import type { Label } from '../../query/model/labels.ts';
import { ProtoReader, StringInterner, WIRE_I64, WIRE_LEN, WIRE_VARINT } from './proto-reader.ts';
import type { SeriesLabelsCache } from './series-labels-cache.ts';
import { METRIC_TYPE_NAMES, type MetricMetadata } from './types.ts';

export interface DecodedSeries {
  /** Labels in wire order (the validator checks sorting and duplicates). */
  readonly labels: Label[];
  /** Sample timestamps in ms; a view into DecodedWriteRequest.timestamps (made on each access: hot paths read the columns). */
  readonly timestamps: Float64Array;
  /** Sample values; a view into DecodedWriteRequest.values (made on each access). */
  readonly values: Float64Array;
  /** Offset of this series' first sample in the shared columns. */
  readonly sampleOffset: number;
  /** Number of samples of this series (timestamps.length without making the view). */
  readonly sampleCount: number;
  /** The request's shared timestamp column (DecodedWriteRequest.timestamps). */
  readonly columnTimestamps: Float64Array;
  /** The request's shared value column (DecodedWriteRequest.values). */
  readonly columnValues: Float64Array;
  /**
   * Id of `labels` in the SeriesLabelsCache it came from (-1 without one): lets
   * later stages keep per-series facts in arrays indexed by id. Ids are reused
   * after the cache clears, so always confirm by labels array identity.
   */
  readonly labelsId: number;
  /** Number of Exemplar messages present (not decoded). */
  readonly exemplarCount: number;
  /** Number of native Histogram messages present (not decoded). */
  readonly histogramCount: number;
}

export interface DecodedWriteRequest {
  readonly series: DecodedSeries[];
  readonly metadata: MetricMetadata[];
  /** All sample timestamps of the request, series after series. */
  readonly timestamps: Float64Array;
  /** All sample values, aligned with timestamps. */
  readonly values: Float64Array;
  readonly sampleCount: number;
  readonly exemplarCount: number;
  readonly histogramCount: number;
}

export interface WriteRequestDecodeOptions {
  /**
   * Intern short ASCII strings (label names, repeated values) through a small
   * per-call cache.
   * @default true
   */
  intern?: boolean;
  /**
   * A long-lived interner shared across requests (the node keeps one): label
   * strings repeat in every request of a sender, so reusing them saves decoding,
   * garbage and memory, and lets the head compare labels by identity.
   * @default a fresh per-call interner
   */
  interner?: StringInterner;
  /**
   * A long-lived cache from the wire bytes of a series' Label fields to its
   * decoded labels (the node keeps one): known series then skip label decoding
   * and come back as the same array object every time, which later stages use
   * to remember validation and series lookups. Such arrays must not be mutated.
   * @default none (labels decoded every time)
   */
  labelsCache?: SeriesLabelsCache;
}

const F_REQ = 'WriteRequest';
const F_TS = 'WriteRequest.timeseries';
const F_LABEL = 'WriteRequest.timeseries.labels';
const F_LABEL_NAME = 'WriteRequest.timeseries.labels.name';
const F_LABEL_VALUE = 'WriteRequest.timeseries.labels.value';
const F_SAMPLE = 'WriteRequest.timeseries.samples';
const F_SAMPLE_VALUE = 'WriteRequest.timeseries.samples.value';
const F_SAMPLE_TS = 'WriteRequest.timeseries.samples.timestamp';
const F_EXEMPLARS = 'WriteRequest.timeseries.exemplars';
const F_HISTOGRAMS = 'WriteRequest.timeseries.histograms';
const F_META = 'WriteRequest.metadata';

/** Decodes an uncompressed WriteRequest. Throws RemoteDecodeError (400) on malformed input. */
export function decodeWriteRequest(buf: Uint8Array, options: WriteRequestDecodeOptions = {}): DecodedWriteRequest {
  return new WriteRequestDecoder(buf, options.intern ?? true, options.interner, options.labelsCache).decode();
}

const NO_SAMPLES = new Float64Array(0);

/**
 * A decoded series: plain fields plus the request's columns. The per-series
 * views are made only on access, since two typed-array views per series cost
 * more than the rest of decoding a known series.
 */
class ColumnSeries implements DecodedSeries {
  readonly labels: Label[];
  readonly sampleOffset: number;
  readonly sampleCount: number;
  columnTimestamps: Float64Array = NO_SAMPLES;
  columnValues: Float64Array = NO_SAMPLES;
  readonly exemplarCount: number;
  readonly histogramCount: number;
  readonly labelsId: number;

  constructor(labels: Label[], labelsId: number, sampleOffset: number, sampleCount: number, exemplarCount: number, histogramCount: number) {
    this.labels = labels;
    this.labelsId = labelsId;
    this.sampleOffset = sampleOffset;
    this.sampleCount = sampleCount;
    this.exemplarCount = exemplarCount;
    this.histogramCount = histogramCount;
  }

  get timestamps(): Float64Array {
    return this.columnTimestamps.subarray(this.sampleOffset, this.sampleOffset + this.sampleCount);
  }

  get values(): Float64Array {
    return this.columnValues.subarray(this.sampleOffset, this.sampleOffset + this.sampleCount);
  }
}

class WriteRequestDecoder {
  readonly #r: ProtoReader;
  #ts: Float64Array;
  #vals: Float64Array;
  /** 32-bit view over #vals for bit-exact copies of the doubles. */
  #valBits: Uint32Array;
  #n = 0;
  #exemplars = 0;
  #histograms = 0;
  readonly #labelsCache: SeriesLabelsCache | null;

  constructor(buf: Uint8Array, intern: boolean, interner?: StringInterner, labelsCache?: SeriesLabelsCache) {
    this.#r = new ProtoReader(buf, intern ? (interner ?? new StringInterner()) : null);
    this.#labelsCache = labelsCache ?? null;
    // A sample costs ~18 wire bytes, but remote write mostly sends one sample per
    // ~150-byte series: start near that (no 20× oversized zeroed columns per
    // request) and grow by doubling when samples are denser.
    const initial = Math.max(64, Math.min(1 << 20, buf.length >>> 7));
    this.#ts = new Float64Array(initial);
    this.#vals = new Float64Array(initial);
    this.#valBits = new Uint32Array(this.#vals.buffer);
  }

  decode(): DecodedWriteRequest {
    const r = this.#r;
    const series: ColumnSeries[] = [];
    const metadata: MetricMetadata[] = [];
    while (r.pos < r.end) {
      const at = r.pos;
      const t = r.tag(F_REQ);
      const fieldNo = t >>> 3;
      const wt = t & 7;
      if (fieldNo === 1) {
        r.expect(F_TS, wt, WIRE_LEN, at);
        const e = r.lenEnd(F_TS);
        series.push(this.#timeSeries(e));
      } else if (fieldNo === 3) {
        r.expect(F_META, wt, WIRE_LEN, at);
        const e = r.lenEnd(F_META);
        metadata.push(this.#metadata(e));
      } else {
        r.skip(F_REQ, wt, fieldNo);
      }
    }
    const n = this.#n;
    const timestamps = this.#ts.subarray(0, n);
    const values = this.#vals.subarray(0, n);
    for (let i = 0; i < series.length; i++) {
      const s = series[i]!;
      s.columnTimestamps = timestamps;
      s.columnValues = values;
    }
    return { series, metadata, timestamps, values, sampleCount: n, exemplarCount: this.#exemplars, histogramCount: this.#histograms };
  }

  #grow(): void {
    const cap = this.#ts.length * 2;
    const ts = new Float64Array(cap);
    ts.set(this.#ts);
    const vals = new Float64Array(cap);
    // Copy the raw bits, not the numbers, so NaN payloads survive the copy.
    const bits = new Uint32Array(vals.buffer);
    bits.set(this.#valBits);
    this.#ts = ts;
    this.#vals = vals;
    this.#valBits = bits;
  }

  #timeSeries(end: number): ColumnSeries {
    const r = this.#r;
    const outerEnd = r.end;
    r.end = end;
    let labels: Label[] = [];
    const start = this.#n;
    let exemplars = 0;
    let histograms = 0;
    // Label fields at the head of the message (where every sender puts them): look
    // their bytes up in the cache; on a miss they are decoded below and remembered.
    const cache = this.#labelsCache;
    let regionFrom = -1;
    let regionTo = -1;
    /** 1: labels came from the cache (copy before adding any); 2: a label field came after another field (do not cache). */
    let labelsState = 0;
    let labelsId = -1;
    if (cache !== null) {
      const buf = r.buf;
      const from = r.pos;
      let p = from;
      while (p < end && buf[p] === 0x0a) {
        r.pos = p + 1;
        p = r.lenEnd(F_LABEL);
      }
      r.pos = from;
      if (p > from) {
        const id = cache.find(r.view, from, p);
        if (id >= 0) {
          labels = cache.labelsOf(id);
          labelsId = id;
          labelsState = 1;
          r.pos = p;
        } else {
          regionFrom = from;
          regionTo = p;
        }
      }
    }
    while (r.pos < end) {
      const at = r.pos;
      const t = r.tag(F_TS);
      const fieldNo = t >>> 3;
      const wt = t & 7;
      switch (fieldNo) {
        case 1: {
          r.expect(F_LABEL, wt, WIRE_LEN, at);
          if (at >= regionTo) {
            if (labelsState === 1) labels = labels.slice();
            labelsState = 2;
            labelsId = -1;
          }
          labels.push(this.#label(r.lenEnd(F_LABEL)));
          break;
        }
        case 2: {
          r.expect(F_SAMPLE, wt, WIRE_LEN, at);
          this.#sample(r.lenEnd(F_SAMPLE));
          break;
        }
        case 3: {
          r.expect(F_EXEMPLARS, wt, WIRE_LEN, at);
          r.pos = r.lenEnd(F_EXEMPLARS);
          exemplars++;
          break;
        }
        case 4: {
          r.expect(F_HISTOGRAMS, wt, WIRE_LEN, at);
          r.pos = r.lenEnd(F_HISTOGRAMS);
          histograms++;
          break;
        }
        default:
          r.skip(F_TS, wt, fieldNo);
      }
    }
    r.end = outerEnd;
    if (regionFrom >= 0 && labelsState === 0) {
      // Kept for as long as the series is active: exact-size, made of shared pair objects.
      const kept: Label[] = new Array(labels.length);
      for (let i = 0; i < labels.length; i++) kept[i] = cache!.label(labels[i]!.name, labels[i]!.value);
      labels = kept;
      labelsId = cache!.put(r.view, regionFrom, regionTo, labels);
    }
    this.#exemplars += exemplars;
    this.#histograms += histograms;
    return new ColumnSeries(labels, labelsId, start, this.#n - start, exemplars, histograms);
  }

  #label(end: number): Label {
    const r = this.#r;
    const outerEnd = r.end;
    r.end = end;
    let name = '';
    let value = '';
    while (r.pos < end) {
      const at = r.pos;
      const t = r.tag(F_LABEL);
      const fieldNo = t >>> 3;
      const wt = t & 7;
      if (fieldNo === 1) {
        r.expect(F_LABEL_NAME, wt, WIRE_LEN, at);
        name = r.string(F_LABEL_NAME, r.lenEnd(F_LABEL_NAME));
      } else if (fieldNo === 2) {
        r.expect(F_LABEL_VALUE, wt, WIRE_LEN, at);
        value = r.string(F_LABEL_VALUE, r.lenEnd(F_LABEL_VALUE));
      } else {
        r.skip(F_LABEL, wt, fieldNo);
      }
    }
    r.end = outerEnd;
    return { name, value };
  }

  #sample(end: number): void {
    const r = this.#r;
    const buf = r.buf;
    const outerEnd = r.end;
    r.end = end;
    if (this.#n === this.#ts.length) this.#grow();
    const i = this.#n;
    let ts = 0;
    let lo = 0;
    let hi = 0;
    while (r.pos < end) {
      const at = r.pos;
      const t = r.tag(F_SAMPLE);
      const fieldNo = t >>> 3;
      const wt = t & 7;
      if (fieldNo === 1) {
        r.expect(F_SAMPLE_VALUE, wt, WIRE_I64, at);
        const p = r.pos;
        if (p + 8 > end) r.fail(F_SAMPLE_VALUE, 'truncated double');
        lo = buf[p]! | (buf[p + 1]! << 8) | (buf[p + 2]! << 16) | (buf[p + 3]! << 24);
        hi = buf[p + 4]! | (buf[p + 5]! << 8) | (buf[p + 6]! << 16) | (buf[p + 7]! << 24);
        r.pos = p + 8;
      } else if (fieldNo === 2) {
        r.expect(F_SAMPLE_TS, wt, WIRE_VARINT, at);
        ts = r.int64(F_SAMPLE_TS);
      } else {
        r.skip(F_SAMPLE, wt, fieldNo);
      }
    }
    r.end = outerEnd;
    this.#ts[i] = ts;
    // Little-endian hosts (x64, arm64): word 2i is the low half of double i.
    this.#valBits[2 * i] = lo;
    this.#valBits[2 * i + 1] = hi;
    this.#n = i + 1;
  }

  #metadata(end: number): MetricMetadata {
    const r = this.#r;
    const outerEnd = r.end;
    r.end = end;
    let type = 0;
    let family = '';
    let help = '';
    let unit = '';
    while (r.pos < end) {
      const at = r.pos;
      const t = r.tag(F_META);
      const fieldNo = t >>> 3;
      const wt = t & 7;
      switch (fieldNo) {
        case 1:
          r.expect('WriteRequest.metadata.type', wt, WIRE_VARINT, at);
          type = r.uint32('WriteRequest.metadata.type');
          break;
        case 2:
          r.expect('WriteRequest.metadata.metric_family_name', wt, WIRE_LEN, at);
          family = r.string('WriteRequest.metadata.metric_family_name', r.lenEnd('WriteRequest.metadata.metric_family_name'));
          break;
        case 4:
          r.expect('WriteRequest.metadata.help', wt, WIRE_LEN, at);
          help = r.string('WriteRequest.metadata.help', r.lenEnd('WriteRequest.metadata.help'));
          break;
        case 5:
          r.expect('WriteRequest.metadata.unit', wt, WIRE_LEN, at);
          unit = r.string('WriteRequest.metadata.unit', r.lenEnd('WriteRequest.metadata.unit'));
          break;
        default:
          r.skip(F_META, wt, fieldNo);
      }
    }
    r.end = outerEnd;
    return { type: METRIC_TYPE_NAMES[type] ?? 'unknown', metricFamilyName: family, help, unit };
  }
}

if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  // The bit-copy of doubles above assumes a little-endian host, as every platform Node ships for is.
  throw new RangeError('Remote write decoder requires a little-endian host');
}
