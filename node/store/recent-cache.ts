/**
 * A bounded set of recently seen keys with a time-to-live: "did this process
 * write this row/object in the last few minutes?". Used to drop repeated index
 * rows and chunk uploads (3 replicas flush the same series). Memory is capped
 * by maxEntries (oldest dropped first); the TTL makes a row written again after
 * retention or deletion reach the store again.
 */
import type { Clock } from '../core/clock.ts';

export class RecentCache {
  #max: number;
  #ttl: number;
  #clock: Clock;
  /** key → expiry; Map keeps insertion order, so the first entry is the oldest. */
  #entries = new Map<string, number>();

  constructor(options: { maxEntries: number; ttlMs: number; clock: Clock }) {
    if (!(options.maxEntries >= 0)) throw new RangeError(`Invalid cache size: ${options.maxEntries}`);
    this.#max = options.maxEntries;
    this.#ttl = options.ttlMs;
    this.#clock = options.clock;
  }

  get size(): number {
    return this.#entries.size;
  }

  has(key: string): boolean {
    const exp = this.#entries.get(key);
    if (exp === undefined) return false;
    if (exp <= this.#clock.now()) {
      this.#entries.delete(key);
      return false;
    }
    return true;
  }

  add(key: string): void {
    if (this.#max === 0) return;
    this.#entries.delete(key);
    this.#entries.set(key, this.#clock.now() + this.#ttl);
    while (this.#entries.size > this.#max) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
    }
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }

  deletePrefix(prefix: string): void {
    for (const k of this.#entries.keys()) if (k.startsWith(prefix)) this.#entries.delete(k);
  }

  clear(): void {
    this.#entries.clear();
  }
}
