/**
 * In-process LRU cache of chunk object bytes, bounded by total bytes (Cortex's
 * chunk cache, without the memcached). Objects are content-addressed and never
 * rewritten, so a cached entry can never be stale: at worst it outlives the
 * object (deleted after compaction), and then nothing asks for it any more.
 */
export class ChunkCache {
  #maxBytes: number;
  #bytes = 0;
  /** Map keeps insertion order: the first entry is the least recently used. */
  #entries = new Map<string, Uint8Array>();
  hits = 0;
  misses = 0;

  constructor(maxBytes: number) {
    if (!(maxBytes >= 0)) throw new RangeError(`Invalid chunk cache size: ${maxBytes} bytes`);
    this.#maxBytes = maxBytes;
  }

  get bytes(): number {
    return this.#bytes;
  }

  get(key: string): Uint8Array | undefined {
    const v = this.#entries.get(key);
    if (v === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.#entries.delete(key);
    this.#entries.set(key, v);
    return v;
  }

  set(key: string, bytes: Uint8Array): void {
    // Entries larger than an eighth of the cache would evict too much for one hit.
    if (bytes.length * 8 > this.#maxBytes) return;
    const old = this.#entries.get(key);
    if (old !== undefined) {
      this.#bytes -= old.length;
      this.#entries.delete(key);
    }
    this.#entries.set(key, bytes);
    this.#bytes += bytes.length;
    while (this.#bytes > this.#maxBytes) {
      const first = this.#entries.entries().next().value as [string, Uint8Array];
      this.#entries.delete(first[0]);
      this.#bytes -= first[1].length;
    }
  }

  delete(key: string): void {
    const old = this.#entries.get(key);
    if (old === undefined) return;
    this.#bytes -= old.length;
    this.#entries.delete(key);
  }
}
