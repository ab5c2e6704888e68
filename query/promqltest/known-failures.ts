/** The known-failures list: evals of the upstream corpus we do not pass yet, each with a reason. */
import { readFile, writeFile } from 'node:fs/promises';
import type { EvalOutcome } from './runner.ts';

export interface KnownFailure {
  file: string;
  line: number;
  expr: string;
  reason: string;
}

export async function readKnownFailures(path: string): Promise<KnownFailure[]> {
  const parsed = JSON.parse(await readFile(path, 'utf8')) as unknown;
  if (!Array.isArray(parsed)) throw new TypeError(`known-failures file ${path} must hold a JSON array`);
  return parsed as KnownFailure[];
}

export function knownKey(file: string, line: number): string {
  return `${file}:${line}`;
}

export function isKnown(known: ReadonlyMap<string, KnownFailure>, o: EvalOutcome): boolean {
  const k = known.get(knownKey(o.file, o.line));
  return k !== undefined && k.expr === o.expr;
}

/** Writes one entry per failing eval, reason = feature classification or the concrete failure. */
export async function writeKnownFailures(path: string, failures: EvalOutcome[]): Promise<void> {
  const list: KnownFailure[] = failures.map((f) => ({ file: f.file, line: f.line, expr: f.expr, reason: truncate(f.category ?? f.error ?? 'failed') }));
  await writeFile(path, JSON.stringify(list, null, 1) + '\n');
}

function truncate(s: string): string {
  return s.length > 300 ? s.slice(0, 297) + '...' : s;
}
