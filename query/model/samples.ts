import type { FloatHistogram } from '../engine/histogram/float-histogram.ts';
import type { Labels } from './labels.ts';

/** Timestamps are integer milliseconds since the epoch throughout the project. */
export interface Sample {
  timestamp: number;
  value: number;
}

/**
 * A series with its samples over a queried range, as columns: no object per sample.
 * timestamps is sorted ascending and has the same length as values.
 */
export interface SeriesSamples {
  labels: Labels;
  timestamps: Float64Array;
  values: Float64Array;
  /**
   * Native-histogram samples of the series in the same range, sorted by timestamp
   * (absent when it has none). A timestamp holds either a float or a histogram.
   */
  histograms?: HistogramSamples;
  /** Start timestamps of the float samples (ms; 0 = unknown); absent when none is known. */
  startTimestamps?: Float64Array;
}

export interface HistogramSamples {
  timestamps: Float64Array;
  values: FloatHistogram[];
  /** Start timestamps of the histogram samples (ms; 0 = unknown); absent when none is known. */
  startTimestamps?: Float64Array;
}

/** Prometheus's staleness marker: a NaN with this exact bit pattern. */
export const STALE_NAN_BITS_HI = 0x7ff00000;
export const STALE_NAN_BITS_LO = 0x00000002;

const scratch = new DataView(new ArrayBuffer(8));

export function isStaleNaN(v: number): boolean {
  if (v === v) return false;
  scratch.setFloat64(0, v);
  return scratch.getUint32(0) === STALE_NAN_BITS_HI && scratch.getUint32(4) === STALE_NAN_BITS_LO;
}

export function staleNaN(): number {
  scratch.setUint32(0, STALE_NAN_BITS_HI);
  scratch.setUint32(4, STALE_NAN_BITS_LO);
  return scratch.getFloat64(0);
}
