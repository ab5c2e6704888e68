import dgram from 'node:dgram';
import net from 'node:net';
import { GossipError } from './errors.ts';
import { joinAddr, splitAddr } from './messages.ts';
import type { Transport, TransportHandlers } from './transport.ts';

export interface UdpTransportConfig {
  /** Address to bind. @default '127.0.0.1' */
  host: string;
  /** Port for both UDP and TCP; 0 picks a port free on both. @default 0 */
  port: number;
  /** Largest accepted TCP frame, in bytes: bounds what a peer can make us buffer. @default 64 MiB */
  maxFrameBytes?: number;
}

/** Counters of what the transport dropped instead of crashing. */
export interface UdpTransportStats {
  sendErrors: number;
  badFrames: number;
}

/**
 * UDP (node:dgram) for packets and TCP (node:net) for requests, on the same port. A TCP request is one
 * connection carrying one length-prefixed frame each way (4-byte big-endian length, then the payload).
 */
export class UdpTransport implements Transport {
  readonly #cfg: Required<UdpTransportConfig>;
  #udp: dgram.Socket | undefined;
  #tcp: net.Server | undefined;
  readonly #conns = new Set<net.Socket>();
  #closed = false;
  readonly stats: UdpTransportStats = { sendErrors: 0, badFrames: 0 };

  constructor(cfg: UdpTransportConfig) {
    this.#cfg = { maxFrameBytes: 64 * 1024 * 1024, ...cfg };
  }

  async start(handlers: TransportHandlers): Promise<string> {
    const { host } = this.#cfg;
    // With port 0, TCP picks the port and UDP must get the same one; retry a few times if UDP's is taken
    const attempts = this.#cfg.port === 0 ? 10 : 1;
    let lastErr: unknown;
    for (let i = 0; i < attempts; i++) {
      const tcp = net.createServer((sock) => this.#serve(sock, handlers));
      try {
        await listenTcp(tcp, host, this.#cfg.port);
      } catch (err) {
        tcp.close();
        throw new GossipError('GOSSIP_BIND_FAILED', `Cannot bind TCP gossip socket: "${joinAddr(host, this.#cfg.port)}"`, { cause: err });
      }
      const port = (tcp.address() as net.AddressInfo).port;
      const udp = dgram.createSocket({ type: net.isIPv6(host) ? 'udp6' : 'udp4' });
      try {
        await bindUdp(udp, host, port);
      } catch (err) {
        lastErr = err;
        udp.close();
        await new Promise<void>((r) => tcp.close(() => r()));
        continue;
      }
      udp.on('message', (msg, rinfo) => {
        try {
          handlers.onPacket(msg, joinAddr(rinfo.address, rinfo.port));
        } catch {
          this.stats.badFrames++;
        }
      });
      // Socket errors after bind (e.g. ICMP unreachable on some platforms) are counted, never fatal
      udp.on('error', () => { this.stats.sendErrors++; });
      tcp.on('error', () => { this.stats.sendErrors++; });
      this.#udp = udp;
      this.#tcp = tcp;
      return joinAddr(host, port);
    }
    throw new GossipError('GOSSIP_BIND_FAILED', `Cannot bind UDP gossip socket: "${joinAddr(host, this.#cfg.port)}"`, { cause: lastErr });
  }

  sendPacket(addr: string, buf: Uint8Array): void {
    const udp = this.#udp;
    if (udp === undefined || this.#closed) return;
    const { host, port } = splitAddr(addr);
    try {
      udp.send(buf, port, host, (err) => { if (err) this.stats.sendErrors++; });
    } catch {
      this.stats.sendErrors++;
    }
  }

  request(addr: string, payload: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    if (this.#closed) return Promise.reject(new GossipError('GOSSIP_NOT_RUNNING', `Cannot send gossip request to "${addr}": transport is closed`));
    const { host, port } = splitAddr(addr);
    return new Promise((resolve, reject) => {
      const sock = net.connect({ host, port });
      this.#conns.add(sock);
      const reader = new FrameReader(this.#cfg.maxFrameBytes);
      let done = false;
      const finish = (err: unknown, frame?: Uint8Array): void => {
        if (done) return;
        done = true;
        sock.destroy();
        this.#conns.delete(sock);
        if (frame !== undefined) resolve(frame);
        else reject(new GossipError('GOSSIP_STREAM_FAILED', `Gossip request to "${addr}" failed: ${describe(err)}`, { cause: err }));
      };
      sock.setTimeout(timeoutMs, () => finish(new Error(`timed out after ${timeoutMs} ms`)));
      sock.on('error', (err) => finish(err));
      sock.on('close', () => finish(new Error('connection closed before the reply')));
      sock.on('connect', () => sock.write(frame(payload)));
      sock.on('data', (chunk) => {
        const r = reader.push(chunk);
        if (r === 'too-large') finish(new Error('reply frame too large'));
        else if (r !== undefined) finish(undefined, r);
      });
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const c of this.#conns) c.destroy();
    this.#conns.clear();
    const udp = this.#udp;
    const tcp = this.#tcp;
    await Promise.all([
      udp ? new Promise<void>((r) => { try { udp.close(() => r()); } catch { r(); } }) : undefined,
      tcp ? new Promise<void>((r) => tcp.close(() => r())) : undefined,
    ]);
  }

  #serve(sock: net.Socket, handlers: TransportHandlers): void {
    if (this.#closed) {
      sock.destroy();
      return;
    }
    this.#conns.add(sock);
    const reader = new FrameReader(this.#cfg.maxFrameBytes);
    const from = joinAddr(sock.remoteAddress ?? 'unknown', sock.remotePort ?? 0);
    let handled = false;
    const drop = (): void => {
      sock.destroy();
      this.#conns.delete(sock);
    };
    sock.setTimeout(30_000, drop);
    sock.on('error', drop);
    sock.on('close', () => this.#conns.delete(sock));
    sock.on('data', (chunk) => {
      if (handled) return;
      const r = reader.push(chunk);
      if (r === undefined) return;
      handled = true;
      if (r === 'too-large') {
        this.stats.badFrames++;
        drop();
        return;
      }
      handlers.onRequest(r, from).then(
        (reply) => { if (!sock.destroyed) sock.end(frame(reply)); this.#conns.delete(sock); },
        () => { this.stats.badFrames++; drop(); },
      );
    });
  }
}

function frame(payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(4 + payload.length);
  out.writeUInt32BE(payload.length, 0);
  out.set(payload, 4);
  return out;
}

/** Collects one length-prefixed frame from stream chunks. */
class FrameReader {
  #chunks: Buffer[] = [];
  #have = 0;
  readonly #max: number;
  constructor(max: number) {
    this.#max = max;
  }
  push(chunk: Buffer): Uint8Array | 'too-large' | undefined {
    this.#chunks.push(chunk);
    this.#have += chunk.length;
    if (this.#have < 4) return undefined;
    const all = this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks);
    this.#chunks = [all];
    const len = all.readUInt32BE(0);
    if (len > this.#max) return 'too-large';
    if (all.length < 4 + len) return undefined;
    return all.subarray(4, 4 + len);
  }
}

function listenTcp(server: net.Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen({ host, port, exclusive: true }, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

function bindUdp(sock: dgram.Socket, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    sock.once('error', onError);
    sock.bind({ address: host, port, exclusive: true }, () => {
      sock.off('error', onError);
      resolve();
    });
  });
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
