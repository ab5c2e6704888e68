/**
 * Remote-write load generator: `series` synthetic series (see bench-series.ts) split into
 * requests of `seriesPerRequest`, sent for `rounds` rounds with `concurrency` requests in
 * flight. Every round carries one sample per series at `startMs + round * intervalMs`.
 *
 * All request bodies are encoded and snappy-compressed BEFORE the clock starts, so the
 * measured time is spent only on sending and on the receiver. Rounds overlap (the next
 * round starts while the tail of the previous one is in flight), but a batch of round r+1
 * is only sent once the same batch of round r has completed, so no series ever sees its
 * samples out of order.
 */
import { compressSync } from 'snappy';
import { HttpSender } from './http-sender.ts';
import { WriteRequestTemplate } from './write-request-encoder.ts';
import { benchSampleValue, benchSeriesLabels } from './bench-series.ts';
import { percentile, round } from './latency-stats.ts';

export interface LoadGeneratorConfig {
  /** Remote-write URL. @default 'http://127.0.0.1:9009/api/v1/push' */
  url: string;
  /**
   * Tenant IDs sent as `X-Scope-OrgID`; request batch b goes to tenant b % tenants.length,
   * so the series are split across the tenants. Empty: no tenant header. @default ['bench']
   */
  tenants: string[];
  /** Number of active series (in total over all tenants). @default 100000 */
  series: number;
  /** Labels per series, `__name__` included. @default 8 */
  labelsPerSeries: number;
  /** Series (and samples) per request. @default 2000 */
  seriesPerRequest: number;
  /** Samples per series; every round sends each series once. @default 20 */
  rounds: number;
  /** Requests in flight. @default 8 */
  concurrency: number;
  /** Milliseconds between the timestamps of consecutive rounds. @default 15000 */
  intervalMs: number;
  /**
   * Timestamp of round 0 in ms. @default the interval boundary `rounds` intervals before
   * now, so the last round is in the recent past (receivers reject samples from the future)
   */
  startMs?: number;
  /** Extra request headers (e.g. Authorization). @default {} */
  headers: Record<string, string>;
  /** Per-request timeout in ms. @default 60000 */
  timeoutMs: number;
}

/** The one-line result of a run. */
export interface LoadReport {
  /** Samples in requests answered with 2xx. */
  samples: number;
  /** Seconds from the first request sent to the last response. */
  seconds: number;
  samplesPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** Requests answered with a non-2xx status or that failed without a response. */
  errors: number;
  /** Count of requests per HTTP status ("0" = no response). */
  status: Record<string, number>;
  requests: number;
  series: number;
  rounds: number;
  /** Compressed bytes sent. */
  bytes: number;
  /** Timestamp of round 0 and of the last round, ms. */
  startMs: number;
  endMs: number;
  /** The first failure, to show why errors > 0. */
  firstError?: string;
}

export function defaultLoadGeneratorConfig(): LoadGeneratorConfig {
  return {
    url: 'http://127.0.0.1:9009/api/v1/push',
    tenants: ['bench'],
    series: 100_000,
    labelsPerSeries: 8,
    seriesPerRequest: 2000,
    rounds: 20,
    concurrency: 8,
    intervalMs: 15_000,
    headers: {},
    timeoutMs: 60_000,
  };
}

export function validateLoadGeneratorConfig(config: LoadGeneratorConfig): void {
  const positive: (keyof LoadGeneratorConfig)[] = [
    'series', 'labelsPerSeries', 'seriesPerRequest', 'rounds', 'concurrency', 'intervalMs', 'timeoutMs',
  ];
  for (const key of positive) {
    const v = config[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
      throw new RangeError(`Invalid load generator option: "${key}" must be an integer ≥ 1, got "${String(v)}"`);
    }
  }
  if (config.startMs !== undefined && (!Number.isSafeInteger(config.startMs) || config.startMs < 0)) {
    throw new RangeError(`Invalid load generator option: "startMs" must be a non-negative integer, got "${config.startMs}"`);
  }
  new URL(config.url); // throws TypeError on a malformed URL
}

/** The remote-write 1.0 headers every request carries. */
export const REMOTE_WRITE_HEADERS: Readonly<Record<string, string>> = {
  'Content-Encoding': 'snappy',
  'Content-Type': 'application/x-protobuf',
  'X-Prometheus-Remote-Write-Version': '0.1.0',
  'User-Agent': 'frankenstein-loadgen/0.1',
};

interface Batch {
  first: number;
  count: number;
  headers: Record<string, string> | undefined;
}

export class LoadGenerator {
  /** The run's config; `url` may still be changed between `prepare()` and `run()`. */
  readonly config: LoadGeneratorConfig;
  #bodies: Uint8Array[][] | undefined;
  #batches: Batch[] = [];
  #startMs = 0;

  constructor(config: Partial<LoadGeneratorConfig> = {}) {
    this.config = { ...defaultLoadGeneratorConfig(), ...config };
    validateLoadGeneratorConfig(this.config);
  }

  /** Timestamp of round 0 (known after `prepare()`). */
  get startMs(): number {
    return this.#startMs;
  }

  /** Encodes and compresses every request of every round. Called by `run()` if not done before. */
  prepare(): void {
    const c = this.config;
    this.#startMs = c.startMs ?? Math.floor(Date.now() / c.intervalMs) * c.intervalMs - c.rounds * c.intervalMs;
    this.#batches = [];
    for (let first = 0, b = 0; first < c.series; first += c.seriesPerRequest, b++) {
      const tenant = c.tenants.length > 0 ? c.tenants[b % c.tenants.length]! : undefined;
      this.#batches.push({
        first,
        count: Math.min(c.seriesPerRequest, c.series - first),
        headers: tenant !== undefined ? { 'X-Scope-OrgID': tenant } : undefined,
      });
    }
    const bodies: Uint8Array[][] = Array.from({ length: c.rounds }, () => new Array<Uint8Array>(this.#batches.length));
    const values = new Float64Array(c.seriesPerRequest);
    for (let b = 0; b < this.#batches.length; b++) {
      const { first, count } = this.#batches[b]!;
      const series = [];
      for (let i = 0; i < count; i++) series.push(benchSeriesLabels(first + i, c.labelsPerSeries));
      const template = new WriteRequestTemplate(series);
      for (let r = 0; r < c.rounds; r++) {
        for (let i = 0; i < count; i++) values[i] = benchSampleValue(first + i, r);
        // copyOutputData: otherwise each result keeps snappy's worst-case-sized external
        // buffer alive (about 12× the compressed size here), which adds up over 1000 bodies.
        bodies[r]![b] = compressSync(template.encode(this.#startMs + r * c.intervalMs, values), { copyOutputData: true });
      }
    }
    this.#bodies = bodies;
  }

  /** Sends the whole load and reports figures. Never throws for HTTP failures: they are counted in `errors`. */
  async run(): Promise<LoadReport> {
    if (this.#bodies === undefined) this.prepare();
    const c = this.config;
    const bodies = this.#bodies!;
    const batches = this.#batches;
    const total = c.rounds * batches.length;
    const latencies = new Float64Array(total);
    const status: Record<string, number> = {};
    let samples = 0;
    let errors = 0;
    let bytes = 0;
    let firstError: string | undefined;
    // Completion of the latest request of each batch: the next round of that batch waits for it.
    const batchDone: Promise<void>[] = batches.map(() => Promise.resolve());
    const sender = new HttpSender({
      url: c.url,
      maxSockets: c.concurrency,
      timeoutMs: c.timeoutMs,
      headers: { ...REMOTE_WRITE_HEADERS, ...c.headers },
    });
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < total) {
        const j = next++;
        const r = Math.floor(j / batches.length);
        const b = j % batches.length;
        const batch = batches[b]!;
        const previous = batchDone[b]!;
        const sent = (async () => {
          await previous;
          const body = bodies[r]![b]!;
          const res = await sender.send(body, batch.headers);
          latencies[j] = res.latencyMs;
          bytes += body.byteLength;
          status[res.status] = (status[res.status] ?? 0) + 1;
          if (res.status >= 200 && res.status < 300) {
            samples += batch.count;
          } else {
            errors++;
            firstError ??= res.error ?? `HTTP ${res.status}`;
          }
        })();
        batchDone[b] = sent;
        await sent;
      }
    };
    const started = performance.now();
    try {
      await Promise.all(Array.from({ length: Math.min(c.concurrency, total) }, worker));
    } finally {
      sender.close();
    }
    const seconds = (performance.now() - started) / 1000;
    latencies.sort();
    const report: LoadReport = {
      samples,
      seconds: round(seconds, 3),
      samplesPerSec: Math.round(samples / seconds),
      p50Ms: round(percentile(latencies, 50)),
      p99Ms: round(percentile(latencies, 99)),
      errors,
      status,
      requests: total,
      series: c.series,
      rounds: c.rounds,
      bytes,
      startMs: this.#startMs,
      endMs: this.#startMs + (c.rounds - 1) * c.intervalMs,
    };
    if (firstError !== undefined) report.firstError = firstError;
    return report;
  }
}
