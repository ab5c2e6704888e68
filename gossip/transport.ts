/**
 * What memberlist needs from the network: a best-effort packet side (UDP) and a reliable request/response
 * side (TCP) for push-pull and for broadcasts too large for one datagram.
 */
export interface TransportHandlers {
  /** A datagram arrived; from is the sender's "host:port". Must not throw. */
  onPacket(buf: Uint8Array, from: string): void;
  /** A stream request arrived; the returned bytes are the reply. A rejection closes the connection without reply. */
  onRequest(payload: Uint8Array, from: string): Promise<Uint8Array>;
}

export interface Transport {
  /** Binds and starts delivering to handlers; resolves with the bound "host:port". Bind failures reject with GossipError GOSSIP_BIND_FAILED. */
  start(handlers: TransportHandlers): Promise<string>;
  /** Sends one datagram, best effort: failures are counted, never thrown. */
  sendPacket(addr: string, buf: Uint8Array): void;
  /** Sends one request over a fresh reliable connection and waits for its reply; rejects with GossipError GOSSIP_STREAM_FAILED. */
  request(addr: string, payload: Uint8Array, timeoutMs: number): Promise<Uint8Array>;
  /** Closes every socket; idempotent. */
  close(): Promise<void>;
}
