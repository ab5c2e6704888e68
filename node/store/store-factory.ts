/** Builds the configured bucket, index and chunk store (the wiring node/ modules call). */
import type { Clock } from '../core/clock.ts';
import type { Bucket } from './bucket.ts';
import type { StoreConfig, BucketConfig, IndexConfig } from './config.ts';
import { validateStoreConfig } from './config.ts';
import { MemoryBucket } from './memory-bucket.ts';
import { LocalBucket } from './local-bucket.ts';
import { S3Bucket } from './s3-bucket.ts';
import { RetryingBucket } from './retrying-bucket.ts';
import { MemoryChunkIndex, RocksDbChunkIndex, LevelDbChunkIndex, DynamoDbChunkIndex } from './index-backends.ts';
import type { SchemaChunkIndex } from './schema-index.ts';
import { ChunkStore } from './chunk-store.ts';

const unset = (s: string): string | undefined => (s === '' ? undefined : s);

/** The configured backend, wrapped in RetryingBucket (except 'memory', which never fails transiently). */
export function createBucket(c: BucketConfig, deps: { clock?: Clock } = {}): Bucket {
  if (c.backend === 'memory') return new MemoryBucket();
  const inner =
    c.backend === 'local'
      ? new LocalBucket({ dir: c.local.dir, fsync: c.local.fsync })
      : new S3Bucket({
          bucket: c.s3.bucket,
          endpoint: unset(c.s3.endpoint),
          region: c.s3.region,
          accessKeyId: unset(c.s3.accessKeyId),
          secretAccessKey: unset(c.s3.secretAccessKey),
          sessionToken: unset(c.s3.sessionToken),
          forcePathStyle: c.s3.forcePathStyle,
          conditionalPut: c.s3.conditionalPut,
          listPageSize: c.s3.listPageSize,
          listApiVersion: c.s3.listApiVersion,
          createBucket: c.s3.createBucket,
        });
  return new RetryingBucket(inner, c.retry, deps);
}

/** The configured index, not yet started. */
export function createChunkIndex(c: IndexConfig, deps: { clock?: Clock } = {}): SchemaChunkIndex {
  const schema = { bucketPeriodMs: c.bucketPeriodMs, writeCacheSize: c.writeCacheSize, writeCacheTtlMs: c.writeCacheTtlMs, queryConcurrency: c.queryConcurrency, readCacheBytes: c.readCacheBytes };
  if (c.backend === 'memory') return new MemoryChunkIndex(schema, deps);
  if (c.backend === 'rocksdb') return new RocksDbChunkIndex({ ...schema, dir: c.rocksdb.dir }, deps);
  if (c.backend === 'leveldb') return new LevelDbChunkIndex({ ...schema, dir: c.leveldb.dir }, deps);
  const d = c.dynamodb;
  return new DynamoDbChunkIndex(
    {
      ...schema,
      endpoint: unset(d.endpoint),
      region: d.region,
      accessKeyId: unset(d.accessKeyId),
      secretAccessKey: unset(d.secretAccessKey),
      tablePrefix: d.tablePrefix,
      billingMode: d.billingMode,
      readCapacityUnits: d.readCapacityUnits,
      writeCapacityUnits: d.writeCapacityUnits,
      createTables: d.createTables,
      maxRetries: d.maxRetries,
    },
    deps,
  );
}

export interface OpenedStore {
  bucket: Bucket;
  index: SchemaChunkIndex;
  chunks: ChunkStore;
  /** Stops the index and closes the bucket. */
  close(): Promise<void>;
}

/** Validates the config, builds everything and starts the index. */
export async function openStore(c: StoreConfig, deps: { clock?: Clock } = {}): Promise<OpenedStore> {
  validateStoreConfig(c);
  const bucket = createBucket(c.bucket, deps);
  const index = createChunkIndex(c.index, deps);
  try {
    await index.start();
  } catch (err) {
    await bucket.close();
    throw err;
  }
  const chunks = new ChunkStore(c.chunks, { bucket, index, ...deps });
  return {
    bucket,
    index,
    chunks,
    async close() {
      await index.stop();
      await bucket.close();
    },
  };
}
