/**
 * Hand-written decoder for prometheus.WriteRequest (remote write 1.0) — the
 * ingest hot path. Samples land in two shared columns (timestamps, values);
 * each series gets subarray views into them, so no object is built per sample.
 * Sample values are copied as raw 64-bit patterns, which keeps every NaN
 * payload (in particular the stale marker 0x7ff0000000000002) bit-exact.
 */
import type { Label } from '../../query/model/labels.ts';
import { ProtoReader, StringInterner, WIRE_I64, WIRE_LEN, WIRE_VARINT } from './proto-reader.ts';
import { METRIC_TYPE_NAMES, type MetricMetadata } from './types.ts';

export interface DecodedSeries {
  /** Labels in wire order (the validator checks sorting and duplicates). */
  readonly labels: Label[];
  /** Sample timestamps in ms; a view into DecodedWriteRequest.timestamps. */
  readonly timestamps: Float64Array;
  /** Sample values; a view into DecodedWriteRequest.values. */
  readonly values: Float64Array;
  /** Offset of this series' first sample in the shared columns. */
  readonly sampleOffset: number;
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
  return new WriteRequestDecoder(buf, options.intern ?? true, options.interner).decode();
}

interface PendingSeries {
  labels: Label[];
  start: number;
  count: number;
  exemplars: number;
  histograms: number;
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

  constructor(buf: Uint8Array, intern: boolean, interner?: StringInterner) {
    this.#r = new ProtoReader(buf, intern ? (interner ?? new StringInterner()) : null);
    // A typical sample costs ~18 wire bytes; start near that and grow by doubling.
    const initial = Math.max(64, Math.min(1 << 20, buf.length >>> 4));
    this.#ts = new Float64Array(initial);
    this.#vals = new Float64Array(initial);
    this.#valBits = new Uint32Array(this.#vals.buffer);
  }

  decode(): DecodedWriteRequest {
    const r = this.#r;
    const pending: PendingSeries[] = [];
    const metadata: MetricMetadata[] = [];
    while (r.pos < r.end) {
      const at = r.pos;
      const t = r.tag(F_REQ);
      const fieldNo = t >>> 3;
      const wt = t & 7;
      if (fieldNo === 1) {
        r.expect(F_TS, wt, WIRE_LEN, at);
        const e = r.lenEnd(F_TS);
        pending.push(this.#timeSeries(e));
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
    const series: DecodedSeries[] = new Array(pending.length);
    for (let i = 0; i < pending.length; i++) {
      const s = pending[i]!;
      series[i] = {
        labels: s.labels,
        timestamps: timestamps.subarray(s.start, s.start + s.count),
        values: values.subarray(s.start, s.start + s.count),
        sampleOffset: s.start,
        exemplarCount: s.exemplars,
        histogramCount: s.histograms,
      };
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

  #timeSeries(end: number): PendingSeries {
    const r = this.#r;
    const outerEnd = r.end;
    r.end = end;
    const labels: Label[] = [];
    const start = this.#n;
    let exemplars = 0;
    let histograms = 0;
    while (r.pos < end) {
      const at = r.pos;
      const t = r.tag(F_TS);
      const fieldNo = t >>> 3;
      const wt = t & 7;
      switch (fieldNo) {
        case 1: {
          r.expect(F_LABEL, wt, WIRE_LEN, at);
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
    this.#exemplars += exemplars;
    this.#histograms += histograms;
    return { labels, start, count: this.#n - start, exemplars, histograms };
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
