/**
 * The fixed PromQL set of the query benchmark, written for the load generator's series
 * scheme (tools/loadgen/bench-series.ts): metric bench_metric_<k> has one series per host,
 * job = host % 10, region = host % 4, pod-0..pod-9 spread evenly within each metric, and
 * values are counters whose rate grows with the pod number (see benchSampleValue). With 100,000 series every bench_metric_<k> has 1,000 series.
 */
export interface BenchQuery {
  name: string;
  promql: string;
  /** What it exercises, for the reader of the figures. */
  note: string;
}

export const BENCH_QUERIES: readonly BenchQuery[] = [
  {
    name: 'sum_rate_by_job',
    promql: 'sum by (job) (rate({__name__=~"bench_metric_1[0-9]"}[5m]))',
    note: 'rate over 10 metrics (10k series at 100k), summed into 10 groups',
  },
  {
    name: 'count_by_region_regex',
    promql: 'count by (region) ({__name__=~"bench_metric_2.*"})',
    note: 'regex name selector (bench_metric_2, _20.._29: 11k series), counted into 4 groups',
  },
  {
    name: 'topk_rate',
    promql: 'topk(5, rate(bench_metric_3[5m]))',
    note: 'topk over one metric (1k series)',
  },
  {
    name: 'avg_over_time_one_job',
    promql: 'avg_over_time(bench_metric_4{job="job-4"}[5m])',
    note: 'range function on one job (100 series)',
  },
  {
    name: 'group_left_ratio',
    promql: 'sum by (job, region) (rate(bench_metric_5[5m])) / on (job) group_left () sum by (job) (rate(bench_metric_5[5m]))',
    note: 'many-to-one vector match of two aggregates (20 left groups onto 10 right groups)',
  },
  {
    name: 'histogram_quantile_label_replace',
    promql:
      'histogram_quantile(0.5, sum by (le) (label_replace(label_replace(rate(bench_metric_6[5m]), "le", "${1}.5", "pod", "pod-([0-8])"), "le", "+Inf", "pod", "pod-9")))',
    note: 'buckets made from the pod label (pod-0..8 → le="0.5".."8.5", pod-9 → le="+Inf"), 1k series',
  },
];
