/**
 * Per-tenant ingestion rate limiting: one token bucket per tenant, refilled
 * at Limits.ingestionRate tokens/s up to Limits.ingestionBurstSize. A request
 * takes (samples + metadata) tokens all at once or is refused whole, as
 * Cortex does; a request larger than the burst is therefore always refused.
 */
import type { Clock } from '../core/clock.ts';
import type { Limits } from './limits.ts';

export interface RateLimiterConfig {
  /** Time source; tests pass a FakeClock. */
  readonly clock: Clock;
  /**
   * 'local': each distributor enforces the full rate. 'global': the rate and
   * burst are split evenly across healthyDistributors() (Cortex's global strategy).
   * @default 'local'
   */
  readonly strategy?: 'local' | 'global';
  /**
   * Number of healthy distributors, read on every call in 'global' mode.
   * @default () => 1
   */
  readonly healthyDistributors?: () => number;
  /**
   * How often idle buckets are swept; a bucket is forgotten once it has refilled
   * completely, since a new bucket starts full and behaves the same.
   * @default 300000 (5 minutes)
   */
  readonly sweepIntervalMs?: number;
}

interface Bucket {
  tokens: number;
  last: number;
  /** Rate and burst at the last call, so a sweep can tell whether the bucket has refilled. */
  rate: number;
  burst: number;
}

export class RateLimiter {
  readonly #clock: Clock;
  readonly #global: boolean;
  readonly #healthy: () => number;
  readonly #sweepMs: number;
  readonly #buckets = new Map<string, Bucket>();
  #lastSweep: number;

  constructor(cfg: RateLimiterConfig) {
    this.#clock = cfg.clock;
    this.#global = (cfg.strategy ?? 'local') === 'global';
    this.#healthy = cfg.healthyDistributors ?? (() => 1);
    this.#sweepMs = cfg.sweepIntervalMs ?? 300_000;
    this.#lastSweep = cfg.clock.now();
  }

  /** The rate and burst this distributor enforces for the given limits. */
  effective(limits: Limits): { rate: number; burst: number } {
    if (!this.#global) return { rate: limits.ingestionRate, burst: limits.ingestionBurstSize };
    const n = Math.max(1, Math.floor(this.#healthy()));
    // Splitting the burst too keeps the cluster-wide burst at the configured size.
    return { rate: limits.ingestionRate / n, burst: Math.max(1, Math.floor(limits.ingestionBurstSize / n)) };
  }

  /**
   * Takes n tokens from the tenant's bucket if it holds them all and returns
   * true; otherwise takes nothing and returns false. n <= 0 is always allowed;
   * an ingestionRate of Infinity disables the limit.
   */
  allow(tenant: string, n: number, limits: Limits): boolean {
    if (n <= 0) return true;
    const { rate, burst } = this.effective(limits);
    if (rate === Infinity) return true;
    const now = this.#clock.now();
    this.#maybeSweep(now);
    let b = this.#buckets.get(tenant);
    if (b === undefined) {
      b = { tokens: burst, last: now, rate, burst };
      this.#buckets.set(tenant, b);
    } else {
      const elapsed = Math.max(0, now - b.last);
      b.tokens = Math.min(burst, b.tokens + (elapsed * rate) / 1000);
      b.last = now;
      b.rate = rate;
      b.burst = burst;
    }
    if (n > b.tokens) return false;
    b.tokens -= n;
    return true;
  }

  /** Tokens currently available to a tenant (for tests and status pages). */
  available(tenant: string, limits: Limits): number {
    const { rate, burst } = this.effective(limits);
    const b = this.#buckets.get(tenant);
    if (b === undefined) return burst;
    return Math.min(burst, b.tokens + (Math.max(0, this.#clock.now() - b.last) * rate) / 1000);
  }

  /** Number of tenants with a bucket in memory. */
  get size(): number {
    return this.#buckets.size;
  }

  #maybeSweep(now: number): void {
    if (now - this.#lastSweep < this.#sweepMs) return;
    this.#lastSweep = now;
    for (const [tenant, b] of this.#buckets) {
      if (b.tokens + (Math.max(0, now - b.last) * b.rate) / 1000 >= b.burst) this.#buckets.delete(tenant);
    }
  }
}
