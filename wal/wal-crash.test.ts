/** Crash tests: a child process using the WAL is SIGKILLed, then the parent reopens the directory. classic-level only. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { WalError } from './errors.ts';
import { Wal } from './wal.ts';

const here = dirname(fileURLToPath(import.meta.url));
const dec = new TextDecoder();

/** Runs crash-child.ts and SIGKILLs it as soon as it prints a line matching `until`; resolves with that line. */
function runAndKill(args: string[], until: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'crash-child.ts'), ...args], {
      cwd: join(here, '..'),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let matched: string | undefined;
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n').find((l) => until.test(l));
      if (line !== undefined && matched === undefined) {
        matched = line;
        process.kill(child.pid!, 'SIGKILL');
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (matched !== undefined && signal === 'SIGKILL') resolve(matched);
      else reject(new Error(`Child exited before the kill: code '${code}', signal '${signal}': ${err}`));
    });
  });
}

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'wal-crash-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

for (const fsync of ['process', 'group'] as const) {
  test(`Wal: records are there after a SIGKILL right after append() resolves (fsync '${fsync}')`, async () => {
    await withTempDir(async (dir) => {
      const line = await runAndKill(['append', dir, fsync], /^appended /);
      assert.equal(line, 'appended 50');
      const wal = new Wal({ dir });
      await wal.open();
      try {
        assert.equal(wal.lastSeq, 50);
        const texts: string[] = [];
        const res = await wal.replay((r, { seq }) => {
          texts.push(`${seq}:${dec.decode(r.data)}`);
        });
        assert.equal(res.records, 50);
        assert.deepEqual(texts, Array.from({ length: 50 }, (_, i) => `${i + 1}:rec-${i}`));
      } finally {
        await wal.close();
      }
    });
  });
}

test('Wal: a SIGKILL in the middle of checkpoint() leaves the previous checkpoint and records valid', async () => {
  await withTempDir(async (dir) => {
    await runAndKill(['checkpoint', dir, 'process'], /^mid-checkpoint$/);
    const wal = new Wal({ dir });
    await wal.open();
    try {
      assert.equal(wal.lastSeq, 6);
      assert.equal(wal.checkpointSeq, 3);
      assert.equal(wal.warnings.length, 1);
      assert.match(wal.warnings[0]!, /^Ignored incomplete checkpoint: generation '2' has no completion marker/);
      const texts: string[] = [];
      const res = await wal.replay((r, { seq, fromCheckpoint }) => {
        texts.push(`${fromCheckpoint ? 'C' : 'W'}${seq}:${dec.decode(r.data)}`);
      });
      assert.deepEqual(texts, ['C3:old-checkpoint', 'W4:w4', 'W5:w5', 'W6:w6']);
      assert.deepEqual(res, { checkpointRecords: 1, records: 3, lastSeq: 6 });
      // The interrupted generation is gone: the next checkpoint completes normally.
      await wal.checkpoint([{ type: 7, data: new TextEncoder().encode('next') }], 6);
      assert.equal((await wal.replay(() => undefined)).checkpointRecords, 1);
    } finally {
      await wal.close();
    }
  });
});

test('Wal: open() of a directory another Wal holds fails with WAL_LOCKED', async () => {
  await withTempDir(async (dir) => {
    const first = new Wal({ dir });
    await first.open();
    try {
      const second = new Wal({ dir });
      await assert.rejects(second.open(), (e: unknown) => e instanceof WalError && e.code === 'WAL_LOCKED' && e.httpStatus === 500);
      assert.equal(second.status, 'closed');
    } finally {
      await first.close();
    }
  });
});
