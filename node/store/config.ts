/**
 * Configuration of the long-term store: object bucket, chunk index, chunk store.
 * Every field is present in the defaults (the config loader rejects unknown
 * keys), so "unset" strings are ''. Example YAML:
 *
 *   store:
 *     bucket:
 *       backend: s3
 *       s3: { endpoint: 'http://minio:9000', bucket: frank-chunks, forcePathStyle: true,
 *             accessKeyId: minio, secretAccessKey: minio123 }
 *     index:
 *       backend: dynamodb
 *       dynamodb: { region: eu-west-1, tablePrefix: 'prod_', billingMode: PROVISIONED,
 *                   readCapacityUnits: 500, writeCapacityUnits: 1000 }
 */
import { join } from 'node:path';
import { ConfigError } from '../config-loader.ts';
import { defaultRetryConfig, type RetryConfig } from './retrying-bucket.ts';
import { defaultSchemaIndexConfig } from './schema-index.ts';
import { rocksDbSupported } from './rocksdb-row-store.ts';
import { defaultChunkStoreConfig, type ChunkStoreConfig } from './chunk-store.ts';

export interface LocalBucketSettings {
  /** Root directory of the bucket. @default '<dataDir>/bucket' */
  dir: string;
  /** fsync each object before it becomes visible. @default true */
  fsync: boolean;
}

export interface S3Settings {
  /** Endpoint URL for MinIO / S3-compatible servers; '' = AWS for the region. @default '' */
  endpoint: string;
  /** @default 'us-east-1' */
  region: string;
  /** Bucket name. Required when backend is 's3'. @default '' */
  bucket: string;
  /** Static credentials; '' = the SDK's default chain (env, profile, instance role). @default '' */
  accessKeyId: string;
  /** @default '' */
  secretAccessKey: string;
  /** @default '' */
  sessionToken: string;
  /** Path-style addressing (MinIO, most self-hosted servers). @default false */
  forcePathStyle: boolean;
  /** The server honours If-None-Match on PUT; else exists-then-put is used. @default true */
  conditionalPut: boolean;
  /** Keys per listing page. @default 1000 */
  listPageSize: number;
  /** ListObjects API version (1 for servers without v2 continuation tokens). @default 2 */
  listApiVersion: 1 | 2;
  /** Create the bucket at first use when absent. @default false */
  createBucket: boolean;
}

export interface BucketConfig {
  /** @default 'local' */
  backend: 'local' | 's3' | 'memory';
  local: LocalBucketSettings;
  s3: S3Settings;
  /** Retries, per-attempt deadline and concurrency for every bucket call (not used for 'memory'). */
  retry: RetryConfig;
}

export interface RocksDbSettings {
  /** Database directory. @default '<dataDir>/index' */
  dir: string;
}

export interface LevelDbSettings {
  /** Database directory (not shared with rocksdb: the on-disk formats differ). @default '<dataDir>/index-leveldb' */
  dir: string;
}

export interface DynamoDbSettings {
  /** Endpoint URL (DynamoDB Local etc.); '' = AWS for the region. @default '' */
  endpoint: string;
  /** @default 'us-east-1' */
  region: string;
  /** Static credentials; '' = the SDK's default chain. @default '' */
  accessKeyId: string;
  /** @default '' */
  secretAccessKey: string;
  /** The index table is '<tablePrefix>index'. @default 'frankenstein_' */
  tablePrefix: string;
  /** @default 'PAY_PER_REQUEST' */
  billingMode: 'PAY_PER_REQUEST' | 'PROVISIONED';
  /** Read capacity units when PROVISIONED. @default 100 */
  readCapacityUnits: number;
  /** Write capacity units when PROVISIONED. @default 100 */
  writeCapacityUnits: number;
  /** Create the table on start when absent. @default true */
  createTables: boolean;
  /** Retries of throttled requests and unprocessed batch items. @default 8 */
  maxRetries: number;
}

export interface IndexConfig {
  /**
   * 'rocksdb' is the embedded default; its binding aborts the process on Node 24,
   * so there the default is 'leveldb' (classic-level, same schema, own directory:
   * an index written under one does not move to the other by itself).
   * @default 'rocksdb' (Node < 24), 'leveldb' (Node >= 24)
   */
  backend: 'rocksdb' | 'leveldb' | 'dynamodb' | 'memory';
  /** Time bucket width in ms; part of every key, never change it on existing data. @default 86400000 */
  bucketPeriodMs: number;
  /** Index rows remembered as written (replica de-duplication). @default 1000000 */
  writeCacheSize: number;
  /** @default 900000 */
  writeCacheTtlMs: number;
  /** Backend queries in flight per index call. @default 16 */
  queryConcurrency: number;
  /** Bytes of index reads cached in memory for rocksdb/leveldb (exactly invalidated: only this process writes them); 0 disables; never used for dynamodb. @default 67108864 */
  readCacheBytes: number;
  rocksdb: RocksDbSettings;
  leveldb: LevelDbSettings;
  dynamodb: DynamoDbSettings;
}

export interface StoreConfig {
  bucket: BucketConfig;
  index: IndexConfig;
  chunks: ChunkStoreConfig;
}

export function defaultStoreConfig(dataDir = './data'): StoreConfig {
  return {
    bucket: {
      backend: 'local',
      local: { dir: join(dataDir, 'bucket'), fsync: true },
      s3: {
        endpoint: '',
        region: 'us-east-1',
        bucket: '',
        accessKeyId: '',
        secretAccessKey: '',
        sessionToken: '',
        forcePathStyle: false,
        conditionalPut: true,
        listPageSize: 1000,
        listApiVersion: 2,
        createBucket: false,
      },
      retry: defaultRetryConfig(),
    },
    index: {
      backend: rocksDbSupported() ? 'rocksdb' : 'leveldb',
      ...defaultSchemaIndexConfig(),
      rocksdb: { dir: join(dataDir, 'index') },
      leveldb: { dir: join(dataDir, 'index-leveldb') },
      dynamodb: {
        endpoint: '',
        region: 'us-east-1',
        accessKeyId: '',
        secretAccessKey: '',
        tablePrefix: 'frankenstein_',
        billingMode: 'PAY_PER_REQUEST',
        readCapacityUnits: 100,
        writeCapacityUnits: 100,
        createTables: true,
        maxRetries: 8,
      },
    },
    chunks: defaultChunkStoreConfig(),
  };
}

/** Throws ConfigError naming the first invalid option. */
export function validateStoreConfig(c: StoreConfig, path = 'store'): void {
  const fail = (key: string, msg: string): never => {
    throw new ConfigError(`Invalid config: "${path}.${key}" ${msg}`);
  };
  const posInt = (key: string, v: number, min = 1) => {
    if (!Number.isSafeInteger(v) || v < min) fail(key, `must be an integer >= ${min}: got ${JSON.stringify(v)}`);
  };
  const oneOf = (key: string, v: unknown, allowed: readonly unknown[]) => {
    if (!allowed.includes(v)) fail(key, `must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}: got ${JSON.stringify(v)}`);
  };
  const b = c.bucket;
  oneOf('bucket.backend', b.backend, ['local', 's3', 'memory']);
  if (b.backend === 'local' && b.local.dir === '') fail('bucket.local.dir', 'must not be empty');
  if (b.backend === 's3') {
    if (b.s3.bucket === '') fail('bucket.s3.bucket', 'must name a bucket');
    if ((b.s3.accessKeyId === '') !== (b.s3.secretAccessKey === '')) fail('bucket.s3.secretAccessKey', 'must be set together with accessKeyId');
    if (b.s3.endpoint !== '' && !/^https?:\/\//.test(b.s3.endpoint)) fail('bucket.s3.endpoint', `must be an http(s) URL: got ${JSON.stringify(b.s3.endpoint)}`);
    posInt('bucket.s3.listPageSize', b.s3.listPageSize);
    oneOf('bucket.s3.listApiVersion', b.s3.listApiVersion, [1, 2]);
  }
  posInt('bucket.retry.maxRetries', b.retry.maxRetries, 0);
  posInt('bucket.retry.minBackoffMs', b.retry.minBackoffMs, 0);
  posInt('bucket.retry.maxBackoffMs', b.retry.maxBackoffMs, 0);
  posInt('bucket.retry.attemptTimeoutMs', b.retry.attemptTimeoutMs, 0);
  posInt('bucket.retry.concurrency', b.retry.concurrency);
  const i = c.index;
  oneOf('index.backend', i.backend, ['rocksdb', 'leveldb', 'dynamodb', 'memory']);
  if (i.backend === 'rocksdb' && !rocksDbSupported()) fail('index.backend', `cannot be "rocksdb" on Node ${process.versions.node} (its binding aborts the process): use "leveldb"`);
  if (i.backend === 'leveldb' && i.leveldb.dir === '') fail('index.leveldb.dir', 'must not be empty');
  posInt('index.bucketPeriodMs', i.bucketPeriodMs);
  posInt('index.writeCacheSize', i.writeCacheSize, 0);
  posInt('index.writeCacheTtlMs', i.writeCacheTtlMs, 0);
  posInt('index.queryConcurrency', i.queryConcurrency);
  posInt('index.readCacheBytes', i.readCacheBytes, 0);
  if (i.backend === 'rocksdb' && i.rocksdb.dir === '') fail('index.rocksdb.dir', 'must not be empty');
  if (i.backend === 'dynamodb') {
    const d = i.dynamodb;
    oneOf('index.dynamodb.billingMode', d.billingMode, ['PAY_PER_REQUEST', 'PROVISIONED']);
    if (!/^[a-zA-Z0-9_.-]{0,200}$/.test(d.tablePrefix)) fail('index.dynamodb.tablePrefix', `may hold only a-z A-Z 0-9 _ . -: got ${JSON.stringify(d.tablePrefix)}`);
    if (d.billingMode === 'PROVISIONED') {
      posInt('index.dynamodb.readCapacityUnits', d.readCapacityUnits);
      posInt('index.dynamodb.writeCapacityUnits', d.writeCapacityUnits);
    }
    if ((d.accessKeyId === '') !== (d.secretAccessKey === '')) fail('index.dynamodb.secretAccessKey', 'must be set together with accessKeyId');
    posInt('index.dynamodb.maxRetries', d.maxRetries, 0);
  }
  posInt('chunks.uploadConcurrency', c.chunks.uploadConcurrency);
  posInt('chunks.fetchConcurrency', c.chunks.fetchConcurrency);
  posInt('chunks.recentChunksSize', c.chunks.recentChunksSize, 0);
  posInt('chunks.recentChunksTtlMs', c.chunks.recentChunksTtlMs, 0);
  posInt('chunks.cacheBytes', c.chunks.cacheBytes, 0);
  posInt('chunks.blockDirectoryCacheBytes', c.chunks.blockDirectoryCacheBytes, 0);
  posInt('chunks.blockRangeGapBytes', c.chunks.blockRangeGapBytes, 0);
  posInt('chunks.blockRangeMaxBytes', c.chunks.blockRangeMaxBytes, 1);
}
