/**
 * Test-only helpers: the remote-write/read schema for protobufjs (the
 * reference encoder/decoder our hand-written codecs are checked against) and a
 * seeded random generator. Not imported by production code.
 */
import protobuf from 'protobufjs';

const SCHEMA = `
syntax = "proto3";
package prometheus;

message WriteRequest {
  repeated TimeSeries timeseries = 1;
  repeated MetricMetadata metadata = 3;
}
message MetricMetadata {
  enum MetricType { UNKNOWN = 0; COUNTER = 1; GAUGE = 2; HISTOGRAM = 3; GAUGEHISTOGRAM = 4; SUMMARY = 5; INFO = 6; STATESET = 7; }
  MetricType type = 1;
  string metric_family_name = 2;
  string help = 4;
  string unit = 5;
}
message Sample { double value = 1; int64 timestamp = 2; }
message Exemplar { repeated Label labels = 1; double value = 2; int64 timestamp = 3; }
message BucketSpan { sint32 offset = 1; uint32 length = 2; }
message Histogram {
  oneof count { uint64 count_int = 1; double count_float = 2; }
  double sum = 3;
  sint32 schema = 4;
  double zero_threshold = 5;
  oneof zero_count { uint64 zero_count_int = 6; double zero_count_float = 7; }
  repeated BucketSpan negative_spans = 8;
  repeated sint64 negative_deltas = 9;
  repeated double negative_counts = 10;
  repeated BucketSpan positive_spans = 11;
  repeated sint64 positive_deltas = 12;
  repeated double positive_counts = 13;
  int32 reset_hint = 14;
  int64 timestamp = 15;
  repeated double custom_values = 16;
}
message TimeSeries {
  repeated Label labels = 1;
  repeated Sample samples = 2;
  repeated Exemplar exemplars = 3;
  repeated Histogram histograms = 4;
}
message Label { string name = 1; string value = 2; }

message ReadRequest {
  repeated Query queries = 1;
  repeated int32 accepted_response_types = 2;
}
message Query {
  int64 start_timestamp_ms = 1;
  int64 end_timestamp_ms = 2;
  repeated LabelMatcher matchers = 3;
  ReadHints hints = 4;
}
message LabelMatcher { int32 type = 1; string name = 2; string value = 3; }
message ReadHints {
  int64 step_ms = 1; string func = 2; int64 start_ms = 3; int64 end_ms = 4;
  repeated string grouping = 5; bool by = 6; int64 range_ms = 7;
}
message ReadResponse { repeated QueryResult results = 1; }
message QueryResult { repeated TimeSeries timeseries = 1; }

// A "future" version of the messages with extra fields of every wire type,
// to check that unknown fields are skipped.
message FutureWriteRequest {
  repeated FutureTimeSeries timeseries = 1;
  repeated MetricMetadata metadata = 3;
  string extra_string = 9;
  fixed32 extra_fixed32 = 10;
  uint64 extra_varint = 11;
}
message FutureTimeSeries {
  repeated FutureLabel labels = 1;
  repeated FutureSample samples = 2;
  fixed64 extra_fixed64 = 7;
  repeated int32 extra_packed = 8;
  FutureLabel extra_message = 15;
}
message FutureLabel { string name = 1; string value = 2; sfixed32 extra = 3; }
message FutureSample { double value = 1; int64 timestamp = 2; int64 created = 3; bytes payload = 4; }
`;

export const root = protobuf.parse(SCHEMA, { keepCase: true }).root;
export const WriteRequestT = root.lookupType('prometheus.WriteRequest');
export const FutureWriteRequestT = root.lookupType('prometheus.FutureWriteRequest');
export const ReadRequestT = root.lookupType('prometheus.ReadRequest');
export const ReadResponseT = root.lookupType('prometheus.ReadResponse');

export const toObjectOptions = { longs: Number, defaults: true, arrays: true } as const;

/** Deterministic PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Float64 from raw 32-bit halves (bit-exact). */
export function fromBits(hi: number, lo: number): number {
  const f = new Float64Array(1);
  const u = new Uint32Array(f.buffer);
  u[0] = lo;
  u[1] = hi;
  return f[0]!;
}

export function bitsOf(arr: Float64Array, i: number): [number, number] {
  const u = new Uint32Array(arr.buffer, arr.byteOffset, arr.length * 2);
  return [u[2 * i + 1]!, u[2 * i]!];
}
