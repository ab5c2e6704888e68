/** Result comparison rules of the PromQL test scripts (FORMAT.md §10). */
import type { Labels } from '../model/labels.ts';
import { compareLabels, formatLabels, labelsKey } from '../model/labels.ts';
import { isStaleNaN } from '../model/samples.ts';
import type { MatrixSeries, QueryResult, VectorSample } from '../engine/values.ts';
import type { SeriesDescription } from './series-desc.ts';
import type { FloatHistogram } from '../engine/histogram/float-histogram.ts';
import { formatHistogramLiteral } from '../engine/histogram/literal.ts';

function sampleText(s: VectorSample): string {
  return s.histogram !== undefined ? formatHistogramLiteral(s.histogram) : String(s.value);
}

const MIN_NORMAL = 2.2250738585072014e-308;
const EPSILON = 1e-6;

/** Upstream's almost-equal: relative 1e-6 against the sum of magnitudes; an expected 0 needs an exact 0. */
export function floatEq(a: number, b: number): boolean {
  const sa = a !== a && isStaleNaN(a);
  const sb = b !== b && isStaleNaN(b);
  if (sa || sb) return sa && sb;
  if (a !== a && b !== b) return true;
  if (a === b) return true;
  const diff = Math.abs(a - b);
  const sum = Math.abs(a) + Math.abs(b);
  if (a === 0 || b === 0 || sum < MIN_NORMAL) return diff < EPSILON * MIN_NORMAL;
  return diff / Math.min(sum, Number.MAX_VALUE) < EPSILON;
}

export interface ExpectedSeries {
  desc: SeriesDescription;
}

function fmt(ls: Labels): string {
  return ls.length === 0 ? '{}' : formatLabels(ls);
}

/** Compares an instant vector. Returns an error text or undefined. */
export function compareVector(result: VectorSample[], expected: ExpectedSeries[], ordered: boolean): string | undefined {
  for (const e of expected) {
    if (e.desc.values.length !== 1) return `expected series ${fmt(e.desc.labels)} must have exactly one value for an instant query`;
  }
  if (result.length !== expected.length) {
    return `expected ${expected.length} samples, got ${result.length}: [${result.map((s) => `${fmt(s.labels)} ${sampleText(s)}`).join(', ')}]`;
  }
  const byKey = new Map<string, number>();
  expected.forEach((e, i) => byKey.set(labelsKey(e.desc.labels), i));
  for (let k = 0; k < result.length; k++) {
    const s = result[k]!;
    const idx = byKey.get(labelsKey(s.labels));
    if (idx === undefined) return `unexpected sample ${fmt(s.labels)} ${sampleText(s)}`;
    if (ordered && idx !== k) return `sample ${fmt(s.labels)} at position ${k + 1}, expected at ${idx + 1}`;
    const ev = expected[idx]!.desc.values[0]!;
    if (ev.kind === 'histogram' || s.histogram !== undefined) {
      if (ev.kind !== 'histogram') return `value of ${fmt(s.labels)}: expected ${ev.kind === 'float' ? ev.value : ev.kind}, got histogram ${formatHistogramLiteral(s.histogram!)}`;
      if (s.histogram === undefined) return `value of ${fmt(s.labels)}: expected histogram ${ev.text}, got float ${s.value}`;
      if (!s.histogram.equals(ev.h, floatEq, ev.hintWritten)) return `value of ${fmt(s.labels)}: expected ${formatHistogramLiteral(ev.h)}, got ${formatHistogramLiteral(s.histogram)}`;
      continue;
    }
    const want = ev.kind === 'float' ? ev.value : NaN;
    if (ev.kind !== 'float' || !floatEq(want, s.value)) return `value of ${fmt(s.labels)}: expected ${want}, got ${s.value}`;
  }
  return undefined;
}

export function isSortedByLabels(series: { labels: Labels }[]): boolean {
  for (let i = 1; i < series.length; i++) if (compareLabels(series[i - 1]!.labels, series[i]!.labels) > 0) return false;
  return true;
}

/** Compares a matrix whose expected position i is at time start + i*step (not after end). */
export function compareMatrix(result: MatrixSeries[], expected: ExpectedSeries[], start: number, step: number, end: number): string | undefined {
  if (!isSortedByLabels(result)) return 'matrix result is not sorted by labels';
  if (result.length !== expected.length) return `expected ${expected.length} series, got ${result.length}: [${result.map((s) => fmt(s.labels)).join(', ')}]`;
  const byKey = new Map<string, ExpectedSeries>();
  for (const e of expected) byKey.set(labelsKey(e.desc.labels), e);
  for (const s of result) {
    const e = byKey.get(labelsKey(s.labels));
    if (e === undefined) return `unexpected series ${fmt(s.labels)}`;
    const wantT: number[] = [];
    const wantV: number[] = [];
    const wantHT: number[] = [];
    const wantH: { h: FloatHistogram; hintWritten: boolean }[] = [];
    for (let i = 0; i < e.desc.values.length; i++) {
      const v = e.desc.values[i]!;
      const t = start + i * step;
      if (v.kind === 'omitted') continue;
      if (t > end) return `expected point for ${fmt(s.labels)} at ${t} is after the end ${end}`;
      if (v.kind === 'histogram') {
        wantHT.push(t);
        wantH.push(v);
        continue;
      }
      wantT.push(t);
      wantV.push(v.kind === 'float' ? v.value : NaN);
    }
    if (wantT.length !== s.timestamps.length) {
      return `series ${fmt(s.labels)}: expected ${wantT.length} points, got ${s.timestamps.length} (${[...s.timestamps].map((t, i) => `${s.values[i]}@${t}`).join(' ')})`;
    }
    for (let i = 0; i < wantT.length; i++) {
      if (wantT[i] !== s.timestamps[i]) return `series ${fmt(s.labels)}: point ${i} at ${s.timestamps[i]}, expected at ${wantT[i]}`;
      if (!floatEq(wantV[i]!, s.values[i]!)) return `series ${fmt(s.labels)}: at ${wantT[i]} expected ${wantV[i]}, got ${s.values[i]}`;
    }
    const hts = s.histograms?.timestamps ?? new Float64Array(0);
    const hvs = s.histograms?.values ?? [];
    if (wantHT.length !== hts.length) {
      return `series ${fmt(s.labels)}: expected ${wantHT.length} histogram points, got ${hts.length} (${[...hts].map((t, i) => `${formatHistogramLiteral(hvs[i]!)}@${t}`).join(' ')})`;
    }
    for (let i = 0; i < wantHT.length; i++) {
      if (wantHT[i] !== hts[i]) return `series ${fmt(s.labels)}: histogram point ${i} at ${hts[i]}, expected at ${wantHT[i]}`;
      const w = wantH[i]!;
      if (!hvs[i]!.equals(w.h, floatEq, w.hintWritten)) return `series ${fmt(s.labels)}: at ${wantHT[i]} expected ${formatHistogramLiteral(w.h)}, got ${formatHistogramLiteral(hvs[i]!)}`;
    }
  }
  return undefined;
}

export function describeResult(r: QueryResult): string {
  switch (r.resultType) {
    case 'scalar':
      return `scalar ${r.result.value}`;
    case 'string':
      return `string ${JSON.stringify(r.result.value)}`;
    case 'vector':
      return `vector of ${r.result.length}`;
    case 'matrix':
      return `matrix of ${r.result.length}`;
  }
}
