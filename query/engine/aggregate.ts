/**
 * Aggregation operators over step-columnar vectors, with Prometheus's numerics:
 * Kahan sums, overflow-safe averages, Welford variance, heap-free top/bottom k.
 */
import type { Labels } from '../model/labels.ts';
import { METRIC_NAME, labelsKey } from '../model/labels.ts';
import type { AggregateExpr } from '../parser/ast.ts';
import type { Annotations } from './annotations.ts';
import { quantileOf } from './bucket-quantile.ts';
import { SeriesCollector } from './collector.ts';
import { executionError } from './errors.ts';
import { formatFloat, formatG } from './format.ts';
import { xxhash64 } from './xxhash64.ts';
import { onlyLabels, setLabel, withoutLabels } from './label-ops.ts';
import type { StepSeries } from './types.ts';
import { floatsOnly, newStepSeries, setHist } from './types.ts';
import type { FloatHistogram } from './histogram/float-histogram.ts';
import { HistogramError } from './histogram/float-histogram.ts';
import { histogramString } from './histogram/json.ts';
import { sumHistograms } from './histogram/sum.ts';
import { getLabel } from '../model/labels.ts';

function groupLabels(ls: Labels, grouping: ReadonlySet<string>, without: boolean): Labels {
  if (without) return withoutLabels(ls, grouping);
  if (grouping.size === 0) return [];
  return onlyLabels(ls, grouping);
}

function groupingSet(e: AggregateExpr): Set<string> {
  const g = new Set(e.grouping);
  if (e.without) g.add(METRIC_NAME);
  return g;
}

/** Prometheus's HashRatioSampler: xxhash64 of the label set scaled to [0, 1). */
function sampleOffset(ls: Labels): number {
  const parts: Buffer[] = [];
  const sep = Buffer.from([0xff]);
  for (const l of ls) parts.push(Buffer.from(l.name, 'utf8'), sep, Buffer.from(l.value, 'utf8'), sep);
  return Number(xxhash64(Buffer.concat(parts))) / 2 ** 64;
}

export function aggregate(e: AggregateExpr, input: StepSeries[], n: number, param: Float64Array | undefined, paramString: string | undefined, ann: Annotations): StepSeries[] {
  if (input.some((s) => s.hists !== undefined)) {
    switch (e.op) {
      case 'sum':
      case 'avg':
        return aggregateWithHistograms(e, input, n, param, paramString, ann);
      case 'count':
      case 'group':
      case 'count_values':
      case 'limitk':
      case 'limit_ratio':
        break;
      default:
        // Float-only aggregations ignore histogram samples, with an info.
        input = floatsOnly(input, () => ann.info(`ignored histogram in ${e.op} aggregation`, e.pos));
    }
  }
  return aggregateFloats(e, input, n, param, paramString, ann);
}

/**
 * sum/avg over input holding native histograms: floats and histograms are aggregated
 * apart per group; a group meeting both at one step has no output (with a warning).
 */
function aggregateWithHistograms(e: AggregateExpr, input: StepSeries[], n: number, param: Float64Array | undefined, paramString: string | undefined, ann: Annotations): StepSeries[] {
  const floats = aggregateFloats(e, floatsOnly(input), n, param, paramString, ann);
  const grouping = groupingSet(e);
  const groups = new Map<string, { labels: Labels; dropName: boolean; series: StepSeries[] }>();
  for (const s of input) {
    if (s.hists === undefined) continue;
    const gl = groupLabels(s.labels, grouping, e.without);
    const key = labelsKey(gl);
    let grp = groups.get(key);
    if (grp === undefined) groups.set(key, (grp = { labels: gl, dropName: false, series: [] }));
    grp.series.push(s);
  }
  const byKey = new Map<string, StepSeries>();
  for (const f of floats) byKey.set(labelsKey(f.labels), f);
  const out: StepSeries[] = [...floats];
  let collision = false;
  let reconciled = false;
  for (const [key, grp] of groups) {
    let target = byKey.get(key);
    const created = target === undefined;
    if (target === undefined) target = newStepSeries(grp.labels, n);
    let any = false;
    for (let i = 0; i < n; i++) {
      const list: FloatHistogram[] = [];
      let failed = false;
      for (const s of grp.series) {
        const h = s.hists![i];
        if (h === undefined || s.present[i] !== 1) continue;
        if (s.dropName) target.dropName = true;
        list.push(h);
      }
      let acc: FloatHistogram | undefined;
      if (list.length > 0) {
        try {
          const r = sumHistograms(list, e.op === 'avg');
          acc = r.h;
          collision ||= r.counterResetCollision;
          reconciled ||= r.customBucketsReconciled;
        } catch (err) {
          if (!(err instanceof HistogramError)) throw err;
          ann.warn(`vector contains a mix of histograms with exponential and custom buckets schemas for metric name ${JSON.stringify(getLabel(grp.series[0]!.labels, METRIC_NAME))}`, e.expr.pos);
          failed = true;
          acc = list[0];
        }
      }
      if (acc === undefined) continue;
      if (target.present[i] === 1 && target.hists?.[i] === undefined) {
        // Floats and histograms in one group at one step: no result.
        ann.warn(`encountered a mix of histograms and floats for aggregation`, e.pos);
        target.present[i] = 0;
        continue;
      }
      if (failed) continue;
      setHist(target, i, acc.compact());
      any = true;
    }
    if (created && any) out.push(target);
  }
  if (collision) ann.warn('conflicting counter resets during histogram aggregation', e.expr.pos);
  if (reconciled) ann.info('mismatched custom buckets were reconciled during aggregation', e.expr.pos);
  return out.filter((s) => s.present.includes(1));
}

const OP_SUM = 0;
const OP_AVG = 1;
const OP_COUNT = 2;
const OP_MIN = 3;
const OP_MAX = 4;
const OP_GROUP = 5;
const OP_STDDEV = 6;
const OP_STDVAR = 7;
const OP_QUANTILE = 8;
const OP_OTHER = 9;
const OP_CODES: Readonly<Record<string, number>> = {
  sum: OP_SUM,
  avg: OP_AVG,
  count: OP_COUNT,
  min: OP_MIN,
  max: OP_MAX,
  group: OP_GROUP,
  stddev: OP_STDDEV,
  stdvar: OP_STDVAR,
  quantile: OP_QUANTILE,
};

function aggregateFloats(e: AggregateExpr, input: StepSeries[], n: number, param: Float64Array | undefined, paramString: string | undefined, ann: Annotations): StepSeries[] {
  const grouping = groupingSet(e);
  switch (e.op) {
    case 'topk':
    case 'bottomk':
    case 'limitk':
    case 'limit_ratio':
      return aggregateK(e, input, n, param!, grouping, ann);
    case 'count_values':
      return countValues(e, input, n, paramString!);
    default:
      break;
  }
  // Assign series to groups once: label sets do not change across steps.
  const groupIndex = new Map<string, number>();
  const groups: StepSeries[] = [];
  const seriesGroup = new Int32Array(input.length);
  for (let si = 0; si < input.length; si++) {
    const gl = groupLabels(input[si]!.labels, grouping, e.without);
    const key = labelsKey(gl);
    let gi = groupIndex.get(key);
    if (gi === undefined) {
      gi = groups.length;
      groupIndex.set(key, gi);
      groups.push(newStepSeries(gl, n));
    }
    seriesGroup[si] = gi;
  }
  const G = groups.length;
  const seen = new Uint8Array(G);
  const value = new Float64Array(G);
  const kahanC = new Float64Array(G);
  const mean = new Float64Array(G);
  const count = new Float64Array(G);
  const incremental = new Uint8Array(G);
  const dropName = new Uint8Array(G);
  const heaps: number[][] = [];

  if (e.op === 'quantile' && param !== undefined) {
    let hasNaN = false;
    let max = -Infinity;
    let min = Infinity;
    for (const q of param) {
      if (q !== q) hasNaN = true;
      else {
        if (q > max) max = q;
        if (q < min) min = q;
      }
    }
    if (hasNaN) ann.warn(`quantile value should be between 0 and 1, got NaN`, e.param?.pos);
    if (max > 1) ann.warn(`quantile value should be between 0 and 1, got ${formatG(max)}`, e.param?.pos);
    if (min < 0) ann.warn(`quantile value should be between 0 and 1, got ${formatG(min)}`, e.param?.pos);
  }

  // The per-sample loops switch on a small integer: cheaper than comparing op strings per sample.
  const op = OP_CODES[e.op] ?? OP_OTHER;
  for (let i = 0; i < n; i++) {
    seen.fill(0);
    for (let si = 0; si < input.length; si++) {
      const s = input[si]!;
      if (s.present[i] !== 1) continue;
      const f = s.values[i]!;
      const g = seriesGroup[si]!;
      if (seen[g] === 0) {
        seen[g] = 1;
        value[g] = f;
        mean[g] = f;
        kahanC[g] = 0;
        count[g] = 1;
        incremental[g] = 0;
        dropName[g] = s.dropName ? 1 : 0;
        switch (op) {
          case OP_STDDEV:
          case OP_STDVAR:
            value[g] = f !== f || f === Infinity || f === -Infinity ? NaN : 0;
            break;
          case OP_QUANTILE:
            heaps[g] = [f];
            break;
          case OP_GROUP:
            value[g] = 1;
            break;
          default:
            break;
        }
        continue;
      }
      if (s.dropName) dropName[g] = 1;
      switch (op) {
        case OP_SUM: {
          const sum = value[g]!;
          const t = sum + f;
          if (t === Infinity || t === -Infinity) kahanC[g] = 0;
          else if (Math.abs(sum) >= Math.abs(f)) kahanC[g] += sum - t + f;
          else kahanC[g] += f - t + sum;
          value[g] = t;
          break;
        }
        case OP_AVG: {
          count[g]! += 1;
          const cnt = count[g]!;
          if (incremental[g] === 0) {
            const sum = value[g]!;
            const t = sum + f;
            let c = kahanC[g]!;
            if (t === Infinity || t === -Infinity) c = 0;
            else if (Math.abs(sum) >= Math.abs(f)) c += sum - t + f;
            else c += f - t + sum;
            if (!(t === Infinity || t === -Infinity)) {
              value[g] = t;
              kahanC[g] = c;
              break;
            }
            incremental[g] = 1;
            mean[g] = sum / (cnt - 1);
            kahanC[g]! /= cnt - 1;
          }
          const q = (cnt - 1) / cnt;
          const inc = f / cnt;
          const s0 = q * mean[g]!;
          let c0 = q * kahanC[g]!;
          const t = s0 + inc;
          if (t === Infinity || t === -Infinity) c0 = 0;
          else if (Math.abs(s0) >= Math.abs(inc)) c0 += s0 - t + inc;
          else c0 += inc - t + s0;
          mean[g] = t;
          kahanC[g] = c0;
          break;
        }
        case OP_GROUP:
          break;
        case OP_MAX:
          if (value[g]! < f || value[g] !== value[g]) value[g] = f;
          break;
        case OP_MIN:
          if (value[g]! > f || value[g] !== value[g]) value[g] = f;
          break;
        case OP_COUNT:
          count[g]! += 1;
          break;
        case OP_STDDEV:
        case OP_STDVAR: {
          count[g]! += 1;
          const delta = f - mean[g]!;
          mean[g]! += delta / count[g]!;
          value[g]! += delta * (f - mean[g]!);
          break;
        }
        case OP_QUANTILE:
          heaps[g]!.push(f);
          break;
        default:
          throw new TypeError(`unexpected aggregation ${e.op}`);
      }
    }
    for (let g = 0; g < G; g++) {
      if (seen[g] === 0) continue;
      let v = value[g]!;
      switch (op) {
        case OP_AVG:
          v = incremental[g] === 1 ? mean[g]! + kahanC[g]! : v / count[g]! + kahanC[g]! / count[g]!;
          break;
        case OP_COUNT:
          v = count[g]!;
          break;
        case OP_STDVAR:
          v = v / count[g]!;
          break;
        case OP_STDDEV:
          v = Math.sqrt(v / count[g]!);
          break;
        case OP_QUANTILE:
          v = quantileOf(param![i]!, heaps[g]!);
          break;
        case OP_SUM:
          v = v + kahanC[g]!;
          break;
        default:
          break;
      }
      const out = groups[g]!;
      out.values[i] = v;
      out.present[i] = 1;
      if (dropName[g] === 1) out.dropName = true;
    }
  }
  return groups.filter((s) => s.present.includes(1));
}

function aggregateK(e: AggregateExpr, input: StepSeries[], n: number, param: Float64Array, grouping: Set<string>, ann: Annotations): StepSeries[] {
  let hasNaN = false;
  let max = -Number.MAX_VALUE;
  let min = Number.MAX_VALUE;
  for (const p of param) {
    if (p !== p) hasNaN = true;
    if (p > max) max = p;
    if (p < min) min = p;
  }
  if (hasNaN) {
    max = NaN;
    min = NaN;
  }
  if (e.op === 'limit_ratio') {
    if (max === 0 && min === 0) return [];
    if (hasNaN) throw executionError('Ratio value is NaN');
    if (max > 1) ann.warn(`ratio value should be between -1 and 1, got ${formatG(max)}, capping to 1`, e.param?.pos);
    if (min < -1) ann.warn(`ratio value should be between -1 and 1, got ${formatG(min)}, capping to -1`, e.param?.pos);
  } else {
    if (max < 1) return [];
    if (hasNaN) throw executionError('Parameter value is NaN');
    if (min <= -9223372036854775808) throw executionError(`Scalar value ${formatG(min)} underflows int64`);
    if (max >= 9223372036854775807) throw executionError(`Scalar value ${formatG(max)} overflows int64`);
  }
  const groupIndex = new Map<string, number>();
  const seriesGroup = new Int32Array(input.length);
  for (let si = 0; si < input.length; si++) {
    const key = labelsKey(groupLabels(input[si]!.labels, grouping, e.without));
    let gi = groupIndex.get(key);
    if (gi === undefined) {
      gi = groupIndex.size;
      groupIndex.set(key, gi);
    }
    seriesGroup[si] = gi;
  }
  const G = groupIndex.size;
  const collector = new SeriesCollector(n);
  const offsets = e.op === 'limit_ratio' ? input.map((s) => sampleOffset(s.labels)) : [];
  const picked: number[][] = Array.from({ length: G }, () => []);
  const top = e.op === 'topk';
  for (let i = 0; i < n; i++) {
    for (const p of picked) p.length = 0;
    const fp = param[i]!;
    let k = 0;
    let r = 0;
    if (e.op === 'limit_ratio') {
      if (fp === 0) continue;
      r = fp < -1 ? -1 : fp > 1 ? 1 : fp;
    } else {
      k = Math.min(Math.trunc(fp), input.length);
      if (k < 1) continue;
    }
    for (let si = 0; si < input.length; si++) {
      const s = input[si]!;
      if (s.present[i] !== 1) continue;
      const g = seriesGroup[si]!;
      const list = picked[g]!;
      if (e.op === 'limitk') {
        if (list.length < k) list.push(si);
      } else if (e.op === 'limit_ratio') {
        const off = offsets[si]!;
        if ((r >= 0 && off < r) || (r < 0 && off >= 1 + r)) list.push(si);
      } else {
        // Keep the k first of: ordered by value (NaN last), stable by input order. Series come in
        // input order, so a newcomer goes after every kept entry that is not strictly behind it.
        const y = s.values[i]!;
        let p = list.length;
        while (p > 0 && kBehind(input[list[p - 1]!]!.values[i]!, y, top)) p--;
        if (p < k) {
          list.splice(p, 0, si);
          if (list.length > k) list.length = k;
        }
      }
    }
    for (let g = 0; g < G; g++) {
      const list = picked[g]!;
      if (list.length === 0) continue;
      for (const si of list) {
        const s = input[si]!;
        collector.add(s.labels, s.dropName, i, s.values[i]!, s.hists?.[i]);
      }
    }
  }
  return collector.result();
}

/** True when a kept topk/bottomk value x sorts strictly after a newcomer y (NaN last; equal values keep input order). */
function kBehind(x: number, y: number, top: boolean): boolean {
  if (x !== x) return y === y;
  if (y !== y) return false;
  return top ? y > x : x > y;
}

function countValues(e: AggregateExpr, input: StepSeries[], n: number, valueLabel: string): StepSeries[] {
  if (valueLabel === '' || !isValidUtf8LabelName(valueLabel)) throw executionError(`invalid label name ${JSON.stringify(valueLabel).replace(/\\udc([89a-f][0-9a-f])/g, '\\x$1')}`);
  const grouping = new Set(e.grouping);
  if (!e.without) grouping.add(valueLabel);
  else grouping.add(METRIC_NAME);
  const collector = new Map<string, StepSeries>();
  for (let i = 0; i < n; i++) {
    for (const s of input) {
      if (s.present[i] !== 1) continue;
      const h = s.hists?.[i];
      const metric = setLabel(s.labels, valueLabel, h !== undefined ? histogramString(h) : formatFloat(s.values[i]!));
      const gl = e.without ? withoutLabels(metric, grouping) : onlyLabels(metric, grouping);
      const key = labelsKey(gl);
      let out = collector.get(key);
      if (out === undefined) {
        out = newStepSeries(gl, n);
        collector.set(key, out);
      }
      out.values[i] = out.present[i] === 1 ? out.values[i]! + 1 : 1;
      out.present[i] = 1;
    }
  }
  return [...collector.values()];
}

function isValidUtf8LabelName(s: string): boolean {
  return !/[\ud800-\udfff]/.test(s.replace(/[\ud800-\udbff][\udc00-\udfff]/g, '')) && !s.includes('\ufffd');
}
