/**
 * WAL throughput benchmark: 8 concurrent appenders, each append one record of 2,000 samples × 20 bytes (40 KB, the
 * ingester's one-samples-record-per-request shape), for fsync 'process' and 'group'. Also measures the synchronous JS
 * cost of append() with 2,000 separate 20-byte records. Prints one JSON line.
 * Run: node --import tsx wal/wal.bench.ts [seconds per case, default 3]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Wal, type WalRecord } from './wal.ts';

const SAMPLES = 2000;
const SAMPLE_BYTES = 20;
const APPENDERS = 8;
const seconds = Number(process.argv[2] ?? 3);

function payload(seed: number): Uint8Array {
  const b = new Uint8Array(SAMPLES * SAMPLE_BYTES);
  for (let i = 0; i < b.length; i++) b[i] = (i * 131 + seed) & 0xff;
  return b;
}

async function throughput(fsync: 'process' | 'group'): Promise<Record<string, number>> {
  const dir = await mkdtemp(join(tmpdir(), 'wal-bench-'));
  const wal = new Wal({ dir, fsync });
  await wal.open();
  try {
    const data = payload(fsync.length);
    const deadline = performance.now() + seconds * 1000;
    let appends = 0;
    const latencies: number[] = [];
    const appender = async (): Promise<void> => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        await wal.append([{ type: 1, data }]);
        latencies.push(performance.now() - t0);
        appends++;
      }
    };
    const start = performance.now();
    await Promise.all(Array.from({ length: APPENDERS }, appender));
    const elapsed = (performance.now() - start) / 1000;
    latencies.sort((a, b) => a - b);
    const ws = wal.writeStats;
    const r0 = performance.now();
    let replayedBytes = 0;
    await wal.replay((rec) => {
      replayedBytes += rec.data.length;
    });
    const replaySec = (performance.now() - r0) / 1000;
    return {
      appendsPerSec: Math.round(appends / elapsed),
      mbPerSec: Math.round(((appends * data.length) / elapsed / 1e6) * 10) / 10,
      samplesPerSec: Math.round((appends * SAMPLES) / elapsed),
      p50LatencyMs: Math.round(latencies[Math.floor(latencies.length * 0.5)]! * 100) / 100,
      p99LatencyMs: Math.round(latencies[Math.floor(latencies.length * 0.99)]! * 100) / 100,
      appendsPerBatch: Math.round((ws.appends / ws.batches) * 10) / 10,
      replayMBPerSec: Math.round((replayedBytes / replaySec / 1e6) * 10) / 10,
    };
  } finally {
    await wal.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Synchronous JS time of append() with 2,000 separate 20-byte records (validation + framing + CRC + enqueue). */
async function smallRecordsAppendCost(): Promise<Record<string, number>> {
  const dir = await mkdtemp(join(tmpdir(), 'wal-bench-'));
  const wal = new Wal({ dir });
  await wal.open();
  try {
    const records: WalRecord[] = Array.from({ length: SAMPLES }, (_, i) => ({ type: 1, data: payload(i).subarray(0, SAMPLE_BYTES) }));
    const one: WalRecord[] = [{ type: 1, data: payload(1) }];
    let syncMs = 0;
    let oneSyncMs = 0;
    const rounds = 300;
    for (let i = 0; i < rounds; i++) {
      let t0 = performance.now();
      const p = wal.append(records);
      syncMs += performance.now() - t0;
      t0 = performance.now();
      const q = wal.append(one);
      oneSyncMs += performance.now() - t0;
      await Promise.all([p, q]);
    }
    return {
      jsUsPer2000SmallRecordsAppend: Math.round((syncMs / rounds) * 1000),
      jsUsPerOne40KBRecordAppend: Math.round((oneSyncMs / rounds) * 1000),
    };
  } finally {
    await wal.close();
    await rm(dir, { recursive: true, force: true });
  }
}

const result = {
  bench: 'wal',
  node: process.version,
  appenders: APPENDERS,
  appendBytes: SAMPLES * SAMPLE_BYTES,
  secondsPerCase: seconds,
  process: await throughput('process'),
  group: await throughput('group'),
  ...(await smallRecordsAppendCost()),
};
console.log(JSON.stringify(result));
