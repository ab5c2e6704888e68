import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { GOSSIP_ERROR_CODES, GossipError, isGossipError } from './errors.ts';

test('GossipError carries its code, HTTP status and cause', () => {
  const cause = new Error('boom');
  const e = new GossipError('RING_EMPTY', 'Ring is empty: no instance owns key 1', { cause });
  assert.equal(e.code, 'RING_EMPTY');
  assert.equal(e.httpStatus, 503);
  assert.equal(e.cause, cause);
  assert.ok(isGossipError(e));
  assert.ok(!isGossipError(new Error('x')));
});

test('every gossip error code maps to an HTTP status and is raised somewhere in gossip/', () => {
  const sources = ['memberlist.ts', 'udp-transport.ts', 'memory-transport.ts', 'ring/ring.ts', 'ring/replication-set.ts', 'ring/lifecycler.ts']
    .map((f) => readFileSync(new URL(f, import.meta.url), 'utf8')).join('\n');
  for (const [code, status] of Object.entries(GOSSIP_ERROR_CODES)) {
    assert.ok(status >= 400 && status < 600, code);
    assert.ok(sources.includes(`'${code}'`), `${code} is never raised`);
  }
});
