/**
 * TEST ONLY. Injects failures into a real bucket with a seeded PRNG so runs
 * are reproducible:
 *  - unavailable: a 5xx-like STORE_UNAVAILABLE before the call reaches the bucket;
 *  - lostResponse: the call is applied, then STORE_UNAVAILABLE is returned (the
 *    reply was lost), the case that makes retried writes collide with themselves;
 *  - timeout: the call hangs for hangMs (applied or not, at random), then fails
 *    with STORE_TIMEOUT unless the caller's own deadline fires first.
 * Listings fail part-way through with probability `unavailable`.
 */
import type { Bucket, BucketSupports, PutOptions, ObjectInfo } from './bucket.ts';
import { storageError } from './errors.ts';

export interface FaultyBucketConfig {
  /** PRNG seed. @default 1 */
  seed?: number;
  /** Probability of failing before applying. @default 0 */
  unavailable?: number;
  /** Probability of applying and then failing. @default 0 */
  lostResponse?: number;
  /** Probability of hanging, then failing with STORE_TIMEOUT. @default 0 */
  timeout?: number;
  /** How long a timeout fault hangs, in ms. @default 50 */
  hangMs?: number;
}

export class FaultyBucket implements Bucket {
  #inner: Bucket;
  #cfg: Required<FaultyBucketConfig>;
  #state: number;
  /** Faults injected so far, by kind. */
  readonly injected = { unavailable: 0, lostResponse: 0, timeout: 0, list: 0 };

  constructor(inner: Bucket, config: FaultyBucketConfig = {}) {
    this.#inner = inner;
    this.#cfg = { seed: 1, unavailable: 0, lostResponse: 0, timeout: 0, hangMs: 50, ...config };
    this.#state = this.#cfg.seed >>> 0 || 1;
  }

  get supports(): BucketSupports {
    return this.#inner.supports;
  }

  get totalInjected(): number {
    const i = this.injected;
    return i.unavailable + i.lostResponse + i.timeout + i.list;
  }

  /** Turns faults off (e.g. to verify contents afterwards). */
  heal(): void {
    this.#cfg.unavailable = 0;
    this.#cfg.lostResponse = 0;
    this.#cfg.timeout = 0;
  }

  put(key: string, bytes: Uint8Array, options?: PutOptions): Promise<void> {
    return this.#call(`put ${JSON.stringify(key)}`, () => this.#inner.put(key, bytes, options));
  }
  get(key: string): Promise<Uint8Array | undefined> {
    return this.#call(`get ${JSON.stringify(key)}`, () => this.#inner.get(key));
  }
  getRange(key: string, offset: number, length: number): Promise<Uint8Array | undefined> {
    return this.#call(`get range of ${JSON.stringify(key)}`, () => this.#inner.getRange(key, offset, length));
  }
  head(key: string): Promise<ObjectInfo | undefined> {
    return this.#call(`head ${JSON.stringify(key)}`, () => this.#inner.head(key));
  }
  exists(key: string): Promise<boolean> {
    return this.#call(`check ${JSON.stringify(key)}`, () => this.#inner.exists(key));
  }
  delete(key: string): Promise<void> {
    return this.#call(`delete ${JSON.stringify(key)}`, () => this.#inner.delete(key));
  }
  deleteMany(keys: readonly string[]): Promise<void> {
    return this.#call(`delete ${keys.length} objects`, () => this.#inner.deleteMany(keys));
  }
  async *list(prefix: string): AsyncIterable<string> {
    const failAt = this.#next() < this.#cfg.unavailable ? Math.floor(this.#next() * 4) : -1;
    let n = 0;
    for await (const k of this.#inner.list(prefix)) {
      if (n === failAt) {
        this.injected.list++;
        throw storageError('STORE_UNAVAILABLE', `Injected fault: listing ${JSON.stringify(prefix)} failed after ${n} keys`);
      }
      n++;
      yield k;
    }
    if (failAt >= n) {
      this.injected.list++;
      throw storageError('STORE_UNAVAILABLE', `Injected fault: listing ${JSON.stringify(prefix)} failed after ${n} keys`);
    }
  }
  close(): Promise<void> {
    return this.#inner.close();
  }

  async #call<T>(what: string, op: () => Promise<T>): Promise<T> {
    const r = this.#next();
    const { unavailable, lostResponse, timeout } = this.#cfg;
    if (r < unavailable) {
      this.injected.unavailable++;
      throw storageError('STORE_UNAVAILABLE', `Injected fault: HTTP 503 on ${what}`);
    }
    if (r < unavailable + lostResponse) {
      this.injected.lostResponse++;
      await op();
      throw storageError('STORE_UNAVAILABLE', `Injected fault: response lost after ${what}`);
    }
    if (r < unavailable + lostResponse + timeout) {
      this.injected.timeout++;
      const apply = this.#next() < 0.5;
      await new Promise((res) => setTimeout(res, this.#cfg.hangMs));
      if (apply) await op();
      throw storageError('STORE_TIMEOUT', `Injected fault: ${what} timed out after ${this.#cfg.hangMs} ms`);
    }
    return op();
  }

  /** mulberry32: tiny, seedable, good enough for fault schedules. */
  #next(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}
