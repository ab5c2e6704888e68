/**
 * Ingest benchmark. Prints ONE JSON line.
 *
 *   npm run bench:ingest                      start a Frankenstein node, load it, crash it (SIGKILL),
 *                                              and time the restart on the same data dir
 *   npm run bench:ingest -- --url URL [--pid P]  only send the load to any remote-write receiver
 *                                              (RSS reported when the receiver's pid is given)
 *
 * Load: 100,000 series × 8 labels, 2,000 series per request, one sample per series per
 * request, 20 rounds, 8 requests in flight (override with the load options, see --help).
 */
import { LoadGenerator, type LoadReport } from '../loadgen/load-generator.ts';
import { loadConfigFrom, parseBenchArgs } from './bench-options.ts';
import { mib, readRss } from './processes.ts';
import { startFrankenstein, type Target } from './targets.ts';

const USAGE = `Usage: npm run bench:ingest -- [--url REMOTE_WRITE_URL [--pid PID] | --node-entry node/main.ts] [load options]`;

function loadFigures(r: LoadReport) {
  return {
    series: r.series,
    rounds: r.rounds,
    samples: r.samples,
    seconds: r.seconds,
    samplesPerSec: r.samplesPerSec,
    p50Ms: r.p50Ms,
    p99Ms: r.p99Ms,
    errors: r.errors,
    status: r.status,
    ...(r.firstError !== undefined ? { firstError: r.firstError } : {}),
  };
}

function rssFigures(pid: number, prefix = '') {
  const { rssBytes, peakRssBytes } = readRss(pid);
  const key = (name: string): string => (prefix === '' ? name : `${prefix}${name[0]!.toUpperCase()}${name.slice(1)}`);
  return { [key('rssMB')]: mib(rssBytes), [key('peakRssMB')]: mib(peakRssBytes) };
}

async function againstUrl(url: string, values: Record<string, string | boolean | undefined>): Promise<number> {
  const pid = typeof values['pid'] === 'string' ? Number(values['pid']) : undefined;
  const generator = new LoadGenerator(loadConfigFrom(values, url));
  generator.prepare();
  const report = await generator.run();
  const out = { bench: 'ingest', target: url, ...loadFigures(report), ...(pid !== undefined ? rssFigures(pid) : {}) };
  process.stdout.write(`${JSON.stringify(out)}\n`);
  return report.errors > 0 ? 1 : 0;
}

async function againstOwnNode(values: Record<string, string | boolean | undefined>): Promise<number> {
  const config = loadConfigFrom(values, 'http://127.0.0.1:1/unused');
  // Encode before the node starts so the receiver never competes with request building.
  const generator = new LoadGenerator(config);
  generator.prepare();
  const entry = typeof values['node-entry'] === 'string' ? values['node-entry'] : undefined;
  let node: Target | undefined = await startFrankenstein(entry !== undefined ? { entry } : {});
  let restarted: Target | undefined;
  try {
    generator.config.url = node.writeUrl;
    const report = await generator.run();
    const rss = rssFigures(node.proc.pid);
    const startupMs = node.startupMs;
    const dataDir = node.dataDir;
    await node.crash();
    node = undefined;
    restarted = await startFrankenstein(entry !== undefined ? { dataDir, entry } : { dataDir });
    const out = {
      bench: 'ingest',
      target: 'frankenstein',
      ...loadFigures(report),
      ...rss,
      startupMs,
      restartMs: restarted.startupMs,
      ...rssFigures(restarted.proc.pid, 'restart'),
    };
    process.stdout.write(`${JSON.stringify(out)}\n`);
    return report.errors > 0 ? 1 : 0;
  } finally {
    if (node !== undefined) await node.stop();
    if (restarted !== undefined) await restarted.stop();
  }
}

const values = parseBenchArgs(process.argv.slice(2), { url: { type: 'string' }, pid: { type: 'string' }, 'node-entry': { type: 'string' } }, USAGE);
try {
  process.exitCode = typeof values['url'] === 'string' ? await againstUrl(values['url'], values) : await againstOwnNode(values);
} catch (err) {
  process.stderr.write(`bench:ingest: ${(err as Error).message}\n`);
  process.exitCode = 2;
}
