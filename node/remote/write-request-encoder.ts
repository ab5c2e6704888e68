/**
 * Encoder for prometheus.WriteRequest (remote write 1.0). Used by tests, the
 * load generator and anything that forwards samples; the receiver only decodes.
 */
import type { Labels } from '../../query/model/labels.ts';
import { ProtoWriter, WIRE_I64, WIRE_VARINT } from './proto-writer.ts';
import { METRIC_TYPE_NAMES, type MetricMetadata, type SeriesInput } from './types.ts';

export interface WriteRequestInput {
  readonly series: readonly SeriesInput[];
  readonly metadata?: readonly MetricMetadata[];
}

/** Encodes a WriteRequest to uncompressed protobuf bytes (compress with compressSnappy before sending). */
export function encodeWriteRequest(req: WriteRequestInput): Uint8Array {
  const w = new ProtoWriter(estimateSize(req.series));
  for (const s of req.series) {
    const at = w.fork(1);
    writeTimeSeries(w, s);
    w.join(at);
  }
  for (const m of req.metadata ?? []) {
    const at = w.fork(3);
    const type = METRIC_TYPE_NAMES.indexOf(m.type);
    if (type > 0) {
      w.tag(1, WIRE_VARINT);
      w.uint32(type);
    }
    if (m.metricFamilyName !== '') w.stringField(2, m.metricFamilyName);
    if (m.help !== '') w.stringField(4, m.help);
    if (m.unit !== '') w.stringField(5, m.unit);
    w.join(at);
  }
  return w.finish();
}

function estimateSize(series: readonly SeriesInput[]): number {
  let n = 64;
  for (const s of series) n += 16 + s.labels.length * 24 + s.timestamps.length * 18;
  return n;
}

/** Writes the body of a prometheus.TimeSeries (shared by WriteRequest and ReadResponse). */
export function writeTimeSeries(w: ProtoWriter, s: SeriesInput): void {
  writeLabels(w, 1, s.labels);
  const ts = s.timestamps;
  const vals = s.values;
  if (ts.length !== vals.length) throw new RangeError(`Series has ${ts.length} timestamps but ${vals.length} values`);
  // Read doubles as raw bits straight from a Float64Array so NaN payloads are kept exactly.
  const bits = vals instanceof Float64Array ? new Uint32Array(vals.buffer, vals.byteOffset, vals.length * 2) : null;
  for (let i = 0; i < ts.length; i++) {
    const at = w.fork(2);
    w.tag(1, WIRE_I64);
    if (bits !== null) w.doubleBits(bits[2 * i]!, bits[2 * i + 1]!);
    else w.double(vals[i]!);
    const t = ts[i]!;
    if (t !== 0) {
      w.tag(2, WIRE_VARINT);
      w.int64(t);
    }
    w.join(at);
  }
  for (const e of s.exemplars ?? []) {
    const at = w.fork(3);
    writeLabels(w, 1, e.labels);
    w.tag(2, WIRE_I64);
    w.double(e.value);
    if (e.timestamp !== 0) {
      w.tag(3, WIRE_VARINT);
      w.int64(e.timestamp);
    }
    w.join(at);
  }
}

export function writeLabels(w: ProtoWriter, fieldNo: number, labels: Labels): void {
  for (const l of labels) {
    const at = w.fork(fieldNo);
    if (l.name !== '') w.stringField(1, l.name);
    if (l.value !== '') w.stringField(2, l.value);
    w.join(at);
  }
}
