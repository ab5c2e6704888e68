/**
 * Internal evaluation values. Every instant-vector expression is evaluated over a
 * whole step grid at once and stored as columns per series (values + presence
 * flags), so no object is created per sample.
 */
import type { Labels } from '../model/labels.ts';

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
}

/** A series of raw points (range vector): matrix selectors and subqueries. */
export interface RangeSeries {
  labels: Labels;
  dropName: boolean;
  timestamps: Float64Array;
  values: Float64Array;
}

export type EvalValue =
  | { kind: 'scalar'; values: Float64Array }
  | { kind: 'string'; value: string }
  | { kind: 'vector'; series: StepSeries[] }
  | { kind: 'matrix'; series: RangeSeries[] };

export function newStepSeries(labels: Labels, n: number, dropName = false): StepSeries {
  return { labels, dropName, values: new Float64Array(n), present: new Uint8Array(n) };
}
