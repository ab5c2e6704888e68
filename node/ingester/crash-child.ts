/**
 * Child process of crash.test.ts: pushes rounds of samples forever (4 in flight)
 * and prints each round number once its push has resolved (= is durable). The
 * parent SIGKILLs it mid-stream. Args: <dataDir> <series per round>.
 */
import { labelsFromObject } from '../../query/model/labels.ts';
import { Ingester, type PushSeries } from './ingester.ts';

const [dir, nArg] = process.argv.slice(2);
const n = Number(nArg ?? 200);
const T0 = 1_700_000_000_000;

function batch(r: number): PushSeries[] {
  const out: PushSeries[] = [];
  for (let i = 0; i < n; i++) {
    out.push({ labels: labelsFromObject({ __name__: 'crash_metric', i: String(i) }), timestamps: [T0 + r * 1000], values: [r * 1000 + i] });
  }
  return out;
}

const ing = new Ingester({ dataDir: dir!, checkpointRecords: 25, checkpointIntervalMs: 0, gcIntervalMs: 0, checkpointOnStop: false });
await ing.start();
let next = 0;
async function worker(): Promise<void> {
  for (;;) {
    const r = next++;
    await ing.push('crash', batch(r));
    process.stdout.write(`${r}\n`);
  }
}
await Promise.all([worker(), worker(), worker(), worker()]);
