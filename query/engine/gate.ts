interface Waiter {
  resolve: () => void;
  reject: (e: unknown) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

/** A counting semaphore: up to `max` holders; others wait in FIFO order (or give up when their signal aborts). */
export class ConcurrencyGate {
  readonly #max: number;
  #active = 0;
  readonly #waiting: Waiter[] = [];

  constructor(max: number) {
    this.#max = Math.max(1, max);
  }

  get active(): number {
    return this.#active;
  }

  get queued(): number {
    return this.#waiting.length;
  }

  acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#active < this.#max) {
      this.#active++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const entry: Waiter = { resolve, reject };
      if (signal !== undefined) {
        entry.signal = signal;
        entry.onAbort = () => {
          const i = this.#waiting.indexOf(entry);
          if (i >= 0) this.#waiting.splice(i, 1);
          reject(signal.reason);
        };
        signal.addEventListener('abort', entry.onAbort, { once: true });
      }
      this.#waiting.push(entry);
    });
  }

  release(): void {
    const next = this.#waiting.shift();
    if (next === undefined) {
      this.#active--;
      return;
    }
    if (next.signal !== undefined && next.onAbort !== undefined) next.signal.removeEventListener('abort', next.onAbort);
    next.resolve();
  }
}
