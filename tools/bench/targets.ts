/**
 * Receivers the benchmarks start: a Frankenstein node (node/main.ts through tsx) and the two
 * anchors installed from Debian, Prometheus 2.42 and VictoriaMetrics 1.79. Each gets a fresh
 * temp dir and loopback port; `stop()` ends the process and removes the dir.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, startProcess, stopProcess, waitForReady, type StartedProcess } from './processes.ts';

/** Repository root (tools/bench/ is two levels down). */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface Target {
  name: string;
  /** Base URL for the query API (…/api/v1/query). */
  baseUrl: string;
  /** Remote-write URL. */
  writeUrl: string;
  /** URL answering 200 when ready. */
  readyUrl: string;
  dataDir: string;
  proc: StartedProcess;
  /** Milliseconds from spawn to ready. */
  startupMs: number;
  /** Stops the process (SIGTERM) and removes the temp dir unless `keepData`. */
  stop(keepData?: boolean): Promise<void>;
  /** Kills the process with SIGKILL (a crash) and keeps the data dir for a restart. */
  crash(): Promise<void>;
}

async function launch(
  name: string,
  spawnIt: (port: number, dataDir: string, logFile: string) => StartedProcess,
  urls: (base: string) => { writePath: string; readyPath: string },
  existingDataDir?: string,
): Promise<Target> {
  const dataDir = existingDataDir ?? mkdtempSync(join(tmpdir(), `frank-bench-${name}-`));
  const port = await freePort();
  const logFile = join(dataDir, '..', `${name}-${port}.log`);
  const baseUrl = `http://127.0.0.1:${port}`;
  const { writePath, readyPath } = urls(baseUrl);
  const started = performance.now();
  const proc = spawnIt(port, dataDir, logFile);
  const target: Target = {
    name,
    baseUrl,
    writeUrl: `${baseUrl}${writePath}`,
    readyUrl: `${baseUrl}${readyPath}`,
    dataDir,
    proc,
    startupMs: 0,
    async stop(keepData = false) {
      await stopProcess(proc);
      rmSync(logFile, { force: true });
      if (!keepData) rmSync(dataDir, { recursive: true, force: true });
    },
    async crash() {
      await stopProcess(proc, 'SIGKILL');
      rmSync(logFile, { force: true });
    },
  };
  try {
    await waitForReady(target.readyUrl, proc);
  } catch (err) {
    await target.stop(existingDataDir !== undefined);
    throw err;
  }
  target.startupMs = Math.round(performance.now() - started);
  return target;
}

export interface FrankensteinOptions {
  /** Data dir to reuse (a restart). @default a new temp dir */
  dataDir?: string;
  /** Entry script, relative to the repo root or absolute. @default 'node/main.ts' */
  entry?: string;
  /** More node/main.ts flags. @default [] */
  extraArgs?: string[];
}

/** Starts `node --import tsx node/main.ts --port P --data-dir D` (D reused when given: restart). */
export function startFrankenstein(options: FrankensteinOptions = {}): Promise<Target> {
  return launch(
    'frankenstein',
    (port, dataDir, logFile) =>
      startProcess(
        process.execPath,
        ['--import', 'tsx', options.entry ?? 'node/main.ts', '--port', String(port), '--data-dir', dataDir, ...(options.extraArgs ?? [])],
        { cwd: REPO_ROOT, logFile },
      ),
    () => ({ writePath: '/api/v1/push', readyPath: '/ready' }),
    options.dataDir,
  );
}

/** Starts Debian's Prometheus with the remote-write receiver and no scrape jobs. */
export function startPrometheus(binary = '/usr/bin/prometheus'): Promise<Target> {
  return launch(
    'prometheus',
    (port, dataDir, logFile) => {
      const config = join(dataDir, 'prometheus.yml');
      writeFileSync(config, 'global:\n  scrape_interval: 15s\nscrape_configs: []\n');
      return startProcess(
        binary,
        [
          `--config.file=${config}`,
          `--storage.tsdb.path=${join(dataDir, 'tsdb')}`,
          `--web.listen-address=127.0.0.1:${port}`,
          '--web.enable-remote-write-receiver',
        ],
        { logFile },
      );
    },
    () => ({ writePath: '/api/v1/write', readyPath: '/-/ready' }),
  );
}

/** Starts Debian's single-node VictoriaMetrics. */
export function startVictoriaMetrics(binary = '/usr/bin/victoria-metrics'): Promise<Target> {
  return launch(
    'victoria-metrics',
    (port, dataDir, logFile) =>
      startProcess(binary, [`-storageDataPath=${join(dataDir, 'data')}`, `-httpListenAddr=127.0.0.1:${port}`], { logFile }),
    () => ({ writePath: '/api/v1/write', readyPath: '/health' }),
  );
}

export type TargetName = 'frankenstein' | 'prometheus' | 'victoria-metrics';

export function startTarget(name: TargetName, frankenstein: FrankensteinOptions = {}): Promise<Target> {
  if (name === 'prometheus') return startPrometheus();
  if (name === 'victoria-metrics') return startVictoriaMetrics();
  return startFrankenstein(frankenstein);
}
