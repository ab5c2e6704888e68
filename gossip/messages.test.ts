import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type Message, decodePacket, decodeStreamRequest, decodeStreamResponse, encodeMessage, encodePacket,
  encodeStreamRequest, isAddr, packetOverhead,
} from './messages.ts';
import { seededRandom } from './random.ts';

test('encodePacket()/decodePacket() round-trip every message type', () => {
  const msgs: Message[] = [
    { t: 'ping', seq: 1, node: 'a' },
    { t: 'ping-req', seq: 2, node: 'b', addr: '10.0.0.2:7946', nack: true },
    { t: 'ack', seq: 3 },
    { t: 'nack', seq: 4 },
    { t: 'alive', node: 'c', addr: '[::1]:7946', inc: 5, meta: { zone: 'a', weight: 2, ready: true } },
    { t: 'suspect', node: 'c', inc: 5, from: 'a' },
    { t: 'dead', node: 'c', inc: 6, from: 'c' },
    { t: 'user', p: { k: 'ring', v: { i: [] } } },
  ];
  const buf = encodePacket('sender', msgs.map(encodeMessage));
  assert.equal(buf.length, packetOverhead('sender') + msgs.map(encodeMessage).join(',').length);
  assert.deepEqual(decodePacket(buf), { from: 'sender', msgs });
});

test('decodePacket() and the stream decoders return undefined for random and mutated input, never throw', () => {
  const random = seededRandom(1);
  const valid = Buffer.from(encodePacket('x', [encodeMessage({ t: 'alive', node: 'n', addr: 'h:1', inc: 1, meta: {} })]));
  for (let i = 0; i < 5000; i++) {
    let buf: Uint8Array;
    if (i % 2 === 0) {
      buf = new Uint8Array(Math.floor(random() * 64));
      for (let j = 0; j < buf.length; j++) buf[j] = Math.floor(random() * 256);
    } else {
      buf = Buffer.from(valid);
      buf[Math.floor(random() * buf.length)] = Math.floor(random() * 256);
    }
    const p = decodePacket(buf);
    if (p !== undefined) assert.equal(typeof p.from, 'string');
    decodeStreamRequest(buf);
    decodeStreamResponse(buf);
  }
});

test('decodeStreamRequest() validates push-pull nodes', () => {
  const ok = encodeStreamRequest({ t: 'push-pull', from: 'a', join: true, nodes: [{ node: 'a', addr: 'h:1', inc: 0, state: 'alive', meta: {} }], user: null });
  assert.equal(decodeStreamRequest(ok)?.t, 'push-pull');
  const bad = Buffer.from(JSON.stringify({ v: 1, t: 'push-pull', from: 'a', join: true, nodes: [{ node: 'a', addr: 'h:1', inc: 0, state: 'zombie', meta: {} }], user: null }));
  assert.equal(decodeStreamRequest(bad), undefined);
});

test('isAddr() accepts host:port only', () => {
  assert.ok(isAddr('127.0.0.1:7946'));
  assert.ok(isAddr('[::1]:1'));
  assert.ok(!isAddr('127.0.0.1'));
  assert.ok(!isAddr('h:0'));
  assert.ok(!isAddr('h:70000'));
  assert.ok(!isAddr(':80'));
});
