/**
 * XOR chunk micro-benchmark: `node --import tsx node/chunk/xor.bench.ts`.
 * Prints one JSON line with append/iterate ns per sample and bytes per sample for
 * realistic 15 s data: a gauge with 2 decimals (random walk, e.g. temperatures:
 * worst case for XOR), a byte gauge (memory in 4 KiB pages), a counter (integer
 * increments), and a constant (e.g. `up`), 120 samples per chunk.
 */
import { XorChunk, XorIterator } from './xor.ts';

type Kind = 'gauge' | 'bytesGauge' | 'counter' | 'constant';
const CHUNKS = 20000;
const PER = 120;

function makeData(kind: Kind): { ts: Float64Array; vs: Float64Array } {
  const ts = new Float64Array(PER);
  const vs = new Float64Array(PER);
  let seed = 12345;
  const rnd = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 4294967296);
  let v = kind === 'counter' ? 1_000_000 : 42.5;
  let t = 1_700_000_000_000;
  for (let i = 0; i < PER; i++) {
    // Scrape jitter: most scrapes land on the 15 s grid, some a few ms off.
    t += 15000 + (rnd() < 0.1 ? Math.floor(rnd() * 20) - 10 : 0);
    ts[i] = t;
    if (kind === 'gauge') v = Math.round((v + (rnd() - 0.5) * 4) * 100) / 100;
    else if (kind === 'counter') v += Math.floor(rnd() * 500);
    else if (kind === 'bytesGauge') v = (i === 0 ? 200_000 : v / 4096 + Math.floor(rnd() * 64) - 32) * 4096;
    vs[i] = v;
  }
  return { ts, vs };
}

function run(kind: Kind): { appendNs: number; iterateNs: number; bytesPerSample: number } {
  const { ts, vs } = makeData(kind);
  const chunks: XorChunk[] = new Array(CHUNKS);
  let t0 = process.hrtime.bigint();
  for (let c = 0; c < CHUNKS; c++) {
    const ch = new XorChunk();
    for (let i = 0; i < PER; i++) ch.append(ts[i]!, vs[i]!);
    chunks[c] = ch;
  }
  const appendNs = Number(process.hrtime.bigint() - t0) / (CHUNKS * PER);
  let bytes = 0;
  for (const ch of chunks) bytes += ch.byteLength;
  const outT = new Float64Array(PER);
  const outV = new Float64Array(PER);
  let sum = 0;
  t0 = process.hrtime.bigint();
  for (const ch of chunks) {
    const n = new XorIterator(ch.bytes()).readInto(outT, outV, 0);
    sum += n + outV[n - 1]!;
  }
  const iterateNs = Number(process.hrtime.bigint() - t0) / (CHUNKS * PER);
  if (sum === 0) console.error('unreachable');
  return { appendNs: +appendNs.toFixed(1), iterateNs: +iterateNs.toFixed(1), bytesPerSample: +(bytes / (CHUNKS * PER)).toFixed(3) };
}

run('gauge'); // warm-up
const out = { bench: 'xor-chunk', samplesPerChunk: PER, gauge: run('gauge'), bytesGauge: run('bytesGauge'), counter: run('counter'), constant: run('constant') };
console.log(JSON.stringify(out));
