/**
 * Evaluation of duration expressions (`foo[5m+1m]`, `offset min_of(step(), 1s)`).
 * As in Prometheus, arithmetic happens in float seconds (so `2m*15` is 1800 s, not a
 * product of milliseconds); the result is truncated to whole nanoseconds and then to
 * milliseconds, like Go's time.Duration conversions.
 */
import type { DurationExpr } from './ast.ts';

export interface DurationContext {
  /** Query step in ms (0 for instant queries). */
  stepMs: number;
  /** Query range (end - start) in ms (0 for instant queries). */
  rangeMs: number;
}

/** True when the expression uses neither step() nor range(). */
export function durationIsConstant(d: DurationExpr): boolean {
  switch (d.kind) {
    case 'number':
      return true;
    case 'step':
    case 'range':
      return false;
    case 'unary':
      return durationIsConstant(d.expr);
    case 'binary':
      return durationIsConstant(d.lhs) && durationIsConstant(d.rhs);
    case 'call':
      return d.args.every(durationIsConstant);
  }
}

function seconds(d: DurationExpr, ctx: DurationContext): number {
  switch (d.kind) {
    case 'number':
      return d.ms / 1000;
    case 'step':
      return ctx.stepMs / 1000;
    case 'range':
      return ctx.rangeMs / 1000;
    case 'unary':
      return d.op === '-' ? -seconds(d.expr, ctx) : seconds(d.expr, ctx);
    case 'call': {
      const vals = d.args.map((a) => seconds(a, ctx));
      return d.func === 'min' ? Math.min(...vals) : Math.max(...vals);
    }
    case 'binary': {
      const a = seconds(d.lhs, ctx);
      const b = seconds(d.rhs, ctx);
      switch (d.op) {
        case '+':
          return a + b;
        case '-':
          return a - b;
        case '*':
          return a * b;
        case '/':
          if (b === 0) throw new RangeError('division by zero');
          return a / b;
        case '%':
          if (b === 0) throw new RangeError('modulo by zero');
          return a % b;
        case '^':
          return Math.pow(a, b);
      }
    }
  }
}

/**
 * Evaluates a duration expression to milliseconds (seconds * 1000, truncated, as Prometheus
 * converts). Throws RangeError on division/modulo by zero or when out of range.
 */
export function evalDurationExpr(d: DurationExpr, ctx: DurationContext): number {
  // A plain literal is an exact integer duration: going through float seconds would
  // turn 1001ms into 1000.9999999999999 ms and truncate it to 1000.
  if (d.kind === 'number' && Number.isInteger(d.ms)) return d.ms === 0 ? 0 : d.ms;
  const s = seconds(d, ctx);
  if (Number.isNaN(s) || Math.abs(s) > 9.223372036854775e18) throw new RangeError('duration is out of range');
  const ms = Math.trunc(s * 1000);
  return ms === 0 ? 0 : ms;
}

/** Like evalDurationExpr for ranges and subquery steps, which must be positive. */
export function evalPositiveDurationExpr(d: DurationExpr, ctx: DurationContext): number {
  const ms = evalDurationExpr(d, ctx);
  if (ms <= 0) throw new RangeError('duration must be greater than 0');
  return ms;
}

/** Evaluates an expression without step()/range(). */
export function evalConstDuration(d: DurationExpr): number {
  return evalDurationExpr(d, { stepMs: 0, rangeMs: 0 });
}
