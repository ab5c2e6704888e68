/**
 * Query results: the typed value model returned by Engine and its exact
 * Prometheus /api/v1/query JSON rendering.
 */
import type { Labels } from '../model/labels.ts';
import { formatFloat } from './format.ts';
import type { FloatHistogram } from './histogram/float-histogram.ts';
import { histogramJson } from './histogram/json.ts';
import type { PromJsonHistogram } from './histogram/json.ts';

export interface VectorSample {
  labels: Labels;
  /** Evaluation timestamp in ms. */
  timestamp: number;
  /** The float value (0 when histogram is set). */
  value: number;
  /** Set when the sample is a native histogram. */
  histogram?: FloatHistogram;
}

/** One series of a matrix result; timestamps (ms) and values are columns of equal length. */
export interface MatrixSeries {
  labels: Labels;
  timestamps: Float64Array;
  values: Float64Array;
  /** Native-histogram points, apart from the float points (like Prometheus's `histograms` field). */
  histograms?: { timestamps: Float64Array; values: FloatHistogram[] };
}

export interface ScalarResult {
  timestamp: number;
  value: number;
}

export interface StringResult {
  timestamp: number;
  value: string;
}

interface ResultCommon {
  /** Rendered annotations, e.g. `PromQL warning: ... (1:5)`. */
  warnings: string[];
  infos?: string[];
}

export type QueryResult =
  | (ResultCommon & { resultType: 'vector'; result: VectorSample[] })
  | (ResultCommon & { resultType: 'matrix'; result: MatrixSeries[] })
  | (ResultCommon & { resultType: 'scalar'; result: ScalarResult })
  | (ResultCommon & { resultType: 'string'; result: StringResult });

export type PromJsonPoint = [number, string];

export interface PromJsonData {
  resultType: QueryResult['resultType'];
  result: unknown;
}

function metricObject(ls: Labels): Record<string, string> {
  const o: Record<string, string> = {};
  for (const l of ls) o[l.name] = l.value;
  return o;
}

/** Milliseconds to Prometheus API seconds (a JSON number such as 1435781451.781). */
export function msToSeconds(ms: number): number {
  return ms / 1000;
}

/** The `data` object of Prometheus's /api/v1/query and /api/v1/query_range responses. */
export function toPrometheusJson(r: QueryResult): PromJsonData {
  switch (r.resultType) {
    case 'scalar':
      return { resultType: 'scalar', result: [msToSeconds(r.result.timestamp), formatFloat(r.result.value)] };
    case 'string':
      return { resultType: 'string', result: [msToSeconds(r.result.timestamp), r.result.value] };
    case 'vector':
      return {
        resultType: 'vector',
        result: r.result.map((s) =>
          s.histogram !== undefined
            ? { metric: metricObject(s.labels), histogram: [msToSeconds(s.timestamp), histogramJson(s.histogram)] as [number, PromJsonHistogram] }
            : { metric: metricObject(s.labels), value: [msToSeconds(s.timestamp), formatFloat(s.value)] },
        ),
      };
    case 'matrix':
      return {
        resultType: 'matrix',
        result: r.result.map((s) => {
          const values: PromJsonPoint[] = new Array(s.timestamps.length);
          for (let i = 0; i < s.timestamps.length; i++) values[i] = [msToSeconds(s.timestamps[i]!), formatFloat(s.values[i]!)];
          const h = s.histograms;
          if (h === undefined || h.timestamps.length === 0) return { metric: metricObject(s.labels), values };
          const histograms: [number, PromJsonHistogram][] = [];
          for (let i = 0; i < h.timestamps.length; i++) histograms.push([msToSeconds(h.timestamps[i]!), histogramJson(h.values[i]!)]);
          return values.length > 0 ? { metric: metricObject(s.labels), values, histograms } : { metric: metricObject(s.labels), histograms };
        }),
      };
  }
}
