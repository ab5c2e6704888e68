/**
 * The one suite every ChunkIndex backend must pass. factory(space) returns a new,
 * unstarted index; two indexes made with the same space share their data (the
 * suite never runs them at the same time), which lets it show that writes are
 * idempotent across processes, not just inside one process's cache.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChunkIndex, ChunkRef, IndexEntry } from './chunk-index.ts';
import { labelsFromObject, formatLabels, type Labels } from '../../query/model/labels.ts';
import { newMatcher, type MatchType, type Matcher } from '../../query/model/matchers.ts';
import { seriesIdFor } from './series-id.ts';
import { hasStoreCode } from './errors.ts';
import type { BlockMeta } from './block-format.ts';

export type IndexFactory = (space: string) => Promise<ChunkIndex>;

const DAY = 86_400_000;
const T0 = 20_000 * DAY; // a bucket boundary in 2024

const m = (name: string, type: MatchType, value: string): Matcher => newMatcher(type, name, value);
const L = (o: Record<string, string>): Labels => labelsFromObject(o);

function block(id: string, minT: number, maxT: number): BlockMeta {
  return {
    id: id.repeat(32).slice(0, 32),
    minT,
    maxT,
    series: 3,
    chunks: 4,
    samples: 480,
    size: 1400,
    dirOffset: 800,
    dirEntries: 4,
    fenceOffset: 928,
    fenceEvery: 256,
    seriesTableOffset: 944,
    labelsOffset: 1040,
    labelsBytes: 200,
    symbolsOffset: 1360,
    symbolsBytes: 20,
    postingsOffset: 1240,
    namesOffset: 1300,
    namesBytes: 60,
  };
}

function entry(tenant: string, labels: Labels, minT: number, maxT: number, tag = 'h'): IndexEntry {
  return { seriesId: seriesIdFor(tenant, labels), labels, chunk: { id: `${minT}-${maxT}-${tag}`, minT, maxT, samples: 120, bytes: 200 } };
}

const series = {
  upA: L({ __name__: 'up', job: 'api', instance: 'a' }),
  upB: L({ __name__: 'up', job: 'api', instance: 'b' }),
  upC: L({ __name__: 'up', job: 'db', instance: 'c' }),
  getOk: L({ __name__: 'http_requests_total', job: 'api', method: 'GET', code: '200' }),
  postErr: L({ __name__: 'http_requests_total', job: 'api', method: 'POST', code: '500' }),
  noName: L({ job: 'api', kind: 'nameless' }),
  later: L({ __name__: 'late_metric', job: 'api' }),
};

async function names(idx: ChunkIndex, tenant: string, ms: Matcher[], start = T0, end = T0 + DAY - 1): Promise<string[]> {
  return (await idx.lookupSeries(tenant, ms, start, end)).map((s) => formatLabels(s.labels));
}

export function indexSuite(name: string, factory: IndexFactory): void {
  describe(`chunk index conformance: ${name}`, () => {
    let idx: ChunkIndex;
    before(async () => {
      idx = await factory('main');
      await idx.start();
      const es: IndexEntry[] = [];
      for (const k of ['upA', 'upB', 'upC', 'getOk', 'postErr', 'noName'] as const) {
        es.push(entry('t1', series[k], T0 + 1000, T0 + 2 * 3600_000));
        es.push(entry('t1', series[k], T0 + 2 * 3600_000 + 1, T0 + 4 * 3600_000));
      }
      // A chunk crossing from day 0 into day 1.
      es.push(entry('t1', series.upA, T0 + DAY - 3600_000, T0 + DAY + 3600_000));
      es.push(entry('t1', series.later, T0 + 5 * DAY, T0 + 5 * DAY + 1000));
      await idx.writeEntries('t1', es);
      await idx.writeEntries('t2', [entry('t2', series.upA, T0 + 1000, T0 + 2000), entry('t2', L({ __name__: 'only_t2' }), T0, T0 + 10)]);
    });
    after(async () => {
      await idx.stop();
    });

    it('lookupSeries() with a metric name', async () => {
      assert.deepEqual(await names(idx, 't1', [m('__name__', '=', 'up')]), ['up{instance="a", job="api"}', 'up{instance="b", job="api"}', 'up{instance="c", job="db"}']);
      assert.deepEqual(await names(idx, 't1', [m('__name__', '=', 'up'), m('job', '=', 'api')]), ['up{instance="a", job="api"}', 'up{instance="b", job="api"}']);
      assert.deepEqual(await names(idx, 't1', [m('__name__', '=', 'nope')]), []);
    });

    it('lookupSeries() returns stable series IDs with the labels', async () => {
      const [s] = await idx.lookupSeries('t1', [m('__name__', '=', 'up'), m('instance', '=', 'c')], T0, T0 + DAY);
      assert.equal(s!.seriesId, seriesIdFor('t1', series.upC));
      assert.deepEqual(s!.labels, series.upC);
    });

    it('lookupSeries() without a metric name uses label postings', async () => {
      assert.deepEqual(await names(idx, 't1', [m('job', '=', 'db')]), ['up{instance="c", job="db"}']);
      assert.deepEqual(await names(idx, 't1', [m('job', '=', 'api'), m('method', '=', 'GET')]), ['http_requests_total{code="200", job="api", method="GET"}']);
      assert.deepEqual(await names(idx, 't1', [m('kind', '=', 'nameless')]), ['{job="api", kind="nameless"}']);
    });

    it('lookupSeries() with regex matchers on the name and on labels', async () => {
      assert.equal((await names(idx, 't1', [m('__name__', '=~', 'up|http_.*')])).length, 5);
      assert.deepEqual(await names(idx, 't1', [m('__name__', '=~', 'http_.+'), m('code', '=~', '5..')]), ['http_requests_total{code="500", job="api", method="POST"}']);
      assert.deepEqual(await names(idx, 't1', [m('instance', '=~', 'a|b')]), ['up{instance="a", job="api"}', 'up{instance="b", job="api"}']);
      assert.deepEqual(await names(idx, 't1', [m('code', '=~', '5..')]), ['http_requests_total{code="500", job="api", method="POST"}']);
      assert.deepEqual(await names(idx, 't1', [m('__name__', '!=', ''), m('job', '=', 'db')]), ['up{instance="c", job="db"}']);
    });

    it('lookupSeries() applies Prometheus empty-match semantics for !=, !~ and =""', async () => {
      assert.deepEqual(await names(idx, 't1', [m('__name__', '=', 'up'), m('instance', '!=', 'a')]), ['up{instance="b", job="api"}', 'up{instance="c", job="db"}']);
      assert.deepEqual(await names(idx, 't1', [m('job', '=', 'api'), m('method', '=', '')]), [
        'up{instance="a", job="api"}',
        'up{instance="b", job="api"}',
        '{job="api", kind="nameless"}',
      ]);
      assert.deepEqual(await names(idx, 't1', [m('job', '=', 'api'), m('method', '!=', '')]), [
        'http_requests_total{code="200", job="api", method="GET"}',
        'http_requests_total{code="500", job="api", method="POST"}',
      ]);
      assert.deepEqual(await names(idx, 't1', [m('job', '!~', 'api')]), ['up{instance="c", job="db"}']);
      assert.equal((await names(idx, 't1', [m('method', '=~', '.*')])).length, 6);
      assert.deepEqual(await names(idx, 't1', [m('__name__', '=', 'up'), m('instance', '!~', 'a|b')]), ['up{instance="c", job="db"}']);
      assert.deepEqual(await names(idx, 't1', [m('__name__', '=~', '.*'), m('kind', '!=', '')]), ['{job="api", kind="nameless"}']);
    });

    it('lookupSeries() is scoped to the tenant and to the time buckets of the range', async () => {
      assert.deepEqual(await names(idx, 't2', [m('__name__', '=~', '.+')]), ['only_t2', 'up{instance="a", job="api"}']);
      assert.deepEqual(await names(idx, 't2', [m('job', '=', 'db')]), []);
      assert.deepEqual(await names(idx, 't1', [m('__name__', '=', 'late_metric')]), []);
      assert.deepEqual(await names(idx, 't1', [m('__name__', '=', 'late_metric')], T0, T0 + 10 * DAY), ['late_metric{job="api"}']);
      assert.deepEqual(await names(idx, 't1', [m('__name__', '=', 'up')], T0 + DAY, T0 + DAY + 10), ['up{instance="a", job="api"}']);
      assert.deepEqual(await names(idx, 't1', [m('__name__', '=', 'up')], T0 + 10, T0 - 10), []);
    });

    it('chunksFor() returns chunks overlapping the range, once each, sorted by minT', async () => {
      const a = seriesIdFor('t1', series.upA);
      const c = seriesIdFor('t1', series.upC);
      const all = await idx.chunksFor('t1', [a, c], T0, T0 + 3 * DAY);
      assert.deepEqual(all.get(a)!.map((r) => [r.minT, r.maxT]), [
        [T0 + 1000, T0 + 7200_000],
        [T0 + 7200_001, T0 + 14_400_000],
        [T0 + DAY - 3600_000, T0 + DAY + 3600_000],
      ]);
      const ref = all.get(a)![0]!;
      assert.deepEqual(ref, { seriesId: a, id: `${T0 + 1000}-${T0 + 7200_000}-h`, minT: T0 + 1000, maxT: T0 + 7200_000, samples: 120, bytes: 200 });
      assert.equal(all.get(c)!.length, 2);
      const mid = await idx.chunksFor('t1', [a], T0 + 3 * 3600_000, T0 + 3 * 3600_000);
      assert.deepEqual(mid.get(a)!.map((r) => r.minT), [T0 + 7200_001]);
      const day1 = await idx.chunksFor('t1', [a, c], T0 + DAY, T0 + 2 * DAY);
      assert.deepEqual([...day1.keys()], [a]);
      assert.equal(day1.get(a)!.length, 1);
      assert.equal((await idx.chunksFor('t1', [a], T0 + 10 * DAY, T0 + 11 * DAY)).size, 0);
      assert.equal((await idx.chunksFor('t2', [c], T0, T0 + DAY)).size, 0);
    });

    it('labelNames() and labelValues() with and without matchers', async () => {
      assert.deepEqual(await idx.labelNames('t1', [], T0, T0 + DAY - 1), ['__name__', 'code', 'instance', 'job', 'kind', 'method']);
      assert.deepEqual(await idx.labelNames('t1', [m('__name__', '=', 'up')], T0, T0 + DAY - 1), ['__name__', 'instance', 'job']);
      assert.deepEqual(await idx.labelValues('t1', '__name__', [], T0, T0 + DAY - 1), ['http_requests_total', 'up']);
      assert.deepEqual(await idx.labelValues('t1', '__name__', [], T0, T0 + 30 * DAY), ['http_requests_total', 'late_metric', 'up']);
      assert.deepEqual(await idx.labelValues('t1', 'job', [], T0, T0 + DAY - 1), ['api', 'db']);
      assert.deepEqual(await idx.labelValues('t1', 'instance', [m('job', '=', 'api')], T0, T0 + DAY - 1), ['a', 'b']);
      assert.deepEqual(await idx.labelValues('t1', 'nope', [], T0, T0 + DAY - 1), []);
      assert.deepEqual(await idx.labelValues('t2', 'job', [], T0, T0 + DAY - 1), ['api']);
    });

    it('listTenants() lists every tenant that wrote', async () => {
      assert.deepEqual((await idx.listTenants()).sort(), ['t1', 't2']);
    });

    it('refuses chunk IDs that are not plain ASCII key segments', async () => {
      for (const id of ['', 'a/b', 'caf\u00e9', 'with space', 'x'.repeat(201)]) {
        await assert.rejects(idx.writeEntries('t1', [{ labels: series.upA, chunk: { id, minT: T0, maxT: T0 } }]), /Invalid chunk ID/);
      }
    });

    it('refuses invalid tenant IDs', async () => {
      for (const t of ['', '..', 'a/b', 'x:y', '%2F']) {
        await assert.rejects(idx.lookupSeries(t, [m('__name__', '=', 'up')], T0, T0 + 1), (e) => hasStoreCode(e, 'STORE_INVALID_TENANT'));
        await assert.rejects(idx.writeEntries(t, [entry(t, series.upA, T0, T0 + 1)]), (e) => hasStoreCode(e, 'STORE_INVALID_TENANT'));
      }
    });

    it('writes batches larger than one backend request and reads them back through postings', async () => {
      const es: IndexEntry[] = [];
      for (let i = 0; i < 260; i++) es.push(entry('bulk', L({ __name__: `m${i % 3}`, job: 'bulk', i: String(i) }), T0 + i, T0 + i + 100));
      await idx.writeEntries('bulk', es);
      assert.equal((await idx.lookupSeries('bulk', [m('job', '=', 'bulk')], T0, T0 + DAY)).length, 260);
      assert.equal((await idx.lookupSeries('bulk', [m('__name__', '=', 'm1')], T0, T0 + DAY)).length, 87);
      const ids = es.map((e) => e.seriesId!);
      const chunks = await idx.chunksFor('bulk', ids, T0, T0 + DAY);
      assert.equal(chunks.size, 260);
      assert.equal((await idx.labelValues('bulk', 'i', [], T0, T0 + DAY)).length, 260);
    });

    it('writeEntries() is idempotent within and across processes', async () => {
      const es = [entry('idem', series.upA, T0, T0 + 100), entry('idem', series.upA, T0 + 101, T0 + 200)];
      await idx.writeEntries('idem', [...es, ...es]);
      await idx.writeEntries('idem', es);
      await idx.stop();
      idx = await factory('main');
      await idx.start();
      await idx.writeEntries('idem', es);
      const got = await idx.chunksFor('idem', [es[0]!.seriesId!], T0, T0 + DAY);
      assert.equal(got.get(es[0]!.seriesId!)!.length, 2);
      assert.equal((await idx.lookupSeries('idem', [m('__name__', '=', 'up')], T0, T0 + DAY)).length, 1);
      // Earlier data survived the restart.
      assert.equal((await names(idx, 't1', [m('__name__', '=', 'up')])).length, 3);
    });

    it('writeEntries(chunksOnly) adds chunk rows of an indexed series and nothing else', async () => {
      const labels = L({ __name__: 'only_chunks', job: 'x' });
      await idx.writeEntries('co', [entry('co', labels, T0 + 10, T0 + 20)]);
      const names0 = await idx.labelNames('co', [], T0, T0 + DAY - 1);
      const extra = entry('co', labels, T0 + 30, T0 + 40, 'c');
      await idx.writeEntries('co', [extra], { chunksOnly: true });
      const id = seriesIdFor('co', labels);
      assert.deepEqual((await idx.chunksFor('co', [id], T0, T0 + DAY)).get(id)!.map((r) => r.id), [`${T0 + 10}-${T0 + 20}-h`, extra.chunk.id]);
      assert.deepEqual(await idx.labelNames('co', [], T0, T0 + DAY - 1), names0);
      assert.deepEqual(await names(idx, 'co', [m('job', '=', 'x')]), ['only_chunks{job="x"}']);
    });

    it('deleteChunks() removes chunk rows in every bucket they span', async () => {
      const s = L({ __name__: 'del_me', job: 'x' });
      const es = [entry('del', s, T0, T0 + 100), entry('del', s, T0 + DAY - 10, T0 + DAY + 10)];
      await idx.writeEntries('del', es);
      const id = es[0]!.seriesId!;
      const refs = (await idx.chunksFor('del', [id], T0, T0 + 2 * DAY)).get(id)!;
      assert.equal(refs.length, 2);
      await idx.deleteChunks('del', [refs[1]!]);
      assert.deepEqual((await idx.chunksFor('del', [id], T0, T0 + 2 * DAY)).get(id)!.map((r) => r.minT), [T0]);
      assert.equal((await idx.chunksFor('del', [id], T0 + DAY, T0 + 2 * DAY)).size, 0);
      // Writing it again brings it back (the write cache forgot it).
      await idx.writeEntries('del', [es[1]!]);
      assert.equal((await idx.chunksFor('del', [id], T0 + DAY, T0 + 2 * DAY)).size, 1);
    });

    it('writeBlocks() / blocksFor() / deleteBlocks(): blocks by time, in every bucket they span, per tenant', async () => {
      const a = block('a', T0 + 1000, T0 + 7200_000);
      const b = block('b', T0 + 7200_000, T0 + 14_400_000);
      const span = block('c', T0 + DAY - 3600_000, T0 + DAY + 3600_000);
      await idx.writeBlocks('blk', [a, b, span]);
      await idx.writeBlocks('blk', [a]); // idempotent
      await idx.writeBlocks('blk2', [block('d', T0, T0 + 10)]);
      const ids = (ms: BlockMeta[]) => ms.map((x) => x.id[0]);
      assert.deepEqual(await idx.blocksFor('blk', T0, T0 + 3 * DAY), [a, b, span], 'sorted by minT, meta intact, each once');
      assert.deepEqual(ids(await idx.blocksFor('blk', T0 + 7200_000, T0 + 7200_000)), ['a', 'b'], 'inclusive bounds');
      assert.deepEqual(ids(await idx.blocksFor('blk', T0 + 7200_001, T0 + 8000_000)), ['b']);
      assert.deepEqual(ids(await idx.blocksFor('blk', T0 + DAY + 10, T0 + DAY + 20)), ['c'], 'found from the second bucket it spans');
      assert.deepEqual(ids(await idx.blocksFor('blk', T0 + 2 * DAY, T0 + 3 * DAY)), []);
      assert.deepEqual(ids(await idx.blocksFor('blk2', T0, T0 + 3 * DAY)), ['d'], 'tenants never see each other\'s blocks');
      assert.ok((await idx.timeBuckets('blk')).length >= 2);
      await idx.deleteBlocks('blk', [span]);
      assert.deepEqual(ids(await idx.blocksFor('blk', T0, T0 + 3 * DAY)), ['a', 'b']);
      await assert.rejects(idx.writeBlocks('blk', [{ ...a, id: 'not-hex' }]), /Invalid block meta/);
      await assert.rejects(idx.blocksFor('bad/tenant', T0, T0 + 1), (e) => hasStoreCode(e, 'STORE_INVALID_TENANT'));
    });

    it('pendingChunks() lists every chunk row in range (or nothing when it cannot); seriesLabels() reads labels by ID', async () => {
      const a = L({ __name__: 'pend', i: 'a' });
      const b = L({ __name__: 'pend', i: 'b' });
      await idx.writeEntries('pend', [entry('pend', a, T0 + 10, T0 + 20), entry('pend', a, T0 + 30, T0 + 40), entry('pend', b, T0 + DAY + 5, T0 + DAY + 6)]);
      const ida = seriesIdFor('pend', a);
      const idb = seriesIdFor('pend', b);
      const all = await idx.pendingChunks('pend', T0, T0 + 2 * DAY, 1000);
      if (all !== undefined) {
        assert.deepEqual([...all.keys()].sort(), [ida, idb].sort());
        assert.deepEqual(all.get(ida)!.map((r) => r.minT), [T0 + 10, T0 + 30]);
        assert.deepEqual([...(await idx.pendingChunks('pend', T0 + 25, T0 + 35, 1000))!.entries()].map(([id, l]) => [id, l.map((r) => r.minT)]), [[ida, [T0 + 30]]]);
        assert.equal(await idx.pendingChunks('pend', T0, T0 + 2 * DAY, 1), undefined, 'more rows than the limit');
        assert.equal((await idx.pendingChunks('pend-other', T0, T0 + 2 * DAY, 1000))!.size, 0);
      }
      const ls = await idx.seriesLabels('pend', [ida, idb, '0'.repeat(32)], T0, T0 + 2 * DAY);
      assert.deepEqual([...ls.keys()].sort(), [ida, idb].sort());
      assert.equal(formatLabels(ls.get(idb)!), formatLabels(b));
      assert.equal((await idx.seriesLabels('pend', [idb], T0, T0 + DAY - 1)).size, 0, 'b is indexed on day 1 only');
      assert.equal((await idx.seriesLabels('pend-other', [ida], T0, T0 + 2 * DAY)).size, 0, 'tenants never see each other\'s series');
    });

    it('deleteBefore() frees blocks of the dropped buckets, but not a block reaching into a kept one', async () => {
      const s1 = L({ __name__: 'bret', job: 'x' });
      await idx.writeEntries('bret', [entry('bret', s1, T0 + 10, T0 + 20), entry('bret', s1, T0 + 2 * DAY, T0 + 2 * DAY + 10)]);
      const old = block('e', T0 + 10, T0 + 7200_000);
      const spanning = block('f', T0 + DAY - 10, T0 + DAY + 10);
      const fresh = block('9', T0 + 2 * DAY, T0 + 2 * DAY + 10);
      await idx.writeBlocks('bret', [old, spanning, fresh]);
      const hooked: string[] = [];
      await idx.deleteBefore('bret', T0 + DAY + 5, async (_refs, blocks) => {
        // Called before the rows go: the blocks are still indexed here.
        assert.equal((await idx.blocksFor('bret', T0, T0 + 20)).length, 1);
        hooked.push(...blocks.map((x) => x.id[0]!));
      });
      assert.deepEqual(hooked, ['e']);
      assert.deepEqual((await idx.blocksFor('bret', T0, T0 + 3 * DAY)).map((x) => x.id[0]), ['f', '9']);
    });

    it('deleteChunks() of a whole window (1,000+ rows, as the compactor does) leaves nothing for scans to find', async () => {
      const es: IndexEntry[] = [];
      for (let i = 0; i < 600; i++) {
        const ls = L({ __name__: 'bulk_del', i: String(i) });
        es.push(entry('bulkdel', ls, T0 + 10, T0 + 20), entry('bulkdel', ls, T0 + 30, T0 + 40));
      }
      await idx.writeEntries('bulkdel', es);
      const ids = [...new Set(es.map((e) => e.seriesId!))];
      const refs = [...(await idx.chunksFor('bulkdel', ids, T0, T0 + DAY)).values()].flat();
      assert.equal(refs.length, 1200);
      await idx.deleteChunks('bulkdel', refs);
      assert.equal((await idx.chunksFor('bulkdel', ids, T0, T0 + DAY)).size, 0);
      assert.equal((await idx.lookupSeries('bulkdel', [m('__name__', '=', 'bulk_del')], T0, T0 + DAY)).length, 600, 'series rows stay');
    });

    it('deleteBefore() drops whole old buckets and returns chunks no longer referenced', async () => {
      const s1 = L({ __name__: 'ret', job: 'old' });
      const s2 = L({ __name__: 'ret', job: 'new' });
      const old1 = entry('ret', s1, T0 + 10, T0 + 20);
      const spanning = entry('ret', s1, T0 + DAY - 10, T0 + DAY + 10);
      const fresh = entry('ret', s2, T0 + 2 * DAY, T0 + 2 * DAY + 10);
      await idx.writeEntries('ret', [old1, spanning, fresh]);
      // A failing hook stops the deletion: nothing is lost when the caller cannot record it.
      await assert.rejects(
        idx.deleteBefore('ret', T0 + DAY + 5, async () => {
          throw new Error('marker write failed');
        }),
        /marker write failed/,
      );
      assert.equal((await idx.chunksFor('ret', [old1.seriesId!], T0, T0 + 20)).get(old1.seriesId!)?.length, 1, 'still indexed after the failed hook');
      const hooked: string[][] = [];
      const freed: ChunkRef[] = await idx.deleteBefore('ret', T0 + DAY + 5, async (refs) => {
        // Called before the rows go: the chunks are still indexed here.
        assert.equal((await idx.chunksFor('ret', [old1.seriesId!], T0, T0 + 20)).get(old1.seriesId!)?.length, 1);
        hooked.push(refs.map((r) => r.id));
      });
      assert.deepEqual(freed.map((r) => r.id), [old1.chunk.id]);
      assert.deepEqual(hooked, [[old1.chunk.id]]);
      assert.deepEqual(await names(idx, 'ret', [m('__name__', '=', 'ret')], T0, T0 + DAY - 1), []);
      assert.deepEqual(await idx.labelValues('ret', 'job', [], T0, T0 + DAY - 1), []);
      assert.deepEqual(await names(idx, 'ret', [m('__name__', '=', 'ret')], T0, T0 + 3 * DAY), ['ret{job="new"}', 'ret{job="old"}']);
      const left = await idx.chunksFor('ret', [old1.seriesId!], T0, T0 + 3 * DAY);
      assert.deepEqual(left.get(old1.seriesId!)!.map((r) => r.id), [spanning.chunk.id]);
      assert.ok((await idx.listTenants()).includes('ret'));
      // Dropping everything removes the tenant too.
      await idx.deleteBefore('ret', T0 + 10 * DAY);
      assert.ok(!(await idx.listTenants()).includes('ret'));
      assert.deepEqual(await names(idx, 'ret', [m('__name__', '=~', '.+')], T0, T0 + 3 * DAY), []);
    });
  });
}
