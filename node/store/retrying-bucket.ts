/**
 * Retries transient failures (STORE_UNAVAILABLE, STORE_TIMEOUT) with capped
 * exponential backoff and full jitter, bounds each attempt with a deadline and
 * bounds concurrent calls with p-queue, so a slow backend gets back-pressure
 * instead of an unbounded pile of sockets.
 *
 * A retried put may find its own earlier attempt already landed: with
 * ifNoneMatch that surfaces as STORE_OBJECT_EXISTS, which content-addressed
 * callers (the chunk store) treat as success.
 */
import PQueue from 'p-queue';
import { compareKeys, type Bucket, type BucketSupports, type PutOptions, type ObjectInfo } from './bucket.ts';
import { isTransientStoreError, storageError } from './errors.ts';
import { SystemClock, type Clock } from '../core/clock.ts';

export interface RetryConfig {
  /** Retries after the first attempt. @default 5 */
  maxRetries: number;
  /** First backoff ceiling in ms; doubles per retry. @default 50 */
  minBackoffMs: number;
  /** Backoff ceiling in ms. @default 2000 */
  maxBackoffMs: number;
  /** Deadline of one attempt in ms (0 = none). @default 10000 */
  attemptTimeoutMs: number;
  /** Calls in flight at once; further calls wait in a queue. @default 32 */
  concurrency: number;
}

export function defaultRetryConfig(): RetryConfig {
  return { maxRetries: 5, minBackoffMs: 50, maxBackoffMs: 2000, attemptTimeoutMs: 10_000, concurrency: 32 };
}

export interface RetryDeps {
  clock?: Clock;
  /** Source of jitter in [0, 1). @default Math.random */
  random?: () => number;
}

export class RetryingBucket implements Bucket {
  #inner: Bucket;
  #cfg: RetryConfig;
  #clock: Clock;
  #random: () => number;
  #queue: PQueue;
  #retries = 0;
  #injectedClock: boolean;

  constructor(inner: Bucket, config: Partial<RetryConfig> = {}, deps: RetryDeps = {}) {
    this.#inner = inner;
    this.#cfg = { ...defaultRetryConfig(), ...config };
    this.#clock = deps.clock ?? new SystemClock();
    this.#injectedClock = deps.clock !== undefined;
    this.#random = deps.random ?? Math.random;
    this.#queue = new PQueue({ concurrency: this.#cfg.concurrency });
  }

  get supports(): BucketSupports {
    return this.#inner.supports;
  }

  /** Retries performed so far (all operations). */
  get retries(): number {
    return this.#retries;
  }

  put(key: string, bytes: Uint8Array, options?: PutOptions): Promise<void> {
    return this.#run(`put ${JSON.stringify(key)}`, () => this.#inner.put(key, bytes, options));
  }
  get(key: string): Promise<Uint8Array | undefined> {
    return this.#run(`get ${JSON.stringify(key)}`, () => this.#inner.get(key));
  }
  getRange(key: string, offset: number, length: number): Promise<Uint8Array | undefined> {
    return this.#run(`get range of ${JSON.stringify(key)}`, () => this.#inner.getRange(key, offset, length));
  }
  head(key: string): Promise<ObjectInfo | undefined> {
    return this.#run(`head ${JSON.stringify(key)}`, () => this.#inner.head(key));
  }
  exists(key: string): Promise<boolean> {
    return this.#run(`check ${JSON.stringify(key)}`, () => this.#inner.exists(key));
  }
  delete(key: string): Promise<void> {
    return this.#run(`delete ${JSON.stringify(key)}`, () => this.#inner.delete(key));
  }
  /** Retried whole: deleting keys that are already gone is not an error. */
  deleteMany(keys: readonly string[]): Promise<void> {
    return this.#run(`delete ${keys.length} objects`, () => this.#inner.deleteMany(keys));
  }

  /** A failed listing restarts and skips keys already yielded (listings are sorted), so no key repeats or goes missing. */
  async *list(prefix: string): AsyncIterable<string> {
    let last: string | undefined;
    for (let attempt = 0; ; attempt++) {
      try {
        for await (const k of this.#inner.list(prefix)) {
          if (last !== undefined && compareKeys(k, last) <= 0) continue;
          last = k;
          yield k;
        }
        return;
      } catch (err) {
        if (!isTransientStoreError(err) || attempt >= this.#cfg.maxRetries) throw err;
        this.#retries++;
        await this.#sleep(this.#backoff(attempt));
      }
    }
  }

  async close(): Promise<void> {
    await this.#queue.onIdle();
    await this.#inner.close();
  }

  #run<T>(what: string, op: () => Promise<T>): Promise<T> {
    return this.#queue.add(() => this.#attempts(what, op)) as Promise<T>;
  }

  async #attempts<T>(what: string, op: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.#withDeadline(what, op);
      } catch (err) {
        if (!isTransientStoreError(err) || attempt >= this.#cfg.maxRetries) throw err;
        this.#retries++;
        await this.#sleep(this.#backoff(attempt));
      }
    }
  }

  #withDeadline<T>(what: string, op: () => Promise<T>): Promise<T> {
    const ms = this.#cfg.attemptTimeoutMs;
    if (ms <= 0) return op();
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const timer = this.#clock.setTimeout(() => {
        if (settled) return;
        settled = true;
        reject(storageError('STORE_TIMEOUT', `Bucket call timed out: ${what} took longer than ${ms} ms`));
      }, ms);
      op().then(
        (v) => {
          if (settled) return;
          settled = true;
          timer.cancel();
          resolve(v);
        },
        (e) => {
          if (settled) return;
          settled = true;
          timer.cancel();
          reject(e);
        },
      );
    });
  }

  #backoff(attempt: number): number {
    const ceiling = Math.min(this.#cfg.maxBackoffMs, this.#cfg.minBackoffMs * 2 ** attempt);
    return Math.floor(this.#random() * ceiling);
  }

  #sleep(ms: number): Promise<void> {
    // SystemClock timers are unref'd; a pending retry must keep the process alive, so
    // real sleeps use a plain timer and only an injected (fake) clock replaces it.
    if (this.#injectedClock) return new Promise((resolve) => void this.#clock.setTimeout(resolve, ms));
    return new Promise((resolve) => setTimeout(resolve, ms));
  }
}
