/** One queued broadcast: an already encoded message plus its bookkeeping. */
interface Item {
  /** Messages with the same key replace each other: only the newest one about a member is worth sending. */
  key: string | undefined;
  encoded: string;
  size: number;
  transmits: number;
  id: number;
  onDone: (() => void) | undefined;
}

/**
 * Transmit-limited queue (memberlist's TransmitLimitedQueue): every broadcast is piggybacked at most
 * retransmitMult * ceil(log10(n + 1)) times; the least sent, newest items go first.
 */
export class BroadcastQueue {
  #items: Item[] = [];
  #seq = 0;
  readonly #retransmitMult: number;
  readonly #maxItems: number;

  constructor(opts: { retransmitMult: number; maxItems?: number }) {
    this.#retransmitMult = opts.retransmitMult;
    this.#maxItems = opts.maxItems ?? 4096;
  }

  get length(): number {
    return this.#items.length;
  }

  /** Number of sends per broadcast for a cluster of n members. */
  retransmitLimit(n: number): number {
    return this.#retransmitMult * Math.max(1, Math.ceil(Math.log10(n + 1)));
  }

  /** Queues an encoded message; onDone runs once it is fully sent or replaced. */
  queue(encoded: string, opts?: { key?: string; onDone?: () => void }): void {
    const key = opts?.key;
    if (key !== undefined) {
      const kept: Item[] = [];
      for (const it of this.#items) {
        if (it.key === key) it.onDone?.();
        else kept.push(it);
      }
      this.#items = kept;
    }
    this.#items.push({ key, encoded, size: Buffer.byteLength(encoded), transmits: 0, id: ++this.#seq, onDone: opts?.onDone });
    // Bound memory: drop the most transmitted (then oldest) items first
    if (this.#items.length > this.#maxItems) {
      this.#sort();
      const dropped = this.#items.splice(this.#maxItems);
      for (const it of dropped) it.onDone?.();
    }
  }

  /**
   * Takes broadcasts that fit in limit bytes, counting overhead bytes per message, and marks them sent once.
   * Items bigger than limit are left for a caller with a bigger budget.
   */
  take(overhead: number, limit: number, n: number): string[] {
    if (this.#items.length === 0) return [];
    this.#sort();
    const maxTransmits = this.retransmitLimit(n);
    const out: string[] = [];
    let used = 0;
    const kept: Item[] = [];
    for (const it of this.#items) {
      if (used + overhead + it.size > limit) {
        kept.push(it);
        continue;
      }
      used += overhead + it.size;
      out.push(it.encoded);
      it.transmits++;
      if (it.transmits >= maxTransmits) it.onDone?.();
      else kept.push(it);
    }
    this.#items = kept;
    return out;
  }

  /** Drops everything (shutdown). */
  clear(): void {
    for (const it of this.#items) it.onDone?.();
    this.#items = [];
  }

  #sort(): void {
    this.#items.sort((a, b) => a.transmits - b.transmits || b.id - a.id);
  }
}
