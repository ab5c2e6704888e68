import type { MemberMeta, NodeState } from './node-state.ts';

/**
 * Gossip wire messages and their codec (see FORMAT.md). Packets and stream frames are UTF-8 JSON objects
 * carrying a format version. Decoding validates every field and returns undefined for anything malformed:
 * a bad packet is counted and dropped by the caller, never thrown out of a socket handler.
 */
export const WIRE_VERSION = 1;

/** Limits that bound what a peer can make us allocate or store. */
export const MAX_NAME_LENGTH = 256;
export const MAX_ADDR_LENGTH = 300;
export const MAX_META_KEYS = 64;
export const MAX_PACKET_MESSAGES = 512;
export const MAX_PUSH_NODES = 100_000;

export type PingMsg = { t: 'ping'; seq: number; node: string };
export type PingReqMsg = { t: 'ping-req'; seq: number; node: string; addr: string; nack: boolean };
export type AckMsg = { t: 'ack'; seq: number };
export type NackMsg = { t: 'nack'; seq: number };
export type AliveMsg = { t: 'alive'; node: string; addr: string; inc: number; meta: MemberMeta };
export type SuspectMsg = { t: 'suspect'; node: string; inc: number; from: string };
export type DeadMsg = { t: 'dead'; node: string; inc: number; from: string };
/** Application payload (KV deltas); its content is validated by the delegate that reads it. */
export type UserMsg = { t: 'user'; p: unknown };

export type Message = PingMsg | PingReqMsg | AckMsg | NackMsg | AliveMsg | SuspectMsg | DeadMsg | UserMsg;

/** One UDP datagram: sender name and a list of messages (the first is usually a ping/ack, the rest piggybacked broadcasts). */
export interface Packet {
  from: string;
  msgs: Message[];
}

/** A member as sent in a push-pull exchange. */
export interface PushNode {
  node: string;
  addr: string;
  inc: number;
  state: NodeState;
  meta: MemberMeta;
}

export type StreamRequest =
  | { t: 'push-pull'; from: string; join: boolean; nodes: PushNode[]; user: unknown }
  | { t: 'gossip'; from: string; msgs: Message[] }
  /** TCP fallback probe: answered with 'ok' only when node names the receiver. */
  | { t: 'ping'; from: string; node: string };

export type StreamResponse = { t: 'push-pull'; from: string; nodes: PushNode[]; user: unknown } | { t: 'ok' };

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** Encodes one message to the JSON text that is queued and piggybacked. */
export function encodeMessage(m: Message): string {
  return JSON.stringify(m);
}

/** Bytes of a packet around its messages: {"v":1,"f":<name>,"m":[ … ]} plus one comma per message. */
export function packetOverhead(from: string): number {
  return Buffer.byteLength(`{"v":${WIRE_VERSION},"f":${JSON.stringify(from)},"m":[]}`);
}

/** Builds a datagram from already encoded messages. */
export function encodePacket(from: string, encodedMsgs: readonly string[]): Uint8Array {
  return encoder.encode(`{"v":${WIRE_VERSION},"f":${JSON.stringify(from)},"m":[${encodedMsgs.join(',')}]}`);
}

export function decodePacket(buf: Uint8Array): Packet | undefined {
  const o = parseJsonObject(buf);
  if (o === undefined || o['v'] !== WIRE_VERSION || !isName(o['f'])) return undefined;
  const msgs = decodeMessages(o['m']);
  if (msgs === undefined) return undefined;
  return { from: o['f'], msgs };
}

export function encodeStreamRequest(r: StreamRequest): Uint8Array {
  return encoder.encode(JSON.stringify({ v: WIRE_VERSION, ...r }));
}

export function encodeStreamResponse(r: StreamResponse): Uint8Array {
  return encoder.encode(JSON.stringify({ v: WIRE_VERSION, ...r }));
}

export function decodeStreamRequest(buf: Uint8Array): StreamRequest | undefined {
  const o = parseJsonObject(buf);
  if (o === undefined || o['v'] !== WIRE_VERSION || !isName(o['from'])) return undefined;
  if (o['t'] === 'push-pull') {
    const nodes = decodePushNodes(o['nodes']);
    if (nodes === undefined || typeof o['join'] !== 'boolean') return undefined;
    return { t: 'push-pull', from: o['from'], join: o['join'], nodes, user: o['user'] };
  }
  if (o['t'] === 'ping') {
    return isName(o['node']) ? { t: 'ping', from: o['from'], node: o['node'] } : undefined;
  }
  if (o['t'] === 'gossip') {
    const msgs = decodeMessages(o['msgs']);
    if (msgs === undefined) return undefined;
    return { t: 'gossip', from: o['from'], msgs };
  }
  return undefined;
}

export function decodeStreamResponse(buf: Uint8Array): StreamResponse | undefined {
  const o = parseJsonObject(buf);
  if (o === undefined || o['v'] !== WIRE_VERSION) return undefined;
  if (o['t'] === 'ok') return { t: 'ok' };
  if (o['t'] === 'push-pull' && isName(o['from'])) {
    const nodes = decodePushNodes(o['nodes']);
    if (nodes === undefined) return undefined;
    return { t: 'push-pull', from: o['from'], nodes, user: o['user'] };
  }
  return undefined;
}

/** Encoded size of metadata, as limited by maxMetaBytes. */
export function metaSize(meta: MemberMeta): number {
  return Buffer.byteLength(JSON.stringify(meta));
}

export function isValidMeta(x: unknown): x is MemberMeta {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return false;
  const keys = Object.keys(x);
  if (keys.length > MAX_META_KEYS) return false;
  for (const k of keys) {
    if (k.length > MAX_NAME_LENGTH) return false;
    const v = (x as Record<string, unknown>)[k];
    if (typeof v === 'string' || typeof v === 'boolean') continue;
    if (typeof v === 'number' && Number.isFinite(v)) continue;
    return false;
  }
  return true;
}

/** "host:port" with a port in 1..65535; host may be a name, IPv4 or bracketed IPv6. */
export function isAddr(x: unknown): x is string {
  if (typeof x !== 'string' || x.length === 0 || x.length > MAX_ADDR_LENGTH) return false;
  const i = x.lastIndexOf(':');
  if (i <= 0) return false;
  const port = Number(x.slice(i + 1));
  return Number.isInteger(port) && port > 0 && port <= 65535;
}

export function splitAddr(addr: string): { host: string; port: number } {
  const i = addr.lastIndexOf(':');
  let host = addr.slice(0, i);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  return { host, port: Number(addr.slice(i + 1)) };
}

export function joinAddr(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function parseJsonObject(buf: Uint8Array): Record<string, unknown> | undefined {
  let v: unknown;
  try {
    v = JSON.parse(decoder.decode(buf));
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  return v as Record<string, unknown>;
}

function isName(x: unknown): x is string {
  return typeof x === 'string' && x.length > 0 && x.length <= MAX_NAME_LENGTH;
}

function isSeq(x: unknown): x is number {
  return typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= 0xffffffff;
}

function isIncarnation(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

const STATES = new Set(['alive', 'suspect', 'dead', 'left']);

function decodeMessages(x: unknown): Message[] | undefined {
  if (!Array.isArray(x) || x.length > MAX_PACKET_MESSAGES) return undefined;
  const out: Message[] = [];
  for (const m of x) {
    const d = decodeMessage(m);
    if (d === undefined) return undefined;
    out.push(d);
  }
  return out;
}

function decodeMessage(x: unknown): Message | undefined {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return undefined;
  const o = x as Record<string, unknown>;
  switch (o['t']) {
    case 'ping':
      return isSeq(o['seq']) && isName(o['node']) ? { t: 'ping', seq: o['seq'], node: o['node'] } : undefined;
    case 'ping-req':
      return isSeq(o['seq']) && isName(o['node']) && isAddr(o['addr']) && typeof o['nack'] === 'boolean'
        ? { t: 'ping-req', seq: o['seq'], node: o['node'], addr: o['addr'], nack: o['nack'] }
        : undefined;
    case 'ack':
      return isSeq(o['seq']) ? { t: 'ack', seq: o['seq'] } : undefined;
    case 'nack':
      return isSeq(o['seq']) ? { t: 'nack', seq: o['seq'] } : undefined;
    case 'alive':
      return isName(o['node']) && isAddr(o['addr']) && isIncarnation(o['inc']) && isValidMeta(o['meta'])
        ? { t: 'alive', node: o['node'], addr: o['addr'], inc: o['inc'], meta: o['meta'] }
        : undefined;
    case 'suspect':
    case 'dead':
      return isName(o['node']) && isIncarnation(o['inc']) && isName(o['from'])
        ? { t: o['t'], node: o['node'], inc: o['inc'], from: o['from'] }
        : undefined;
    case 'user':
      return 'p' in o ? { t: 'user', p: o['p'] } : undefined;
    default:
      return undefined;
  }
}

function decodePushNodes(x: unknown): PushNode[] | undefined {
  if (!Array.isArray(x) || x.length > MAX_PUSH_NODES) return undefined;
  const out: PushNode[] = [];
  for (const n of x) {
    if (typeof n !== 'object' || n === null) return undefined;
    const o = n as Record<string, unknown>;
    if (!isName(o['node']) || !isAddr(o['addr']) || !isIncarnation(o['inc']) || !STATES.has(o['state'] as string) || !isValidMeta(o['meta'])) {
      return undefined;
    }
    out.push({ node: o['node'], addr: o['addr'], inc: o['inc'], state: o['state'] as NodeState, meta: o['meta'] });
  }
  return out;
}
