/**
 * Anchor benchmark: the ingest load against Debian's Prometheus 2.42 (remote-write receiver)
 * and VictoriaMetrics 1.79, each started fresh on a loopback port with a temp data dir and
 * stopped afterwards. Prints ONE JSON line with both sets of figures.
 *
 *   npm run bench:anchors [-- --only prometheus|victoria-metrics] [load options]
 */
import { LoadGenerator } from '../loadgen/load-generator.ts';
import { loadConfigFrom, parseBenchArgs } from './bench-options.ts';
import { mib, readRss } from './processes.ts';
import { startPrometheus, startVictoriaMetrics, type Target } from './targets.ts';

const USAGE = 'Usage: npm run bench:anchors -- [--only prometheus|victoria-metrics] [load options]';

const values = parseBenchArgs(process.argv.slice(2), { only: { type: 'string' } }, USAGE);
const anchors: { key: string; start: () => Promise<Target> }[] = [
  { key: 'prometheus', start: () => startPrometheus() },
  { key: 'victoriaMetrics', start: () => startVictoriaMetrics() },
].filter((a) => values['only'] === undefined || a.key.toLowerCase() === String(values['only']).replace('-', '').toLowerCase());

async function main(): Promise<number> {
  if (anchors.length === 0) throw new RangeError(`Unknown anchor: "${String(values['only'])}"`);
  const config = loadConfigFrom(values, 'http://127.0.0.1:1/unused');
  const out: Record<string, unknown> = {
    bench: 'anchors',
    load: { series: config.series, labels: config.labelsPerSeries, seriesPerRequest: config.seriesPerRequest, rounds: config.rounds, concurrency: config.concurrency },
  };
  let failed = false;
  for (const anchor of anchors) {
    // Same timestamps for both anchors; each one is a fresh store, so that is fine.
    const generator = new LoadGenerator({ ...config });
    generator.prepare();
    const target = await anchor.start();
    try {
      generator.config.url = target.writeUrl;
      const r = await generator.run();
      const { rssBytes, peakRssBytes } = readRss(target.proc.pid);
      out[anchor.key] = {
        samplesPerSec: r.samplesPerSec,
        seconds: r.seconds,
        p50Ms: r.p50Ms,
        p99Ms: r.p99Ms,
        rssMB: mib(rssBytes),
        peakRssMB: mib(peakRssBytes),
        startupMs: target.startupMs,
        samples: r.samples,
        errors: r.errors,
        status: r.status,
        ...(r.firstError !== undefined ? { firstError: r.firstError } : {}),
      };
      failed ||= r.errors > 0;
    } finally {
      await target.stop();
    }
  }
  process.stdout.write(`${JSON.stringify(out)}\n`);
  return failed ? 1 : 0;
}

try {
  process.exitCode = await main();
} catch (err) {
  process.stderr.write(`bench:anchors: ${(err as Error).message}\n`);
  process.exitCode = 2;
}
