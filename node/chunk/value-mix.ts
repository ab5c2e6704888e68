/**
 * Synthetic sample values shaped like a node-exporter target (VALUE_MIX), shared by the
 * storage benchmark (tools/bench/storage.ts), the packed-chunk benchmark and its size
 * tests, so all of them measure compression on the same data. Deterministic per series.
 */

export const VALUE_MIX = '45% constant, 15% changing in 2% of scrapes, 20% integer counters, 10% float counters (2 decimals), 10% gauges (random walk, 2 decimals)';

/** Deterministic PRNG (mulberry32): uniform in [0, 1). */
export function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    let t = (s = (s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The value generator of series `i`: most series of a real target are constant or change
 * rarely (info metrics, sizes, idle devices); the rest are counters and gauges.
 */
export function valueGenerator(i: number): () => number {
  const r = mulberry32(i + 1);
  const kind = i % 20;
  if (kind < 9) {
    const v = kind % 3 === 0 ? 1 : Math.floor(r() * 1e10);
    return () => v;
  }
  if (kind < 12) {
    let v = Math.floor(r() * 1e6);
    return () => (r() < 0.02 ? (v += Math.floor(r() * 100)) : v);
  }
  if (kind < 16) {
    const rate = Math.floor(r() * 200);
    let v = Math.floor(r() * 1e9);
    return () => (v += rate === 0 ? 0 : Math.floor(r() * rate * 30));
  }
  if (kind < 18) {
    let v = Math.round(r() * 1e5 * 100) / 100;
    return () => (v = Math.round((v + r() * 15) * 100) / 100);
  }
  let v = r() * 1000;
  return () => (v = Math.round((v + (r() - 0.5) * 10) * 100) / 100);
}
