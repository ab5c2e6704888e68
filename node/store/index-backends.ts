/** The chunk index on each backend: the same schema (schema-index.ts) over a different RowStore. */
import type { Clock } from '../core/clock.ts';
import { SchemaChunkIndex, type SchemaIndexConfig } from './schema-index.ts';
import { MemoryRowStore } from './memory-row-store.ts';
import { RocksDbRowStore, type RocksDbRowStoreConfig } from './rocksdb-row-store.ts';
import { DynamoDbRowStore, type DynamoDbRowStoreConfig } from './dynamodb-row-store.ts';
import { LevelDbRowStore, type LevelDbRowStoreConfig } from './level-row-store.ts';

export class MemoryChunkIndex extends SchemaChunkIndex {
  constructor(config: Partial<SchemaIndexConfig> = {}, deps: { clock?: Clock; store?: MemoryRowStore } = {}) {
    super('memory-chunk-index', deps.store ?? new MemoryRowStore(), config, deps);
  }
}

export class RocksDbChunkIndex extends SchemaChunkIndex {
  constructor(config: Partial<SchemaIndexConfig> & RocksDbRowStoreConfig, deps: { clock?: Clock } = {}) {
    super('rocksdb-chunk-index', new RocksDbRowStore(config), config, deps);
  }
}

/** LevelDB (classic-level): the embedded index where rocksdb cannot load (Node 24). */
export class LevelDbChunkIndex extends SchemaChunkIndex {
  constructor(config: Partial<SchemaIndexConfig> & LevelDbRowStoreConfig, deps: { clock?: Clock } = {}) {
    super('leveldb-chunk-index', new LevelDbRowStore(config), config, deps);
  }
}

export class DynamoDbChunkIndex extends SchemaChunkIndex {
  constructor(config: Partial<SchemaIndexConfig> & DynamoDbRowStoreConfig, deps: { clock?: Clock } = {}) {
    super('dynamodb-chunk-index', new DynamoDbRowStore(config), config, deps);
  }
}
