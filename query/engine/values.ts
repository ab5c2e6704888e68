/**
 * Query results: the typed value model returned by Engine and its exact
 * Prometheus /api/v1/query JSON rendering.
 */
import type { Labels } from '../model/labels.ts';
import { formatFloat } from './format.ts';

export interface VectorSample {
  labels: Labels;
  /** Evaluation timestamp in ms. */
  timestamp: number;
  value: number;
}

/** One series of a matrix result; timestamps (ms) and values are columns of equal length. */
export interface MatrixSeries {
  labels: Labels;
  timestamps: Float64Array;
  values: Float64Array;
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
        result: r.result.map((s) => ({ metric: metricObject(s.labels), value: [msToSeconds(s.timestamp), formatFloat(s.value)] })),
      };
    case 'matrix':
      return {
        resultType: 'matrix',
        result: r.result.map((s) => {
          const values: PromJsonPoint[] = new Array(s.timestamps.length);
          for (let i = 0; i < s.timestamps.length; i++) values[i] = [msToSeconds(s.timestamps[i]!), formatFloat(s.values[i]!)];
          return { metric: metricObject(s.labels), values };
        }),
      };
  }
}
