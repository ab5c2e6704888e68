/**
 * Internal evaluation values. Every instant-vector expression is evaluated over a
 * whole step grid at once and stored as columns per series (values + presence
 * flags), so no object is created per sample.
 */
import type { Labels } from '../model/labels.ts';
import type { FloatHistogram } from './histogram/float-histogram.ts';

/** The evaluation times start, start+step, ..., end (n of them). */
export interface Grid {
  start: number;
  end: number;
  step: number;
  n: number;
}

export function makeGrid(start: number, end: number, step: number): Grid {
  const n = end < start ? 0 : Math.floor((end - start) / step) + 1;
  return { start, end, step, n };
}

export function gridTime(g: Grid, i: number): number {
  return g.start + i * g.step;
}

/** One series of an instant vector over a grid. present[i] is 1 when the series has a value at step i. */
export interface StepSeries {
  labels: Labels;
  /** Delayed __name__ removal (Prometheus 3): the name is dropped when evaluation finishes. */
  dropName: boolean;
  values: Float64Array;
  present: Uint8Array;
  /** Timestamps of the samples picked by a vector selector (only for timestamp()). */
  sampleTs?: Float64Array;
  /**
   * Native-histogram values: where hists[i] is set (and present[i] is 1) the step holds
   * that histogram instead of values[i]. Absent for float-only series.
   */
  hists?: (FloatHistogram | undefined)[];
}

/** A series of raw points (range vector): matrix selectors and subqueries. */
export interface RangeSeries {
  labels: Labels;
  dropName: boolean;
  timestamps: Float64Array;
  values: Float64Array;
  /** Histogram points, aligned with timestamps (undefined entries are float points). */
  hists?: (FloatHistogram | undefined)[];
  /** Start timestamps of the points (ms, 0 = unknown); only straight from a matrix selector. */
  startTimestamps?: Float64Array;
}

export type EvalValue =
  | { kind: 'scalar'; values: Float64Array }
  | { kind: 'string'; value: string }
  | { kind: 'vector'; series: StepSeries[] }
  | { kind: 'matrix'; series: RangeSeries[] };

export function newStepSeries(labels: Labels, n: number, dropName = false): StepSeries {
  return { labels, dropName, values: new Float64Array(n), present: new Uint8Array(n) };
}

/** Most float rows one StepSeriesPool block holds (8 MiB of values). */
const POOL_BLOCK_VALUES = 1 << 20;

/**
 * Hands out StepSeries whose columns are views into shared blocks. A typed array over
 * 64 bytes gets its own off-heap backing store, which costs microseconds, far more than
 * a view: allocating columns one by one dominated range queries over many series.
 * A block stays alive while any series cut from it does.
 */
export class StepSeriesPool {
  readonly #n: number;
  readonly #rowsPerBlock: number;
  #f64: ArrayBuffer | null = null;
  #u8: ArrayBuffer | null = null;
  #used = 0;

  /** @param n steps per series @param expected how many series the caller will likely take */
  constructor(n: number, expected: number) {
    this.#n = n;
    const cap = n > 0 ? Math.max(1, Math.floor(POOL_BLOCK_VALUES / n)) : expected;
    this.#rowsPerBlock = Math.max(1, Math.min(expected, cap));
  }

  /** A zeroed series, like newStepSeries(labels, n, dropName). */
  next(labels: Labels, dropName = false): StepSeries {
    const n = this.#n;
    if (this.#f64 === null || this.#used === this.#rowsPerBlock) {
      this.#f64 = new ArrayBuffer(this.#rowsPerBlock * n * 8);
      this.#u8 = new ArrayBuffer(this.#rowsPerBlock * n);
      this.#used = 0;
    }
    const row = this.#used++;
    return { labels, dropName, values: new Float64Array(this.#f64, row * n * 8, n), present: new Uint8Array(this.#u8!, row * n, n) };
  }
}

/** True when step i of s holds a native histogram. */
export function isHist(s: StepSeries, i: number): boolean {
  return s.hists !== undefined && s.hists[i] !== undefined;
}

/**
 * The series of vec with their histogram samples removed (functions and operators
 * that only take floats ignore histograms); float-only series are returned as they are.
 * Calls onDrop for every series that lost a histogram sample.
 */
export function floatsOnly(vec: StepSeries[], onDrop?: (s: StepSeries) => void): StepSeries[] {
  let changed = false;
  const out: StepSeries[] = [];
  for (const s of vec) {
    if (s.hists === undefined) {
      out.push(s);
      continue;
    }
    const present = Uint8Array.from(s.present);
    let any = false;
    let dropped = false;
    for (let i = 0; i < present.length; i++) {
      if (s.hists[i] !== undefined) {
        if (present[i] === 1) dropped = true;
        present[i] = 0;
      } else if (present[i] === 1) any = true;
    }
    if (dropped) onDrop?.(s);
    changed = true;
    if (any) out.push({ labels: s.labels, dropName: s.dropName, values: s.values, present, ...(s.sampleTs !== undefined ? { sampleTs: s.sampleTs } : {}) });
  }
  return changed ? out : vec;
}

/** Sets step i of s to histogram h (allocating the hists column on first use). */
export function setHist(s: StepSeries, i: number, h: FloatHistogram): void {
  if (s.hists === undefined) s.hists = new Array(s.present.length);
  s.hists[i] = h;
  s.values[i] = 0;
  s.present[i] = 1;
}
