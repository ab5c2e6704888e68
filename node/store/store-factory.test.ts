import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mergeConfig, ConfigError } from '../config-loader.ts';
import { defaultStoreConfig, validateStoreConfig, type StoreConfig } from './config.ts';
import { openStore } from './store-factory.ts';
import { rocksDbSupported } from './rocksdb-row-store.ts';
import { encodeXorChunk } from '../chunk/xor.ts';
import { labelsFromObject } from '../../query/model/labels.ts';
import { newMatcher } from '../../query/model/matchers.ts';
import { startDynalite, startS3rver, type TestServer } from './test-servers.ts';

const root = mkdtempSync(join(tmpdir(), 'frank-store-factory-'));
let s3: TestServer;
let dyn: TestServer;
before(async () => {
  [s3, dyn] = await Promise.all([startS3rver(), startDynalite()]);
});
after(async () => {
  await Promise.all([s3.close(), dyn.close()]);
  rmSync(root, { recursive: true, force: true });
});

async function roundTrip(cfg: StoreConfig): Promise<void> {
  const store = await openStore(cfg);
  try {
    const labels = labelsFromObject({ __name__: 'cfg_test', job: 'x' });
    const ts = [1_700_000_000_000, 1_700_000_015_000, 1_700_000_030_000];
    const bytes = encodeXorChunk(ts, [1, 2, 3]).copyBytes();
    const res = await store.chunks.putChunks('tenant-a', [{ labels, chunkBytes: bytes, minT: ts[0]!, maxT: ts[2]! }]);
    assert.equal(res.uploaded, 1);
    assert.equal(res.refs[0]!.samples, 3);
    const got = await store.chunks.querier('tenant-a').select([newMatcher('=', 'job', 'x')], { start: ts[0]!, end: ts[2]! });
    assert.deepEqual([...got[0]!.timestamps], ts);
    assert.deepEqual([...got[0]!.values], [1, 2, 3]);
  } finally {
    await store.close();
  }
}

describe('store config', () => {
  it('defaults validate and put the local bucket and the embedded index under the data dir', () => {
    const c = defaultStoreConfig('/var/lib/frank');
    validateStoreConfig(c);
    assert.equal(c.bucket.backend, 'local');
    assert.equal(c.bucket.local.dir, '/var/lib/frank/bucket');
    assert.equal(c.index.backend, rocksDbSupported() ? 'rocksdb' : 'leveldb');
    assert.equal(c.index.rocksdb.dir, '/var/lib/frank/index');
    assert.equal(c.index.leveldb.dir, '/var/lib/frank/index-leveldb');
    assert.equal(c.index.bucketPeriodMs, 86_400_000);
  });

  it('rejects invalid settings with the option path', () => {
    const bad: [string, (c: StoreConfig) => void][] = [
      ['store.bucket.backend', (c) => ((c.bucket as { backend: string }).backend = 'gcs')],
      ['store.bucket.s3.bucket', (c) => (c.bucket.backend = 's3')],
      ['store.bucket.s3.endpoint', (c) => Object.assign(c.bucket, { backend: 's3', s3: { ...c.bucket.s3, bucket: 'b', endpoint: 'minio:9000' } })],
      ['store.index.dynamodb.readCapacityUnits', (c) => Object.assign(c.index, { backend: 'dynamodb', dynamodb: { ...c.index.dynamodb, billingMode: 'PROVISIONED', readCapacityUnits: 0 } })],
      ['store.index.bucketPeriodMs', (c) => (c.index.bucketPeriodMs = -1)],
      ['store.bucket.retry.concurrency', (c) => (c.bucket.retry.concurrency = 0)],
    ];
    for (const [path, mutate] of bad) {
      const c = defaultStoreConfig(root);
      mutate(c);
      assert.throws(() => validateStoreConfig(c), (e) => e instanceof ConfigError && e.message.includes(`"${path}"`), path);
    }
  });

  it('merges YAML-shaped overrides and refuses unknown keys', () => {
    const c = mergeConfig(defaultStoreConfig(root), { bucket: { backend: 's3', s3: { bucket: 'x', forcePathStyle: true } } });
    assert.equal(c.bucket.s3.bucket, 'x');
    assert.equal(c.bucket.s3.region, 'us-east-1');
    assert.throws(() => mergeConfig(defaultStoreConfig(root), { bucket: { s3: { bukket: 'x' } } }), ConfigError);
  });

  it('openStore() with the embedded defaults (local bucket + RocksDB, LevelDB where rocksdb cannot load) stores and queries a chunk', async () => {
    const dataDir = join(root, 'embedded');
    const c = defaultStoreConfig(dataDir);
    if (!rocksDbSupported()) {
      assert.equal(c.index.backend, 'leveldb');
      c.index.backend = 'rocksdb';
      assert.throws(() => validateStoreConfig(c), (e) => e instanceof ConfigError && e.message.includes('"store.index.backend"'));
      c.index.backend = 'leveldb';
    }
    await roundTrip(c);
    assert.ok(existsSync(join(dataDir, 'bucket', 'objects', 'tenant-a')));
    assert.ok(existsSync(rocksDbSupported() ? join(dataDir, 'index') : join(dataDir, 'index-leveldb')));
  });

  it('openStore() with the LevelDB index', async () => {
    const c = defaultStoreConfig(join(root, 'level'));
    c.index.backend = 'leveldb';
    await roundTrip(c);
  });

  it('openStore() with S3 (s3rver) and DynamoDB (dynalite), provisioned', async () => {
    const c = mergeConfig(defaultStoreConfig(root), {
      bucket: {
        backend: 's3',
        s3: { endpoint: s3.endpoint, bucket: 'factory-test', accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', forcePathStyle: true, conditionalPut: false, listApiVersion: 1, createBucket: true },
      },
      index: {
        backend: 'dynamodb',
        dynamodb: { endpoint: dyn.endpoint, accessKeyId: 'x', secretAccessKey: 'x', tablePrefix: 'factory_', billingMode: 'PROVISIONED', readCapacityUnits: 5, writeCapacityUnits: 5 },
      },
    });
    await roundTrip(c);
  });
});
