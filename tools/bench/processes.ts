/**
 * Child-process helpers for the benchmarks: free ports, readiness polling, RSS from /proc,
 * and stopping what we started (only by the pid we got from spawn).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { once } from 'node:events';
import net from 'node:net';

/** A port that was free a moment ago on 127.0.0.1 (the OS picks it). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface StartedProcess {
  child: ChildProcess;
  pid: number;
  /** File receiving the process's stdout and stderr. */
  logFile: string;
  /** Resolves with the exit code (or signal name) once the process has exited and its output is in the log. */
  exited: Promise<number | string>;
}

/** Spawns `command` with output appended to `logFile`; the bench never reads its pipes. */
export function startProcess(command: string, args: string[], options: { cwd?: string; logFile: string; env?: NodeJS.ProcessEnv }): StartedProcess {
  const log = createWriteStream(options.logFile, { flags: 'a' });
  const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.pipe(log, { end: false });
  child.stderr!.pipe(log, { end: false });
  // Resolve only after the child's output is flushed to the log, so error messages can quote it.
  // A grandchild that inherited the pipes could delay 'close' forever, hence the fallback after 'exit'.
  const exited = new Promise<number | string>((resolve) => {
    let finished = false;
    const done = (result: number | string): void => {
      if (finished) return;
      finished = true;
      log.end(() => resolve(result));
    };
    child.once('close', (code, signal) => done(code ?? signal ?? 'unknown'));
    child.once('exit', (code, signal) => {
      setTimeout(() => done(code ?? signal ?? 'unknown'), 2000).unref();
    });
    child.once('error', (err) => done(`spawn error: ${err.message}`));
  });
  if (child.pid === undefined) throw new Error(`Failed to start process: "${command}"`);
  return { child, pid: child.pid, logFile: options.logFile, exited };
}

/** Last `lines` lines of a log file, for error messages. */
export function tailLog(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * Polls `url` every 50 ms until it answers 200, the process exits, or `timeoutMs` passes.
 * Resolves with the milliseconds waited.
 */
export async function waitForReady(url: string, proc: StartedProcess | undefined, timeoutMs = 120_000): Promise<number> {
  const started = performance.now();
  let exited: number | string | undefined;
  void proc?.exited.then((code) => (exited = code));
  let last = '';
  while (performance.now() - started < timeoutMs) {
    if (exited !== undefined) {
      throw new Error(`Process exited before it was ready: pid ${proc!.pid} exit "${exited}" while polling "${url}"\n${tailLog(proc!.logFile)}`);
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.status === 200) return performance.now() - started;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`Not ready within ${timeoutMs} ms: "${url}" (last: ${last})${proc ? `\n${tailLog(proc.logFile)}` : ''}`);
}

/** Resident and peak resident memory of `pid` in bytes, from /proc/<pid>/status (Linux only). */
export function readRss(pid: number): { rssBytes: number; peakRssBytes: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string): number => {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    return m ? Number(m[1]) * 1024 : Number.NaN;
  };
  return { rssBytes: kb('VmRSS'), peakRssBytes: kb('VmHWM') };
}

/** Sends `signal` and waits for exit; escalates to SIGKILL after `graceMs`. */
export async function stopProcess(proc: StartedProcess, signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<void> {
  if (proc.child.exitCode !== null || proc.child.signalCode !== null) return;
  proc.child.kill(signal);
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), graceMs);
  await proc.exited;
  clearTimeout(timer);
}

/** Bytes to MiB with one decimal. */
export function mib(bytes: number): number {
  return Math.round((bytes / 1048576) * 10) / 10;
}
