/** Public API of the PromQL parser package. */
export type * from './ast.ts';
export { parseExpr, parseMetricSelector, exprType, documentedType, type ParseOptions } from './parser.ts';
export { formatExpr, formatDuration, formatFloat, formatDurationExpr } from './printer.ts';
export { functions, getFunction, aggregators, type FunctionSignature } from './functions.ts';
export { evalDurationExpr, evalPositiveDurationExpr, evalConstDuration, durationIsConstant, type DurationContext } from './durations.ts';
export { PromQLParseError, ParserErrorCode, isPromQLParseError } from './errors.ts';
export { goQuote, parseDurationMs } from './lexer.ts';
