/**
 * The PromQL engine: parses (or takes) an expression, fetches the data every
 * selector needs through a Querier (one select per distinct selector, in
 * parallel), evaluates over the step grid and returns typed results.
 */
import type { Labels } from '../model/labels.ts';
import { METRIC_NAME, compareLabels } from '../model/labels.ts';
import type { Matcher } from '../model/matchers.ts';
import { formatMatcher, newMatcher } from '../model/matchers.ts';
import type { SeriesSamples } from '../model/samples.ts';
import type { Call, Expr, VectorSelector } from '../parser/ast.ts';
import { exprType, isPromQLParseError, parseExpr } from '../parser/index.ts';
import type { Querier } from '../querier/queryable.ts';
import { Annotations } from './annotations.ts';
import { mergeSameLabels } from './binary.ts';
import type { EngineConfig, ResolvedEngineConfig } from './config.ts';
import { resolveEngineConfig } from './config.ts';
import {
  QueryError,
  badQueryError,
  canceledError,
  isQueryError,
  timeoutError,
  tooManyPointsError,
} from './errors.ts';
import { Evaluator } from './evaluator.ts';
import { METADATA_LABELS, withoutLabels } from './label-ops.ts';
import { ConcurrencyGate } from './gate.ts';
import type { EvalValue, StepSeries } from './types.ts';
import { gridTime, makeGrid } from './types.ts';
import type { MatrixSeries, QueryResult, VectorSample } from './values.ts';
import type { FloatHistogram } from './histogram/float-histogram.ts';

export interface QueryOptions {
  signal?: AbortSignal;
}

interface Window {
  start: number;
  end: number;
}

export class Engine {
  readonly config: ResolvedEngineConfig;
  readonly #gate: ConcurrencyGate;

  constructor(config: EngineConfig = {}) {
    this.config = resolveEngineConfig(config);
    this.#gate = new ConcurrencyGate(this.config.maxConcurrent);
  }

  /** Parses a query with this engine's feature flags; throws QueryError (bad_data) on syntax errors. */
  parse(query: string): Expr {
    try {
      return parseExpr(query, { enableExperimentalFunctions: this.config.enableExperimentalFunctions });
    } catch (err) {
      if (isPromQLParseError(err) || err instanceof SyntaxError) throw new QueryError('BAD_QUERY', 400, 'bad_data', (err as Error).message, { cause: err });
      throw err;
    }
  }

  /** Evaluates at one time (ms). Rejects with QueryError (bad_data for syntax errors, execution, timeout, canceled, ...). */
  async instantQuery(q: Querier, query: string | Expr, timeMs: number, opts: QueryOptions = {}): Promise<QueryResult> {
    const expr = typeof query === 'string' ? this.parse(query) : query;
    return this.#run(q, expr, typeof query === 'string' ? query : '', timeMs, timeMs, 0, false, opts);
  }

  /** Evaluates at start, start+step, ..., end (ms); the result is always a label-sorted matrix. */
  async rangeQuery(q: Querier, query: string | Expr, startMs: number, endMs: number, stepMs: number, opts: QueryOptions = {}): Promise<QueryResult> {
    const expr = typeof query === 'string' ? this.parse(query) : query;
    if (!(stepMs > 0)) throw badQueryError('zero or negative query resolution step widths are not accepted. Try a positive integer');
    if (endMs < startMs) throw badQueryError('end timestamp must not be before start time');
    if ((endMs - startMs) / stepMs > this.config.maxPointsPerSeries) throw tooManyPointsError(this.config.maxPointsPerSeries);
    const t = exprType(expr);
    if (t !== 'scalar' && t !== 'vector') {
      throw badQueryError(`invalid expression type "${t === 'matrix' ? 'range vector' : t}" for range query, must be Scalar or instant Vector`);
    }
    return this.#run(q, expr, typeof query === 'string' ? query : '', startMs, endMs, stepMs, true, opts);
  }

  async #run(q: Querier, expr: Expr, text: string, start: number, end: number, step: number, isRange: boolean, opts: QueryOptions): Promise<QueryResult> {
    const deadline = Date.now() + this.config.timeoutMs;
    const controller = new AbortController();
    const onAbort = (): void => controller.abort(opts.signal?.reason);
    if (opts.signal?.aborted) throw canceledError('query queue');
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => controller.abort(new DOMException('query timed out', 'TimeoutError')), this.config.timeoutMs);
    try {
      await this.#gate.acquire(controller.signal);
    } catch {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      throw controller.signal.reason instanceof DOMException && controller.signal.reason.name === 'TimeoutError' ? timeoutError('query queue') : canceledError('query queue');
    }
    try {
      if (controller.signal.aborted) throw controller.signal.reason;
      const annotations = new Annotations(text);
      const data = new Map<VectorSelector, SeriesSamples[]>();
      const infoData = new Map<Call, SeriesSamples[]>();
      const ev = new Evaluator({
        data,
        infoData,
        lookbackMs: this.config.lookbackDeltaMs,
        defaultSubqueryStepMs: this.config.defaultSubqueryStepMs,
        queryStart: start,
        queryEnd: end,
        queryStep: step,
        isRangeQuery: isRange,
        maxSamples: this.config.maxSamples,
        signal: controller.signal,
        timedOut: () => Date.now() > deadline,
        annotations,
      });
      await this.#fetch(q, expr, ev, start, end, data, infoData, controller.signal, deadline);
      const grid = makeGrid(start, end, isRange ? step : 1);
      let value = ev.eval(expr, grid);
      value = cleanup(value);
      return buildResult(value, grid, isRange, annotations);
    } catch (err) {
      if (isQueryError(err)) throw err;
      if (controller.signal.aborted) {
        const r = controller.signal.reason as unknown;
        if (r instanceof DOMException && r.name === 'TimeoutError') throw timeoutError('query execution');
        throw canceledError('query execution');
      }
      throw err;
    } finally {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      this.#gate.release();
    }
  }

  /** Computes the time window each selector needs and selects data once per distinct matcher set. */
  async #fetch(
    q: Querier,
    expr: Expr,
    ev: Evaluator,
    start: number,
    end: number,
    data: Map<VectorSelector, SeriesSamples[]>,
    infoData: Map<Call, SeriesSamples[]>,
    signal: AbortSignal,
    deadline: number,
  ): Promise<void> {
    const windows = new Map<VectorSelector, Window>();
    const infoWindows = new Map<Call, InfoFetch>();
    collectWindows(expr, start, end, ev, this.config.lookbackDeltaMs, windows, infoWindows);
    const groups = new Map<string, { matchers: Matcher[]; start: number; end: number; nodes: VectorSelector[] }>();
    for (const [vs, w] of windows) {
      const key = vs.matchers.map(formatMatcher).sort().join(',');
      const grp = groups.get(key);
      if (grp === undefined) groups.set(key, { matchers: vs.matchers, start: w.start, end: w.end, nodes: [vs] });
      else {
        grp.start = Math.min(grp.start, w.start);
        grp.end = Math.max(grp.end, w.end);
        grp.nodes.push(vs);
      }
    }
    // A querier that ignores the signal must not hold the query past its deadline.
    const aborted = new Promise<never>((_resolve, reject) => {
      if (signal.aborted) reject(signal.reason);
      signal.addEventListener('abort', () => reject(signal.reason), { once: true });
    });
    aborted.catch(() => {});
    await Promise.race([aborted, this.#selectAll(q, groups, infoWindows, data, infoData, signal)]);
    if (Date.now() > deadline) throw timeoutError('query preparation');
  }

  async #selectAll(
    q: Querier,
    groups: Map<string, { matchers: Matcher[]; start: number; end: number; nodes: VectorSelector[] }>,
    infoWindows: Map<Call, InfoFetch>,
    data: Map<VectorSelector, SeriesSamples[]>,
    infoData: Map<Call, SeriesSamples[]>,
    signal: AbortSignal,
  ): Promise<void> {
    await Promise.all(
      [...groups.values()].map(async (grp) => {
        if (signal.aborted) throw signal.reason;
        const series = await q.select(grp.matchers, { start: grp.start, end: grp.end, signal });
        for (const n of grp.nodes) data.set(n, series);
      }),
    );
    await Promise.all(
      [...infoWindows].map(async ([call, f]) => {
        infoData.set(call, await q.select(f.matchers, { start: f.start, end: f.end, signal }));
      }),
    );
  }
}

interface InfoFetch {
  matchers: Matcher[];
  start: number;
  end: number;
}

/** The info series an info() call may join: its name and data-label matchers over the lookback window. */
function infoFetch(e: Call, a: number, b: number, ev: Evaluator, lookback: number): InfoFetch {
  const sel = e.args[1];
  const matchers: Matcher[] = [];
  if (sel !== undefined && sel.kind === 'VectorSelector') matchers.push(...sel.matchers);
  if (!matchers.some((m) => m.name === METRIC_NAME)) matchers.unshift(newMatcher('=', METRIC_NAME, 'target_info'));
  const ra = ev.infoRefTime(e.args[0]!, a);
  const rb = ev.infoRefTime(e.args[0]!, b);
  return { matchers, start: Math.min(ra, rb) - lookback, end: Math.max(ra, rb) };
}

function collectWindows(e: Expr, a: number, b: number, ev: Evaluator, lookback: number, out: Map<VectorSelector, Window>, info: Map<Call, InfoFetch>): void {
  switch (e.kind) {
    case 'VectorSelector': {
      const at = ev.resolveAt(e.at);
      const s = at ?? a;
      const t = at ?? b;
      const off = ev.offsetOf(e);
      out.set(e, { start: s - off - lookback, end: t - off + (e.smoothed ? lookback : 0) });
      return;
    }
    case 'MatrixSelector': {
      const vs = e.vectorSelector;
      const at = ev.resolveAt(vs.at);
      const s = at ?? a;
      const t = at ?? b;
      const off = ev.offsetOf(vs);
      const extra = vs.anchored || vs.smoothed ? lookback : 0;
      out.set(vs, { start: s - off - ev.rangeOf(e) - extra, end: t - off + (vs.smoothed ? lookback : 0) });
      return;
    }
    case 'SubqueryExpr': {
      const at = ev.resolveAt(e.at);
      const s = at ?? a;
      const t = at ?? b;
      const off = ev.offsetOf(e);
      collectWindows(e.expr, s - off - ev.rangeOf(e), t - off, ev, lookback, out, info);
      return;
    }
    case 'NumberLiteral':
    case 'StringLiteral':
      return;
    case 'ParenExpr':
    case 'UnaryExpr':
    case 'StepInvariantExpr':
      collectWindows(e.expr, a, b, ev, lookback, out, info);
      return;
    case 'AggregateExpr':
      if (e.param !== undefined) collectWindows(e.param, a, b, ev, lookback, out, info);
      collectWindows(e.expr, a, b, ev, lookback, out, info);
      return;
    case 'BinaryExpr':
      collectWindows(e.lhs, a, b, ev, lookback, out, info);
      collectWindows(e.rhs, a, b, ev, lookback, out, info);
      return;
    case 'Call':
      if (e.func === 'info') {
        collectWindows(e.args[0]!, a, b, ev, lookback, out, info);
        info.set(e, infoFetch(e, a, b, ev, lookback));
        return;
      }
      for (const arg of e.args) collectWindows(arg, a, b, ev, lookback, out, info);
      return;
  }
}

/** Delayed name removal: drop __name__ (and __type__/__unit__) where marked, then merge equal label sets. */
function cleanup(v: EvalValue): EvalValue {
  if (v.kind === 'vector') {
    const series: StepSeries[] = v.series.map((s) => (s.dropName ? { ...s, labels: withoutLabels(s.labels, METADATA_LABELS), dropName: false } : s));
    return { kind: 'vector', series: mergeSameLabels(series) };
  }
  if (v.kind === 'matrix') {
    return {
      kind: 'matrix',
      series: v.series.map((s) => (s.dropName ? { ...s, labels: withoutLabels(s.labels, METADATA_LABELS), dropName: false } : s)),
    };
  }
  return v;
}

function byLabels<T extends { labels: Labels }>(a: T, b: T): number {
  return compareLabels(a.labels, b.labels);
}

function buildResult(v: EvalValue, grid: ReturnType<typeof makeGrid>, isRange: boolean, ann: Annotations): QueryResult {
  const common = { warnings: ann.warnings, infos: ann.infos };
  if (!isRange) {
    const t = grid.start;
    switch (v.kind) {
      case 'scalar':
        return { ...common, resultType: 'scalar', result: { timestamp: t, value: v.values[0]! } };
      case 'string':
        return { ...common, resultType: 'string', result: { timestamp: t, value: v.value } };
      case 'vector': {
        const result: VectorSample[] = [];
        for (const s of v.series) {
          if (s.present[0] !== 1) continue;
          const h = s.hists?.[0];
          result.push(h !== undefined ? { labels: s.labels, timestamp: t, value: 0, histogram: h } : { labels: s.labels, timestamp: t, value: s.values[0]! });
        }
        return { ...common, resultType: 'vector', result };
      }
      case 'matrix': {
        const result: MatrixSeries[] = v.series.map((s) => splitPoints(s.labels, s.timestamps, s.values, s.hists));
        result.sort(byLabels);
        return { ...common, resultType: 'matrix', result };
      }
    }
  }
  const result: MatrixSeries[] = [];
  const toSeries = (labels: Labels, values: Float64Array, present: Uint8Array | undefined, hists?: StepSeries['hists']): void => {
    if (hists !== undefined) {
      const ts: number[] = [];
      const vs: number[] = [];
      const hs: (FloatHistogram | undefined)[] = [];
      for (let i = 0; i < grid.n; i++) {
        if (present !== undefined && present[i] !== 1) continue;
        ts.push(gridTime(grid, i));
        vs.push(values[i]!);
        hs.push(hists[i]);
      }
      if (ts.length > 0) result.push(splitPoints(labels, Float64Array.from(ts), Float64Array.from(vs), hs));
      return;
    }
    let cnt = 0;
    for (let i = 0; i < grid.n; i++) if (present === undefined || present[i] === 1) cnt++;
    if (cnt === 0) return;
    const ts = new Float64Array(cnt);
    const vs = new Float64Array(cnt);
    let k = 0;
    for (let i = 0; i < grid.n; i++) {
      if (present !== undefined && present[i] !== 1) continue;
      ts[k] = gridTime(grid, i);
      vs[k++] = values[i]!;
    }
    result.push({ labels, timestamps: ts, values: vs });
  };
  if (v.kind === 'scalar') toSeries([], v.values, undefined);
  else if (v.kind === 'vector') for (const s of v.series) toSeries(s.labels, s.values, s.present, s.hists);
  else throw badQueryError('range queries must return a scalar or an instant vector');
  result.sort(byLabels);
  return { ...common, resultType: 'matrix', result };
}



/** A result series with its float and histogram points apart. */
function splitPoints(labels: Labels, ts: Float64Array, vs: Float64Array, hs: (FloatHistogram | undefined)[] | undefined): MatrixSeries {
  if (hs === undefined) return { labels, timestamps: ts, values: vs };
  let nh = 0;
  for (const h of hs) if (h !== undefined) nh++;
  const fts = new Float64Array(ts.length - nh);
  const fvs = new Float64Array(ts.length - nh);
  const hts = new Float64Array(nh);
  const hvs: FloatHistogram[] = [];
  let a = 0;
  for (let i = 0; i < ts.length; i++) {
    const h = hs[i];
    if (h !== undefined) {
      hts[hvs.length] = ts[i]!;
      hvs.push(h);
    } else {
      fts[a] = ts[i]!;
      fvs[a++] = vs[i]!;
    }
  }
  const out: MatrixSeries = { labels, timestamps: fts, values: fvs };
  if (nh > 0) out.histograms = { timestamps: hts, values: hvs };
  return out;
}
