/**
 * Executes PromQL test scripts against our Engine over an in-memory querier and
 * reports every eval separately (file + line), following the upstream runner's
 * three layers: the plain instant query, @-pinned variants, and the range-mode
 * cross-check (FORMAT.md §9).
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Labels } from '../model/labels.ts';
import { METRIC_NAME, getLabel, labelsKey } from '../model/labels.ts';
import { sortLabels } from '../model/labels.ts';
import { staleNaN } from '../model/samples.ts';
import { CUSTOM_BUCKETS_SCHEMA, FloatHistogram, sameCustomValues } from '../engine/histogram/float-histogram.ts';
import { parseGoFloat } from '../engine/evaluator.ts';
import { Engine } from '../engine/engine.ts';
import type { EngineConfig } from '../engine/config.ts';
import type { QueryResult, VectorSample } from '../engine/values.ts';
import type { Expr } from '../parser/ast.ts';
import { formatExpr, parseExpr } from '../parser/index.ts';
import { MemoryQuerier } from '../querier/memory-querier.ts';
import { compareMatrix, compareVector, floatEq, isSortedByLabels } from './compare.ts';
import type { EvalCommand, Expectation, LoadCommand } from './script.ts';
import { parseScript } from './script.ts';

export interface EvalOutcome {
  file: string;
  line: number;
  expr: string;
  ok: boolean;
  /** Why it failed. */
  error?: string;
  /** Feature classification of a failure (e.g. native histograms), for the known-failures list. */
  category?: string;
}

export interface FileOutcome {
  file: string;
  evals: EvalOutcome[];
  /** Set when the file could not be parsed or loaded at all. */
  fileError?: string;
}

/** The engine settings the upstream corpus assumes (FORMAT.md §12). */
export const CONFORMANCE_ENGINE_CONFIG: EngineConfig = {
  lookbackDeltaMs: 300_000,
  defaultSubqueryStepMs: 60_000,
  timeoutMs: 100_000,
  enableExperimentalFunctions: true,
};

const AT_UNSAFE_CALL = /\b(days_in_month|day_of_month|day_of_week|day_of_year|hour|minute|month|year|predict_linear|time|timestamp|start|end|range|step)\s*\(/;
const RANGE_CHECK_SKIP = /\b(start|end|range|step)\s*\(\s*\)/;

interface FileState {
  querier: MemoryQuerier;
  /** Metric names holding native-histogram samples (for classifying failures). */
  histogramNames: Set<string>;
  startTimestamps: boolean;
}

function load(cmd: LoadCommand, st: FileState): void {
  const byKey = new Map<string, { labels: Labels; cmdIdx: number }>();
  cmd.series.forEach((s, idx) => byKey.set(labelsKey(s.labels), { labels: s.labels, cmdIdx: idx }));
  if (cmd.startTimestampLines > 0) st.startTimestamps = true;
  for (const { labels, cmdIdx } of byKey.values()) {
    const desc = cmd.series[cmdIdx]!;
    const name = getLabel(labels, METRIC_NAME);
    let prevH: FloatHistogram | undefined;
    desc.values.forEach((v, i) => {
      const t = i * cmd.stepMs;
      // A start offset gives start time t + offset; 0 (also when computed) means unknown.
      const off = desc.startOffsets?.[i];
      const startTs = off === undefined ? 0 : t + off;
      if (v.kind === 'histogram') {
        const h = withStoredHint(v.h, prevH);
        prevH = v.h;
        st.histogramNames.add(name);
        st.querier.appendHistogram(labels, t, h, startTs);
        return;
      }
      if (v.kind !== 'omitted') prevH = undefined;
      if (v.kind === 'float') st.querier.append(labels, t, v.value, startTs);
      else if (v.kind === 'stale') st.querier.append(labels, t, staleNaN(), startTs);
    });
  }
  if (cmd.withNhcb) {
    for (const { labels, hist } of buildNhcb(cmd)) {
      st.histogramNames.add(getLabel(labels, METRIC_NAME));
      let prevH: FloatHistogram | undefined;
      for (const [t, h] of hist) {
        st.querier.appendHistogram(labels, t, withStoredHint(h, prevH));
        prevH = h;
      }
    }
  }
}

/**
 * The counter-reset hint a histogram reads back with from Prometheus's TSDB: the first
 * histogram of a chunk keeps its hint (unknown, or reset when a reset was detected),
 * later ones in the same chunk read as not_reset. A chunk is cut at a reset and when
 * the bucket layout cannot be continued (schema, zero threshold or custom bounds change,
 * or buckets disappear). Gauges and explicit hints are kept.
 */
function withStoredHint(h: FloatHistogram, prev: FloatHistogram | undefined): FloatHistogram {
  if (h.hint !== 'unknown') return h;
  if (prev === undefined || prev.hint === 'gauge') return h;
  const c = h.copy();
  if (h.detectReset(prev)) c.hint = 'unknown';
  else if (layoutContinues(prev, h)) c.hint = 'not_reset';
  return c;
}

function layoutContinues(prev: FloatHistogram, h: FloatHistogram): boolean {
  if (prev.schema !== h.schema || prev.zeroThreshold !== h.zeroThreshold) return false;
  if (h.usesCustomBuckets() && !sameCustomValues(prev, h)) return false;
  const covers = (pi: number[], pc: number[], ci: number[]): boolean => {
    const have = new Set(ci);
    return pi.every((x, k) => pc[k] === 0 || have.has(x));
  };
  return covers(prev.posIdx, prev.posCnt, h.posIdx) && covers(prev.negIdx, prev.negCnt, h.negIdx);
}

/** load_with_nhcb: custom-bucket histograms built from the classic histograms of a load block (FORMAT.md §3.2). */
function buildNhcb(cmd: LoadCommand): { labels: Labels; hist: [number, FloatHistogram][] }[] {
  interface Group {
    labels: Labels;
    buckets: Map<number, Map<number, number>>;
    count: Map<number, number>;
    sum: Map<number, number>;
    times: Set<number>;
  }
  const groups = new Map<string, Group>();
  for (const desc of cmd.series) {
    const name = getLabel(desc.labels, METRIC_NAME);
    const m = /^(.*)_(bucket|count|sum)$/.exec(name);
    if (!m) continue;
    const kind = m[2]!;
    const leStr = getLabel(desc.labels, 'le');
    if (kind === 'bucket' && leStr === '') continue;
    const base = sortLabels([...desc.labels.filter((l) => l.name !== METRIC_NAME && l.name !== 'le'), { name: METRIC_NAME, value: m[1]! }]);
    const key = labelsKey(base);
    let grp = groups.get(key);
    if (grp === undefined) groups.set(key, (grp = { labels: base, buckets: new Map(), count: new Map(), sum: new Map(), times: new Set() }));
    let le = NaN;
    if (kind === 'bucket') {
      le = parseGoFloat(leStr) ?? NaN;
      if (le !== le) continue;
    }
    desc.values.forEach((v, i) => {
      if (v.kind !== 'float') return;
      const t = i * cmd.stepMs;
      grp.times.add(t);
      if (kind === 'count') grp.count.set(t, v.value);
      else if (kind === 'sum') grp.sum.set(t, v.value);
      else {
        let b = grp.buckets.get(t);
        if (b === undefined) grp.buckets.set(t, (b = new Map()));
        b.set(le, v.value);
      }
    });
  }
  const out: { labels: Labels; hist: [number, FloatHistogram][] }[] = [];
  for (const grp of groups.values()) {
    if (grp.buckets.size === 0) continue;
    const hist: [number, FloatHistogram][] = [];
    for (const t of [...grp.times].sort((a, b) => a - b)) {
      const b = [...(grp.buckets.get(t) ?? new Map<number, number>())].sort((x, y) => x[0] - y[0]);
      let count = grp.count.get(t);
      const maxCum = b.length > 0 ? b[b.length - 1]![1] : 0;
      if (count === undefined) count = maxCum;
      if (b.length === 0 || b[b.length - 1]![0] !== Infinity) b.push([Infinity, count]);
      else if (b[b.length - 1]![1] !== count) throw new Error(`count ${count} does not match +Inf bucket ${b[b.length - 1]![1]} for ${labelsKey(grp.labels)}`);
      const h = new FloatHistogram();
      h.schema = CUSTOM_BUCKETS_SCHEMA;
      h.count = count;
      h.sum = grp.sum.get(t) ?? 0;
      h.customValues = b.filter(([le]) => le !== Infinity).map(([le]) => le);
      let prev = 0;
      b.forEach(([, cum], idx) => {
        if (cum < prev || cum < 0) throw new Error(`bucket counts decrease for ${labelsKey(grp.labels)}`);
        const c = cum - prev;
        prev = cum;
        if (c === 0) return;
        h.posIdx.push(idx);
        h.posCnt.push(c);
      });
      hist.push([t, h]);
    }
    out.push({ labels: grp.labels, hist });
  }
  return out;
}

function matchesExpectation(e: Expectation, text: string): boolean {
  if (e.msg !== undefined) return text === e.msg;
  if (e.regex !== undefined) return e.regex.test(text);
  return true;
}

function checkAnnotations(cmd: EvalCommand, r: QueryResult): string | undefined {
  const infos = r.infos ?? [];
  for (const [kind, list, none] of [
    ['warn', r.warnings, 'no_warn'],
    ['info', infos, 'no_info'],
  ] as const) {
    const lines = cmd.expectations.filter((e) => e.type === kind);
    if (cmd.expectations.some((e) => e.type === none) && list.length > 0) return `expected no ${kind}, got ${JSON.stringify(list)}`;
    if (cmd.shorthand === kind && list.length === 0) return `expected at least one ${kind}`;
    if (lines.length === 0) continue;
    if (list.length === 0) return `expected ${kind} annotations, got none`;
    for (const l of lines) if (!list.some((a) => matchesExpectation(l, a))) return `no ${kind} matches ${l.msg ?? l.regex?.source}; got ${JSON.stringify(list)}`;
    for (const a of list) if (!lines.some((l) => matchesExpectation(l, a))) return `unexpected ${kind} ${JSON.stringify(a)}`;
  }
  return undefined;
}

function checkResult(cmd: EvalCommand, r: QueryResult, ordered: boolean, instantTime: number): string | undefined {
  const expected = cmd.series.map((s) => ({ desc: s.desc }));
  if (cmd.expectString !== undefined) {
    if (r.resultType !== 'string') return `expected a string, got ${r.resultType}`;
    return r.result.value === cmd.expectString ? undefined : `expected string ${JSON.stringify(cmd.expectString)}, got ${JSON.stringify(r.result.value)}`;
  }
  if (cmd.expectScalar !== undefined) {
    if (r.resultType !== 'scalar') return `expected a scalar, got ${r.resultType}`;
    return floatEq(cmd.expectScalar, r.result.value) ? undefined : `expected scalar ${cmd.expectScalar}, got ${r.result.value}`;
  }
  if (cmd.range !== undefined) {
    if (r.resultType !== 'matrix') return `expected a matrix, got ${r.resultType}`;
    return compareMatrix(r.result, expected, cmd.range.start, cmd.range.step, cmd.range.end);
  }
  if (cmd.expectRangeVector !== undefined) {
    if (r.resultType !== 'matrix') return `expected a range vector, got ${r.resultType}`;
    const x = cmd.expectRangeVector;
    return compareMatrix(r.result, expected, x.start, x.step, x.end);
  }
  if (r.resultType === 'scalar') return `expected a vector, got scalar ${r.result.value}`;
  if (r.resultType === 'string') return `expected a vector, got a string`;
  if (r.resultType === 'matrix') {
    if (expected.length === 0 && r.result.length === 0) return undefined;
    if (ordered) return 'expect ordered on a matrix result';
    return compareMatrix(r.result, expected, instantTime, 1, instantTime);
  }
  return compareVector(r.result, expected, ordered);
}

/** Sets `@ t` on every selector and outermost subquery that has none (layer 2 of the upstream runner). */
function pinAt(e: Expr, t: number): Expr {
  const at = { kind: 'timestamp' as const, ms: t };
  switch (e.kind) {
    case 'VectorSelector':
      return e.at === undefined ? { ...e, at } : e;
    case 'MatrixSelector':
      return e.vectorSelector.at === undefined ? { ...e, vectorSelector: { ...e.vectorSelector, at } } : e;
    case 'SubqueryExpr':
      return e.at === undefined ? { ...e, at } : e;
    case 'NumberLiteral':
    case 'StringLiteral':
      return e;
    case 'ParenExpr':
    case 'UnaryExpr':
    case 'StepInvariantExpr':
      return { ...e, expr: pinAt(e.expr, t) } as Expr;
    case 'AggregateExpr':
      return { ...e, expr: pinAt(e.expr, t), ...(e.param !== undefined ? { param: pinAt(e.param, t) } : {}) };
    case 'BinaryExpr':
      return { ...e, lhs: pinAt(e.lhs, t), rhs: pinAt(e.rhs, t) };
    case 'Call':
      return { ...e, args: e.args.map((a) => pinAt(a, t)) };
  }
}

async function attempt(fn: () => Promise<QueryResult>): Promise<{ res?: QueryResult; err?: Error }> {
  try {
    return { res: await fn() };
  } catch (err) {
    return { err: err as Error };
  }
}

export class ScriptRunner {
  readonly #engine: Engine;

  constructor(config: EngineConfig = CONFORMANCE_ENGINE_CONFIG) {
    this.#engine = new Engine(config);
  }

  async runFile(path: string): Promise<FileOutcome> {
    const text = await readFile(path, 'utf8');
    return this.runText(basename(path), text);
  }

  async runText(file: string, text: string): Promise<FileOutcome> {
    let script;
    try {
      script = parseScript(text);
    } catch (err) {
      return { file, evals: [], fileError: (err as Error).message };
    }
    const st: FileState = { querier: new MemoryQuerier(), histogramNames: new Set(), startTimestamps: false };
    const evals: EvalOutcome[] = [];
    let loadError: string | undefined;
    for (const cmd of script.commands) {
      if (cmd.kind === 'clear') {
        st.querier = new MemoryQuerier();
        st.histogramNames = new Set();
        st.startTimestamps = false;
        loadError = undefined;
      } else if (cmd.kind === 'load') {
        try {
          load(cmd, st);
        } catch (err) {
          loadError = `load at line ${cmd.line} failed: ${(err as Error).message}`;
        }
      } else {
        const error = loadError ?? (await this.#runEval(cmd, st));
        const outcome: EvalOutcome = { file, line: cmd.line, expr: cmd.expr, ok: error === undefined };
        if (error !== undefined) {
          outcome.error = error;
          outcome.category = classify(cmd, st, error);
        }
        evals.push(outcome);
      }
    }
    return { file, evals };
  }

  async #runEval(cmd: EvalCommand, st: FileState): Promise<string | undefined> {
    let expr: Expr;
    try {
      expr = this.#engine.parse(cmd.expr);
    } catch (err) {
      return `parse error: ${(err as Error).message}`;
    }
    const q = st.querier;
    const expectFail = cmd.shorthand === 'fail' || cmd.expectations.some((e) => e.type === 'fail');
    const failExp = cmd.expectations.find((e) => e.type === 'fail');
    const ordered = cmd.shorthand === 'ordered' || cmd.expectations.some((e) => e.type === 'ordered');

    const checkFailure = (res: QueryResult | undefined, err: Error | undefined, what: string): string | undefined => {
      if (expectFail) {
        if (err === undefined) return `${what}: expected an error, got success`;
        if (failExp !== undefined && !matchesExpectation(failExp, err.message)) return `${what}: expected error ${failExp.msg ?? failExp.regex?.source}, got ${JSON.stringify(err.message)}`;
        return undefined;
      }
      if (err !== undefined) return `${what}: unexpected error: ${err.message}`;
      void res;
      return undefined;
    };

    if (cmd.range !== undefined) {
      const r = cmd.range;
      const { res, err } = await attempt(() => this.#engine.rangeQuery(q, cmd.expr, r.start, r.end, r.step));
      const f = checkFailure(res, err, 'range query');
      if (f !== undefined || expectFail) return f;
      return checkAnnotations(cmd, res!) ?? checkResult(cmd, res!, false, 0);
    }

    const T = cmd.expectRangeVector?.end ?? cmd.at!;
    const runs: { expr: Expr; text: string; t: number; label: string }[] = [{ expr, text: cmd.expr, t: T, label: `instant query at ${T}` }];
    if (!AT_UNSAFE_CALL.test(cmd.expr)) {
      const pinned = pinAt(expr, T);
      let text: string | undefined;
      try {
        text = formatExpr(pinned);
      } catch {
        text = undefined;
      }
      if (text !== undefined) {
        const times = T === 0 ? [-1000, 0, 1000] : [-10 * T, 0, Math.trunc(T / 5), T, 10 * T];
        for (const t of times) runs.push({ expr: pinned, text, t, label: `@-pinned query ${JSON.stringify(text)} at ${t}` });
      }
    }
    const skipRangeCheck = cmd.expectRangeVector !== undefined || cmd.expectString !== undefined || RANGE_CHECK_SKIP.test(cmd.expr) || expectFail;
    for (const run of runs) {
      const { res, err } = await attempt(() => this.#engine.instantQuery(q, run.text === cmd.expr ? cmd.expr : run.text, run.t));
      const f = checkFailure(res, err, run.label);
      if (f !== undefined) return f;
      if (expectFail) continue;
      const a = checkAnnotations(cmd, res!);
      if (a !== undefined) return `${run.label}: ${a}`;
      const c = checkResult(cmd, res!, ordered, run.t);
      if (c !== undefined) return `${run.label}: ${c}`;
      if (skipRangeCheck || res!.resultType === 'matrix' || res!.resultType === 'string') continue;
      const rr = await attempt(() => this.#engine.rangeQuery(q, run.text, run.t - 60_000, run.t + 60_000, 60_000));
      if (rr.err !== undefined) return `range-mode check of ${run.label}: unexpected error: ${rr.err.message}`;
      if (ordered) continue;
      const rres = rr.res!;
      if (rres.resultType !== 'matrix') return `range-mode check of ${run.label}: expected a matrix`;
      if (!isSortedByLabels(rres.result)) return `range-mode check of ${run.label}: result not sorted by labels`;
      let asInstant: QueryResult;
      if (res!.resultType === 'scalar') {
        const s = rres.result[0];
        const idx = s === undefined ? -1 : [...s.timestamps].indexOf(run.t);
        asInstant = { resultType: 'scalar', result: { timestamp: run.t, value: idx < 0 ? NaN : s!.values[idx]! }, warnings: [] };
        if (idx < 0) return `range-mode check of ${run.label}: no scalar point at ${run.t}`;
      } else {
        const vec: VectorSample[] = [];
        for (const s of rres.result) {
          const idx = [...s.timestamps].indexOf(run.t);
          if (idx >= 0) vec.push({ labels: s.labels, timestamp: run.t, value: s.values[idx]! });
          const hidx = s.histograms === undefined ? -1 : [...s.histograms.timestamps].indexOf(run.t);
          if (hidx >= 0) vec.push({ labels: s.labels, timestamp: run.t, value: 0, histogram: s.histograms!.values[hidx]! });
        }
        asInstant = { resultType: 'vector', result: vec, warnings: [] };
      }
      const c2 = checkResult(cmd, asInstant, false, run.t);
      if (c2 !== undefined) return `range-mode check of ${run.label}: ${c2}`;
    }
    return undefined;
  }

}

/** A feature-level reason for a failing eval, used for the known-failures list. */
function classify(cmd: EvalCommand, st: FileState, error: string): string {
  const names = [...st.histogramNames];
  const nameRegexes = [...cmd.expr.matchAll(/__name__=~"([^"]*)"/g)].map((m) => new RegExp(`^(?:${m[1]})$`));
  const regexHitsHistogram = names.some((n) => nameRegexes.some((re) => re.test(n)));
  const msTruncated = [...cmd.expr.matchAll(/\[(\d+)ms\]/g)].some((m) => {
    try {
      const e = parseExpr(`x[${m[1]}ms]`);
      return e.kind === 'MatrixSelector' && e.range !== Number(m[1]);
    } catch {
      return false;
    }
  });
  if (msTruncated) return `query/parser reads this millisecond range wrongly (e.g. 1001ms as 1000ms): ${error}`;
  const mentions = regexHitsHistogram || names.some((n) => n !== '' && new RegExp(`(^|[^a-zA-Z0-9_:])${n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}([^a-zA-Z0-9_:]|$)`).test(cmd.expr));
  // Missing annotations in files with native histograms are the "ignored histogram" infos/warnings.
  const missingAnnotation = /expected (info|warn) annotations, got none/.test(error) && st.histogramNames.size > 0;
  if (st.startTimestamps || /start_timestamp/.test(cmd.expr)) return `start timestamps: ${error}`;
  if (cmd.expectsHistogram || mentions || missingAnnotation || /native histogram/.test(error) || /histogram_(count|sum|avg|stddev|stdvar)\b/.test(cmd.expr)) {
    if (/\b(anchored|smoothed)\b/.test(cmd.expr)) return `native histograms with anchored/smoothed selectors not implemented: ${error}`;
    if (/<\/|>\//.test(cmd.expr)) return `trim operator on open-ended custom buckets differs: ${error}`;
    return `native histograms: ${error}`;
  }
  if (/\binfo\s*\(/.test(cmd.expr)) return 'info() not supported yet';
  if (error.startsWith('parse error')) return `parser rejects the expression: ${error.slice('parse error: '.length)}`;
  return error;
}

/** Lists *.test files of a folder (or returns the file itself). */
export async function listTestFiles(path: string): Promise<string[]> {
  const s = await stat(path);
  if (s.isFile()) return [path];
  return (await readdir(path))
    .filter((f) => f.endsWith('.test'))
    .sort()
    .map((f) => join(path, f));
}
