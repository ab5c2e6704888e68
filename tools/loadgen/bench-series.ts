/**
 * The benchmark's synthetic series. Series `s` (0-based) of a run is made of mixed-radix
 * digits of `s`, so every label set is unique and the label values have known,
 * query-friendly cardinalities (tools/bench/query.ts relies on this scheme):
 *
 * | label      | value                         | distinct values (100k series)     |
 * |------------|-------------------------------|-----------------------------------|
 * | __name__   | bench_metric_<s % 100>        | 100                               |
 * | container  | container-<h % 50>            | 50                                |
 * | instance   | host-<h>:9100                 | 1000 (h = floor(s / 100))         |
 * | job        | job-<h % 10>                  | 10                                |
 * | path       | /api/v1/endpoint-<s % 20>     | 20                                |
 * | pod        | pod-<(h + floor(k / 10)) % 10>| 10 (pod-0..pod-9 within a metric) |
 * | region     | region-<h % 4>                | 4                                 |
 * | zone       | zone-<h % 12>                 | 12                                |
 *
 * Each `bench_metric_<k>` therefore has one series per host (1000 with 100k series).
 * Fewer than 8 labels per series keeps the first N of the table (in the order __name__,
 * instance, job, region, zone, pod, container, path); more adds `extra_<n>="value-<s % 7>"`.
 */
import type { LabelPair } from './write-request-encoder.ts';

/** Number of distinct metric names; series s has metric s % METRICS_PER_HOST on host floor(s / METRICS_PER_HOST). */
export const METRICS_PER_HOST = 100;

/** Label set of series `s` with `labelCount` labels (≥ 1), sorted by name. */
export function benchSeriesLabels(s: number, labelCount = 8): LabelPair[] {
  if (!Number.isInteger(labelCount) || labelCount < 1) {
    throw new RangeError(`Invalid label count: "${labelCount}" must be an integer ≥ 1`);
  }
  const k = s % METRICS_PER_HOST;
  const h = Math.floor(s / METRICS_PER_HOST);
  const ordered: LabelPair[] = [
    { name: '__name__', value: `bench_metric_${k}` },
    { name: 'instance', value: `host-${h}:9100` },
    { name: 'job', value: `job-${h % 10}` },
    { name: 'region', value: `region-${h % 4}` },
    { name: 'zone', value: `zone-${h % 12}` },
    // Within one metric every pod value has the same number of hosts, which is what the
    // label_replace-made histogram of tools/bench/query.ts needs.
    { name: 'pod', value: `pod-${benchPodIndex(s)}` },
    { name: 'container', value: `container-${h % 50}` },
    { name: 'path', value: `/api/v1/endpoint-${s % 20}` },
  ];
  const labels = ordered.slice(0, Math.min(labelCount, ordered.length));
  for (let n = ordered.length; n < labelCount; n++) {
    labels.push({ name: `extra_${n}`, value: `value-${s % 7}` });
  }
  labels.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return labels;
}

/** The pod number (0..9) of series `s`. */
export function benchPodIndex(s: number): number {
  const h = Math.floor(s / METRICS_PER_HOST);
  return (h + Math.floor((s % METRICS_PER_HOST) / 10)) % 10;
}

/**
 * Sample value of series `s` in round `r`: a counter growing by 10 × (pod + 1) + (host % 7)
 * per round. The pod term makes the per-pod rate sums increase with the pod number, so the
 * pod-made histogram buckets of the query benchmark are cumulative-like and give a real
 * quantile; the host term makes rates differ within a metric (topk has something to pick).
 */
export function benchSampleValue(s: number, r: number): number {
  const h = Math.floor(s / METRICS_PER_HOST);
  return (s % 1000) + (r + 1) * (10 * (benchPodIndex(s) + 1) + (h % 7));
}
