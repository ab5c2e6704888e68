/** Shared message shapes of the remote-write / remote-read codecs. */
import type { Labels } from '../../query/model/labels.ts';

/** MetricMetadata.type names, indexed by the wire enum value (lower case, as /api/v1/metadata shows them). */
export const METRIC_TYPE_NAMES = ['unknown', 'counter', 'gauge', 'histogram', 'gaugehistogram', 'summary', 'info', 'stateset'] as const;

export type MetricTypeName = (typeof METRIC_TYPE_NAMES)[number];

export interface MetricMetadata {
  readonly type: MetricTypeName;
  readonly metricFamilyName: string;
  readonly help: string;
  readonly unit: string;
}

/** One exemplar as the encoder writes it (the decoder only counts exemplars). */
export interface ExemplarInput {
  readonly labels: Labels;
  readonly value: number;
  readonly timestamp: number;
}

/**
 * A series to encode. Pass values as a Float64Array to keep NaN payloads
 * (e.g. the stale marker) bit-exact; plain numbers go through a scratch
 * Float64Array, which V8 also preserves in practice.
 */
export interface SeriesInput {
  readonly labels: Labels;
  readonly timestamps: ArrayLike<number>;
  readonly values: ArrayLike<number>;
  readonly exemplars?: readonly ExemplarInput[];
}
