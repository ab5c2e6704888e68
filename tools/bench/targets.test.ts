import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFrankenstein } from './targets.ts';
import { freePort, readRss, startProcess, stopProcess, waitForReady } from './processes.ts';
import { tmpdir } from 'node:os';
import { LoadGenerator } from '../loadgen/load-generator.ts';

const FIXTURE = fileURLToPath(new URL('./fixtures/marker-node.ts', import.meta.url));

test('startFrankenstein() waits for /ready, survives a crash, and restarts on the same data dir', async () => {
  const first = await startFrankenstein({ entry: FIXTURE });
  let second;
  try {
    assert.ok(first.startupMs > 0);
    const report = await new LoadGenerator({ url: first.writeUrl, series: 20, seriesPerRequest: 10, rounds: 2 }).run();
    assert.equal(report.errors, 0);
    assert.equal(report.samples, 40);
    const { rssBytes, peakRssBytes } = readRss(first.proc.pid);
    assert.ok(rssBytes > 1024 * 1024 && peakRssBytes >= rssBytes);

    await first.crash();
    assert.equal(await first.proc.exited, 'SIGKILL');
    assert.equal(readFileSync(join(first.dataDir, 'starts'), 'utf8'), '1');

    second = await startFrankenstein({ entry: FIXTURE, dataDir: first.dataDir });
    assert.notEqual(second.baseUrl, '');
    assert.equal(await (await fetch(second.readyUrl)).text(), 'starts=2');
  } finally {
    await first.stop();
    if (second !== undefined) await second.stop();
  }
  assert.equal(existsSync(first.dataDir), false);
});

test('waitForReady() fails with the log tail when the process exits early', async () => {
  const port = await freePort();
  const proc = startProcess(process.execPath, ['-e', 'console.error("boom: no config"); process.exit(3)'], {
    logFile: join(tmpdir(), `frank-bench-test-${port}.log`),
  });
  try {
    await assert.rejects(waitForReady(`http://127.0.0.1:${port}/ready`, proc, 10_000), /Process exited before it was ready: pid \d+ exit "3"[\s\S]*boom: no config/);
  } finally {
    await stopProcess(proc);
    rmSync(proc.logFile, { force: true });
  }
});
