/**
 * Typed PromQL AST (the contract between the parser and the engine).
 * Positions are character offsets into the query string: [start, end).
 * Durations and timestamps are milliseconds.
 */
import type { Matcher } from '../model/matchers.ts';

export type ValueType = 'scalar' | 'vector' | 'matrix' | 'string';

export interface PosRange {
  start: number;
  end: number;
}

export type Expr =
  | NumberLiteral
  | StringLiteral
  | VectorSelector
  | MatrixSelector
  | SubqueryExpr
  | Call
  | AggregateExpr
  | BinaryExpr
  | UnaryExpr
  | ParenExpr
  | StepInvariantExpr;

export interface NumberLiteral {
  kind: 'NumberLiteral';
  value: number;
  /** Written as a duration literal (`5m` = 300); only affects printing. */
  duration?: boolean;
  pos: PosRange;
}

export interface StringLiteral {
  kind: 'StringLiteral';
  value: string;
  pos: PosRange;
}

/** `@ start()` / `@ end()` resolve at evaluation time; a number is an absolute ms timestamp. */
export type AtModifier = { kind: 'timestamp'; ms: number } | { kind: 'start' } | { kind: 'end' };

/**
 * Duration-valued expression (experimental duration expressions, e.g. `foo[5m+1m]`,
 * `offset (1h * 2)`, `step()`); a plain duration parses as {kind:'number'}.
 * Arithmetic is in float SECONDS as in Prometheus (`2m*15` = 30m): evaluate with
 * evalDurationExpr() from parser/durations.ts, not on the ms values directly.
 * `call` min/max are written `min_of(a, b)` / `max_of(a, b)`.
 */
export type DurationExpr =
  | { kind: 'number'; ms: number; /** Written without a unit (seconds); only affects printing. */ unitless?: boolean }
  | { kind: 'step' }
  | { kind: 'range' }
  | { kind: 'unary'; op: '-' | '+'; expr: DurationExpr }
  | { kind: 'binary'; op: '+' | '-' | '*' | '/' | '%' | '^'; lhs: DurationExpr; rhs: DurationExpr }
  | { kind: 'call'; func: 'min' | 'max'; args: DurationExpr[] };

export interface VectorSelector {
  kind: 'VectorSelector';
  /** Metric name if given outside braces ('' otherwise); also present as a __name__ matcher. */
  name: string;
  matchers: Matcher[];
  /** Offset in ms (positive = back in time); 0 when absent. */
  offset: number;
  /** Set only when the offset is a non-constant duration expression. */
  offsetExpr?: DurationExpr;
  at?: AtModifier;
  /** Experimental modifiers `anchored` / `smoothed` (extended range vectors); absent = default. */
  anchored?: boolean;
  smoothed?: boolean;
  pos: PosRange;
}

export interface MatrixSelector {
  kind: 'MatrixSelector';
  vectorSelector: VectorSelector;
  /** Range in ms. */
  range: number;
  rangeExpr?: DurationExpr;
  pos: PosRange;
}

export interface SubqueryExpr {
  kind: 'SubqueryExpr';
  expr: Expr;
  range: number;
  rangeExpr?: DurationExpr;
  /** Resolution in ms; 0 means "use the global evaluation interval". */
  step: number;
  stepExpr?: DurationExpr;
  offset: number;
  offsetExpr?: DurationExpr;
  at?: AtModifier;
  pos: PosRange;
}

export interface Call {
  kind: 'Call';
  func: string;
  args: Expr[];
  pos: PosRange;
}

export type AggregateOp =
  | 'sum'
  | 'avg'
  | 'count'
  | 'min'
  | 'max'
  | 'group'
  | 'stddev'
  | 'stdvar'
  | 'topk'
  | 'bottomk'
  | 'quantile'
  | 'count_values'
  | 'limitk'
  | 'limit_ratio';

export interface AggregateExpr {
  kind: 'AggregateExpr';
  op: AggregateOp;
  expr: Expr;
  /** Parameter for topk/bottomk/quantile/count_values/limitk/limit_ratio. */
  param?: Expr;
  grouping: string[];
  /** true for `without (...)`, false for `by (...)` or no clause. */
  without: boolean;
  pos: PosRange;
}

export type BinaryOp =
  | '+'
  | '-'
  | '*'
  | '/'
  | '%'
  | '^'
  | 'atan2'
  | '=='
  | '!='
  | '>'
  | '<'
  | '>='
  | '<='
  | 'and'
  | 'or'
  | 'unless'
  /** Native-histogram trim operators: `</` keeps the part below the scalar, `>/` the part above. */
  | '</'
  | '>/';

export type VectorMatchCardinality = 'one-to-one' | 'many-to-one' | 'one-to-many' | 'many-to-many';

export interface VectorMatching {
  card: VectorMatchCardinality;
  /** Labels given to on(...) or ignoring(...). */
  matchingLabels: string[];
  /** true for on(...), false for ignoring(...) or no clause. */
  on: boolean;
  /** Extra labels named in group_left(...)/group_right(...). */
  include: string[];
}

/** Experimental fill modifiers for binary operations (fill-modifier.test). */
export interface FillModifier {
  lhs?: number;
  rhs?: number;
}

export interface BinaryExpr {
  kind: 'BinaryExpr';
  op: BinaryOp;
  lhs: Expr;
  rhs: Expr;
  /** Present when both sides are vectors (or set operators). */
  matching?: VectorMatching;
  /** `bool` modifier on comparisons. */
  returnBool: boolean;
  fill?: FillModifier;
  pos: PosRange;
}

export interface UnaryExpr {
  kind: 'UnaryExpr';
  op: '-' | '+';
  expr: Expr;
  pos: PosRange;
}

export interface ParenExpr {
  kind: 'ParenExpr';
  expr: Expr;
  pos: PosRange;
}

/** Wraps a subtree whose value does not change across steps (the engine may evaluate it once). */
export interface StepInvariantExpr {
  kind: 'StepInvariantExpr';
  expr: Expr;
  pos: PosRange;
}
