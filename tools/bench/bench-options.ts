/**
 * Command-line options shared by the benchmarks: the load shape (defaults = the ingest
 * benchmark: 100,000 series × 8 labels, 2,000 series per request, 20 rounds, 8 in flight).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { defaultLoadGeneratorConfig, type LoadGeneratorConfig } from '../loadgen/load-generator.ts';

export const LOAD_OPTIONS = {
  series: { type: 'string' },
  labels: { type: 'string' },
  'series-per-request': { type: 'string' },
  rounds: { type: 'string' },
  concurrency: { type: 'string' },
  tenant: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

export const LOAD_USAGE = `Load options (defaults = the ingest benchmark):
  --series N               active series (default 100000)
  --labels N               labels per series (default 8)
  --series-per-request N   series per request (default 2000)
  --rounds N               samples per series (default 20)
  --concurrency N          requests in flight (default 8)
  --tenant T               X-Scope-OrgID (default bench)`;

function count(text: string | undefined, name: string, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1) {
    throw new RangeError(`Invalid value for --${name}: "${text}" must be an integer ≥ 1`);
  }
  return n;
}

/** Parses argv with the load options plus `extra`; prints usage and exits on --help or bad flags. */
export function parseBenchArgs<T extends ParseArgsConfig['options']>(argv: string[], extra: T, usage: string) {
  try {
    const parsed = parseArgs({ args: argv, strict: true, allowPositionals: false, options: { ...LOAD_OPTIONS, ...extra } });
    if ((parsed.values as Record<string, unknown>)['help'] === true) {
      process.stdout.write(`${usage}\n${LOAD_USAGE}\n`);
      process.exit(0);
    }
    return parsed.values as Record<string, string | boolean | undefined>;
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${usage}\n${LOAD_USAGE}\n`);
    process.exit(2);
  }
}

/** The load generator config for `url` from parsed bench options. */
export function loadConfigFrom(values: Record<string, string | boolean | undefined>, url: string): LoadGeneratorConfig {
  const d = defaultLoadGeneratorConfig();
  const s = (k: string): string | undefined => (typeof values[k] === 'string' ? (values[k] as string) : undefined);
  return {
    ...d,
    url,
    tenants: [s('tenant') ?? 'bench'],
    series: count(s('series'), 'series', d.series),
    labelsPerSeries: count(s('labels'), 'labels', d.labelsPerSeries),
    seriesPerRequest: count(s('series-per-request'), 'series-per-request', d.seriesPerRequest),
    rounds: count(s('rounds'), 'rounds', d.rounds),
    concurrency: count(s('concurrency'), 'concurrency', d.concurrency),
  };
}
