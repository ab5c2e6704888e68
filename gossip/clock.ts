/**
 * Time source for every timer-driven part of gossip/, so tests can drive a fake one.
 * Structurally identical to node/core/clock.ts (gossip/ imports nothing from the project).
 */
export interface Clock {
  /** Milliseconds since the epoch (or since the fake clock's start). */
  now(): number;
  /** Runs fn once after ms milliseconds; cancel() prevents it. */
  setTimeout(fn: () => void, ms: number): { cancel(): void };
}

/** Wall clock. Timers are unref'd so a forgotten timer never keeps the process alive. */
export class SystemClock implements Clock {
  now(): number {
    return Date.now();
  }
  setTimeout(fn: () => void, ms: number): { cancel(): void } {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return { cancel: () => clearTimeout(t) };
  }
}

interface FakeTimer {
  at: number;
  id: number;
  fn: () => void;
  cancelled: boolean;
}

/**
 * Manual clock for tests: time moves only through tick(). Timers live in a binary heap
 * ordered by (due time, creation order) because simulations of 32 members keep hundreds pending.
 */
export class FakeClock implements Clock {
  #now: number;
  #heap: FakeTimer[] = [];
  #seq = 0;

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): { cancel(): void } {
    const timer: FakeTimer = { at: this.#now + Math.max(0, ms), id: ++this.#seq, fn, cancelled: false };
    this.#push(timer);
    return { cancel: () => { timer.cancelled = true; } };
  }

  /** Number of timers still pending (cancelled ones excluded). */
  get pending(): number {
    return this.#heap.filter((t) => !t.cancelled).length;
  }

  /** Advances time by ms, firing every timer that falls due, including ones scheduled while ticking. */
  tick(ms: number): void {
    const target = this.#now + ms;
    for (;;) {
      const next = this.#heap[0];
      if (next === undefined || next.at > target) break;
      this.#pop();
      if (next.cancelled) continue;
      this.#now = next.at;
      next.fn();
    }
    this.#now = target;
  }

  #less(a: FakeTimer, b: FakeTimer): boolean {
    return a.at < b.at || (a.at === b.at && a.id < b.id);
  }

  #push(t: FakeTimer): void {
    const h = this.#heap;
    h.push(t);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.#less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  #pop(): void {
    const h = this.#heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.#less(h[l]!, h[m]!)) m = l;
      if (r < h.length && this.#less(h[r]!, h[m]!)) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}
