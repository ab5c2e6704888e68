/**
 * Packed vs XOR chunk benchmark: `node --import tsx node/chunk/packed.bench.ts [--series N] [--samples N]`.
 * Data: tools/bench/storage.ts's value mix (45% constant, 15% changing in 2% of scrapes,
 * 20% integer counters, 10% float counters with 2 decimals, 10% random-walk gauges with
 * 2 decimals) at 15 s, same mulberry32 PRNG and seeds. Prints ONE JSON line: bytes/sample of
 * both encodings (and with 10% of scrapes jittered by up to ±10 ms, every 3rd series), packed
 * encode ns/sample, decode ns/sample of decodePackedRange vs decodeXorRange (best of 5 passes).
 */
import { decodePackedRange, encodePackedChunk, packedSampleCount } from './packed.ts';
import { encodeXorChunk } from './xor.ts';
import { mulberry32 as rng, valueGenerator as makeBenchValueGen } from './value-mix.ts';
import { decodeXorRange } from './xor-columns.ts';


function flag(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
}

const SERIES = flag('series', 20_000);
const SAMPLES = flag('samples', 240);
const STEP = 15_000;
const START = 1_750_003_200_000;

const ts = Float64Array.from({ length: SAMPLES }, (_, k) => START + k * STEP);
const values: Float64Array[] = [];
for (let i = 0; i < SERIES; i++) {
  const g = makeBenchValueGen(i);
  const vs = new Float64Array(SAMPLES);
  for (let k = 0; k < SAMPLES; k++) vs[k] = g();
  values.push(vs);
}
const total = SERIES * SAMPLES;

/** The same values with scrape jitter like xor.bench.ts: 10% of scrapes land up to 10 ms off the 15 s grid. */
function jitteredTs(seed: number): Float64Array {
  const r = rng(seed);
  const out = new Float64Array(SAMPLES);
  let t = START;
  for (let k = 0; k < SAMPLES; k++) {
    t += STEP + (r() < 0.1 ? Math.floor(r() * 20) - 10 : 0);
    out[k] = t;
  }
  return out;
}
let jitterPacked = 0;
let jitterXor = 0;
for (let i = 0; i < SERIES; i += 3) {
  const jt = jitteredTs(1_000_000 + i);
  jitterPacked += encodePackedChunk(jt, values[i]!).length;
  jitterXor += encodeXorChunk(jt, values[i]!).byteLength;
}

function encodeAll(): Uint8Array[] {
  const out: Uint8Array[] = new Array(SERIES);
  for (let i = 0; i < SERIES; i++) out[i] = encodePackedChunk(ts, values[i]!);
  return out;
}

encodeAll(); // warm-up
let t0 = process.hrtime.bigint();
const packed = encodeAll();
const encodeNs = Number(process.hrtime.bigint() - t0) / total;
const xor = values.map((vs) => encodeXorChunk(ts, vs).bytes());
let packedBytes = 0;
let xorBytes = 0;
for (const b of packed) packedBytes += b.length;
for (const b of xor) xorBytes += b.length;

const outT = new Float64Array(SAMPLES);
const outV = new Float64Array(SAMPLES);
function decodePacked(): number {
  let sum = 0;
  for (const b of packed) sum += decodePackedRange(b, outT, outV, 0, -Infinity, Infinity) + packedSampleCount(b);
  return sum;
}
function decodeXor(): number {
  let sum = 0;
  for (const b of xor) sum += decodeXorRange(b, outT, outV, 0, -Infinity, Infinity);
  return sum;
}
function timeIt(f: () => number): number {
  let best = Infinity;
  for (let r = 0; r < 5; r++) {
    const s = process.hrtime.bigint();
    if (f() === 0) console.error('unreachable');
    best = Math.min(best, Number(process.hrtime.bigint() - s) / total);
  }
  return best;
}
decodePacked();
decodeXor();
const decodeXorNs = timeIt(decodeXor);
const decodePackedNs = timeIt(decodePacked);
console.log(
  JSON.stringify({
    bench: 'packed-chunk',
    series: SERIES,
    samplesPerSeries: SAMPLES,
    packedBytesPerSample: +(packedBytes / total).toFixed(3),
    xorBytesPerSample: +(xorBytes / total).toFixed(3),
    jitterPackedBytesPerSample: +(jitterPacked / (Math.ceil(SERIES / 3) * SAMPLES)).toFixed(3),
    jitterXorBytesPerSample: +(jitterXor / (Math.ceil(SERIES / 3) * SAMPLES)).toFixed(3),
    encodePackedNs: +encodeNs.toFixed(1),
    decodePackedNs: +decodePackedNs.toFixed(1),
    decodeXorNs: +decodeXorNs.toFixed(1),
  }),
);
