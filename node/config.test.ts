import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DEFAULT_CONFIG, loadConfig } from './config.ts';
import { ConfigError } from './config-loader.ts';

test('loadConfig: defaults, then YAML file, then flags', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'frank-config-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'c.yaml');
  writeFileSync(file, 'server:\n  port: 9100\nauth:\n  mode: header\nlimits:\n  ingestionRate: 1000\noverrides:\n  team-a:\n    maxSeriesPerUser: 10\n');
  const c = loadConfig(['--config', file, '--port', '9200', '--data-dir', dir]);
  assert.equal(c.server.port, 9200);
  assert.equal(c.auth.mode, 'header');
  assert.equal(c.limits.ingestionRate, 1000);
  assert.equal(c.overrides['team-a']!.maxSeriesPerUser, 10);
  assert.equal(c.dataDir, resolve(dir));
  assert.equal(c.query.maxPointsPerSeries, DEFAULT_CONFIG.query.maxPointsPerSeries);
});

test('loadConfig: unknown options and flags are errors naming them', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'frank-config-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'c.yaml');
  writeFileSync(file, 'server:\n  prot: 1\n');
  assert.throws(() => loadConfig(['--config', file]), (e: unknown) => e instanceof ConfigError && /server\.prot/.test((e as Error).message));
  assert.throws(() => loadConfig(['--porrt', '1']), /Unknown flag: "--porrt"/);
  assert.throws(() => loadConfig(['--port', 'abc']), /not an integer/);
  writeFileSync(file, 'auth:\n  mode: magic\n');
  assert.throws(() => loadConfig(['--config', file]), /auth\.mode/);
  assert.throws(() => loadConfig(['--config', join(dir, 'missing.yaml')]), /Cannot read config file/);
});

test('loadConfig: query.queryStoreAfterMs may not outlast what ingesters keep after a flush', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'frank-config-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'c.yaml');
  writeFileSync(file, 'query:\n  queryStoreAfterMs: 600000\nflush:\n  retainAfterFlushMs: 900000\n');
  assert.equal(loadConfig(['--config', file, '--data-dir', dir]).query.queryStoreAfterMs, 600_000);
  writeFileSync(file, 'query:\n  queryStoreAfterMs: 1800000\nflush:\n  retainAfterFlushMs: 900000\n');
  assert.throws(() => loadConfig(['--config', file, '--data-dir', dir]), (e: unknown) => e instanceof ConfigError && /queryStoreAfterMs: 1800000 exceeds flush\.retainAfterFlushMs/.test((e as Error).message));
  writeFileSync(file, 'query:\n  queryStoreAfterMs: -1\n');
  assert.throws(() => loadConfig(['--config', file, '--data-dir', dir]), /queryStoreAfterMs/);
});
