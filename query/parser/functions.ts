/**
 * Signatures of every PromQL function of Prometheus 3.x (the parser's type checks use it;
 * the engine may look up `returnType`). Mirrors the facts of Prometheus's function table:
 * argument types, how many optional trailing arguments (`variadic`), return type and whether
 * the function is experimental (gated behind --enable-feature=promql-experimental-functions).
 */
import type { ValueType } from './ast.ts';

export interface FunctionSignature {
  readonly name: string;
  readonly argTypes: readonly ValueType[];
  /**
   * 0: exactly argTypes.length arguments.
   * n > 0: the last argType may be omitted or repeated, up to argTypes.length - 1 + n arguments.
   * -1: the last argType may be repeated any number of times (at least argTypes.length - 1 arguments).
   */
  readonly variadic: number;
  readonly returnType: ValueType;
  readonly experimental: boolean;
}

const V: ValueType = 'vector';
const M: ValueType = 'matrix';
const S: ValueType = 'scalar';
const STR: ValueType = 'string';

function fn(name: string, argTypes: ValueType[], returnType: ValueType, variadic = 0, experimental = false): FunctionSignature {
  return Object.freeze({ name, argTypes: Object.freeze(argTypes), variadic, returnType, experimental });
}

const list: FunctionSignature[] = [
  // Math on instant vectors.
  ...['abs', 'ceil', 'floor', 'exp', 'sqrt', 'ln', 'log2', 'log10', 'sgn', 'deg', 'rad'].map((n) => fn(n, [V], V)),
  ...['acos', 'acosh', 'asin', 'asinh', 'atan', 'atanh', 'cos', 'cosh', 'sin', 'sinh', 'tan', 'tanh'].map((n) => fn(n, [V], V)),
  fn('absent', [V], V),
  fn('clamp', [V, S, S], V),
  fn('clamp_max', [V, S], V),
  fn('clamp_min', [V, S], V),
  fn('round', [V, S], V, 1),
  fn('scalar', [V], S),
  fn('vector', [S], V),
  fn('timestamp', [V], V),
  fn('sort', [V], V),
  fn('sort_desc', [V], V),
  fn('sort_by_label', [V, STR], V, -1, true),
  fn('sort_by_label_desc', [V, STR], V, -1, true),
  fn('label_replace', [V, STR, STR, STR, STR], V),
  fn('label_join', [V, STR, STR, STR], V, -1),
  fn('pi', [], S),
  fn('min_of', [S, S], S, 0, true),
  fn('max_of', [S, S], S, 0, true),
  fn('time', [], S),
  // Evaluation-parameter functions (experimental).
  fn('start', [], S, 0, true),
  fn('end', [], S, 0, true),
  fn('range', [], S, 0, true),
  fn('step', [], S, 0, true),
  // Date functions: optional instant-vector argument (defaults to vector(time())).
  ...['days_in_month', 'day_of_month', 'day_of_week', 'day_of_year', 'hour', 'minute', 'month', 'year'].map((n) => fn(n, [V], V, 1)),
  // Range-vector functions.
  ...['absent_over_time', 'avg_over_time', 'changes', 'count_over_time', 'delta', 'deriv', 'idelta', 'increase', 'irate'].map((n) => fn(n, [M], V)),
  ...['last_over_time', 'max_over_time', 'min_over_time', 'present_over_time', 'rate', 'resets'].map((n) => fn(n, [M], V)),
  ...['stddev_over_time', 'stdvar_over_time', 'sum_over_time'].map((n) => fn(n, [M], V)),
  ...['first_over_time', 'mad_over_time', 'ts_of_first_over_time', 'ts_of_last_over_time', 'ts_of_max_over_time', 'ts_of_min_over_time'].map((n) =>
    fn(n, [M], V, 0, true),
  ),
  fn('predict_linear', [M, S], V),
  fn('quantile_over_time', [S, M], V),
  fn('double_exponential_smoothing', [M, S, S], V, 0, true),
  fn('integral', [M, S], V, 1, true),
  // Native-histogram functions.
  ...['histogram_avg', 'histogram_count', 'histogram_sum', 'histogram_stddev', 'histogram_stdvar'].map((n) => fn(n, [V], V)),
  fn('histogram_fraction', [S, S, V], V),
  fn('histogram_quantile', [S, V], V),
  fn('histogram_quantiles', [V, STR, S, S], V, 9, true),
  // Metadata / start timestamps.
  fn('info', [V, V], V, 1, true),
  fn('start_timestamp', [V], V, 0, true),
];

/** All functions by name. */
export const functions: ReadonlyMap<string, FunctionSignature> = new Map(list.map((f) => [f.name, f]));

export function getFunction(name: string): FunctionSignature | undefined {
  return functions.get(name);
}

/** Aggregation operators; those with a leading parameter map to the parameter's type. */
export const aggregators: ReadonlyMap<string, ValueType | null> = new Map<string, ValueType | null>([
  ['sum', null],
  ['avg', null],
  ['count', null],
  ['min', null],
  ['max', null],
  ['group', null],
  ['stddev', null],
  ['stdvar', null],
  ['topk', 'scalar'],
  ['bottomk', 'scalar'],
  ['quantile', 'scalar'],
  ['count_values', 'string'],
  ['limitk', 'scalar'],
  ['limit_ratio', 'scalar'],
]);

/** Experimental aggregations (limitk, limit_ratio). */
export const experimentalAggregators: ReadonlySet<string> = new Set(['limitk', 'limit_ratio']);
