import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { newMatcher } from '../../query/model/matchers.ts';
import { Ingester } from './ingester.ts';

const CHILD = fileURLToPath(new URL('./crash-child.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const T0 = 1_700_000_000_000;
const N = 200;

/** Runs the child until it acknowledged `minRounds` pushes, SIGKILLs it, and returns the acknowledged rounds. */
function runAndKill(dir: string, minRounds: number): Promise<Set<number>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dir, String(N)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const acked = new Set<number>();
    let buf = '';
    let err = '';
    let killed = false;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      buf += d;
      const lines = buf.split('\n');
      buf = lines.pop()!;
      for (const l of lines) acked.add(Number(l));
      if (!killed && acked.size >= minRounds) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(acked);
      else reject(new Error(`Child exited with code ${code}: ${err}`));
    });
  });
}

test('Ingester keeps every acknowledged push after a SIGKILL mid-stream (with checkpoints running)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ingester-crash-'));
  try {
    const all = new Set<number>();
    for (const target of [60, 140]) {
      for (const r of await runAndKill(dir, target)) all.add(r);
      const ing = new Ingester({ dataDir: dir, checkpointIntervalMs: 0, gcIntervalMs: 0, checkpointOnStop: false });
      await ing.start();
      const sel = await ing.querier('crash').select([newMatcher('=', '__name__', 'crash_metric')], { start: -Infinity, end: Infinity });
      assert.equal(sel.length, N);
      for (const s of sel) {
        const i = Number(s.labels.find((l) => l.name === 'i')!.value);
        const have = new Map<number, number>();
        for (let k = 0; k < s.timestamps.length; k++) have.set((s.timestamps[k]! - T0) / 1000, s.values[k]!);
        for (const r of all) assert.equal(have.get(r), r * 1000 + i, `round ${r} of series ${i} lost`);
      }
      await ing.stop();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
