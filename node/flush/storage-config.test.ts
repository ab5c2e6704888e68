import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../config.ts';
import { ConfigError } from '../config-loader.ts';

function withYaml(text: string, fn: (file: string, dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'storage-config-'));
  try {
    const file = join(dir, 'frank.yaml');
    writeFileSync(file, text);
    fn(file, dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('store directories default under dataDir; flush and compactor defaults', () => {
  const c = loadConfig(['--data-dir', '/var/lib/frank']);
  assert.equal(c.store.bucket.backend, 'local');
  assert.equal(c.store.bucket.local.dir, '/var/lib/frank/bucket');
  assert.equal(c.store.index.rocksdb.dir, '/var/lib/frank/index');
  assert.equal(c.store.index.leveldb.dir, '/var/lib/frank/index-leveldb');
  assert.deepEqual(
    { age: c.flush.maxChunkAgeMs, idle: c.flush.maxChunkIdleMs, retain: c.flush.retainAfterFlushMs, enabled: c.flush.enabled },
    { age: 3_600_000, idle: 300_000, retain: 900_000, enabled: true },
  );
  assert.deepEqual({ enabled: c.compactor.enabled, grace: c.compactor.gracePeriodMs, retention: c.compactor.retentionMs }, { enabled: true, grace: 1_800_000, retention: 0 });
});

test('a YAML file sets the storage sections, including per-tenant retention', () => {
  withYaml(
    `
store:
  bucket:
    backend: s3
    s3: { endpoint: 'http://minio:9000', bucket: chunks, forcePathStyle: true, accessKeyId: a, secretAccessKey: b }
  index:
    backend: dynamodb
    dynamodb: { endpoint: 'http://dynamodb:8000', accessKeyId: a, secretAccessKey: b }
flush:
  maxChunkIdleMs: 60000
compactor:
  retentionMs: 2592000000
  retentionPerTenantMs: { team-a: 86400000 }
`,
    (file) => {
      const c = loadConfig(['--config', file]);
      assert.equal(c.store.bucket.s3.endpoint, 'http://minio:9000');
      assert.equal(c.store.index.backend, 'dynamodb');
      assert.equal(c.flush.maxChunkIdleMs, 60_000);
      assert.equal(c.flush.maxChunkAgeMs, 3_600_000);
      assert.deepEqual(c.compactor.retentionPerTenantMs, { 'team-a': 86_400_000 });
    },
  );
});

test('invalid storage options are rejected with the option named', () => {
  withYaml('flush: { concurrency: 0 }\n', (file) => assert.throws(() => loadConfig(['--config', file]), (e: unknown) => e instanceof ConfigError && /flush\.concurrency/.test(e.message)));
  withYaml('compactor: { retentionPerTenantMs: { x: -1 } }\n', (file) => assert.throws(() => loadConfig(['--config', file]), /compactor\.retentionPerTenantMs\.x/));
  withYaml('store: { bucket: { backend: s3 } }\n', (file) => assert.throws(() => loadConfig(['--config', file]), /store\.bucket\.s3\.bucket/));
  withYaml('flush: { maxChunkAge: 1 }\n', (file) => assert.throws(() => loadConfig(['--config', file]), /Unknown config option: "flush\.maxChunkAge"/));
});
