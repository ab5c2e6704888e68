/**
 * Runs a real Prometheus binary (the Debian package on CI) as a child process
 * with a temp TSDB dir and a generated config, on a free loopback port.
 */
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify as toYaml } from 'yaml';
import { REPO_ROOT, freePort, removeDir, spawnChild, tempDir } from './harness.ts';

export interface PrometheusHandle {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  output(): string;
  /** SIGTERM (SIGKILL after 10 s) and removal of the temp dir. */
  stop(): Promise<void>;
}

/**
 * Path-resolved `prometheus` binary and its version line. Throws with a clear
 * message when it is missing: the e2e test must fail, not skip, in that case.
 */
export function findPrometheus(): { bin: string; version: string } {
  const r = spawnSync('prometheus', ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new Error(
      'The `prometheus` binary is not on PATH (' +
        (r.error ? r.error.message : `exit ${r.status}: ${r.stderr}`) +
        '). The end-to-end remote write/read test needs a real Prometheus: .ci/run installs the Debian package (apt-get install prometheus).',
    );
  }
  return { bin: 'prometheus', version: (r.stdout || r.stderr).split('\n')[0]!.trim() };
}

/**
 * Starts Prometheus with `config` (an object written as YAML) and waits for
 * GET /-/ready = 200. The config may use the string `$PROM_PORT`, replaced by the chosen port.
 */
export async function startPrometheus(config: Record<string, unknown>, readyTimeoutMs = 30_000): Promise<PrometheusHandle> {
  const { bin } = findPrometheus();
  const dir = await tempDir('prometheus');
  const port = await freePort();
  const file = join(dir, 'prometheus.yml');
  await writeFile(file, toYaml(config).replaceAll('$PROM_PORT', String(port)));
  const child = spawnChild(
    bin,
    [
      `--config.file=${file}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { cwd: REPO_ROOT },
  );
  const url = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    await child.stop();
    await removeDir(dir);
  };
  const deadline = Date.now() + readyTimeoutMs;
  let last = '';
  for (;;) {
    if (child.hasExited()) {
      const e = await child.exited;
      await stop();
      throw new Error(`Prometheus exited before it was ready (code ${e.code}, signal ${e.signal}):\n${child.output()}`);
    }
    try {
      const res = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(2000) });
      last = `${res.status} ${(await res.text()).slice(0, 200)}`;
      if (res.status === 200) break;
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`Prometheus not ready within ${readyTimeoutMs} ms (${last}):\n${child.output()}`);
    }
    await sleep(100);
  }
  return { url, port, pid: child.pid, output: child.output, stop };
}
