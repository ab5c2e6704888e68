/**
 * Child process for the crash tests in wal-crash.test.ts: does WAL work, reports progress on stdout, then hangs until
 * the parent SIGKILLs it. Usage: node --import tsx wal/crash-child.ts <append|checkpoint> <dir> <fsync>
 */
import { Wal } from './wal.ts';

const [mode, dir, fsync] = process.argv.slice(2);
const enc = new TextEncoder();

function hang(): Promise<never> {
  // A pending timer keeps the event loop (and the process) alive until the parent kills it.
  return new Promise(() => setInterval(() => undefined, 60_000));
}

const wal = new Wal({ dir: dir!, fsync: fsync === 'group' ? 'group' : 'process', checkpointBatchBytes: 512 });
await wal.open();

if (mode === 'append') {
  const seqs = await Promise.all(Array.from({ length: 50 }, (_, i) => wal.append([{ type: 1, data: enc.encode(`rec-${i}`) }])));
  // Nothing else is written after this line: the parent kills the process as soon as it reads it.
  process.stdout.write(`appended ${seqs[seqs.length - 1]}\n`);
  await hang();
} else if (mode === 'checkpoint') {
  for (let i = 1; i <= 5; i++) await wal.append([{ type: 1, data: enc.encode(`w${i}`) }]);
  await wal.checkpoint([{ type: 7, data: enc.encode('old-checkpoint') }], 3);
  await wal.append([{ type: 1, data: enc.encode('w6') }]);
  void wal.checkpoint(
    (async function* () {
      for (let i = 0; i < 200; i++) yield { type: 7, data: enc.encode(`new-checkpoint-${i}`.padEnd(64, '.')) };
      // Checkpoint frames are written up to here (512-byte frames), the marker is not.
      process.stdout.write('mid-checkpoint\n');
      await hang();
    })(),
    6,
  );
} else {
  throw new RangeError(`Unknown mode: '${mode}'`);
}
