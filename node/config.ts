/**
 * The root configuration of a Frankenstein node. Every option has a default;
 * docs/configuration.md documents each one. Precedence: defaults < YAML file
 * (--config) < command-line flags.
 */
import { resolve } from 'node:path';
import type { Limits } from './distributor/limits.ts';
import { ConfigError, mergeConfig, parseArgs, readYamlFile } from './config-loader.ts';

export interface AuthTokenConfig {
  tenant: string;
  /** sha256 hex digest of the token (`frankctl hash-token TOKEN` or `printf %s TOKEN | sha256sum`). */
  sha256: string;
}

export interface FrankConfig {
  server: {
    /** @default "0.0.0.0" */
    host: string;
    /** @default 9009 */
    port: number;
    /** Log every request (fastify logger) to stdout. @default false */
    logRequests: boolean;
  };
  /** Root of all local state (WAL, embedded store). @default "./data" */
  dataDir: string;
  auth: {
    /** none: every request is tenant `anonymousTenant`; header: trust X-Scope-OrgID; tokens: bearer/basic-auth API tokens. @default "none" */
    mode: 'none' | 'header' | 'tokens';
    /** @default "anonymous" */
    anonymousTenant: string;
    /** @default [] */
    tokens: AuthTokenConfig[];
  };
  /** Defaults for every tenant (Cortex's defaults; in auth mode none the ingestion rate is unlimited unless set). */
  limits: Partial<Limits>;
  /** Per-tenant limits, keyed by tenant ID. @default {} */
  overrides: Record<string, Partial<Limits>>;
  ingester: {
    /** 'process' survives a process crash; 'group' fsyncs each group commit and survives power loss. @default "process" */
    walFsync: 'process' | 'group';
    /** @default 1800000 (30 min) */
    checkpointIntervalMs: number;
    /** @default 50000 */
    checkpointRecords: number;
    /** @default 120 */
    chunkMaxSamples: number;
    /** @default 7200000 (2 h) */
    chunkWindowMs: number;
    /** How much recent data the head keeps in memory. @default 86400000 (24 h) */
    headRetentionMs: number;
    /** @default 60000 */
    gcIntervalMs: number;
  };
  query: {
    /** @default 120000 */
    timeoutMs: number;
    /** @default 50000000 */
    maxSamples: number;
    /** @default 300000 */
    lookbackDeltaMs: number;
    /** @default 11000 */
    maxPointsPerSeries: number;
    /** @default 20 */
    maxConcurrent: number;
  };
}

export const DEFAULT_CONFIG: FrankConfig = {
  server: { host: '0.0.0.0', port: 9009, logRequests: false },
  dataDir: './data',
  auth: { mode: 'none', anonymousTenant: 'anonymous', tokens: [] },
  limits: {},
  overrides: {},
  ingester: {
    walFsync: 'process',
    checkpointIntervalMs: 30 * 60_000,
    checkpointRecords: 50_000,
    chunkMaxSamples: 120,
    chunkWindowMs: 2 * 3600_000,
    headRetentionMs: 24 * 3600_000,
    gcIntervalMs: 60_000,
  },
  query: { timeoutMs: 120_000, maxSamples: 50_000_000, lookbackDeltaMs: 300_000, maxPointsPerSeries: 11_000, maxConcurrent: 20 },
};

/** Maps whose keys are user data (tenant IDs, limit names), not options. */
const OPEN_PATHS = ['limits', 'overrides'];

/** Command-line flags and the config path each sets. */
const FLAGS: Record<string, { path: string[]; type: 'number' | 'string' | 'boolean' }> = {
  port: { path: ['server', 'port'], type: 'number' },
  host: { path: ['server', 'host'], type: 'string' },
  'data-dir': { path: ['dataDir'], type: 'string' },
  'auth-mode': { path: ['auth', 'mode'], type: 'string' },
  'log-requests': { path: ['server', 'logRequests'], type: 'boolean' },
};

export function loadConfig(argv: readonly string[]): FrankConfig {
  const args = parseArgs(argv);
  let cfg = DEFAULT_CONFIG;
  const file = args.get('config');
  if (file !== undefined) cfg = mergeConfig(cfg, readYamlFile(file), OPEN_PATHS);
  for (const [name, value] of args) {
    if (name === 'config') continue;
    const flag = FLAGS[name];
    if (!flag) throw new ConfigError(`Unknown flag: "--${name}" (known: --config, ${Object.keys(FLAGS).map((f) => `--${f}`).join(', ')})`);
    let v: unknown = value;
    if (flag.type === 'number') {
      v = Number(value);
      if (!Number.isInteger(v)) throw new ConfigError(`Invalid value for --${name}: "${value}" is not an integer`);
    } else if (flag.type === 'boolean') v = value !== 'false';
    const patch: Record<string, unknown> = {};
    let cur = patch;
    flag.path.forEach((k, i) => {
      if (i === flag.path.length - 1) cur[k] = v;
      else cur = cur[k] = {} as Record<string, unknown>;
    });
    cfg = mergeConfig(cfg, patch, OPEN_PATHS);
  }
  return validateConfig(cfg);
}

export function validateConfig(cfg: FrankConfig): FrankConfig {
  const port = cfg.server.port;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`Invalid server.port: ${port}, want 0..65535`);
  if (!['none', 'header', 'tokens'].includes(cfg.auth.mode)) throw new ConfigError(`Invalid auth.mode: "${cfg.auth.mode}", want none, header or tokens`);
  if (!['process', 'group'].includes(cfg.ingester.walFsync)) throw new ConfigError(`Invalid ingester.walFsync: "${cfg.ingester.walFsync}", want process or group`);
  return { ...cfg, dataDir: resolve(cfg.dataDir) };
}
