/**
 * Load generator CLI: `node --import tsx tools/loadgen/main.ts [options]` or `frankctl loadgen [options]`.
 * Prints one JSON line (LoadReport). Exit code 0 when every request got a 2xx, 1 when any
 * failed, 2 on bad options.
 */
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { LoadGenerator, defaultLoadGeneratorConfig, type LoadGeneratorConfig } from './load-generator.ts';

export const LOADGEN_USAGE = `Usage: loadgen [options]
  --url URL                 remote-write URL (default http://127.0.0.1:9009/api/v1/push)
  --tenants LIST            comma-separated tenant IDs for X-Scope-OrgID, split across requests (default bench; "" = none)
  --tenant-count N          use tenants tenant-1..tenant-N instead of --tenants
  --series N                active series (default 100000)
  --labels N                labels per series including __name__ (default 8)
  --series-per-request N    series per request (default 2000)
  --rounds N                samples per series (default 20)
  --concurrency N           requests in flight (default 8)
  --interval DURATION       time between rounds' timestamps, e.g. 15s (default 15s)
  --start MS                timestamp of round 0 in ms (default: rounds*interval before now)
  --header 'Name: value'    extra header, repeatable
  --token T                 bearer token (Authorization header)
  --timeout DURATION        per-request timeout (default 60s)`;

/** Thrown for bad command-line options (exit code 2). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Parses "15s", "250ms", "2m", "1h" or a plain number of milliseconds. */
export function parseDurationMs(text: string, option: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new UsageError(`Invalid duration for --${option}: "${text}" (use e.g. 15s, 250ms, 2m)`);
  const n = Number(m[1]);
  const unit = m[2] ?? 'ms';
  const factor = unit === 'ms' ? 1 : unit === 's' ? 1000 : unit === 'm' ? 60_000 : 3_600_000;
  return Math.round(n * factor);
}

function parseCount(text: string, option: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < 1) {
    throw new UsageError(`Invalid value for --${option}: "${text}" must be an integer ≥ 1`);
  }
  return n;
}

/** Turns command-line arguments into a load generator config. */
export function parseLoadgenArgs(argv: string[]): LoadGeneratorConfig {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        url: { type: 'string' },
        tenants: { type: 'string' },
        'tenant-count': { type: 'string' },
        series: { type: 'string' },
        labels: { type: 'string' },
        'series-per-request': { type: 'string' },
        rounds: { type: 'string' },
        concurrency: { type: 'string' },
        interval: { type: 'string' },
        start: { type: 'string' },
        header: { type: 'string', multiple: true },
        token: { type: 'string' },
        timeout: { type: 'string' },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const v = parsed.values;
  const config = defaultLoadGeneratorConfig();
  if (v.url !== undefined) config.url = v.url;
  if (v.tenants !== undefined) config.tenants = v.tenants.split(',').map((t) => t.trim()).filter((t) => t !== '');
  if (v['tenant-count'] !== undefined) {
    const n = parseCount(v['tenant-count'], 'tenant-count');
    config.tenants = Array.from({ length: n }, (_, i) => `tenant-${i + 1}`);
  }
  if (v.series !== undefined) config.series = parseCount(v.series, 'series');
  if (v.labels !== undefined) config.labelsPerSeries = parseCount(v.labels, 'labels');
  if (v['series-per-request'] !== undefined) config.seriesPerRequest = parseCount(v['series-per-request'], 'series-per-request');
  if (v.rounds !== undefined) config.rounds = parseCount(v.rounds, 'rounds');
  if (v.concurrency !== undefined) config.concurrency = parseCount(v.concurrency, 'concurrency');
  if (v.interval !== undefined) config.intervalMs = parseDurationMs(v.interval, 'interval');
  if (v.timeout !== undefined) config.timeoutMs = parseDurationMs(v.timeout, 'timeout');
  if (v.start !== undefined) {
    const start = Number(v.start);
    if (!/^\d+$/.test(v.start) || !Number.isSafeInteger(start)) {
      throw new UsageError(`Invalid value for --start: "${v.start}" must be a timestamp in milliseconds`);
    }
    config.startMs = start;
  }
  for (const h of v.header ?? []) {
    const i = h.indexOf(':');
    if (i <= 0) throw new UsageError(`Invalid --header: "${h}" must look like "Name: value"`);
    config.headers[h.slice(0, i).trim()] = h.slice(i + 1).trim();
  }
  if (v.token !== undefined) config.headers['Authorization'] = `Bearer ${v.token}`;
  try {
    new URL(config.url);
  } catch {
    throw new UsageError(`Invalid --url: "${config.url}"`);
  }
  return config;
}

/** Runs the CLI; resolves to the process exit code. */
export async function runLoadgenCli(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${LOADGEN_USAGE}\n`);
    return 0;
  }
  let generator: LoadGenerator;
  try {
    generator = new LoadGenerator(parseLoadgenArgs(argv));
  } catch (err) {
    process.stderr.write(`loadgen: ${(err as Error).message}\n${LOADGEN_USAGE}\n`);
    return 2;
  }
  const report = await generator.run();
  process.stdout.write(`${JSON.stringify(report)}\n`);
  if (report.errors > 0) {
    process.stderr.write(`loadgen: ${report.errors} of ${report.requests} requests failed; first: ${report.firstError ?? 'unknown'}\n`);
    return 1;
  }
  return 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await runLoadgenCli(process.argv.slice(2));
}
