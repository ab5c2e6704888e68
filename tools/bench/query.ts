/**
 * Query benchmark. Loads the ingest benchmark's data (100,000 series × 20 rounds) into the
 * target, then runs each query of query-set.ts as an instant query (at the last sample) and
 * as a range query (over the loaded span, 15 s step), `--runs` times each after one warm-up,
 * and prints ONE JSON line with the median latency per query.
 *
 *   npm run bench:query                                     start a Frankenstein node and use it
 *   npm run bench:query -- --target prometheus              start Debian Prometheus (or victoria-metrics)
 *   npm run bench:query -- --url http://127.0.0.1:9090 --write-url http://127.0.0.1:9090/api/v1/write
 *   … --no-load --end MS                                    query data loaded earlier (round 0 = end - 19 × 15 s)
 */
import { LoadGenerator } from '../loadgen/load-generator.ts';
import { median, round } from '../loadgen/latency-stats.ts';
import { METRICS_PER_HOST } from '../loadgen/bench-series.ts';
import { loadConfigFrom, parseBenchArgs } from './bench-options.ts';
import { BENCH_QUERIES } from './query-set.ts';
import { startTarget, type Target, type TargetName } from './targets.ts';

const USAGE = `Usage: npm run bench:query -- [--target frankenstein|prometheus|victoria-metrics | --url BASE_URL [--write-url URL]]
                             [--runs N] [--no-load --end MS] [--node-entry node/main.ts] [load options]`;

interface QueryOutcome {
  ms: number;
  /** Series in the result, or an error message. */
  series?: number;
  error?: string;
}

async function runQuery(url: string, headers: Record<string, string>): Promise<QueryOutcome> {
  const started = performance.now();
  try {
    const res = await fetch(url, { headers, signal: AbortSignal.timeout(120_000) });
    const text = await res.text();
    const ms = performance.now() - started;
    let body: { status?: string; error?: string; data?: { result?: unknown[] } };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      return { ms, error: `HTTP ${res.status}: response is not JSON: ${text.slice(0, 200)}` };
    }
    if (!res.ok || body.status !== 'success') return { ms, error: `HTTP ${res.status}: ${body.error ?? text.slice(0, 200)}` };
    return { ms, series: Array.isArray(body.data?.result) ? body.data.result.length : 0 };
  } catch (err) {
    return { ms: performance.now() - started, error: (err as Error).message };
  }
}

/** Polls until `count(bench_metric_0)` sees every host (receivers may make fresh data searchable after a delay). */
async function waitForData(base: string, headers: Record<string, string>, endSec: number, expected: number): Promise<boolean> {
  const url = `${base}/api/v1/query?${new URLSearchParams({ query: 'count(bench_metric_0)', time: String(endSec) })}`;
  const deadline = performance.now() + 30_000;
  while (performance.now() < deadline) {
    try {
      const res = await fetch(url, { headers });
      const body = (await res.json()) as { data?: { result?: { value?: [number, string] }[] } };
      if (Number(body.data?.result?.[0]?.value?.[1]) === expected) return true;
    } catch {
      // not up yet or not JSON: keep polling
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

async function main(): Promise<number> {
  const values = parseBenchArgs(
    process.argv.slice(2),
    {
      target: { type: 'string' },
      url: { type: 'string' },
      'write-url': { type: 'string' },
      runs: { type: 'string' },
      'no-load': { type: 'boolean' },
      end: { type: 'string' },
      'node-entry': { type: 'string' },
    },
    USAGE,
  );
  const runs = values['runs'] !== undefined ? Number(values['runs']) : 5;
  if (!Number.isInteger(runs) || runs < 1) throw new RangeError(`Invalid value for --runs: "${String(values['runs'])}"`);
  const config = loadConfigFrom(values, 'http://127.0.0.1:1/unused');
  const headers: Record<string, string> = { 'X-Scope-OrgID': config.tenants[0]!, Accept: 'application/json' };

  let target: Target | undefined;
  let base: string;
  let writeUrl: string;
  let targetName: string;
  if (typeof values['url'] === 'string') {
    base = values['url'].replace(/\/+$/, '');
    writeUrl = typeof values['write-url'] === 'string' ? values['write-url'] : `${base}/api/v1/push`;
    targetName = base;
  } else {
    const name = (values['target'] ?? 'frankenstein') as TargetName;
    if (!['frankenstein', 'prometheus', 'victoria-metrics'].includes(name)) throw new RangeError(`Unknown --target: "${name}"`);
    const entry = values['node-entry'];
    target = await startTarget(name, typeof entry === 'string' ? { entry } : {});
    base = target.baseUrl;
    writeUrl = target.writeUrl;
    targetName = name;
  }

  try {
    let startMs: number;
    let endMs: number;
    let load: Record<string, unknown> | undefined;
    if (values['no-load'] === true) {
      endMs = values['end'] !== undefined ? Number(values['end']) : Date.now();
      startMs = endMs - (config.rounds - 1) * config.intervalMs;
    } else {
      const generator = new LoadGenerator({ ...config, url: writeUrl });
      const r = await generator.run();
      if (r.errors > 0) throw new Error(`Loading failed: ${r.errors} of ${r.requests} requests failed; first: ${r.firstError ?? 'unknown'}`);
      startMs = r.startMs;
      endMs = r.endMs;
      load = { samples: r.samples, samplesPerSec: r.samplesPerSec };
    }
    const startSec = startMs / 1000;
    const endSec = endMs / 1000;
    const expectedHosts = Math.ceil(config.series / METRICS_PER_HOST);
    const dataVisible = await waitForData(base, headers, endSec, expectedHosts);
    if (!dataVisible) process.stderr.write(`bench:query: count(bench_metric_0) never reached ${expectedHosts}; figures may be for missing data\n`);

    const queries: Record<string, unknown> = {};
    let errors = 0;
    for (const q of BENCH_QUERIES) {
      const instantUrl = `${base}/api/v1/query?${new URLSearchParams({ query: q.promql, time: String(endSec) })}`;
      const rangeUrl = `${base}/api/v1/query_range?${new URLSearchParams({ query: q.promql, start: String(startSec), end: String(endSec), step: '15' })}`;
      const figures: Record<string, unknown> = {};
      for (const [kind, url] of [['instant', instantUrl], ['range', rangeUrl]] as const) {
        const warm = await runQuery(url, headers);
        const times: number[] = [];
        let outcome = warm;
        for (let i = 0; i < runs && outcome.error === undefined; i++) {
          outcome = await runQuery(url, headers);
          times.push(outcome.ms);
        }
        if (outcome.error !== undefined) {
          errors++;
          figures[`${kind}Error`] = outcome.error;
        } else {
          figures[`${kind}Ms`] = round(median(times));
          figures[`${kind}Series`] = outcome.series;
        }
      }
      queries[q.name] = figures;
    }
    const out = {
      bench: 'query',
      target: targetName,
      series: config.series,
      rounds: config.rounds,
      runs,
      ...(load !== undefined ? { load } : {}),
      dataVisible,
      queries,
      errors,
    };
    process.stdout.write(`${JSON.stringify(out)}\n`);
    return errors > 0 ? 1 : 0;
  } finally {
    if (target !== undefined) await target.stop();
  }
}

try {
  process.exitCode = await main();
} catch (err) {
  process.stderr.write(`bench:query: ${(err as Error).message}\n`);
  process.exitCode = 2;
}
