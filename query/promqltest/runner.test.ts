import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isKnown, knownKey, readKnownFailures } from './known-failures.ts';
import type { KnownFailure } from './known-failures.ts';
import { ScriptRunner, listTestFiles } from './runner.ts';
import { parseScript } from './script.ts';
import { parseSeriesDescription } from './series-desc.ts';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '..', '..');
const upstream = resolve(repoRoot, '..', 'shared', 'conformance', 'promql');

test('series descriptions expand like upstream', () => {
  const d = parseSeriesDescription('foo{a="b", c=\'d\'} 1+2x2 _x2 stale -1-1x1 Inf _');
  assert.deepEqual(d.labels, [
    { name: '__name__', value: 'foo' },
    { name: 'a', value: 'b' },
    { name: 'c', value: 'd' },
  ]);
  const kinds = d.values.map((v) => (v.kind === 'float' ? v.value : v.kind));
  assert.deepEqual(kinds, [1, 3, 5, 'omitted', 'omitted', 'stale', -1, -2, Infinity, 'omitted']);
});

test('script parser reads blocks, expectations and comment-terminated blocks', () => {
  const s = parseScript(['load 5m', '  m 1 2', '', 'eval instant at 5m m', '  expect no_warn', '  m 2', '# empty', 'eval range from 0 to 5m step 5m m', '  m 1 2', '', 'eval instant at 0 1', '  1'].join('\n'));
  assert.equal(s.commands.length, 4);
  const e = s.commands[1]!;
  assert.equal(e.kind, 'eval');
  if (e.kind === 'eval') {
    assert.equal(e.at, 300000);
    assert.equal(e.expectations[0]!.type, 'no_warn');
    assert.equal(e.series.length, 1);
  }
  const r = s.commands[2]!;
  assert.ok(r.kind === 'eval' && r.range?.end === 300000);
  const sc = s.commands[3]!;
  assert.ok(sc.kind === 'eval' && sc.expectScalar === 1);
});

test('our own scripts in query/testdata all pass', async () => {
  const runner = new ScriptRunner();
  const files = await listTestFiles(join(repoRoot, 'query', 'testdata'));
  assert.ok(files.length >= 4);
  for (const f of files) {
    const r = await runner.runFile(f);
    assert.equal(r.fileError, undefined, `${f}: ${r.fileError}`);
    assert.ok(r.evals.length > 0);
    const failed = r.evals.filter((e) => !e.ok);
    assert.deepEqual(failed, [], `${f} has failing evals`);
  }
});

test('a wrong expectation is reported as a failing eval', async () => {
  const runner = new ScriptRunner();
  const r = await runner.runText('x.test', 'load 1m\n  m 1\n\neval instant at 0 m\n  m 2\n');
  assert.equal(r.evals.length, 1);
  assert.equal(r.evals[0]!.ok, false);
  assert.match(r.evals[0]!.error!, /expected 2, got 1/);
});

test('upstream corpus: no failures outside the known-failures list', async () => {
  // The corpus sits beside the checkout (../shared) on every developer machine and in CI; its absence is a setup error.
  assert.ok(existsSync(upstream), `Prometheus's PromQL test scripts not found at ${upstream}: the suite expects ../shared/conformance/promql beside the checkout`);
  const known = new Map<string, KnownFailure>();
  for (const k of await readKnownFailures(join(here, 'known-failures.json'))) known.set(knownKey(k.file, k.line), k);
  const runner = new ScriptRunner();
  const unexpected: string[] = [];
  let passed = 0;
  for (const f of await listTestFiles(upstream)) {
    const r = await runner.runFile(f);
    assert.equal(r.fileError, undefined, `${f}: ${r.fileError}`);
    for (const e of r.evals) {
      if (e.ok) passed++;
      else if (!isKnown(known, e)) unexpected.push(`${e.file}:${e.line} ${e.expr}: ${e.error}`);
    }
  }
  assert.deepEqual(unexpected, []);
  assert.ok(passed > 1000, `only ${passed} upstream evals passed`);
});
