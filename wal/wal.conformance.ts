/**
 * Conformance suite for Wal, run against every storage backend (classic-level on disk, memory-level).
 * A backend gives Wal instances over one shared storage (so a test can close and reopen) and a raw handle on it
 * (so a test can damage stored values the way a disk would).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { WalCorruptionError, WalError } from './errors.ts';
import { checkpointKey, META_CHECKPOINT_KEY, recordKey } from './keys.ts';
import { encodeFrame } from './frame.ts';
import type { WalDb } from './store.ts';
import { Wal, type WalConfig, type WalRecord } from './wal.ts';

export interface WalBackend {
  /** A new (unopened) Wal over this backend's storage; every call sees the same stored data. */
  create(config?: Partial<WalConfig>): Wal;
  /** An open raw handle on the storage with 'view' encodings; only while no Wal is open. Close it with closeRaw. */
  openRaw(): Promise<WalDb>;
  closeRaw(db: WalDb): Promise<void>;
  cleanup(): Promise<void>;
}

export type WalBackendFactory = () => Promise<WalBackend>;

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Decodes bytes for comparison: backends return Buffer or plain Uint8Array, deepEqual tells them apart. */
function text(bytes: Uint8Array | undefined): string | undefined {
  return bytes === undefined ? undefined : dec.decode(bytes);
}

function rec(type: number, text: string): WalRecord {
  return { type, data: enc.encode(text) };
}

interface Replayed {
  type: number;
  text: string;
  seq: number;
  fromCheckpoint: boolean;
}

async function replayAll(wal: Wal): Promise<{ items: Replayed[]; result: Awaited<ReturnType<Wal['replay']>> }> {
  const items: Replayed[] = [];
  const result = await wal.replay((r, info) => {
    items.push({ type: r.type, text: dec.decode(r.data), seq: info.seq, fromCheckpoint: info.fromCheckpoint });
  });
  return { items, result };
}

/** Opens a Wal on the backend, runs fn, always closes. */
async function withWal<T>(backend: WalBackend, fn: (wal: Wal) => Promise<T>, config?: Partial<WalConfig>): Promise<T> {
  const wal = backend.create(config);
  await wal.open();
  try {
    return await fn(wal);
  } finally {
    await wal.close();
  }
}

export function walSuite(name: string, factory: WalBackendFactory): void {
  describe(`Wal conformance: ${name}`, () => {
    const run = (title: string, fn: (backend: WalBackend) => Promise<void>): void => {
      test(title, async () => {
        const backend = await factory();
        try {
          await fn(backend);
        } finally {
          await backend.cleanup();
        }
      });
    };

    run('append() then replay() returns records in seq order with their types and data', async (b) => {
      await withWal(b, async (wal) => {
        assert.equal(wal.lastSeq, 0);
        assert.equal(await wal.append([rec(1, 'a')]), 1);
        assert.equal(await wal.append([rec(2, 'b'), rec(3, 'c'), rec(255, '')]), 4);
        assert.equal(await wal.append([rec(1, 'd')]), 5);
        assert.equal(wal.lastSeq, 5);
        const { items, result } = await replayAll(wal);
        assert.deepEqual(
          items.map((i) => [i.seq, i.type, i.text, i.fromCheckpoint]),
          [
            [1, 1, 'a', false],
            [2, 2, 'b', false],
            [3, 3, 'c', false],
            [4, 255, '', false],
            [5, 1, 'd', false],
          ],
        );
        assert.deepEqual(result, { checkpointRecords: 0, records: 5, lastSeq: 5 });
      });
    });

    run('lastSeq persists across close and reopen, and seqs continue after it', async (b) => {
      await withWal(b, async (wal) => {
        await wal.append([rec(1, 'a'), rec(1, 'b')]);
        await wal.append([rec(1, 'c')]);
      });
      await withWal(b, async (wal) => {
        assert.equal(wal.lastSeq, 3);
        assert.equal(await wal.append([rec(1, 'd')]), 4);
        const { items } = await replayAll(wal);
        assert.deepEqual(items.map((i) => `${i.seq}:${i.text}`), ['1:a', '2:b', '3:c', '4:d']);
      });
    });

    run('concurrent appends are group-committed: all resolve, seqs follow call order, fewer batches than appends', async (b) => {
      await withWal(
        b,
        async (wal) => {
          const n = 300;
          const promises: Promise<number>[] = [];
          for (let i = 0; i < n; i++) promises.push(wal.append([rec(1 + (i % 3), `r${i}`), rec(9, `s${i}`)]));
          const seqs = await Promise.all(promises);
          assert.deepEqual(seqs, Array.from({ length: n }, (_, i) => 2 * i + 2));
          assert.equal(wal.lastSeq, 2 * n);
          const ws = wal.writeStats;
          assert.equal(ws.appends, n);
          assert.ok(ws.batches < n, `expected grouping, got ${ws.batches} batches for ${n} appends`);
          assert.ok(ws.batches >= Math.ceil(n / 64), `maxBatchAppends 64 allows no fewer than ${Math.ceil(n / 64)} batches, got ${ws.batches}`);
          const { items } = await replayAll(wal);
          assert.equal(items.length, 2 * n);
          for (let i = 0; i < n; i++) {
            assert.equal(items[2 * i]!.text, `r${i}`);
            assert.equal(items[2 * i]!.seq, 2 * i + 1);
            assert.equal(items[2 * i + 1]!.text, `s${i}`);
          }
        },
        { maxBatchAppends: 64 },
      );
    });

    run('maxBatchBytes bounds a group: appends larger than half the limit are written one per batch', async (b) => {
      await withWal(
        b,
        async (wal) => {
          const big = 'x'.repeat(60);
          const seqs = await Promise.all(Array.from({ length: 10 }, () => wal.append([rec(1, big)])));
          assert.deepEqual(seqs, Array.from({ length: 10 }, (_, i) => i + 1));
          assert.deepEqual(wal.writeStats, { batches: 10, appends: 10, bytes: 10 * (8 + 5 + 60) });
          // An append larger than the limit still goes through, alone.
          assert.equal(await wal.append([rec(1, 'y'.repeat(500))]), 11);
        },
        { maxBatchBytes: 100 },
      );
    });

    run('group commit with fsync group writes every append durably', async (b) => {
      await withWal(
        b,
        async (wal) => {
          const seqs = await Promise.all(Array.from({ length: 20 }, (_, i) => wal.append([rec(1, `g${i}`)])));
          assert.deepEqual(seqs, Array.from({ length: 20 }, (_, i) => i + 1));
        },
        { fsync: 'group' },
      );
      await withWal(b, async (wal) => {
        assert.equal(wal.lastSeq, 20);
        assert.equal((await replayAll(wal)).items.length, 20);
      });
    });

    run('close() waits for queued appends, which are there after reopen', async (b) => {
      const wal = b.create();
      await wal.open();
      const pending = [wal.append([rec(1, 'x')]), wal.append([rec(1, 'y')])];
      const closing = wal.close();
      await assert.rejects(wal.append([rec(1, 'z')]), (e: unknown) => e instanceof WalError && e.code === 'WAL_CLOSED');
      assert.deepEqual(await Promise.all(pending), [1, 2]);
      await closing;
      await withWal(b, async (w2) => {
        assert.deepEqual((await replayAll(w2)).items.map((i) => i.text), ['x', 'y']);
      });
    });

    run('checkpoint() then replay() returns the checkpoint records and later records only', async (b) => {
      await withWal(b, async (wal) => {
        for (let i = 1; i <= 10; i++) await wal.append([rec(1, `w${i}`)]);
        const res = await wal.checkpoint([rec(7, 'cp1'), rec(7, 'cp2')], 6);
        assert.deepEqual(res, { written: 2, deleted: 6 });
        await wal.append([rec(1, 'w11')]);
        const { items, result } = await replayAll(wal);
        assert.deepEqual(
          items.map((i) => `${i.fromCheckpoint ? 'C' : 'W'}${i.seq}:${i.text}`),
          ['C6:cp1', 'C6:cp2', 'W7:w7', 'W8:w8', 'W9:w9', 'W10:w10', 'W11:w11'],
        );
        assert.deepEqual(result, { checkpointRecords: 2, records: 5, lastSeq: 11 });
        const stats = await wal.stats();
        assert.equal(stats.checkpointSeq, 6);
        assert.equal(stats.firstSeq, 7);
        assert.equal(stats.lastSeq, 11);
        assert.equal(stats.records, 5);
      });
      await withWal(b, async (wal) => {
        assert.equal(wal.checkpointSeq, 6);
        assert.deepEqual((await replayAll(wal)).items.map((i) => i.text), ['cp1', 'cp2', 'w7', 'w8', 'w9', 'w10', 'w11']);
        // A second checkpoint replaces the first.
        await wal.checkpoint([rec(7, 'cp3')], 9);
        assert.deepEqual((await replayAll(wal)).items.map((i) => i.text), ['cp3', 'w10', 'w11']);
        assert.deepEqual(wal.warnings, []);
      });
    });

    run('checkpoint() streams an async iterable into many frames and covers all records when uptoSeq = lastSeq', async (b) => {
      await withWal(
        b,
        async (wal) => {
          await wal.append([rec(1, 'a'), rec(1, 'b')]);
          async function* gen(): AsyncGenerator<WalRecord> {
            for (let i = 0; i < 500; i++) yield rec(2, `state-${i}`);
          }
          const res = await wal.checkpoint(gen(), 2);
          assert.deepEqual(res, { written: 500, deleted: 2 });
          const { items, result } = await replayAll(wal);
          assert.equal(result.checkpointRecords, 500);
          assert.equal(result.records, 0);
          assert.equal(items[499]!.text, 'state-499');
          assert.ok(items.every((i) => i.fromCheckpoint && i.seq === 2));
          assert.equal((await wal.stats()).firstSeq, 0);
        },
        { checkpointBatchBytes: 256 },
      );
      await withWal(b, async (wal) => {
        assert.equal(wal.lastSeq, 2, 'lastSeq survives even with every record checkpointed away');
        assert.equal(await wal.append([rec(1, 'c')]), 3);
      });
    });

    run('a checkpoint that fails midway leaves the previous checkpoint and records valid', async (b) => {
      await withWal(
        b,
        async (wal) => {
          await wal.append([rec(1, 'a')]);
          await wal.append([rec(1, 'b')]);
          await wal.checkpoint([rec(7, 'old')], 1);
          await wal.append([rec(1, 'c')]);
          async function* failing(): AsyncGenerator<WalRecord> {
            for (let i = 0; i < 50; i++) yield rec(2, `partial-${i}`);
            throw new Error('source failed');
          }
          await assert.rejects(wal.checkpoint(failing(), 3), /source failed/);
          assert.equal(wal.checkpointSeq, 1);
          assert.match(wal.warnings[0] ?? '', /Abandoned checkpoint/);
          assert.deepEqual((await replayAll(wal)).items.map((i) => i.text), ['old', 'b', 'c']);
        },
        { checkpointBatchBytes: 128 },
      );
      await withWal(b, async (wal) => {
        assert.deepEqual((await replayAll(wal)).items.map((i) => i.text), ['old', 'b', 'c']);
        assert.match(wal.warnings.join('\n'), /Ignored incomplete checkpoint/);
        await wal.checkpoint([rec(7, 'new')], 3);
        assert.deepEqual((await replayAll(wal)).items.map((i) => i.text), ['new']);
      });
    });

    run('checkpoint frames without a completion marker are ignored at open and reported as a warning', async (b) => {
      await withWal(b, async (wal) => {
        await wal.append([rec(1, 'a')]);
        await wal.append([rec(1, 'b')]);
        await wal.checkpoint([rec(7, 'cp')], 1);
      });
      // Simulate a crash mid-checkpoint: frames of a later generation written, marker not.
      const raw = await b.openRaw();
      await raw.put(checkpointKey(50, 0), encodeFrame([rec(7, 'ghost-1')]), { keyEncoding: 'view', valueEncoding: 'view' });
      await raw.put(checkpointKey(50, 1), encodeFrame([rec(7, 'ghost-2')]), { keyEncoding: 'view', valueEncoding: 'view' });
      await b.closeRaw(raw);
      const warned: string[] = [];
      await withWal(
        b,
        async (wal) => {
          assert.equal(wal.warnings.length, 1);
          assert.match(wal.warnings[0]!, /Ignored incomplete checkpoint: generation '50'/);
          assert.deepEqual(warned, wal.warnings);
          assert.deepEqual((await replayAll(wal)).items.map((i) => i.text), ['cp', 'b']);
          await wal.checkpoint([rec(7, 'cp2')], 2);
          assert.deepEqual((await replayAll(wal)).items.map((i) => i.text), ['cp2']);
        },
        { onWarning: (m) => warned.push(m) },
      );
      await withWal(b, async (wal) => assert.deepEqual(wal.warnings, []));
    });

    run('replay() reports a flipped byte as WalCorruptionError naming the seq and key', async (b) => {
      await withWal(b, async (wal) => {
        await wal.append([rec(1, 'one')]);
        await wal.append([rec(1, 'two'), rec(1, 'three')]);
        await wal.append([rec(1, 'four')]);
      });
      const key = recordKey(3, 2);
      const raw = await b.openRaw();
      const value = (await raw.get(key, { keyEncoding: 'view', valueEncoding: 'view' })) as Uint8Array;
      const damaged = Uint8Array.from(value);
      damaged[damaged.length - 2]! ^= 0x10;
      await raw.put(key, damaged, { keyEncoding: 'view', valueEncoding: 'view' });
      await b.closeRaw(raw);
      await withWal(b, async (wal) => {
        const seen: string[] = [];
        await assert.rejects(
          wal.replay((r) => {
            seen.push(dec.decode(r.data));
          }),
          (e: unknown) => {
            assert.ok(e instanceof WalCorruptionError);
            assert.equal(e.code, 'WAL_CORRUPTION');
            assert.equal(e.httpStatus, 500);
            assert.equal(e.seq, 2);
            assert.equal(e.key, Buffer.from(key).toString('hex'));
            assert.match(e.message, /WAL corruption at seq 2 .*CRC mismatch/);
            return true;
          },
        );
        assert.deepEqual(seen, ['one']);
      });
    });

    run('replay() reports a truncated value as WalCorruptionError', async (b) => {
      await withWal(b, async (wal) => {
        await wal.append([rec(1, 'one')]);
        await wal.append([rec(1, 'a longer second record')]);
      });
      const key = recordKey(2, 1);
      const raw = await b.openRaw();
      const value = (await raw.get(key, { keyEncoding: 'view', valueEncoding: 'view' })) as Uint8Array;
      await raw.put(key, value.slice(0, value.length - 5), { keyEncoding: 'view', valueEncoding: 'view' });
      await b.closeRaw(raw);
      await withWal(b, async (wal) => {
        await assert.rejects(wal.replay(() => undefined), (e: unknown) => e instanceof WalCorruptionError && e.seq === 2 && /truncated value/.test(e.message));
      });
    });

    run('a damaged checkpoint marker is reported at open()', async (b) => {
      await withWal(b, async (wal) => {
        await wal.append([rec(1, 'a')]);
        await wal.checkpoint([rec(7, 'cp')], 1);
      });
      const raw = await b.openRaw();
      const value = Uint8Array.from((await raw.get(META_CHECKPOINT_KEY, { keyEncoding: 'view', valueEncoding: 'view' })) as Uint8Array);
      value[10]! ^= 1;
      await raw.put(META_CHECKPOINT_KEY, value, { keyEncoding: 'view', valueEncoding: 'view' });
      await b.closeRaw(raw);
      const wal = b.create();
      await assert.rejects(wal.open(), (e: unknown) => e instanceof WalCorruptionError && /checkpoint marker CRC mismatch/.test(e.message));
      assert.equal(wal.status, 'closed');
    });

    run('truncate() deletes records up to a seq; replay and the floor survive reopen', async (b) => {
      await withWal(b, async (wal) => {
        for (let i = 1; i <= 6; i++) await wal.append([rec(1, `t${i}`)]);
        await wal.append([rec(1, 't7'), rec(1, 't8'), rec(1, 't9')]);
        assert.equal(await wal.truncate(4), 4);
        assert.deepEqual((await replayAll(wal)).items.map((i) => i.seq), [5, 6, 7, 8, 9]);
        // 8 falls inside the frame 7..9: nothing deleted yet, but replay skips 7 and 8.
        assert.equal(await wal.truncate(8), 2);
        assert.deepEqual((await replayAll(wal)).items.map((i) => `${i.seq}:${i.text}`), ['9:t9']);
        const stats = await wal.stats();
        assert.equal(stats.firstSeq, 9);
        assert.equal(stats.records, 1);
        await assert.rejects(wal.truncate(10), RangeError);
      });
      await withWal(b, async (wal) => {
        assert.deepEqual((await replayAll(wal)).items.map((i) => i.seq), [9]);
        assert.equal(await wal.truncate(9), 3);
        assert.equal((await replayAll(wal)).result.records, 0);
      });
      await withWal(b, async (wal) => {
        assert.equal(wal.lastSeq, 9);
        assert.equal(await wal.append([rec(1, 'after')]), 10);
      });
    });

    run('appendWithState() writes records and state together; invalid input writes neither', async (b) => {
      await withWal(b, async (wal) => {
        const seq = await wal.appendWithState([rec(1, 'r1')], { put: [['head/a', enc.encode('1')], [enc.encode('head/b'), enc.encode('2')]] });
        assert.equal(seq, 1);
        assert.equal(text(await wal.stateGet('head/a')), '1');
        await assert.rejects(wal.appendWithState([rec(1, 'bad'), rec(0, 'type 0')], { put: [['head/c', enc.encode('3')]] }), RangeError);
        await assert.rejects(
          wal.appendWithState([rec(1, 'bad')], { put: [['head/c', 'not bytes' as unknown as Uint8Array]] }),
          TypeError,
        );
        assert.equal(await wal.stateGet('head/c'), undefined);
        assert.equal(wal.lastSeq, 1);
        assert.equal(await wal.appendWithState([rec(1, 'r2')], { put: [['head/c', enc.encode('3')]], del: ['head/a'] }), 2);
        assert.equal(await wal.stateWrite({ put: [['other', enc.encode('x')]] }), 2);
      });
      await withWal(b, async (wal) => {
        assert.deepEqual((await replayAll(wal)).items.map((i) => i.text), ['r1', 'r2']);
        assert.equal(await wal.stateGet('head/a'), undefined);
        const entries: string[] = [];
        for await (const [k, v] of wal.stateEntries('head/')) entries.push(`${dec.decode(k)}=${dec.decode(v)}`);
        assert.deepEqual(entries, ['head/b=2', 'head/c=3']);
        const all: string[] = [];
        for await (const [k] of wal.stateIterator()) all.push(dec.decode(k));
        assert.deepEqual(all, ['head/b', 'head/c', 'other']);
        // State survives checkpoints and truncation: it is a separate keyspace.
        await wal.checkpoint([], 2);
        assert.equal(text(await wal.stateGet(enc.encode('head/b'))), '2');
      });
    });

    run('methods reject with WAL_NOT_OPEN before open() and WAL_CLOSED after close()', async (b) => {
      const wal = b.create();
      await assert.rejects(wal.append([rec(1, 'a')]), (e: unknown) => e instanceof WalError && e.code === 'WAL_NOT_OPEN' && e.httpStatus === 503);
      await assert.rejects(wal.replay(() => undefined), (e: unknown) => e instanceof WalError && e.code === 'WAL_NOT_OPEN');
      await wal.open();
      await wal.close();
      await assert.rejects(wal.append([rec(1, 'a')]), (e: unknown) => e instanceof WalError && e.code === 'WAL_CLOSED');
      await assert.rejects(wal.checkpoint([], 0), (e: unknown) => e instanceof WalError && e.code === 'WAL_CLOSED');
      await assert.rejects(wal.stats(), (e: unknown) => e instanceof WalError && e.code === 'WAL_CLOSED');
    });

    run('append() rejects bad records with RangeError/TypeError and assigns no seq', async (b) => {
      await withWal(b, async (wal) => {
        await assert.rejects(wal.append([rec(256, 'x')]), RangeError);
        await assert.rejects(wal.append([rec(1.5, 'x')]), RangeError);
        await assert.rejects(wal.append([{ type: 1, data: 'str' as unknown as Uint8Array }]), TypeError);
        await assert.rejects(wal.append([]), RangeError);
        assert.equal(await wal.append([rec(1, 'ok')]), 1);
      });
    });

    run('replay() awaits an async callback before delivering the next record', async (b) => {
      await withWal(b, async (wal) => {
        await wal.append([rec(1, 'a'), rec(1, 'b')]);
        await wal.append([rec(1, 'c')]);
        const log: string[] = [];
        await wal.replay(async (r) => {
          log.push(`start ${dec.decode(r.data)}`);
          await new Promise((resolve) => setImmediate(resolve));
          log.push(`end ${dec.decode(r.data)}`);
        });
        assert.deepEqual(log, ['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
      });
    });

    run('checkpoint() runs while appends continue, and keeps the appends made after uptoSeq', async (b) => {
      await withWal(
        b,
        async (wal) => {
          for (let i = 1; i <= 20; i++) await wal.append([rec(1, `w${i}`)]);
          const cp = wal.checkpoint(
            (async function* () {
              for (let i = 0; i < 100; i++) yield rec(2, `s${i}`);
            })(),
            20,
          );
          const more = Promise.all(Array.from({ length: 10 }, (_, i) => wal.append([rec(1, `late${i}`)])));
          const [res, seqs] = await Promise.all([cp, more]);
          assert.equal(res.written, 100);
          assert.equal(res.deleted, 20);
          assert.deepEqual(seqs, Array.from({ length: 10 }, (_, i) => 21 + i));
          const { result, items } = await replayAll(wal);
          assert.equal(result.checkpointRecords, 100);
          assert.deepEqual(items.filter((i) => !i.fromCheckpoint).map((i) => i.seq), seqs);
        },
        { checkpointBatchBytes: 200 },
      );
    });

    run('checkpoint() and truncate() reject seqs beyond lastSeq or below the checkpoint', async (b) => {
      await withWal(b, async (wal) => {
        await wal.append([rec(1, 'a'), rec(1, 'b')]);
        await assert.rejects(wal.checkpoint([], 3), RangeError);
        await wal.checkpoint([], 2);
        await assert.rejects(wal.checkpoint([], 1), RangeError);
        await assert.rejects(wal.truncate(-1), RangeError);
      });
    });
  });
}
