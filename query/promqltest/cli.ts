/**
 * PromQL test-script runner CLI:
 *   node --import tsx query/promqltest/cli.ts <folder|file>... [--known-failures path|none] [--write-known-failures path] [--verbose]
 * Without --known-failures, query/promqltest/known-failures.json is used.
 * Prints pass counts per file and a total line; exits 1 on any failure not in the known-failures list.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { knownKey, isKnown, readKnownFailures, writeKnownFailures } from './known-failures.ts';
import type { KnownFailure } from './known-failures.ts';
import type { EvalOutcome } from './runner.ts';
import { ScriptRunner, listTestFiles } from './runner.ts';

async function main(argv: string[]): Promise<number> {
  const paths: string[] = [];
  let knownPath: string | undefined;
  let writePath: string | undefined;
  let verbose = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--known-failures') knownPath = argv[++i];
    else if (a === '--write-known-failures') writePath = argv[++i];
    else if (a === '--verbose' || a === '-v') verbose = true;
    else paths.push(a);
  }
  if (paths.length === 0) {
    process.stderr.write('usage: cli.ts <folder|file>... [--known-failures path] [--write-known-failures path] [--verbose]\n');
    return 2;
  }
  // Default to the list beside this file, so `npm run conformance -- <folder>` needs no flags.
  if (knownPath === undefined) {
    const def = join(dirname(fileURLToPath(import.meta.url)), 'known-failures.json');
    if (existsSync(def)) knownPath = def;
  } else if (knownPath === 'none') knownPath = undefined;
  const known = new Map<string, KnownFailure>();
  if (knownPath !== undefined) for (const k of await readKnownFailures(knownPath)) known.set(knownKey(k.file, k.line), k);
  const runner = new ScriptRunner();
  let total = 0;
  let passed = 0;
  let newFailures = 0;
  let fileErrors = 0;
  const allFailures: EvalOutcome[] = [];
  for (const p of paths) {
    for (const file of await listTestFiles(p)) {
      const r = await runner.runFile(file);
      if (r.fileError !== undefined) {
        fileErrors++;
        process.stdout.write(`${r.file}: FILE ERROR ${r.fileError}\n`);
        continue;
      }
      const ok = r.evals.filter((e) => e.ok).length;
      const failures = r.evals.filter((e) => !e.ok);
      const unexpected = failures.filter((e) => !isKnown(known, e));
      total += r.evals.length;
      passed += ok;
      newFailures += unexpected.length;
      allFailures.push(...failures);
      process.stdout.write(`${r.file}: ${ok}/${r.evals.length} passed` + (failures.length > 0 ? `, ${failures.length - unexpected.length} known failures, ${unexpected.length} new failures` : '') + '\n');
      for (const f of verbose ? failures : unexpected) process.stdout.write(`  line ${f.line}: ${f.expr}\n    ${f.error}\n`);
    }
  }
  process.stdout.write(`TOTAL: ${passed}/${total} evals passed, ${total - passed} failed (${newFailures} not in the known-failures list)\n`);
  if (writePath !== undefined) await writeKnownFailures(writePath, allFailures);
  return newFailures > 0 || fileErrors > 0 ? 1 : 0;
}

process.exitCode = await main(process.argv.slice(2));
