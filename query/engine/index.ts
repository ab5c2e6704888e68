/** Public API of the PromQL engine package. */
export { Engine, type QueryOptions } from './engine.ts';
export { type EngineConfig, ENGINE_DEFAULTS, resolveEngineConfig } from './config.ts';
export { toPrometheusJson, type QueryResult, type VectorSample, type MatrixSeries, type ScalarResult, type StringResult, type PromJsonData } from './values.ts';
export { QueryError, isQueryError, type QueryErrorCode, type QueryErrorType } from './errors.ts';
export { formatFloat } from './format.ts';
export { FloatHistogram, type CounterResetHint, type Bucket as HistogramBucket, CUSTOM_BUCKETS_SCHEMA } from './histogram/float-histogram.ts';
export { histogramJson, type PromJsonHistogram } from './histogram/json.ts';
