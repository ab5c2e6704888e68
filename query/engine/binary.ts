/**
 * Binary operators: scalar/scalar, vector/scalar and vector/vector with
 * on/ignoring, group_left/group_right, bool, set operators and fill modifiers.
 */
import type { Labels } from '../model/labels.ts';
import { METRIC_NAME, labelsEqual, labelsKey } from '../model/labels.ts';
import type { BinaryOp, FillModifier, VectorMatching } from '../parser/ast.ts';
import { executionError } from './errors.ts';
import { dropMetadata, labelsString, onlyLabels, setLabel, withoutLabels } from './label-ops.ts';
import type { FloatHistogram } from './histogram/float-histogram.ts';
import { HistogramError } from './histogram/float-histogram.ts';
import { trimHistogram } from './histogram/trim.ts';
import type { StepSeries } from './types.ts';
import { StepSeriesPool, newStepSeries, setHist } from './types.ts';

/** Where binary operators report annotations (already bound to the expression's position). */
export interface BinopNotes {
  info(text: string): void;
  warn(text: string): void;
}

const NO_NOTES: BinopNotes = { info: () => {}, warn: () => {} };

interface ElemResult {
  value: number;
  h: FloatHistogram | undefined;
  keep: boolean;
}

/**
 * One operation where at least one side is a native histogram: histogram * float,
 * histogram / float, histogram +/- histogram and histogram ==/!= histogram are defined;
 * everything else drops the sample with an info.
 */
export function histogramElemBinop(op: BinaryOp, lf: number, rf: number, lh: FloatHistogram | undefined, rh: FloatHistogram | undefined, notes: BinopNotes): ElemResult | undefined {
  const incompatible = (): undefined => {
    notes.info(`incompatible sample types encountered for binary operator ${JSON.stringify(op)}: ${lh ? 'histogram' : 'float'} ${op} ${rh ? 'histogram' : 'float'}`);
    return undefined;
  };
  if (lh === undefined && rh !== undefined) {
    if (op === '*') return { value: 0, h: rh.copy().mul(lf).compact(), keep: true };
    return incompatible();
  }
  if (lh !== undefined && rh === undefined) {
    if (op === '</' || op === '>/') return { value: 0, h: trimHistogram(lh, rf, op === '</'), keep: true };
    if (op === '*') return { value: 0, h: lh.copy().mul(rf).compact(), keep: true };
    if (op === '/') return { value: 0, h: lh.copy().div(rf).compact(), keep: true };
    return incompatible();
  }
  const a = lh!;
  const b = rh!;
  switch (op) {
    case '+':
    case '-': {
      const res = a.copy();
      let r;
      try {
        r = op === '+' ? res.add(b) : res.sub(b);
      } catch (err) {
        if (err instanceof HistogramError) {
          notes.warn(err.message);
          return undefined;
        }
        throw err;
      }
      if (r.counterResetCollision) notes.warn(`conflicting counter resets during histogram ${op === '+' ? 'addition' : 'subtraction'}`);
      if (r.customBucketsReconciled) notes.info(`mismatched custom buckets were reconciled during ${op === '+' ? 'addition' : 'subtraction'}`);
      if (op === '-') res.hint = 'gauge';
      return { value: 0, h: res.compact(), keep: true };
    }
    case '==':
      return { value: 0, h: a, keep: a.equals(b) };
    case '!=':
      return { value: 0, h: a, keep: !a.equals(b) };
    default:
      return incompatible();
  }
}

/** Go's math.Pow special cases differ from JS's ** for 1^NaN and (-1)^±Inf. */
export function goPow(x: number, y: number): number {
  if (y === 0) return 1;
  if (x === 1) return 1;
  if (x === -1 && (y === Infinity || y === -Infinity)) return 1;
  return Math.pow(x, y);
}

export function isComparison(op: BinaryOp): boolean {
  return op === '==' || op === '!=' || op === '>' || op === '<' || op === '>=' || op === '<=';
}

function changesSchema(op: BinaryOp): boolean {
  return op === '+' || op === '-' || op === '*' || op === '/' || op === '^' || op === '%' || op === 'atan2';
}

/** Arithmetic value, or for comparisons 1/0 (truth). */
export function arith(op: BinaryOp, a: number, b: number): number {
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    case '/':
      return a / b;
    case '%':
      return a % b;
    case '^':
      return goPow(a, b);
    case 'atan2':
      return Math.atan2(a, b);
    case '==':
      return a === b ? 1 : 0;
    case '!=':
      return a !== b ? 1 : 0;
    case '>':
      return a > b ? 1 : 0;
    case '<':
      return a < b ? 1 : 0;
    case '>=':
      return a >= b ? 1 : 0;
    case '<=':
      return a <= b ? 1 : 0;
    default:
      throw new TypeError(`operator ${op} not allowed for scalar operations`);
  }
}

export function scalarScalar(op: BinaryOp, a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = arith(op, a[i]!, b[i]!);
  return out;
}

export function vectorScalar(op: BinaryOp, vec: StepSeries[], scalar: Float64Array, swap: boolean, returnBool: boolean, notes: BinopNotes = NO_NOTES): StepSeries[] {
  const cmp = isComparison(op);
  const out: StepSeries[] = [];
  const pool = new StepSeriesPool(vec.length > 0 ? vec[0]!.values.length : 0, vec.length);
  for (const s of vec) {
    const n = s.values.length;
    const dropName = s.dropName || changesSchema(op) || returnBool;
    // Every series of a vector spans the same grid; the pool is only for that common length.
    const r = n === vec[0]!.values.length ? pool.next(s.labels, dropName) : newStepSeries(s.labels, n, dropName);
    let any = false;
    for (let i = 0; i < n; i++) {
      if (s.present[i] !== 1) continue;
      const sh = s.hists?.[i];
      if (sh !== undefined) {
        const k = scalar[i]!;
        const res = swap ? histogramElemBinop(op, k, 0, undefined, sh, notes) : histogramElemBinop(op, 0, k, sh, undefined, notes);
        if (res === undefined || !res.keep) continue;
        if (res.h !== undefined) setHist(r, i, res.h);
        any = true;
        continue;
      }
      const v = s.values[i]!;
      const k = scalar[i]!;
      const a = swap ? k : v;
      const b = swap ? v : k;
      if (op === '</' || op === '>/') {
        notes.info(`incompatible sample types encountered for binary operator ${JSON.stringify(op)}: float ${op} float`);
        continue;
      }
      if (cmp) {
        const keep = arith(op, a, b) === 1;
        if (returnBool) {
          r.values[i] = keep ? 1 : 0;
          r.present[i] = 1;
          any = true;
        } else if (keep) {
          r.values[i] = v;
          r.present[i] = 1;
          any = true;
        }
      } else {
        r.values[i] = arith(op, a, b);
        r.present[i] = 1;
        any = true;
      }
    }
    if (any) out.push(r);
  }
  return out;
}

type SigFn = (ls: Labels) => string;

function signatureFn(m: VectorMatching): { sig: SigFn; matchLabels: (ls: Labels) => Labels } {
  if (m.on) {
    const names = new Set(m.matchingLabels);
    const matchLabels = (ls: Labels): Labels => onlyLabels(ls, names);
    return { sig: (ls) => labelsKey(matchLabels(ls)), matchLabels };
  }
  const names = new Set([...m.matchingLabels, METRIC_NAME]);
  const matchLabels = (ls: Labels): Labels => withoutLabels(ls, names);
  return { sig: (ls) => labelsKey(matchLabels(ls)), matchLabels };
}

const DEFAULT_MATCHING: VectorMatching = { card: 'one-to-one', matchingLabels: [], on: false, include: [] };

export function vectorVector(
  op: BinaryOp,
  lhsIn: StepSeries[],
  rhsIn: StepSeries[],
  matchingIn: VectorMatching | undefined,
  returnBool: boolean,
  fill: FillModifier | undefined,
  n: number,
  notes: BinopNotes = NO_NOTES,
): StepSeries[] {
  const matching = matchingIn ?? DEFAULT_MATCHING;
  const { sig, matchLabels } = signatureFn(matching);
  // Join signatures as small integers, computed once per series (label sets do not change across steps).
  const ordOf = new Map<string, number>();
  const ordinal = (ls: Labels): number => {
    const k = sig(ls);
    let o = ordOf.get(k);
    if (o === undefined) {
      o = ordOf.size;
      ordOf.set(k, o);
    }
    return o;
  };
  const lOrdIn = Int32Array.from(lhsIn, (s) => ordinal(s.labels));
  const rOrdIn = Int32Array.from(rhsIn, (s) => ordinal(s.labels));

  if (op === 'and' || op === 'or' || op === 'unless') {
    return setOperation(op, lhsIn, rhsIn, lOrdIn, rOrdIn, ordOf.size, n);
  }

  const cmp = isComparison(op);
  const oneToMany = matching.card === 'one-to-many';
  const oneToOne = matching.card === 'one-to-one';
  // For one-to-many, swap sides so the right-hand side is always the "one" side.
  const lhs = oneToMany ? rhsIn : lhsIn;
  const rhs = oneToMany ? lhsIn : rhsIn;
  const lOrd = oneToMany ? rOrdIn : lOrdIn;
  const rOrd = oneToMany ? lOrdIn : rOrdIn;
  // Like Prometheus, fill values are not swapped for one-to-many matching.
  const fillL = fill?.lhs;
  const fillR = fill?.rhs;
  const include = matching.include;
  const matchSet = new Set(matching.matchingLabels);
  const schema = changesSchema(op);

  const resultMetric = (l: Labels, r: Labels): Labels => {
    let out = l;
    if (schema) out = dropMetadata(out);
    if (oneToOne) out = matching.on ? onlyLabels(out, matchSet) : withoutLabels(out, matchSet);
    for (const name of include) {
      let v = '';
      for (const x of r) if (x.name === name) v = x.value;
      out = setLabel(out, name, v);
    }
    return out;
  };

  // Output series per (lhs, rhs) pair; pairs yielding equal label sets share one series.
  const byKey = new Map<string, StepSeries>();
  const byPair = new Map<number, StepSeries>();
  const R = rhs.length + 1;
  const outputFor = (li: number, ri: number, lLabels: Labels, rLabels: Labels): StepSeries => {
    const pk = li * R + ri;
    let s = byPair.get(pk);
    if (s !== undefined) return s;
    const metric = resultMetric(lLabels, rLabels);
    const key = labelsKey(metric);
    s = byKey.get(key);
    if (s === undefined) {
      s = newStepSeries(metric, n, returnBool);
      byKey.set(key, s);
    }
    byPair.set(pk, s);
    return s;
  };

  const numSigs = ordOf.size;
  const rightAt = new Int32Array(numSigs).fill(-1);
  const rightStep = new Int32Array(numSigs).fill(-1);
  const matchedStep = new Int32Array(numSigs).fill(-1);
  const matchedOutputs = new Map<number, Set<StepSeries>>();

  for (let i = 0; i < n; i++) {
    matchedOutputs.clear();
    for (let j = 0; j < rhs.length; j++) {
      if (rhs[j]!.present[i] !== 1) continue;
      const o = rOrd[j]!;
      if (rightStep[o] === i) {
        const prev = rightAt[o]!;
        const oneSide = oneToMany ? 'left' : 'right';
        const a = labelsString(rhs[j]!.labels);
        const b = labelsString(rhs[prev]!.labels);
        const [x, y] = a < b ? [a, b] : [b, a];
        throw executionError(
          `found duplicate series for the match group ${labelsString(matchLabels(rhs[j]!.labels))} on the ${oneSide} hand-side of the operation: [${x}, ${y}];many-to-many matching not allowed: matching labels must be unique on one side`,
        );
      }
      rightStep[o] = i;
      rightAt[o] = j;
    }
    const doOp = (li: number, ri: number, lLabels: Labels, lv: number, rLabels: Labels, rv: number, o: number, lh?: FloatHistogram, rh?: FloatHistogram): void => {
      const a = oneToMany ? rv : lv;
      const b = oneToMany ? lv : rv;
      let value: number;
      let keep = true;
      let h: FloatHistogram | undefined;
      if (lh !== undefined || rh !== undefined) {
        const res = oneToMany ? histogramElemBinop(op, rv, lv, rh, lh, notes) : histogramElemBinop(op, lv, rv, lh, rh, notes);
        if (res === undefined) return;
        keep = res.keep;
        if (cmp && returnBool) value = keep ? 1 : 0;
        else {
          value = res.value;
          h = res.h;
        }
      } else if (op === '</' || op === '>/') {
        notes.info(`incompatible sample types encountered for binary operator ${JSON.stringify(op)}: float ${op} float`);
        return;
      } else if (cmp) {
        keep = arith(op, a, b) === 1;
        value = returnBool ? (keep ? 1 : 0) : a;
      } else value = arith(op, a, b);
      const out = outputFor(li, ri, lLabels, rLabels);
      if (oneToOne) {
        if (matchedStep[o] === i) throw executionError('multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)');
        matchedStep[o] = i;
      } else {
        let set = matchedOutputs.get(o);
        if (set === undefined) matchedOutputs.set(o, (set = new Set()));
        else if (set.has(out)) throw executionError('multiple matches for labels: grouping labels must ensure unique matches');
        set.add(out);
        matchedStep[o] = i;
      }
      if (!keep && !returnBool) return;
      if (out.present[i] === 1) throw executionError('vector cannot contain metrics with the same labelset');
      if (h !== undefined) setHist(out, i, h);
      else {
        out.values[i] = value;
        out.present[i] = 1;
      }
    };
    for (let j = 0; j < lhs.length; j++) {
      const ls = lhs[j]!;
      if (ls.present[i] !== 1) continue;
      const o = lOrd[j]!;
      if (rightStep[o] !== i) {
        if (fillR === undefined) continue;
        doOp(j, rhs.length, ls.labels, ls.values[i]!, matchLabels(ls.labels), fillR, o, ls.hists?.[i]);
        continue;
      }
      const ri = rightAt[o]!;
      const rs = rhs[ri]!;
      doOp(j, ri, ls.labels, ls.values[i]!, rs.labels, rs.values[i]!, o, ls.hists?.[i], rs.hists?.[i]);
    }
    if (fillL !== undefined) {
      for (let ri = 0; ri < rhs.length; ri++) {
        const rs = rhs[ri]!;
        if (rs.present[i] !== 1) continue;
        const o = rOrd[ri]!;
        if (matchedStep[o] === i) continue;
        // A fill-side series has no input series: key it past the lhs indexes.
        doOp(lhs.length + ri, ri, matchLabels(rs.labels), fillL, rs.labels, rs.values[i]!, o, undefined, rs.hists?.[i]);
      }
    }
  }
  const out: StepSeries[] = [];
  for (const s of byKey.values()) if (s.present.includes(1)) out.push(s);
  return out;
}

function setOperation(op: 'and' | 'or' | 'unless', lhs: StepSeries[], rhs: StepSeries[], lsig: Int32Array, rsig: Int32Array, numSigs: number, n: number): StepSeries[] {
  void numSigs;
  // Series keep their identity; presence is filtered per step.
  const lOut = lhs.map((s) => newStepSeries(s.labels, n, s.dropName));
  const rOut = op === 'or' ? rhs.map((s) => newStepSeries(s.labels, n, s.dropName)) : [];
  const sigs = new Set<number>();
  for (let i = 0; i < n; i++) {
    sigs.clear();
    if (op === 'or') {
      for (let j = 0; j < lhs.length; j++) {
        if (lhs[j]!.present[i] !== 1) continue;
        sigs.add(lsig[j]!);
        copyStep(lOut[j]!, lhs[j]!, i);
      }
      for (let j = 0; j < rhs.length; j++) {
        if (rhs[j]!.present[i] !== 1 || sigs.has(rsig[j]!)) continue;
        copyStep(rOut[j]!, rhs[j]!, i);
      }
      continue;
    }
    for (let j = 0; j < rhs.length; j++) if (rhs[j]!.present[i] === 1) sigs.add(rsig[j]!);
    for (let j = 0; j < lhs.length; j++) {
      if (lhs[j]!.present[i] !== 1) continue;
      const has = sigs.has(lsig[j]!);
      if ((op === 'and') === has) {
        copyStep(lOut[j]!, lhs[j]!, i);
      }
    }
  }
  const out: StepSeries[] = [];
  for (const s of [...lOut, ...rOut]) if (s.present.includes(1)) out.push(s);
  return mergeSameLabels(out);
}

/** Merges series that share a label set (e.g. both sides of `or`); overlapping steps are an error. */
export function mergeSameLabels(series: StepSeries[]): StepSeries[] {
  if (!hasDuplicateLabels(series)) return series;
  const out = new Map<string, StepSeries>();
  for (const s of series) {
    const k = labelsKey(s.labels);
    const base = out.get(k);
    if (base === undefined) {
      const c: StepSeries = { labels: s.labels, dropName: s.dropName, values: Float64Array.from(s.values), present: Uint8Array.from(s.present) };
      if (s.hists !== undefined) c.hists = s.hists.slice();
      out.set(k, c);
      continue;
    }
    for (let i = 0; i < s.present.length; i++) {
      if (s.present[i] !== 1) continue;
      if (base.present[i] === 1) throw executionError('vector cannot contain metrics with the same labelset');
      copyStep(base, s, i);
    }
  }
  return [...out.values()];
}

/**
 * True when two series share a label set. Called on every label_replace and result:
 * a numeric hash with an exact check on collision avoids building a string key per series.
 */
function hasDuplicateLabels(series: readonly StepSeries[]): boolean {
  if (series.length < 2) return false;
  const first = new Map<number, number>();
  let more: Map<number, number[]> | undefined;
  for (let i = 0; i < series.length; i++) {
    const ls = series[i]!.labels;
    const h = labelSetHash(ls);
    const j = first.get(h);
    if (j === undefined) {
      first.set(h, i);
      continue;
    }
    if (labelsEqual(series[j]!.labels, ls)) return true;
    more ??= new Map();
    let list = more.get(h);
    if (list === undefined) more.set(h, (list = []));
    for (const k of list) if (labelsEqual(series[k]!.labels, ls)) return true;
    list.push(i);
  }
  return false;
}

/** FNV-1a over names and values with separators (code units; only equality matters here). */
function labelSetHash(ls: Labels): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < ls.length; i++) {
    const l = ls[i]!;
    const n = l.name;
    for (let k = 0; k < n.length; k++) h = Math.imul(h ^ n.charCodeAt(k), 0x01000193);
    h = Math.imul(h ^ 0xffff, 0x01000193);
    const v = l.value;
    for (let k = 0; k < v.length; k++) h = Math.imul(h ^ v.charCodeAt(k), 0x01000193);
    h = Math.imul(h ^ 0xfffe, 0x01000193);
  }
  return h;
}

/** Copies step i (float or histogram) from src to dst. */
export function copyStep(dst: StepSeries, src: StepSeries, i: number): void {
  const h = src.hists?.[i];
  if (h !== undefined) setHist(dst, i, h);
  else {
    dst.values[i] = src.values[i]!;
    dst.present[i] = 1;
    if (dst.hists !== undefined) dst.hists[i] = undefined;
  }
}
