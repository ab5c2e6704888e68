/**
 * Ingest benchmark through Ingester.push with the real WAL on disk:
 * `node --import tsx --expose-gc node/ingester/head.bench.ts [series] [rounds]`.
 * 100k series × 8 labels × 20 rounds (one sample per series per round, 15 s
 * apart), pushes of 1000 series with 4 in flight. Prints one JSON line: samples/s,
 * heap/RSS after, restart seconds from the WAL alone and from a checkpoint.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labelsFromObject, type Labels } from '../../query/model/labels.ts';
import { newMatcher } from '../../query/model/matchers.ts';
import { Ingester, type PushSeries } from './ingester.ts';

const SERIES = Number(process.argv[2] ?? 100_000);
const ROUNDS = Number(process.argv[3] ?? 20);
const BATCH = 1000;
const IN_FLIGHT = 4;
const T0 = 1_700_000_000_000;

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

const labels: Labels[] = [];
for (let i = 0; i < SERIES; i++) {
  labels.push(
    labelsFromObject({
      __name__: `metric_${i % 100}`,
      cluster: `cluster-${i % 3}`,
      namespace: `ns-${i % 20}`,
      job: `job-${i % 50}`,
      instance: `10.0.${(i >> 8) & 255}.${i & 255}:9100`,
      pod: `pod-${i % 5000}-abcde`,
      container: `c-${i % 7}`,
      id: String(i),
    }),
  );
}

function batch(r: number, from: number): PushSeries[] {
  const out: PushSeries[] = [];
  const t = T0 + r * 15000;
  for (let i = from; i < Math.min(from + BATCH, SERIES); i++) {
    const values = new Float64Array(1);
    values[0] = i % 2 === 0 ? r * 10 + (i % 13) : Math.round(Math.sin(r + i) * 10000) / 100;
    out.push({ labels: labels[i]!, timestamps: [t], values });
  }
  return out;
}

const dir = await mkdtemp(join(tmpdir(), 'ingester-bench-'));
const cfg = { dataDir: dir, checkpointIntervalMs: 0, gcIntervalMs: 0, checkpointRecords: 0, checkpointBytes: 0, checkpointOnStop: false };
try {
  const ing = new Ingester(cfg);
  await ing.start();
  const jobs: [number, number][] = [];
  for (let r = 0; r < ROUNDS; r++) for (let f = 0; f < SERIES; f += BATCH) jobs.push([r, f]);
  let next = 0;
  const started = performance.now();
  const cpu0 = process.cpuUsage();
  let firstRoundMs = 0;
  async function worker(): Promise<void> {
    while (next < jobs.length) {
      const [r, f] = jobs[next++]!;
      const res = await ing.push('bench', batch(r, f));
      if (res.rejected !== 0) throw new Error(`Unexpected rejections: ${JSON.stringify(res.reasons)}`);
      if (r === 0 && f + BATCH >= SERIES) firstRoundMs = performance.now() - started;
    }
  }
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  const elapsed = (performance.now() - started) / 1000;
  const cpu1 = process.cpuUsage(cpu0);
  const pushCpu = cpu1.user + cpu1.system;
  const samples = SERIES * ROUNDS;
  gc();
  const mem = process.memoryUsage();
  const walBytes = ing.stats().walBytesWritten;
  await ing.stop();
  gc();

  const b = new Ingester(cfg);
  let t = performance.now();
  await b.start();
  const restartWal = (performance.now() - t) / 1000;
  const replayWal = b.stats().replay!;
  const check = await b.querier('bench').select([newMatcher('=', 'id', '12345')], { start: -Infinity, end: Infinity });
  if (check.length !== 1 || check[0]!.timestamps.length !== ROUNDS) throw new Error('Restart lost data');
  t = performance.now();
  await b.checkpoint();
  const checkpointSeconds = (performance.now() - t) / 1000;
  await b.stop();
  gc();

  const c = new Ingester(cfg);
  t = performance.now();
  await c.start();
  const restartCheckpoint = (performance.now() - t) / 1000;
  const replayCp = c.stats().replay!;
  await c.stop();

  console.log(
    JSON.stringify({
      bench: 'ingester-push',
      series: SERIES,
      labelsPerSeries: 8,
      rounds: ROUNDS,
      batch: BATCH,
      inFlight: IN_FLIGHT,
      samplesPerSec: Math.round(samples / elapsed),
      steadySamplesPerSec: Math.round((samples - SERIES) / (elapsed - firstRoundMs / 1000)),
      firstRoundSeconds: +(firstRoundMs / 1000).toFixed(2),
      heapMB: +(mem.heapUsed / 1048576).toFixed(1),
      rssMB: +(mem.rss / 1048576).toFixed(1),
      walMB: +(walBytes / 1048576).toFixed(1),
      restartFromWalSeconds: +restartWal.toFixed(2),
      restartFromWalStateSeconds: +replayWal.stateSeconds.toFixed(2),
      checkpointSeconds: +checkpointSeconds.toFixed(2),
      restartFromCheckpointSeconds: +restartCheckpoint.toFixed(2),
      restartFromCheckpointStateSeconds: +replayCp.stateSeconds.toFixed(2),
      pushCpuSeconds: +(pushCpu / 1e6).toFixed(2),
      loadAverage: os.loadavg()[0]!.toFixed(1),
    }),
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}
