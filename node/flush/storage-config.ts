/**
 * Resolves and validates the root config's storage sections (store, flush, compactor)
 * once the rest of the config is merged: empty store directories default to
 * <dataDir>/bucket, <dataDir>/index and <dataDir>/index-leveldb.
 */
import { join, resolve } from 'node:path';
import { ConfigError } from '../config-loader.ts';
import { validateStoreConfig, type StoreConfig } from '../store/config.ts';
import { validateCompactorConfig, type CompactorConfig } from '../compactor/config.ts';
import { validateFlushConfig, type FlushConfig } from './config.ts';

export interface StorageSections {
  store: StoreConfig;
  flush: FlushConfig;
  compactor: CompactorConfig;
}

export function resolveStorageSections(cfg: StorageSections & { dataDir: string }): StorageSections {
  const dataDir = resolve(cfg.dataDir);
  const s = cfg.store;
  const store: StoreConfig = {
    ...s,
    bucket: { ...s.bucket, local: { ...s.bucket.local, dir: s.bucket.local.dir || join(dataDir, 'bucket') } },
    index: {
      ...s.index,
      rocksdb: { ...s.index.rocksdb, dir: s.index.rocksdb.dir || join(dataDir, 'index') },
      leveldb: { ...s.index.leveldb, dir: s.index.leveldb.dir || join(dataDir, 'index-leveldb') },
    },
  };
  validateStoreConfig(store);
  try {
    validateFlushConfig(cfg.flush);
    validateCompactorConfig(cfg.compactor);
  } catch (err) {
    if (err instanceof RangeError) throw new ConfigError(err.message);
    throw err;
  }
  return { store, flush: cfg.flush, compactor: cfg.compactor };
}

/** Store defaults for the root config: directories left empty, filled from dataDir by resolveStorageSections. */
export function storeDefaultsForRoot(defaults: StoreConfig): StoreConfig {
  return {
    ...defaults,
    bucket: { ...defaults.bucket, local: { ...defaults.bucket.local, dir: '' } },
    index: { ...defaults.index, rocksdb: { dir: '' }, leveldb: { dir: '' } },
  };
}
