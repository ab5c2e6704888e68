import type { Clock } from './clock.ts';
import { GossipError } from './errors.ts';
import type { Random } from './random.ts';
import type { Transport, TransportHandlers } from './transport.ts';

/**
 * In-process network for tests (memberlist's MockNetwork) with fault controls: packet loss, partitions,
 * latency. Delivery goes through the injected clock, so a fake clock drives whole clusters deterministically.
 */
export class MemoryNetwork {
  readonly #clock: Clock;
  readonly #random: Random;
  readonly #nodes = new Map<string, MemoryTransport>();
  readonly #cut = new Set<string>();
  #nextPort = 10_000;
  /** Probability in [0, 1] that a datagram is lost. Streams are reliable and ignore it. */
  packetLoss = 0;
  /** One-way delay of every datagram and stream message, in ms. */
  latencyMs = 1;
  /** Datagrams delivered and lost so far. */
  readonly stats = { delivered: 0, lost: 0 };

  constructor(opts: { clock: Clock; random: Random }) {
    this.#clock = opts.clock;
    this.#random = opts.random;
  }

  /** A transport with its own address ("mem-host:port"); pass an address to reuse one (a restarted member). */
  createTransport(addr?: string): MemoryTransport {
    return new MemoryTransport(this, addr ?? `mem:${this.#nextPort++}`);
  }

  /** Cuts both directions between two addresses (or heals them). */
  partition(a: string, b: string, cut = true): void {
    for (const k of [`${a}|${b}`, `${b}|${a}`]) {
      if (cut) this.#cut.add(k);
      else this.#cut.delete(k);
    }
  }

  /** Isolates one address from every other. */
  isolate(addr: string, cut = true): void {
    for (const other of this.#nodes.keys()) if (other !== addr) this.partition(addr, other, cut);
  }

  /** @internal */
  register(addr: string, t: MemoryTransport): void {
    if (this.#nodes.has(addr)) throw new GossipError('GOSSIP_BIND_FAILED', `Cannot bind memory transport: address "${addr}" is in use`);
    this.#nodes.set(addr, t);
  }

  /** @internal */
  unregister(addr: string, t: MemoryTransport): void {
    if (this.#nodes.get(addr) === t) this.#nodes.delete(addr);
  }

  /** @internal */
  sendPacket(from: string, to: string, buf: Uint8Array): void {
    if (this.#cut.has(`${from}|${to}`) || (this.packetLoss > 0 && this.#random() < this.packetLoss)) {
      this.stats.lost++;
      return;
    }
    const copy = buf.slice();
    this.#clock.setTimeout(() => {
      const dest = this.#nodes.get(to);
      if (dest === undefined) return;
      this.stats.delivered++;
      dest.deliverPacket(copy, from);
    }, this.latencyMs);
  }

  /** @internal */
  request(from: string, to: string, payload: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      let done = false;
      const fail = (why: string): void => {
        if (done) return;
        done = true;
        timer.cancel();
        reject(new GossipError('GOSSIP_STREAM_FAILED', `Gossip request to "${to}" failed: ${why}`));
      };
      const timer = this.#clock.setTimeout(() => fail(`timed out after ${timeoutMs} ms`), timeoutMs);
      this.#clock.setTimeout(() => {
        const dest = this.#nodes.get(to);
        if (dest === undefined || this.#cut.has(`${from}|${to}`)) {
          fail('connection refused');
          return;
        }
        dest.deliverRequest(payload.slice(), from).then(
          (reply) => {
            this.#clock.setTimeout(() => {
              if (done) return;
              if (this.#cut.has(`${to}|${from}`)) {
                fail('connection reset');
                return;
              }
              done = true;
              timer.cancel();
              resolve(reply);
            }, this.latencyMs);
          },
          (err) => fail(err instanceof Error ? err.message : String(err)),
        );
      }, this.latencyMs);
    });
  }
}

export class MemoryTransport implements Transport {
  readonly #net: MemoryNetwork;
  readonly addr: string;
  #handlers: TransportHandlers | undefined;
  #closed = false;

  constructor(net: MemoryNetwork, addr: string) {
    this.#net = net;
    this.addr = addr;
  }

  async start(handlers: TransportHandlers): Promise<string> {
    this.#net.register(this.addr, this);
    this.#handlers = handlers;
    return this.addr;
  }

  sendPacket(addr: string, buf: Uint8Array): void {
    if (this.#closed || this.#handlers === undefined) return;
    this.#net.sendPacket(this.addr, addr, buf);
  }

  request(addr: string, payload: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    if (this.#closed) return Promise.reject(new GossipError('GOSSIP_NOT_RUNNING', `Cannot send gossip request to "${addr}": transport is closed`));
    return this.#net.request(this.addr, addr, payload, timeoutMs);
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#net.unregister(this.addr, this);
  }

  /** @internal */
  deliverPacket(buf: Uint8Array, from: string): void {
    if (this.#closed) return;
    this.#handlers?.onPacket(buf, from);
  }

  /** @internal */
  deliverRequest(payload: Uint8Array, from: string): Promise<Uint8Array> {
    if (this.#closed || this.#handlers === undefined) return Promise.reject(new Error('connection refused'));
    return this.#handlers.onRequest(payload, from);
  }
}
