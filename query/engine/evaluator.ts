/**
 * The PromQL evaluator: walks the AST and evaluates every node over a whole step
 * grid at once (column arrays per series), like Prometheus's range evaluation.
 * Instant queries are grids of one step.
 */
import { firstAtOrAfter, lastAtOrBefore } from './search.ts';
import type { Labels } from '../model/labels.ts';
import { METRIC_NAME, compareLabels, getLabel, labelsKey } from '../model/labels.ts';
import type { SeriesSamples } from '../model/samples.ts';
import { isStaleNaN } from '../model/samples.ts';
import type {
  AggregateExpr,
  AtModifier,
  BinaryExpr,
  Call,
  DurationExpr,
  Expr,
  MatrixSelector,
  SubqueryExpr,
  VectorSelector,
} from '../parser/ast.ts';
import { aggregate } from './aggregate.ts';
import type { Annotations } from './annotations.ts';
import { mergeSameLabels, scalarScalar, vectorScalar, vectorVector } from './binary.ts';
import { bucketFraction, bucketQuantile } from './bucket-quantile.ts';
import { SeriesCollector } from './collector.ts';
import type { Matcher } from '../model/matchers.ts';
import { matches, newMatcher } from '../model/matchers.ts';
import type { Bucket } from './bucket-quantile.ts';
import { canceledError, executionError, notSupportedError, timeoutError, tooManySamplesError } from './errors.ts';
import { formatG } from './format.ts';
import { labelsString, natLess, setLabel, withoutLabels } from './label-ops.ts';
import { ANCHORED_SAFE, KEEPS_NAME, MATRIX_ARG_INDEX, RANGE_KERNELS, SMOOTHED_SAFE } from './range-functions.ts';
import type { WindowContext } from './range-functions.ts';
import { compileAnchoredRe2 } from '../parser/re2.ts';
import { evalDurationExpr } from '../parser/index.ts';
import { expandTemplate } from './regex.ts';
import type { EvalValue, Grid, RangeSeries, StepSeries } from './types.ts';
import { StepSeriesPool, floatsOnly, gridTime, makeGrid, newStepSeries, setHist } from './types.ts';
import type { FloatHistogram } from './histogram/float-histogram.ts';
import { histogramFraction, histogramQuantile, histogramVariance } from './histogram/quantile.ts';
import { histogramRangeKernel } from './histogram/range.ts';
import { extendedChangesResets, extendedHistogramRate, smoothedHistogramAt } from './histogram/extended.ts';
import type { BinopNotes } from './binary.ts';
import { stFloatInstant, stFloatRate, stFloatResets } from './start-timestamps.ts';

/** Range functions that take start timestamps into account. */
const ST_FUNCS = new Set(['rate', 'increase', 'delta', 'irate', 'idelta', 'resets']);

export interface EvaluatorOptions {
  /** Selected data per vector selector node (matrix selectors use their inner vector selector). */
  data: Map<VectorSelector, SeriesSamples[]>;
  /** Candidate info series per info() call (filtered by identifying labels at evaluation). */
  infoData: Map<Call, SeriesSamples[]>;
  lookbackMs: number;
  /** Resolution of subqueries without an explicit step. */
  defaultSubqueryStepMs: number;
  queryStart: number;
  queryEnd: number;
  /** Step of the query (0 for instant queries), for step() in duration expressions. */
  queryStep: number;
  isRangeQuery: boolean;
  maxSamples: number;
  signal?: AbortSignal;
  /** Returns true when the query deadline has passed. */
  timedOut: () => boolean;
  annotations: Annotations;
}

const AT_UNSAFE = new Set(['days_in_month', 'day_of_month', 'day_of_week', 'day_of_year', 'hour', 'minute', 'month', 'year', 'predict_linear', 'time', 'timestamp']);

function unwrapParens(e: Expr): Expr {
  while (e.kind === 'ParenExpr' || e.kind === 'StepInvariantExpr') e = e.expr;
  return e;
}

const SIMPLE_MATH: Record<string, (v: number) => number> = {
  abs: Math.abs,
  ceil: Math.ceil,
  floor: Math.floor,
  exp: Math.exp,
  sqrt: Math.sqrt,
  ln: Math.log,
  log2: Math.log2,
  log10: Math.log10,
  sin: Math.sin,
  cos: Math.cos,
  tan: Math.tan,
  asin: Math.asin,
  acos: Math.acos,
  atan: Math.atan,
  sinh: Math.sinh,
  cosh: Math.cosh,
  tanh: Math.tanh,
  asinh: Math.asinh,
  acosh: Math.acosh,
  atanh: Math.atanh,
  rad: (v) => (v * Math.PI) / 180,
  deg: (v) => (v * 180) / Math.PI,
  sgn: (v) => (v < 0 ? -1 : v > 0 ? 1 : v),
};

const DATE_FUNCS: Record<string, (d: Date) => number> = {
  minute: (d) => d.getUTCMinutes(),
  hour: (d) => d.getUTCHours(),
  day_of_week: (d) => d.getUTCDay(),
  day_of_month: (d) => d.getUTCDate(),
  day_of_year: (d) => Math.floor((d.getTime() - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86400000) + 1,
  days_in_month: (d) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate(),
  month: (d) => d.getUTCMonth() + 1,
  year: (d) => d.getUTCFullYear(),
};

/** Labels that identify the target an info series describes. */
const INFO_ID_LABELS = ['instance', 'job'];

const COUNTER_SUFFIXES = ['_total', '_sum', '_count', '_bucket'];

/** Prometheus accepts any valid UTF-8 label name; invalid bytes reach us as lone surrogates. */
function isValidLabelNameUtf8(s: string): boolean {
  return s.length > 0 && !/[\ud800-\udfff]/.test(s.replace(/[\ud800-\udbff][\udc00-\udfff]/g, ''));
}

export class Evaluator {
  readonly #o: EvaluatorOptions;
  readonly #invariant = new WeakMap<Expr, boolean>();
  /**
   * Selectors read only for histogram count/sum/avg. Prometheus reads them through an
   * iterator that re-detects counter resets on the fly, so their histograms carry
   * reset/not_reset hints instead of unknown.
   */
  readonly #statsSelectors = new WeakSet<VectorSelector>();
  #samples = 0;
  #checks = 0;

  constructor(o: EvaluatorOptions) {
    this.#o = o;
  }

  // ---- infrastructure ----

  checkAbort(): void {
    if ((this.#checks++ & 63) !== 0) return;
    if (this.#o.signal?.aborted) {
      const reason = this.#o.signal.reason as unknown;
      if (reason instanceof Error && reason.name === 'TimeoutError') throw timeoutError('expression evaluation');
      throw canceledError('expression evaluation');
    }
    if (this.#o.timedOut()) throw timeoutError('expression evaluation');
  }

  #count(n: number): void {
    this.#samples += n;
    if (this.#samples > this.#o.maxSamples) throw tooManySamplesError();
  }

  resolveAt(at: AtModifier | undefined): number | undefined {
    if (at === undefined) return undefined;
    if (at.kind === 'start') return this.#o.queryStart;
    if (at.kind === 'end') return this.#o.queryEnd;
    return at.ms;
  }

  durationValue(d: DurationExpr): number {
    try {
      return evalDurationExpr(d, { stepMs: this.#o.queryStep, rangeMs: this.#o.queryEnd - this.#o.queryStart });
    } catch (err) {
      throw executionError(`invalid duration expression: ${(err as Error).message}`);
    }
  }

  offsetOf(n: { offset: number; offsetExpr?: DurationExpr }): number {
    return n.offsetExpr !== undefined ? this.durationValue(n.offsetExpr) : n.offset;
  }

  rangeOf(n: { range: number; rangeExpr?: DurationExpr }): number {
    return n.rangeExpr !== undefined ? this.durationValue(n.rangeExpr) : n.range;
  }

  subqueryStepOf(n: SubqueryExpr): number {
    const s = n.stepExpr !== undefined ? this.durationValue(n.stepExpr) : n.step;
    return s > 0 ? s : this.#o.defaultSubqueryStepMs;
  }

  /** Prometheus's step-invariance rule: subtrees whose value cannot change between steps. */
  isInvariant(e: Expr): boolean {
    const hit = this.#invariant.get(e);
    if (hit !== undefined) return hit;
    let r: boolean;
    switch (e.kind) {
      case 'NumberLiteral':
      case 'StringLiteral':
        r = true;
        break;
      case 'VectorSelector':
        r = e.at !== undefined;
        break;
      case 'MatrixSelector':
        r = e.vectorSelector.at !== undefined;
        break;
      case 'SubqueryExpr':
        r = e.at !== undefined;
        break;
      case 'ParenExpr':
      case 'UnaryExpr':
      case 'StepInvariantExpr':
        r = this.isInvariant(e.expr);
        break;
      case 'AggregateExpr':
        r = this.isInvariant(e.expr);
        break;
      case 'BinaryExpr':
        r = this.isInvariant(e.lhs) && this.isInvariant(e.rhs);
        break;
      case 'Call':
        r = !AT_UNSAFE.has(e.func) && e.args.every((a) => this.isInvariant(a));
        break;
    }
    this.#invariant.set(e, r);
    return r;
  }

  // ---- dispatch ----

  eval(e: Expr, g: Grid): EvalValue {
    this.checkAbort();
    if (g.n > 1 && e.kind !== 'NumberLiteral' && e.kind !== 'StringLiteral' && e.kind !== 'MatrixSelector' && e.kind !== 'SubqueryExpr' && this.isInvariant(e)) {
      return broadcast(this.evalNode(e, makeGrid(g.start, g.start, g.step)), g.n);
    }
    return this.evalNode(e, g);
  }

  evalNode(e: Expr, g: Grid): EvalValue {
    switch (e.kind) {
      case 'NumberLiteral':
        return { kind: 'scalar', values: new Float64Array(g.n).fill(e.value) };
      case 'StringLiteral':
        return { kind: 'string', value: e.value };
      case 'ParenExpr':
      case 'StepInvariantExpr':
        return this.eval(e.expr, g);
      case 'VectorSelector':
        return { kind: 'vector', series: this.evalVectorSelector(e, g, false) };
      case 'MatrixSelector':
        if (g.n !== 1) throw executionError('cannot do range evaluation of matrix selector');
        return { kind: 'matrix', series: this.rangeSeriesForMatrixSelector(e, gridTime(g, 0)) };
      case 'SubqueryExpr':
        return { kind: 'matrix', series: this.evalSubquery(e, g).series };
      case 'UnaryExpr': {
        const v = this.eval(e.expr, g);
        if (e.op === '+') return v;
        if (v.kind === 'scalar') return { kind: 'scalar', values: v.values.map((x) => -x) };
        if (v.kind === 'vector') {
          return {
            kind: 'vector',
            series: v.series.map((s) => {
              const r: StepSeries = { labels: s.labels, dropName: true, values: s.values.map((x) => -x), present: s.present };
              if (s.hists !== undefined) r.hists = s.hists.map((h) => (h === undefined ? undefined : negated(h)));
              return r;
            }),
          };
        }
        throw executionError('unary minus on unsupported value type');
      }
      case 'BinaryExpr':
        return this.evalBinary(e, g);
      case 'AggregateExpr':
        return this.evalAggregate(e, g);
      case 'Call':
        return this.evalCall(e, g);
    }
  }

  // ---- selectors ----

  evalVectorSelector(vs: VectorSelector, g: Grid, withTs: boolean): StepSeries[] {
    if (vs.smoothed) return this.evalSmoothedSelector(vs, g);
    const data = this.#o.data.get(vs) ?? [];
    const at = this.resolveAt(vs.at);
    const offset = this.offsetOf(vs);
    const lookback = this.#o.lookbackMs;
    const out: StepSeries[] = [];
    let total = 0;
    const stats = this.#statsSelectors.has(vs);
    const firstRef = (at ?? g.start) - offset;
    const pool = new StepSeriesPool(g.n, data.length);
    for (const s0 of data) {
      this.checkAbort();
      const s = unify(s0);
      const ts = s.timestamps;
      const vals = s.values;
      const hs = s.hists;
      const r = pool.next(s.labels);
      if (withTs) r.sampleTs = new Float64Array(g.n);
      let j = -1; // last index with ts <= ref
      let any = false;
      for (let i = 0; i < g.n; i++) {
        const ref = (at ?? g.start + i * g.step) - offset;
        if (at !== undefined || i === 0) {
          j = upperBound(ts, ref) - 1;
        } else {
          while (j + 1 < ts.length && ts[j + 1]! <= ref) j++;
        }
        if (j < 0) continue;
        const t = ts[j]!;
        if (t <= ref - lookback) continue;
        let h = hs?.[j];
        if (h !== undefined && stats && h.hint === 'unknown' && j > 0) {
          const p = hs![j - 1];
          if (p !== undefined && ts[j - 1]! > firstRef - lookback) h = rehinted(h, p);
        }
        if (h !== undefined) setHist(r, i, h);
        else {
          const v = vals[j]!;
          if (v !== v && isStaleNaN(v)) continue;
          r.values[i] = v;
          r.present[i] = 1;
        }
        if (r.sampleTs !== undefined) r.sampleTs[i] = t;
        any = true;
        total++;
      }
      if (any) out.push(r);
    }
    this.#count(total);
    return out;
  }

  /** `metric smoothed`: values linearly interpolated between neighbouring samples at each step. */
  evalSmoothedSelector(vs: VectorSelector, g: Grid): StepSeries[] {
    const data = this.#o.data.get(vs) ?? [];
    const at = this.resolveAt(vs.at);
    const offset = this.offsetOf(vs);
    const lb = this.#o.lookbackMs;
    const out: StepSeries[] = [];
    for (const s0 of data) {
      const s = withoutStale(s0);
      const r = newStepSeries(s.labels, g.n);
      let any = false;
      if (s.hists !== undefined) {
        const name = getLabel(s.labels, METRIC_NAME);
        const notes = { warn: (t: string) => this.#o.annotations.warn(t, vs.pos), info: (t: string) => this.#o.annotations.info(t, vs.pos) };
        for (let i = 0; i < g.n; i++) {
          const t = (at ?? gridTime(g, i)) - offset;
          const lo = upperBound(s.timestamps, t - lb);
          const hi = upperBound(s.timestamps, t + lb);
          if (hi <= lo) continue;
          let floats = 0;
          for (let k = lo; k < hi; k++) if (s.hists[k] === undefined) floats++;
          if (floats === hi - lo) {
            const v = smoothedFloatAt(s.timestamps, s.values, lo, hi, t);
            if (v === undefined) continue;
            r.values[i] = v;
            r.present[i] = 1;
            any = true;
            continue;
          }
          const h = smoothedHistogramAt(s.timestamps, s.hists, lo, hi, t, name, notes);
          if (h === undefined) continue;
          setHist(r, i, h);
          any = true;
        }
        if (any) out.push(r);
        continue;
      }
      for (let i = 0; i < g.n; i++) {
        const t = (at ?? gridTime(g, i)) - offset;
        const lo = upperBound(s.timestamps, t - lb);
        const hi = upperBound(s.timestamps, t + lb);
        if (hi <= lo) continue;
        // first index in [lo, hi) with ts >= t
        let k = lo;
        while (k < hi && s.timestamps[k]! < t) k++;
        let v: number;
        if (k < hi && s.timestamps[k] === t) v = s.values[k]!;
        else if (k > lo && k < hi) {
          const t1 = s.timestamps[k - 1]!;
          const t2 = s.timestamps[k]!;
          const y1 = s.values[k - 1]!;
          const y2 = s.values[k]!;
          v = y1 + ((y2 - y1) * (t - t1)) / (t2 - t1);
        } else if (k > lo) v = s.values[k - 1]!;
        else continue;
        r.values[i] = v;
        r.present[i] = 1;
        any = true;
      }
      if (any) out.push(r);
    }
    return out;
  }

  /** Raw points of a matrix selector evaluated at one time (instant query of a range vector). */
  rangeSeriesForMatrixSelector(ms: MatrixSelector, t: number): RangeSeries[] {
    const vs = ms.vectorSelector;
    const data = this.#o.data.get(vs) ?? [];
    const at = this.resolveAt(vs.at);
    const end = (at ?? t) - this.offsetOf(vs);
    const start = end - this.rangeOf(ms);
    const out: RangeSeries[] = [];
    for (const s0 of data) {
      const s = withoutStale(s0);
      if (vs.anchored || vs.smoothed) {
        if (s.hists !== undefined) continue;
        const ext = extendFloats(s.timestamps, s.values, start, end, !!vs.smoothed, this.#o.lookbackMs);
        if (ext !== undefined) out.push({ labels: s.labels, dropName: false, timestamps: ext.ts, values: ext.vs });
        continue;
      }
      const lo = upperBound(s.timestamps, start);
      const hi = upperBound(s.timestamps, end);
      if (hi <= lo) continue;
      this.#count(hi - lo);
      const rs: RangeSeries = { labels: s.labels, dropName: false, timestamps: s.timestamps.slice(lo, hi), values: s.values.slice(lo, hi) };
      if (s.hists !== undefined) rs.hists = s.hists.slice(lo, hi);
      out.push(rs);
    }
    return out;
  }

  /**
   * Evaluates a subquery's inner expression on its own aligned grid and returns its
   * points as range series, together with the window parameters.
   */
  evalSubquery(sq: SubqueryExpr, g: Grid): { series: RangeSeries[] } {
    const at = this.resolveAt(sq.at);
    const offset = this.offsetOf(sq);
    const range = this.rangeOf(sq);
    const step = this.subqueryStepOf(sq);
    const outerStart = at ?? g.start;
    const outerEnd = at ?? g.end;
    const from = outerStart - offset - range;
    let newStart = step * Math.trunc(from / step);
    if (newStart <= from) newStart += step;
    const newEnd = outerEnd - offset;
    const inner = makeGrid(newStart, newEnd, step);
    if (inner.n <= 0) return { series: [] };
    const v = this.eval(sq.expr, inner);
    let steps: StepSeries[];
    if (v.kind === 'scalar') {
      const s = newStepSeries([], inner.n);
      s.values.set(v.values);
      s.present.fill(1);
      steps = [s];
    } else if (v.kind === 'vector') steps = v.series;
    else throw executionError('subquery is only allowed on instant vector or scalar expressions');
    const series: RangeSeries[] = [];
    for (const s of steps) {
      let cnt = 0;
      for (let i = 0; i < inner.n; i++) cnt += s.present[i]!;
      if (cnt === 0) continue;
      const ts = new Float64Array(cnt);
      const vs = new Float64Array(cnt);
      const hs: (FloatHistogram | undefined)[] | undefined = s.hists !== undefined ? new Array(cnt) : undefined;
      let k = 0;
      for (let i = 0; i < inner.n; i++) {
        if (s.present[i] !== 1) continue;
        ts[k] = gridTime(inner, i);
        if (hs !== undefined) hs[k] = forSubquery(s.hists![i]);
        vs[k++] = s.values[i]!;
      }
      const rs: RangeSeries = { labels: s.labels, dropName: s.dropName, timestamps: ts, values: vs };
      if (hs !== undefined) rs.hists = hs;
      series.push(rs);
    }
    return { series };
  }

  // ---- binary operators ----

  evalBinary(e: BinaryExpr, g: Grid): EvalValue {
    const l = this.eval(e.lhs, g);
    const r = this.eval(e.rhs, g);
    if (l.kind === 'scalar' && r.kind === 'scalar') return { kind: 'scalar', values: scalarScalar(e.op, l.values, r.values) };
    const ann = this.#o.annotations;
    const notes: BinopNotes = { info: (t) => ann.info(t, e.pos), warn: (t) => ann.warn(t, e.pos) };
    if (l.kind === 'vector' && r.kind === 'scalar') return { kind: 'vector', series: vectorScalar(e.op, l.series, r.values, false, e.returnBool, notes) };
    if (l.kind === 'scalar' && r.kind === 'vector') return { kind: 'vector', series: vectorScalar(e.op, r.series, l.values, true, e.returnBool, notes) };
    if (l.kind === 'vector' && r.kind === 'vector') {
      return { kind: 'vector', series: vectorVector(e.op, l.series, r.series, e.matching, e.returnBool, e.fill, g.n, notes) };
    }
    throw executionError(`binary expression must contain only scalar and instant vector types`);
  }

  // ---- aggregations ----

  evalAggregate(e: AggregateExpr, g: Grid): EvalValue {
    let param: Float64Array | undefined;
    let paramString: string | undefined;
    if (e.param !== undefined) {
      const p = this.eval(e.param, g);
      if (p.kind === 'scalar') param = p.values;
      else if (p.kind === 'string') paramString = p.value;
    }
    const input = this.eval(e.expr, g);
    if (input.kind !== 'vector') throw executionError('aggregation over a non-vector expression');
    return { kind: 'vector', series: aggregate(e, input.series, g.n, param, paramString, this.#o.annotations) };
  }

  // ---- function calls ----

  scalarArg(e: Expr, g: Grid): Float64Array {
    const v = this.eval(e, g);
    if (v.kind !== 'scalar') throw executionError('expected scalar argument');
    return v.values;
  }

  /** An instant-vector argument of a float-only function: histogram samples are ignored. */
  vectorArg(e: Expr, g: Grid): StepSeries[] {
    return floatsOnly(this.vectorArgAll(e, g));
  }

  /** An instant-vector argument including native-histogram samples. */
  vectorArgAll(e: Expr, g: Grid): StepSeries[] {
    const v = this.eval(e, g);
    if (v.kind !== 'vector') throw executionError('expected instant vector argument');
    return v.series;
  }

  evalCall(e: Call, g: Grid): EvalValue {
    const f = e.func;
    if (RANGE_KERNELS[f] !== undefined) return this.evalRangeFunction(e, g);
    if (this.#o.isRangeQuery && (f === 'sort' || f === 'sort_desc' || f === 'sort_by_label' || f === 'sort_by_label_desc')) {
      this.#o.annotations.warn('sort is ineffective for range queries since results are always ordered by labels', e.pos);
    }
    const simple = SIMPLE_MATH[f];
    if (simple !== undefined) return { kind: 'vector', series: mapSeries(this.vectorArg(e.args[0]!, g), simple) };
    const date = DATE_FUNCS[f];
    if (date !== undefined) {
      if (e.args.length === 0) {
        const s = newStepSeries([], g.n);
        for (let i = 0; i < g.n; i++) {
          s.values[i] = date(new Date(Math.trunc(gridTime(g, i) / 1000) * 1000));
          s.present[i] = 1;
        }
        return { kind: 'vector', series: [s] };
      }
      return { kind: 'vector', series: mapSeries(this.vectorArg(e.args[0]!, g), (v) => date(new Date(Math.trunc(v) * 1000))) };
    }
    switch (f) {
      case 'time': {
        const v = new Float64Array(g.n);
        for (let i = 0; i < g.n; i++) v[i] = gridTime(g, i) / 1000;
        return { kind: 'scalar', values: v };
      }
      case 'pi':
        return { kind: 'scalar', values: new Float64Array(g.n).fill(Math.PI) };
      case 'step':
        return { kind: 'scalar', values: new Float64Array(g.n).fill(this.#o.queryStep / 1000) };
      case 'range':
        return { kind: 'scalar', values: new Float64Array(g.n).fill((this.#o.queryEnd - this.#o.queryStart) / 1000) };
      case 'start':
        return { kind: 'scalar', values: new Float64Array(g.n).fill(this.#o.queryStart / 1000) };
      case 'end':
        return { kind: 'scalar', values: new Float64Array(g.n).fill(this.#o.queryEnd / 1000) };
      case 'min_of':
      case 'max_of': {
        const args = e.args.map((a) => this.scalarArg(a, g));
        const out = new Float64Array(g.n);
        for (let i = 0; i < g.n; i++) {
          let v = args[0]![i]!;
          for (let k = 1; k < args.length; k++) {
            const x = args[k]![i]!;
            v = f === 'min_of' ? goMin(v, x) : goMax(v, x);
          }
          out[i] = v;
        }
        return { kind: 'scalar', values: out };
      }
      case 'vector': {
        const sc = this.scalarArg(e.args[0]!, g);
        const s = newStepSeries([], g.n);
        s.values.set(sc);
        s.present.fill(1);
        return { kind: 'vector', series: [s] };
      }
      case 'scalar': {
        const vec = this.vectorArg(e.args[0]!, g);
        const out = new Float64Array(g.n);
        for (let i = 0; i < g.n; i++) {
          let found = 0;
          let val = NaN;
          for (const s of vec) {
            if (s.present[i] !== 1) continue;
            found++;
            val = s.hists?.[i] !== undefined ? NaN : s.values[i]!;
          }
          out[i] = found === 1 ? val : NaN;
        }
        return { kind: 'scalar', values: out };
      }
      case 'timestamp': {
        const arg = unwrapParens(e.args[0]!);
        if (arg.kind === 'VectorSelector') {
          const series = this.evalVectorSelector(arg, g, true);
          return { kind: 'vector', series: series.map((s) => ({ labels: s.labels, dropName: true, values: s.sampleTs!.map((t) => t / 1000), present: s.present })) };
        }
        const vec = this.vectorArgAll(e.args[0]!, g);
        return {
          kind: 'vector',
          series: vec.map((s) => {
            const v = new Float64Array(g.n);
            for (let i = 0; i < g.n; i++) v[i] = gridTime(g, i) / 1000;
            return { labels: s.labels, dropName: true, values: v, present: s.present };
          }),
        };
      }
      case 'clamp':
      case 'clamp_min':
      case 'clamp_max': {
        const vec = this.vectorArg(e.args[0]!, g);
        const a = e.args.length > 1 ? this.scalarArg(e.args[1]!, g) : undefined;
        const b = e.args.length > 2 ? this.scalarArg(e.args[2]!, g) : undefined;
        const out: StepSeries[] = [];
        for (const s of vec) {
          const r = newStepSeries(s.labels, g.n, true);
          for (let i = 0; i < g.n; i++) {
            if (s.present[i] !== 1) continue;
            let lo = -Infinity;
            let hi = Infinity;
            if (f === 'clamp') {
              lo = a![i]!;
              hi = b![i]!;
            } else if (f === 'clamp_min') lo = a![i]!;
            else hi = a![i]!;
            if (hi < lo) continue;
            r.values[i] = Math.max(lo, Math.min(hi, s.values[i]!));
            r.present[i] = 1;
          }
          if (r.present.includes(1)) out.push(r);
        }
        return { kind: 'vector', series: out };
      }
      case 'round': {
        const vec = this.vectorArg(e.args[0]!, g);
        const to = e.args.length > 1 ? this.scalarArg(e.args[1]!, g) : undefined;
        return {
          kind: 'vector',
          series: vec.map((s) => {
            const r = newStepSeries(s.labels, g.n, true);
            r.present.set(s.present);
            for (let i = 0; i < g.n; i++) {
              const inv = 1 / (to === undefined ? 1 : to[i]!);
              r.values[i] = Math.floor(s.values[i]! * inv + 0.5) / inv;
            }
            return r;
          }),
        };
      }
      case 'absent': {
        const vec = this.vectorArgAll(e.args[0]!, g);
        const labels = absentLabels(unwrapParens(e.args[0]!));
        const r = newStepSeries(labels, g.n);
        for (let i = 0; i < g.n; i++) {
          let any = false;
          for (const s of vec) if (s.present[i] === 1) any = true;
          if (!any) {
            r.values[i] = 1;
            r.present[i] = 1;
          }
        }
        return { kind: 'vector', series: r.present.includes(1) ? [r] : [] };
      }
      case 'sort':
      case 'sort_desc': {
        const vec = this.vectorArg(e.args[0]!, g);
        if (g.n !== 1) return { kind: 'vector', series: vec };
        const desc = f === 'sort_desc';
        const sorted = [...vec].sort((a, b) => {
          const x = a.values[0]!;
          const y = b.values[0]!;
          if (x !== x) return y !== y ? 0 : 1;
          if (y !== y) return -1;
          return desc ? y - x : x - y;
        });
        return { kind: 'vector', series: sorted };
      }
      case 'sort_by_label':
      case 'sort_by_label_desc': {
        const vec = this.vectorArgAll(e.args[0]!, g);
        const names = e.args.slice(1).map((a) => stringLiteral(a));
        const desc = f === 'sort_by_label_desc';
        const sorted = [...vec].sort((a, b) => {
          for (const n of names) {
            const x = getLabel(a.labels, n);
            const y = getLabel(b.labels, n);
            if (x === y) continue;
            const less = natLess(x, y);
            return desc ? (less ? 1 : -1) : less ? -1 : 1;
          }
          const c = compareLabels(a.labels, b.labels);
          return desc ? -c : c;
        });
        return { kind: 'vector', series: sorted };
      }
      case 'label_replace':
        return { kind: 'vector', series: this.labelReplace(e, g) };
      case 'label_join':
        return { kind: 'vector', series: this.labelJoin(e, g) };
      case 'histogram_quantile':
        return { kind: 'vector', series: this.histogramQuantile(e, g) };
      case 'histogram_quantiles':
        return { kind: 'vector', series: this.histogramQuantiles(e, g) };
      case 'histogram_fraction':
        return { kind: 'vector', series: this.histogramFraction(e, g) };
      case 'histogram_count':
      case 'histogram_sum':
      case 'histogram_avg':
        this.#markStats(e.args[0]!);
        return { kind: 'vector', series: this.histogramProperty(f, this.vectorArgAll(e.args[0]!, g), g) };
      case 'histogram_stddev':
      case 'histogram_stdvar':
        return { kind: 'vector', series: this.histogramProperty(f, this.vectorArgAll(e.args[0]!, g), g) };
      case 'info':
        return { kind: 'vector', series: this.evalInfo(e, g) };
      case 'start_timestamp':
        return { kind: 'vector', series: this.startTimestamp(e, g) };
      default:
        throw notSupportedError(`function ${JSON.stringify(f)}`);
    }
  }

  #markStats(e: Expr): void {
    switch (e.kind) {
      case 'VectorSelector':
        this.#statsSelectors.add(e);
        return;
      case 'MatrixSelector':
        this.#statsSelectors.add(e.vectorSelector);
        return;
      case 'NumberLiteral':
      case 'StringLiteral':
        return;
      case 'SubqueryExpr':
      case 'ParenExpr':
      case 'UnaryExpr':
      case 'StepInvariantExpr':
      case 'AggregateExpr':
        this.#markStats(e.expr);
        return;
      case 'BinaryExpr':
        return;
      case 'Call':
        // Functions that need the buckets read the full histograms.
        if (/^histogram_(quantiles?|fraction|stddev|stdvar)$/.test(e.func)) return;
        for (const a of e.args) this.#markStats(a);
    }
  }

  isStatsSelector(vs: VectorSelector): boolean {
    return this.#statsSelectors.has(vs);
  }

  /**
   * start_timestamp(v): the start timestamp (seconds, 0 when unknown) of the sample a
   * vector selector picks at each step. Any other argument has none: no output.
   */
  startTimestamp(e: Call, g: Grid): StepSeries[] {
    const arg = unwrapParens(e.args[0]!);
    if (arg.kind !== 'VectorSelector') {
      this.vectorArgAll(e.args[0]!, g);
      return [];
    }
    const byKey = new Map<string, Points>();
    for (const s of this.#o.data.get(arg) ?? []) byKey.set(labelsKey(s.labels), unify(s));
    const out: StepSeries[] = [];
    for (const s of this.evalVectorSelector(arg, g, true)) {
      const p = byKey.get(labelsKey(s.labels));
      const r = newStepSeries(s.labels, g.n, true);
      for (let i = 0; i < g.n; i++) {
        if (s.present[i] !== 1) continue;
        const idx = upperBound(p!.timestamps, s.sampleTs![i]!) - 1;
        r.values[i] = (p!.startTimestamps?.[idx] ?? 0) / 1000;
        r.present[i] = 1;
      }
      out.push(r);
    }
    return out;
  }

  /** anchored/smoothed range functions over a window holding native histograms. */
  #extendedHistogram(
    f: string,
    ts: Float64Array,
    vs: Float64Array,
    hs: (FloatHistogram | undefined)[],
    start: number,
    end: number,
    range: number,
    smoothed: boolean,
    name: string,
    notes: { warn(t: string): void; info(t: string): void },
  ): number | FloatHistogram | undefined {
    if (f === 'changes' || f === 'resets') return extendedChangesResets(f, ts, vs, hs, start);
    let nh = 0;
    for (const h of hs) if (h !== undefined) nh++;
    if (nh === 0) return extendedKernel(f, ts, vs, start, end, range, smoothed);
    if (nh !== hs.length) {
      notes.warn(`encountered a mix of histograms and floats for metric name ${JSON.stringify(name)}`);
      return undefined;
    }
    return extendedHistogramRate(f, ts, hs as FloatHistogram[], start, end, range, smoothed, name, notes);
  }

  /** histogram_count/sum/avg/stddev/stdvar: one float per native-histogram sample; float samples produce no output. */
  histogramProperty(f: string, vec: StepSeries[], g: Grid): StepSeries[] {
    const out: StepSeries[] = [];
    for (const s of vec) {
      if (s.hists === undefined) continue;
      const r = newStepSeries(s.labels, g.n, true);
      let any = false;
      for (let i = 0; i < g.n; i++) {
        const h = s.hists[i];
        if (h === undefined || s.present[i] !== 1) continue;
        let v: number;
        switch (f) {
          case 'histogram_count':
            v = h.count;
            break;
          case 'histogram_sum':
            v = h.sum;
            break;
          case 'histogram_avg':
            v = h.sum / h.count;
            break;
          case 'histogram_stddev':
            v = Math.sqrt(histogramVariance(h));
            break;
          default:
            v = histogramVariance(h);
        }
        r.values[i] = v;
        r.present[i] = 1;
        any = true;
      }
      if (any) out.push(r);
    }
    return out;
  }

  labelReplace(e: Call, g: Grid): StepSeries[] {
    const dst = stringLiteral(e.args[1]!);
    const repl = stringLiteral(e.args[2]!);
    const src = stringLiteral(e.args[3]!);
    const reStr = stringLiteral(e.args[4]!);
    let re: RegExp;
    try {
      re = compileAnchoredRe2(reStr);
    } catch {
      throw executionError(`invalid regular expression in label_replace(): ${reStr}`);
    }
    if (!isValidLabelNameUtf8(dst)) throw executionError(`invalid destination label name in label_replace(): ${dst}`);
    const vec = this.vectorArgAll(e.args[0]!, g);
    const out = vec.map((s) => {
      const m = re.exec(getLabel(s.labels, src));
      if (m === null) return s;
      const labels = setLabel(s.labels, dst, expandTemplate(repl, m));
      return { ...s, labels, dropName: dst === METRIC_NAME ? false : s.dropName };
    });
    return mergeSameLabels(out);
  }

  labelJoin(e: Call, g: Grid): StepSeries[] {
    const dst = stringLiteral(e.args[1]!);
    const sep = stringLiteral(e.args[2]!);
    const srcs = e.args.slice(3).map((a) => stringLiteral(a));
    for (const s of srcs) if (!isValidLabelNameUtf8(s)) throw executionError(`invalid source label name in label_join(): ${s}`);
    if (!isValidLabelNameUtf8(dst)) throw executionError(`invalid destination label name in label_join(): ${dst}`);
    const vec = this.vectorArgAll(e.args[0]!, g);
    const out = vec.map((s) => {
      const v = srcs.map((n) => getLabel(s.labels, n)).join(sep);
      return { ...s, labels: setLabel(s.labels, dst, v), dropName: dst === METRIC_NAME ? false : s.dropName };
    });
    return mergeSameLabels(out);
  }

  /** Groups classic-histogram buckets (series with an `le` label) per step. */
  #classicBuckets(
    vec: StepSeries[],
    argPos: Expr,
    g: Grid,
    each: (labels: Labels, dropName: boolean, step: number, buckets: Bucket[]) => void,
  ): void {
    const groupOf: { key: string | undefined; labels: Labels; le: number }[] = [];
    for (const s of vec) {
      const leStr = getLabel(s.labels, 'le');
      const le = parseGoFloat(leStr);
      if (le === undefined) {
        groupOf.push({ key: undefined, labels: s.labels, le: NaN });
        continue;
      }
      const labels = withoutLabels(s.labels, new Set(['le', METRIC_NAME]));
      groupOf.push({ key: labelsKey(withoutLabels(s.labels, new Set(['le']))), labels, le });
    }
    for (let i = 0; i < g.n; i++) {
      const groups = new Map<string, { labels: Labels; buckets: Bucket[]; dropName: boolean }>();
      for (let si = 0; si < vec.length; si++) {
        const s = vec[si]!;
        if (s.present[i] !== 1) continue;
        const info = groupOf[si]!;
        if (info.key === undefined) {
          this.#o.annotations.warn(
            `bucket label "le" is missing or has a malformed value of ${JSON.stringify(getLabel(s.labels, 'le'))} for metric name ${JSON.stringify(getLabel(s.labels, METRIC_NAME))}`,
            argPos.pos,
          );
          continue;
        }
        let grp = groups.get(info.key);
        if (grp === undefined) {
          grp = { labels: info.labels, buckets: [], dropName: s.dropName };
          groups.set(info.key, grp);
        }
        grp.buckets.push({ upper: info.le, count: s.values[i]! });
      }
      for (const grp of groups.values()) each(grp.labels, grp.dropName, i, grp.buckets);
    }
  }

  /**
   * Evaluates fn on every native-histogram sample of vec (output labels: the series'
   * without __name__) and on every classic histogram formed by the float series, and
   * drops outputs where both kinds meet with a warning, as Prometheus does.
   */
  #eachHistogram(
    vec: StepSeries[],
    argPos: Expr,
    g: Grid,
    native: (labels: Labels, i: number, h: FloatHistogram, metricName: string) => void,
    classic: (labels: Labels, i: number, buckets: Bucket[]) => void,
  ): void {
    const nativeKeys: Set<string>[] = [];
    for (const s of vec) {
      if (s.hists === undefined) continue;
      const labels = withoutLabels(s.labels, new Set([METRIC_NAME]));
      const key = labelsKey(labels);
      for (let i = 0; i < g.n; i++) {
        const h = s.hists[i];
        if (h === undefined || s.present[i] !== 1) continue;
        (nativeKeys[i] ??= new Set()).add(key);
      }
    }
    const mixed: Set<string>[] = [];
    this.#classicBuckets(floatsOnly(vec), argPos, g, (labels, _drop, i, buckets) => {
      const key = labelsKey(labels);
      if (nativeKeys[i]?.has(key)) {
        (mixed[i] ??= new Set()).add(key);
        return;
      }
      classic(labels, i, buckets);
    });
    for (const s of vec) {
      if (s.hists === undefined) continue;
      const labels = withoutLabels(s.labels, new Set([METRIC_NAME]));
      const key = labelsKey(labels);
      const name = getLabel(s.labels, METRIC_NAME);
      for (let i = 0; i < g.n; i++) {
        const h = s.hists[i];
        if (h === undefined || s.present[i] !== 1) continue;
        if (mixed[i]?.has(key)) {
          this.#o.annotations.warn(`vector contains a mix of classic and native histograms for metric name ${JSON.stringify(name)}`, argPos.pos);
          continue;
        }
        native(labels, i, h, name);
      }
    }
  }

  #quantileNaNInfo(h: FloatHistogram, value: number, name: string, pos: Expr): void {
    if (h.sum === h.sum) return;
    this.#o.annotations.info(`input to histogram_quantile has NaN observations, result is ${value !== value ? 'NaN' : 'skewed higher'} for metric name ${JSON.stringify(name)}`, pos.pos);
  }

  histogramQuantile(e: Call, g: Grid): StepSeries[] {
    const q = this.scalarArg(e.args[0]!, g);
    const vec = this.vectorArgAll(e.args[1]!, g);
    for (let i = 0; i < g.n; i++) {
      const qi = q[i]!;
      if (qi !== qi || qi < 0 || qi > 1) this.#o.annotations.warn(`quantile value should be between 0 and 1, got ${formatG(qi)}`, e.args[0]!.pos);
    }
    const out = new SeriesCollector(g.n);
    this.#eachHistogram(
      vec,
      e.args[1]!,
      g,
      (labels, i, h, name) => {
        const v = histogramQuantile(q[i]!, h);
        this.#quantileNaNInfo(h, v, name, e.args[1]!);
        out.add(labels, true, i, v);
      },
      (labels, i, buckets) => {
        const res = bucketQuantile(q[i]!, buckets);
        if (res.forcedMonotonic) {
          this.#o.annotations.info(
            'input to histogram_quantile needed to be fixed for monotonicity (see https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile)',
            e.args[1]!.pos,
          );
        }
        out.add(labels, true, i, res.value);
      },
    );
    return out.result();
  }

  histogramQuantiles(e: Call, g: Grid): StepSeries[] {
    const vec = this.vectorArgAll(e.args[0]!, g);
    const label = stringLiteral(e.args[1]!);
    const qs = e.args.slice(2).map((a) => this.scalarArg(a, g));
    qs.forEach((q, k) => {
      for (let i = 0; i < g.n; i++) {
        const qi = q[i]!;
        if (qi !== qi || qi < 0 || qi > 1) this.#o.annotations.warn(`quantile value should be between 0 and 1, got ${formatG(qi)}`, e.args[k + 2]!.pos);
      }
    });
    const out = new SeriesCollector(g.n);
    this.#eachHistogram(
      vec,
      e.args[0]!,
      g,
      (labels, i, h, name) => {
        for (const q of qs) {
          const v = histogramQuantile(q[i]!, h);
          this.#quantileNaNInfo(h, v, name, e.args[0]!);
          out.add(setLabel(labels, label, formatOpenMetricsFloat(q[i]!)), true, i, v);
        }
      },
      (labels, i, buckets) => {
        for (const q of qs) {
          const res = bucketQuantile(q[i]!, buckets.map((b) => ({ ...b })));
          if (res.forcedMonotonic) {
            this.#o.annotations.info(
              'input to histogram_quantile needed to be fixed for monotonicity (see https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile)',
              e.args[0]!.pos,
            );
          }
          out.add(setLabel(labels, label, formatOpenMetricsFloat(q[i]!)), true, i, res.value);
        }
      },
    );
    return out.result();
  }

  histogramFraction(e: Call, g: Grid): StepSeries[] {
    const lower = this.scalarArg(e.args[0]!, g);
    const upper = this.scalarArg(e.args[1]!, g);
    const vec = this.vectorArgAll(e.args[2]!, g);
    const out = new SeriesCollector(g.n);
    this.#eachHistogram(
      vec,
      e.args[2]!,
      g,
      (labels, i, h, name) => {
        if (h.sum !== h.sum) {
          this.#o.annotations.info(`input to histogram_fraction has NaN observations, which are excluded from all fractions for metric name ${JSON.stringify(name)}`, e.args[2]!.pos);
        }
        out.add(labels, true, i, histogramFraction(lower[i]!, upper[i]!, h));
      },
      (labels, i, buckets) => out.add(labels, true, i, bucketFraction(lower[i]!, upper[i]!, buckets)),
    );
    return out.result();
  }

  /** The time the first selector under e reads at for evaluation time t (following subqueries' and its own @/offset). */
  infoRefTime(e: Expr, t: number): number {
    switch (e.kind) {
      case 'VectorSelector':
        return (this.resolveAt(e.at) ?? t) - this.offsetOf(e);
      case 'MatrixSelector':
        return this.infoRefTime(e.vectorSelector, t);
      case 'SubqueryExpr':
        return this.infoRefTime(e.expr, (this.resolveAt(e.at) ?? t) - this.offsetOf(e));
      case 'NumberLiteral':
      case 'StringLiteral':
        return t;
      case 'ParenExpr':
      case 'UnaryExpr':
      case 'StepInvariantExpr':
        return this.infoRefTime(e.expr, t);
      case 'AggregateExpr':
        return this.infoRefTime(e.expr, t);
      case 'BinaryExpr':
        return hasSelector(e.lhs) ? this.infoRefTime(e.lhs, t) : this.infoRefTime(e.rhs, t);
      case 'Call': {
        const a = e.args.find(hasSelector);
        return a === undefined ? t : this.infoRefTime(a, t);
      }
    }
  }

  /**
   * info(v, {data selector}): adds data labels of info series (target_info by default)
   * that share the identifying labels (instance, job) with each series of v.
   */
  evalInfo(e: Call, g: Grid): StepSeries[] {
    const base = this.vectorArg(e.args[0]!, g);
    const sel = e.args.length > 1 ? unwrapParens(e.args[1]!) : undefined;
    const dataMatchers = new Map<string, Matcher[]>();
    let nameMatchers: Matcher[] = [];
    if (sel !== undefined && sel.kind === 'VectorSelector') {
      for (const m of sel.matchers) {
        if (m.name === METRIC_NAME) nameMatchers.push(m);
        else dataMatchers.set(m.name, [...(dataMatchers.get(m.name) ?? []), m]);
      }
    } else {
      nameMatchers = [newMatcher('=', METRIC_NAME, 'target_info')];
    }
    // With only negative name matchers, info series are the *_info metrics they do not exclude.
    const onlyNegative = !nameMatchers.some((m) => m.type === '=' || m.type === '=~');
    const isInfoName = (name: string): boolean => nameMatchers.every((m) => matches(m, name)) && (!onlyNegative || name.endsWith('_info'));
    const ignored = base.map((s) => nameMatchers.length > 0 && isInfoName(getLabel(s.labels, METRIC_NAME)));
    const idValues = new Map<string, Set<string>>();
    base.forEach((s, i) => {
      if (ignored[i]) return;
      for (const l of INFO_ID_LABELS) {
        const v = getLabel(s.labels, l);
        if (v === '') continue;
        let set = idValues.get(l);
        if (set === undefined) idValues.set(l, (set = new Set()));
        set.add(v);
      }
    });
    let candidates: SeriesSamples[] = [];
    if (idValues.size > 0) {
      candidates = (this.#o.infoData.get(e) ?? []).filter(
        (s) => isInfoName(getLabel(s.labels, METRIC_NAME)) && [...idValues].every(([l, vals]) => vals.has(getLabel(s.labels, l))),
      );
    }
    // Info series at each step, valued with their sample timestamps.
    const infoSteps: StepSeries[] = [];
    for (const c of candidates) {
      if (c.histograms !== undefined && c.histograms.timestamps.length > 0) {
        throw executionError(`info metrics must be float series, got native histograms for ${labelsString(c.labels)}`);
      }
      const r = newStepSeries(c.labels, g.n);
      let j = -1;
      for (let i = 0; i < g.n; i++) {
        // Info series are read as of the base series' reference time (@ and offset applied).
        const ref = this.infoRefTime(e.args[0]!, gridTime(g, i));
        if (j >= 0 && c.timestamps[j]! > ref) j = -1;
        while (j + 1 < c.timestamps.length && c.timestamps[j + 1]! <= ref) j++;
        if (j < 0 || c.timestamps[j]! <= ref - this.#o.lookbackMs) continue;
        const v = c.values[j]!;
        if (v !== v && isStaleNaN(v)) continue;
        r.values[i] = c.timestamps[j]!;
        r.present[i] = 1;
      }
      infoSteps.push(r);
    }
    const infoNames = [...new Set(infoSteps.map((s) => getLabel(s.labels, METRIC_NAME)))];
    const sigOf = (name: string, ls: Labels): string => {
      let k = name;
      for (const l of INFO_ID_LABELS) k += '\xff' + getLabel(ls, l);
      return k;
    };
    const infoSig = infoSteps.map((s) => sigOf(getLabel(s.labels, METRIC_NAME), s.labels));
    const anyMatcherRejectsEmpty = [...dataMatchers.values()].some((ms) => ms.some((m) => !matches(m, '')));
    const out = new SeriesCollector(g.n);
    const bySig = new Map<string, number>();
    for (let i = 0; i < g.n; i++) {
      bySig.clear();
      infoSteps.forEach((s, k) => {
        if (s.present[i] !== 1) return;
        const sg = infoSig[k]!;
        const prev = bySig.get(sg);
        if (prev === undefined) {
          bySig.set(sg, k);
          return;
        }
        const a = infoSteps[prev]!.values[i]!;
        const b = s.values[i]!;
        if (b > a) bySig.set(sg, k);
        else if (a === b) {
          throw executionError(`found duplicate series for info metric: existing ${labelsString(infoSteps[prev]!.labels)} @ ${a}, new ${labelsString(s.labels)} @ ${b}`);
        }
      });
      base.forEach((bs, bi) => {
        if (bs.present[i] !== 1) return;
        if (ignored[bi]) {
          out.add(bs.labels, bs.dropName, i, bs.values[i]!);
          return;
        }
        let added: Labels = [];
        let seen = 0;
        for (const name of infoNames) {
          const k = bySig.get(sigOf(name, bs.labels));
          if (k === undefined) continue;
          for (const l of infoSteps[k]!.labels) {
            if (l.name === METRIC_NAME) continue;
            if (dataMatchers.size > 0 && !dataMatchers.has(l.name)) continue;
            const have = getLabel(added, l.name);
            if (have !== '' && have !== l.value) throw executionError(`conflicting label: ${l.name}`);
            if (bs.labels.some((x) => x.name === l.name)) continue;
            added = setLabel(added, l.name, l.value);
          }
          seen++;
        }
        if (seen === 0 && anyMatcherRejectsEmpty) return;
        let labels = bs.labels;
        for (const l of added) labels = setLabel(labels, l.name, l.value);
        out.add(labels, bs.dropName, i, bs.values[i]!);
      });
    }
    return out.result();
  }

  // ---- functions over range vectors ----

  evalRangeFunction(e: Call, g: Grid): EvalValue {
    const f = e.func;
    const mi = MATRIX_ARG_INDEX[f] ?? 0;
    const marg = unwrapParens(e.args[mi]!);
    const scalarArgs: Float64Array[] = [];
    for (let i = 0; i < e.args.length; i++) if (i !== mi) scalarArgs.push(this.scalarArg(e.args[i]!, g));
    let series: RangeSeries[];
    let range: number;
    let offset: number;
    let at: number | undefined;
    let anchored = false;
    let smoothed = false;
    let stats = false;
    if (marg.kind === 'MatrixSelector') {
      const vs = marg.vectorSelector;
      stats = this.#statsSelectors.has(vs);
      anchored = !!vs.anchored;
      smoothed = !!vs.smoothed;
      if (anchored && !ANCHORED_SAFE.includes(f)) throw executionError(`anchored modifier can only be used with: ${ANCHORED_SAFE.join(', ')} - not with ${f}`);
      if (smoothed && !SMOOTHED_SAFE.includes(f)) throw executionError(`smoothed modifier can only be used with: ${SMOOTHED_SAFE.join(', ')} - not with ${f}`);
      series = (this.#o.data.get(vs) ?? []).map((s) => {
        const c = withoutStale(s);
        const rs: RangeSeries = { labels: c.labels, dropName: false, timestamps: c.timestamps, values: c.values };
        if (c.hists !== undefined) rs.hists = c.hists;
        if (c.startTimestamps !== undefined) rs.startTimestamps = c.startTimestamps;
        return rs;
      });
      range = this.rangeOf(marg);
      offset = this.offsetOf(vs);
      at = this.resolveAt(vs.at);
    } else if (marg.kind === 'SubqueryExpr') {
      series = this.evalSubquery(marg, g).series;
      range = this.rangeOf(marg);
      offset = this.offsetOf(marg);
      at = this.resolveAt(marg.at);
    } else {
      throw executionError(`expected range vector as argument ${mi + 1} of ${f}`);
    }
    if (f === 'quantile_over_time') {
      for (let i = 0; i < g.n; i++) {
        const q = scalarArgs[0]![i]!;
        if (q !== q || q < 0 || q > 1) this.#o.annotations.warn(`quantile value should be between 0 and 1, got ${formatG(q)}`, e.args[0]!.pos);
      }
    }
    if (f === 'double_exponential_smoothing') {
      const sf = scalarArgs[0]![0]!;
      const tf = scalarArgs[1]![0]!;
      if (!(sf > 0 && sf < 1)) throw executionError(`invalid smoothing factor. Expected: 0 < sf < 1, got: ${sf.toFixed(6)}`);
      if (!(tf > 0 && tf < 1)) throw executionError(`invalid trend factor. Expected: 0 < tf < 1, got: ${tf.toFixed(6)}`);
    }
    const kernel = RANGE_KERNELS[f]!;
    const keepName = KEEPS_NAME.has(f);
    const out: StepSeries[] = [];
    const ctx: WindowContext = { t: 0, rangeStart: 0, rangeEnd: 0, rangeMs: range, scalars: new Array(scalarArgs.length).fill(0), scratch: { buf: new Float64Array(64) } };
    let total = 0;
    // Built once per call, not per series: closures are not free (tsx wraps each in a naming helper).
    const notes = { warn: (t: string) => this.#o.annotations.warn(t, e.args[mi]!.pos), info: (t: string) => this.#o.annotations.info(t, e.args[mi]!.pos) };
    // The "might not be a counter" check depends on the name only: check each distinct name once.
    let lastCheckedName: string | undefined;
    const pool = new StepSeriesPool(g.n, series.length);
    for (const s of series) {
      this.checkAbort();
      // last/first_over_time act like an offset: they keep the input's name state.
      const r = pool.next(s.labels, keepName ? s.dropName : true);
      let any = false;
      let lo = 0;
      let hi = 0;
      const hs = s.hists;
      const metricName = getLabel(s.labels, METRIC_NAME);
      for (let i = 0; i < g.n; i++) {
        const t = gridTime(g, i);
        const end = (at ?? t) - offset;
        const start = end - range;
        ctx.t = t;
        ctx.rangeStart = start;
        ctx.rangeEnd = end;
        for (let k = 0; k < scalarArgs.length; k++) ctx.scalars[k] = scalarArgs[k]![i]!;
        let v: number | undefined;
        if (anchored || smoothed) {
          const lb = this.#o.lookbackMs;
          const a = upperBound(s.timestamps, start - lb);
          const b = upperBound(s.timestamps, smoothed ? end + lb : end);
          if (b <= a) continue;
          if (hs !== undefined) {
            const res = this.#extendedHistogram(f, s.timestamps.subarray(a, b), s.values.subarray(a, b), hs.slice(a, b), start, end, range, smoothed, metricName, notes);
            if (res === undefined) continue;
            if (typeof res !== 'number') {
              setHist(r, i, res);
              total++;
              any = true;
              continue;
            }
            v = res;
          } else v = extendedKernel(f, s.timestamps.subarray(a, b), s.values.subarray(a, b), start, end, range, smoothed);
        } else {
          if (at !== undefined || i === 0) {
            lo = upperBound(s.timestamps, start);
            hi = upperBound(s.timestamps, end);
          } else {
            while (lo < s.timestamps.length && s.timestamps[lo]! <= start) lo++;
            if (hi < lo) hi = lo;
            while (hi < s.timestamps.length && s.timestamps[hi]! <= end) hi++;
          }
          if (hi <= lo) continue;
          const sts = s.startTimestamps;
          if (sts !== undefined && hs === undefined && ST_FUNCS.has(f)) {
            v = f === 'resets' ? stFloatResets(s.timestamps, s.values, sts, lo, hi) : f === 'irate' || f === 'idelta' ? stFloatInstant(f, s.timestamps, s.values, sts, lo, hi) : stFloatRate(f, s.timestamps, s.values, sts, lo, hi, ctx, metricName, notes);
          } else if (hs !== undefined) {
            // Stats reads re-detect resets within the window: hand the kernel a rehinted copy of just that window.
            const res = stats
              ? histogramRangeKernel(f, s.timestamps.subarray(lo, hi), s.values.subarray(lo, hi), rehintedWindow(hs, lo, hi), 0, hi - lo, ctx, kernel, metricName, notes, sts?.subarray(lo, hi))
              : histogramRangeKernel(f, s.timestamps, s.values, hs, lo, hi, ctx, kernel, metricName, notes, sts);
            if (res === undefined) continue;
            if (typeof res !== 'number') {
              setHist(r, i, res);
              total++;
              any = true;
              continue;
            }
            v = res;
          } else v = kernel(s.timestamps, s.values, lo, hi, ctx);
        }
        if (v === undefined) continue;
        r.values[i] = v;
        r.present[i] = 1;
        total++;
        any = true;
      }
      if (!any) continue;
      out.push(r);
      if ((f === 'rate' || f === 'increase') && (hs === undefined || r.hists === undefined) && metricName !== lastCheckedName) {
        const name = metricName;
        lastCheckedName = name;
        if (name !== '' && !COUNTER_SUFFIXES.some((x) => name.endsWith(x))) {
          this.#o.annotations.info(`metric might not be a counter, name does not end in _total/_sum/_count/_bucket: ${JSON.stringify(name)}`, e.args[mi]!.pos);
        }
      }
    }
    this.#count(total);
    if (f === 'absent_over_time') {
      const r = newStepSeries(marg.kind === 'MatrixSelector' ? absentLabels(marg) : [], g.n, true);
      for (let i = 0; i < g.n; i++) {
        let found = false;
        for (const s of out) if (s.present[i] === 1) found = true;
        if (!found) {
          r.values[i] = 1;
          r.present[i] = 1;
        }
      }
      return { kind: 'vector', series: r.present.includes(1) ? [r] : [] };
    }
    return { kind: 'vector', series: out };
  }
}

function hasSelector(e: Expr): boolean {
  switch (e.kind) {
    case 'VectorSelector':
    case 'MatrixSelector':
      return true;
    case 'NumberLiteral':
    case 'StringLiteral':
      return false;
    case 'SubqueryExpr':
    case 'ParenExpr':
    case 'UnaryExpr':
    case 'StepInvariantExpr':
    case 'AggregateExpr':
      return hasSelector(e.expr);
    case 'BinaryExpr':
      return hasSelector(e.lhs) || hasSelector(e.rhs);
    case 'Call':
      return e.args.some(hasSelector);
  }
}

/** Go's math.Min/Max: NaN wins. */
function goMin(a: number, b: number): number {
  if (a !== a || b !== b) return NaN;
  return Math.min(a, b);
}

function goMax(a: number, b: number): number {
  if (a !== a || b !== b) return NaN;
  return Math.max(a, b);
}

/** labels.FormatOpenMetricsFloat: like 'g' formatting but always with a decimal point for integers. */
function formatOpenMetricsFloat(v: number): string {
  if (v !== v) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  const s = formatG(v);
  if (/^-?\d+$/.test(s)) return s + '.0';
  return s;
}

/** Copies a vector/scalar result computed for one step to all n steps. */
function broadcast(v: EvalValue, n: number): EvalValue {
  if (v.kind === 'scalar') return { kind: 'scalar', values: new Float64Array(n).fill(v.values[0] ?? NaN) };
  if (v.kind !== 'vector') return v;
  return {
    kind: 'vector',
    series: v.series
      .filter((s) => s.present[0] === 1)
      .map((s) => {
        const r: StepSeries = { labels: s.labels, dropName: s.dropName, values: new Float64Array(n).fill(s.values[0]!), present: new Uint8Array(n).fill(1) };
        const h = s.hists?.[0];
        if (h !== undefined) r.hists = new Array(n).fill(h);
        return r;
      }),
  };
}

function mapSeries(vec: StepSeries[], fn: (v: number) => number): StepSeries[] {
  return vec.map((s) => {
    const values = new Float64Array(s.values.length);
    for (let i = 0; i < values.length; i++) if (s.present[i] === 1) values[i] = fn(s.values[i]!);
    return { labels: s.labels, dropName: true, values, present: s.present };
  });
}

function stringLiteral(e: Expr): string {
  const u = unwrapParens(e);
  if (u.kind !== 'StringLiteral') throw executionError('expected string literal argument');
  return u.value;
}

/** Labels for absent()/absent_over_time(): the equality matchers, minus names matched twice. */
function absentLabels(e: Expr): Labels {
  let vs: VectorSelector | undefined;
  if (e.kind === 'VectorSelector') vs = e;
  else if (e.kind === 'MatrixSelector') vs = e.vectorSelector;
  if (vs === undefined) return [];
  const has = new Set<string>();
  let out: Labels = [];
  for (const m of vs.matchers) {
    if (m.name === METRIC_NAME) continue;
    if (m.type === '=' && !has.has(m.name)) {
      out = setLabel(out, m.name, m.value);
      has.add(m.name);
    } else {
      out = out.filter((l) => l.name !== m.name);
    }
  }
  return out;
}

/** First index whose timestamp is > t. */
export function upperBound(ts: Float64Array, t: number): number {
  let lo = 0;
  let hi = ts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ts[mid]! <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** A series' float and histogram samples merged into one timeline (hists aligned, undefined for floats). */
export interface Points {
  labels: Labels;
  timestamps: Float64Array;
  values: Float64Array;
  hists?: (FloatHistogram | undefined)[];
  /** Start timestamps aligned with timestamps (0 = unknown), when any is known. */
  startTimestamps?: Float64Array;
}

const unified = new WeakMap<SeriesSamples, Points>();

/** Merges a selected series' histogram samples into its float timeline (float-only series pass through). */
export function unify(s: SeriesSamples): Points {
  const h = s.histograms;
  if (h === undefined || h.timestamps.length === 0) return s;
  const hit = unified.get(s);
  if (hit !== undefined) return hit;
  const n = s.timestamps.length + h.timestamps.length;
  const ts = new Float64Array(n);
  const vs = new Float64Array(n);
  const hs: (FloatHistogram | undefined)[] = new Array(n);
  const fst = s.startTimestamps;
  const hst = h.startTimestamps;
  const sts = fst !== undefined || hst !== undefined ? new Float64Array(n) : undefined;
  let a = 0;
  let b = 0;
  for (let k = 0; k < n; k++) {
    if (b >= h.timestamps.length || (a < s.timestamps.length && s.timestamps[a]! <= h.timestamps[b]!)) {
      ts[k] = s.timestamps[a]!;
      if (sts !== undefined) sts[k] = fst?.[a] ?? 0;
      vs[k] = s.values[a++]!;
    } else {
      ts[k] = h.timestamps[b]!;
      if (sts !== undefined) sts[k] = hst?.[b] ?? 0;
      hs[k] = h.values[b++]!;
    }
  }
  const p: Points = { labels: s.labels, timestamps: ts, values: vs, hists: hs };
  if (sts !== undefined) p.startTimestamps = sts;
  unified.set(s, p);
  return p;
}

function withoutStale(s0: SeriesSamples): Points {
  const s = unify(s0);
  let stale = 0;
  for (let i = 0; i < s.values.length; i++) {
    const v = s.values[i]!;
    if (v !== v && isStaleNaN(v) && s.hists?.[i] === undefined) stale++;
  }
  if (stale === 0) return s;
  const ts = new Float64Array(s.values.length - stale);
  const vs = new Float64Array(s.values.length - stale);
  const hs: (FloatHistogram | undefined)[] | undefined = s.hists !== undefined ? new Array(ts.length) : undefined;
  const sts = s.startTimestamps !== undefined ? new Float64Array(ts.length) : undefined;
  let k = 0;
  for (let i = 0; i < s.values.length; i++) {
    const v = s.values[i]!;
    const h = s.hists?.[i];
    if (h === undefined && v !== v && isStaleNaN(v)) continue;
    ts[k] = s.timestamps[i]!;
    if (hs !== undefined) hs[k] = h;
    if (sts !== undefined) sts[k] = s.startTimestamps![i]!;
    vs[k++] = v;
  }
  const out: Points = { labels: s.labels, timestamps: ts, values: vs };
  if (sts !== undefined) out.startTimestamps = sts;
  if (hs !== undefined && hs.some((x) => x !== undefined)) out.hists = hs;
  return out;
}

function interpolate(t1: number, y1: number, t2: number, y2: number, t: number, isCounter: boolean): number {
  if (isCounter && y2 < y1) y1 = 0;
  return y1 + ((y2 - y1) * (t - t1)) / (t2 - t1);
}

/**
 * Anchored/smoothed range: the points strictly inside (mint, maxt) plus synthetic
 * boundary points at mint and maxt (picked or interpolated), over data reaching one
 * lookback beyond the range.
 */
function extendFloats(ts0: Float64Array, vs0: Float64Array, mint: number, maxt: number, smoothed: boolean, lookback: number): { ts: Float64Array; vs: Float64Array } | undefined {
  // Data visible to the selector: (mint - lookback, maxt (+ lookback when smoothed)].
  const a = upperBound(ts0, mint - lookback);
  const b = upperBound(ts0, smoothed ? maxt + lookback : maxt);
  if (b <= a) return undefined;
  const ts = ts0.subarray(a, b);
  const vs = vs0.subarray(a, b);
  let last = ts.length - 1;
  let first = lastAtOrBefore(ts, last, mint);
  if (smoothed) last = firstAtOrAfter(ts, last, maxt);
  if (ts[last]! <= mint) return undefined;
  const left = smoothed && ts[first]! < mint ? interpolate(ts[first]!, vs[first]!, ts[first + 1]!, vs[first + 1]!, mint, false) : vs[first]!;
  const right = smoothed && last > 0 && ts[last]! > maxt ? interpolate(ts[last - 1]!, vs[last - 1]!, ts[last]!, vs[last]!, maxt, false) : vs[last]!;
  if (ts[first]! <= mint) first++;
  if (ts[last]! >= maxt) last--;
  const count = Math.max(last - first + 1, 0);
  const ots = new Float64Array(count + 2);
  const ovs = new Float64Array(count + 2);
  ots[0] = mint;
  ovs[0] = left;
  for (let i = 0; i < count; i++) {
    ots[i + 1] = ts[first + i]!;
    ovs[i + 1] = vs[first + i]!;
  }
  ots[count + 1] = maxt;
  ovs[count + 1] = right;
  return { ts: ots, vs: ovs };
}

/**
 * rate/increase/delta/changes/resets for `anchored` / `smoothed` selectors. The
 * data given reaches one lookback before the range (and after it when smoothed).
 */
function extendedKernel(f: string, ts: Float64Array, vs: Float64Array, rangeStart: number, rangeEnd: number, range: number, smoothed: boolean): number | undefined {
  const n = ts.length;
  if (f === 'changes' || f === 'resets') {
    if (n === 0 || ts[n - 1]! <= rangeStart) return undefined;
    const first = lastAtOrBefore(ts, n - 1, rangeStart);
    let c = 0;
    for (let i = first + 1; i < n; i++) {
      const a = vs[i]!;
      const b = vs[i - 1]!;
      if (f === 'changes' ? a !== b && !(a !== a && b !== b) : a < b) c++;
    }
    return c;
  }
  const isCounter = f !== 'delta';
  // Smoothing needs data around the range: nothing when all data lies after it.
  if (smoothed && ts[0]! > rangeEnd) return undefined;
  let last = n - 1;
  let first = lastAtOrBefore(ts, last, rangeStart);
  if (smoothed) last = firstAtOrAfter(ts, last, rangeEnd);
  if (ts[last]! <= rangeStart) return undefined;
  const left = smoothed && ts[first]! < rangeStart ? interpolate(ts[first]!, vs[first]!, ts[first + 1]!, vs[first + 1]!, rangeStart, isCounter) : vs[first]!;
  const right = smoothed && last > 0 && ts[last]! > rangeEnd ? interpolate(ts[last - 1]!, vs[last - 1]!, ts[last]!, vs[last]!, rangeEnd, isCounter) : vs[last]!;
  let result = right - left;
  if (isCounter) {
    if (ts[first]! <= rangeStart) first++;
    if (ts[last]! >= rangeEnd) last--;
    let correction = 0;
    let prev = left;
    for (let i = first; i <= last; i++) {
      if (vs[i]! < prev) correction += prev;
      prev = vs[i]!;
    }
    if (right < prev) correction += prev;
    result += correction;
  }
  if (f === 'rate') result /= range / 1000;
  return result;
}

/** strconv.ParseFloat subset for `le` values: decimal, exponent, Inf/NaN spellings. */
export function parseGoFloat(s: string): number | undefined {
  const t = s.trim();
  if (t !== s || t === '') return undefined;
  if (/^[+-]?(inf|infinity)$/i.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  if (/^[+-]?nan$/i.test(t)) return NaN;
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return Number(t);
  if (/^[+-]?0[xX][0-9a-fA-F]+$/.test(t)) return Number(t.replace(/^([+-]?)0[xX]/, '$10x'));
  return undefined;
}



/** -h: every count negated; the result can only be a gauge. */
function negated(h: FloatHistogram): FloatHistogram {
  const r = h.copy().mul(-1);
  r.hint = 'gauge';
  return r;
}

/** h with the hint a reset-detecting read gives it after prev. */
function rehinted(h: FloatHistogram, prev: FloatHistogram): FloatHistogram {
  const c = h.copy();
  c.hint = h.detectReset(prev) ? 'reset' : 'not_reset';
  return c;
}

/** The window [lo, hi) of hs (re-indexed from 0) as a reset-detecting read sees it: the first point has no predecessor. */
function rehintedWindow(hs: (FloatHistogram | undefined)[], lo: number, hi: number): (FloatHistogram | undefined)[] {
  const out = hs.slice(lo, hi);
  for (let k = 1; k < out.length; k++) {
    const h = out[k];
    const p = hs[lo + k - 1];
    if (h !== undefined && p !== undefined && h.hint === 'unknown') out[k] = rehinted(h, p);
  }
  return out;
}

/**
 * A histogram as a subquery step: the same sample can repeat over steps or steps can
 * skip samples, so a stored reset/not_reset hint says nothing about its neighbours.
 */
function forSubquery(h: FloatHistogram | undefined): FloatHistogram | undefined {
  if (h === undefined || h.hint === 'unknown' || h.hint === 'gauge') return h;
  const c = h.copy();
  c.hint = 'unknown';
  return c;
}

/** A smoothed selector's float value at t from the points [lo, hi) around it. */
function smoothedFloatAt(ts: Float64Array, vs: Float64Array, lo: number, hi: number, t: number): number | undefined {
  let k = lo;
  while (k < hi && ts[k]! < t) k++;
  if (k < hi && ts[k] === t) return vs[k]!;
  if (k > lo && k < hi) return vs[k - 1]! + ((vs[k]! - vs[k - 1]!) * (t - ts[k - 1]!)) / (ts[k]! - ts[k - 1]!);
  if (k > lo) return vs[k - 1]!;
  return undefined;
}
