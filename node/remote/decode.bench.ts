/**
 * Micro-benchmark of the WriteRequest decoder: a 2,000-series request with 8
 * labels and 1 sample per series (Prometheus' default max_samples_per_send
 * shape). Prints one JSON line. Run: node --import tsx node/remote/decode.bench.ts
 */
import { decodeWriteRequest } from './write-request-decoder.ts';
import { encodeWriteRequest } from './write-request-encoder.ts';
import { compressSnappy, uncompressSnappy } from './snappy.ts';
import type { SeriesInput } from './types.ts';

const SERIES = 2000;
const now = 1_700_000_000_000;
const series: SeriesInput[] = [];
for (let i = 0; i < SERIES; i++) {
  series.push({
    labels: [
      { name: '__name__', value: `http_requests_total_${i % 50}` },
      { name: 'cluster', value: 'prod-eu-1' },
      { name: 'code', value: String(200 + (i % 5)) },
      { name: 'handler', value: `/api/v1/endpoint/${i % 40}` },
      { name: 'instance', value: `10.0.${i >> 8}.${i & 255}:9100` },
      { name: 'job', value: 'api-server' },
      { name: 'method', value: i % 2 ? 'GET' : 'POST' },
      { name: 'pod', value: `api-server-7d9f8b${(i * 7919).toString(36)}` },
    ],
    timestamps: [now + i],
    values: new Float64Array([i * 1.5]),
  });
}
const raw = encodeWriteRequest({ series });
const compressed = compressSnappy(raw);

/**
 * Runs fn for at least minMs of this process' CPU time. CPU time rather than
 * wall time, because the machine is shared and wall time mostly measures the
 * neighbours. GC on helper threads counts too, so figures are conservative.
 */
function run(fn: () => void, minMs: number): { iterations: number; ms: number } {
  for (let i = 0; i < 50; i++) fn(); // warm-up
  let iterations = 0;
  const start = process.cpuUsage();
  let ms = 0;
  while (ms < minMs) {
    for (let i = 0; i < 20; i++) fn();
    iterations += 20;
    const u = process.cpuUsage(start);
    ms = (u.user + u.system) / 1000;
  }
  return { iterations, ms };
}

let sink = 0;
const dec = run(() => {
  sink += decodeWriteRequest(raw).sampleCount;
}, 3000);
const decNoIntern = run(() => {
  sink += decodeWriteRequest(raw, { intern: false }).sampleCount;
}, 2000);
const full = run(() => {
  sink += decodeWriteRequest(uncompressSnappy(compressed)).sampleCount;
}, 2000);

const perSec = (r: { iterations: number; ms: number }) => (r.iterations * 1000) / r.ms;
console.log(
  JSON.stringify({
    bench: 'remote-write-decode',
    node: process.version,
    series: SERIES,
    labelsPerSeries: 8,
    samplesPerSeries: 1,
    rawBytes: raw.length,
    snappyBytes: compressed.length,
    decodeMBps: +((perSec(dec) * raw.length) / 1e6).toFixed(1),
    decodeSamplesPerSec: Math.round(perSec(dec) * SERIES),
    decodeRequestsPerSec: Math.round(perSec(dec)),
    decodeNoInternMBps: +((perSec(decNoIntern) * raw.length) / 1e6).toFixed(1),
    decodeNoInternSamplesPerSec: Math.round(perSec(decNoIntern) * SERIES),
    snappyPlusDecodeSamplesPerSec: Math.round(perSec(full) * SERIES),
    sink: sink > 0,
  }),
);
