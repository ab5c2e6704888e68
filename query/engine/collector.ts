/** Builds output StepSeries keyed by label set, rejecting two values for one label set at one step. */
import type { Labels } from '../model/labels.ts';
import { labelsKey } from '../model/labels.ts';
import { executionError } from './errors.ts';
import type { StepSeries } from './types.ts';
import { newStepSeries, setHist } from './types.ts';
import type { FloatHistogram } from './histogram/float-histogram.ts';

export class SeriesCollector {
  readonly #n: number;
  readonly #byKey = new Map<string, StepSeries>();

  constructor(n: number) {
    this.#n = n;
  }

  add(labels: Labels, dropName: boolean, step: number, value: number, h?: FloatHistogram): void {
    const key = labelsKey(labels);
    let s = this.#byKey.get(key);
    if (s === undefined) {
      s = newStepSeries(labels, this.#n, dropName);
      this.#byKey.set(key, s);
    } else if (s.present[step] === 1) {
      throw executionError('vector cannot contain metrics with the same labelset');
    }
    if (h !== undefined) setHist(s, step, h);
    else {
      s.values[step] = value;
      s.present[step] = 1;
    }
  }

  result(): StepSeries[] {
    return [...this.#byKey.values()];
  }
}
