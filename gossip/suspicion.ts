import type { Clock } from './clock.ts';

/**
 * Lifeguard suspicion timing: the timeout starts at max and shrinks towards min, logarithmically,
 * as independent members confirm the suspicion (k confirmations expected).
 * Returns the time left after elapsedMs, which may be negative. Pure, so it is tested without timers.
 */
export function remainingSuspicionTime(confirmations: number, k: number, elapsedMs: number, minMs: number, maxMs: number): number {
  const frac = k < 1 ? 1 : Math.log(confirmations + 1) / Math.log(k + 1);
  const raw = Math.floor(maxMs - frac * (maxMs - minMs));
  const timeout = Math.max(raw, minMs);
  return timeout - elapsedMs;
}

/** Minimum suspicion timeout: mult * max(1, log10(n)) * probe interval (memberlist's scaling with cluster size). */
export function suspicionTimeout(mult: number, n: number, intervalMs: number): number {
  const nodeScale = Math.max(1, Math.log10(Math.max(1, n)));
  return Math.floor(mult * nodeScale * intervalMs);
}

/** One running suspicion of one member: a timer that confirmations from distinct members shorten. */
export class Suspicion {
  readonly #clock: Clock;
  readonly #k: number;
  readonly #minMs: number;
  readonly #maxMs: number;
  readonly #start: number;
  readonly #confirmers = new Set<string>();
  readonly #onTimeout: () => void;
  #timer: { cancel(): void } | undefined;
  #fired = false;

  /** from: the member that raised the suspicion (it does not count as a confirmation). */
  constructor(opts: { clock: Clock; from: string; k: number; minMs: number; maxMs: number; onTimeout: () => void }) {
    this.#clock = opts.clock;
    this.#k = opts.k;
    this.#minMs = opts.minMs;
    this.#maxMs = opts.maxMs;
    this.#onTimeout = opts.onTimeout;
    this.#start = opts.clock.now();
    this.#confirmers.add(opts.from);
    // With no confirmations to wait for, the minimum applies at once
    const first = opts.k < 1 ? opts.minMs : opts.maxMs;
    this.#timer = this.#clock.setTimeout(() => this.#fire(), first);
  }

  get confirmations(): number {
    return this.#confirmers.size - 1;
  }

  /** Counts a confirmation from a new member; returns true when it was new (so the caller re-gossips it). */
  confirm(from: string): boolean {
    if (this.#fired || this.confirmations >= this.#k || this.#confirmers.has(from)) return false;
    this.#confirmers.add(from);
    const elapsed = this.#clock.now() - this.#start;
    const remaining = remainingSuspicionTime(this.confirmations, this.#k, elapsed, this.#minMs, this.#maxMs);
    this.#timer?.cancel();
    this.#timer = this.#clock.setTimeout(() => this.#fire(), Math.max(0, remaining));
    return true;
  }

  cancel(): void {
    this.#fired = true;
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  #fire(): void {
    if (this.#fired) return;
    this.#fired = true;
    this.#onTimeout();
  }
}
