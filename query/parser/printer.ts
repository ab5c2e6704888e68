/**
 * Canonical PromQL printer: the output of Prometheus's `Expr.String()` / `format_query`
 * (e.g. `sum by (job) (rate(foo{bar="baz"}[5m]))`). Matchers are printed sorted and
 * joined with "," and the `__name__` matcher is folded back into the metric name.
 */
import type { AtModifier, DurationExpr, Expr, VectorMatching, VectorSelector } from './ast.ts';
import type { Matcher } from '../model/matchers.ts';
import { goQuote } from './lexer.ts';

const LEGACY_LABEL_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Prints an expression as canonical PromQL. */
export function formatExpr(e: Expr): string {
  switch (e.kind) {
    case 'NumberLiteral':
      if (e.duration) return e.value < 0 ? '-' + formatDuration(Math.round(-e.value * 1000)) : formatDuration(Math.round(e.value * 1000));
      return formatFloat(e.value);
    case 'StringLiteral':
      return goQuote(e.value);
    case 'VectorSelector':
      return formatSelectorCore(e) + formatAt(e.at) + extended(e) + formatOffset(e.offset, e.offsetExpr);
    case 'MatrixSelector': {
      const vs = e.vectorSelector;
      const range = e.rangeExpr ? formatDurationExpr(e.rangeExpr) : formatDuration(e.range);
      return `${formatSelectorCore(vs)}[${range}]${extended(vs)}${formatAt(vs.at)}${formatOffset(vs.offset, vs.offsetExpr)}`;
    }
    case 'SubqueryExpr': {
      const range = e.rangeExpr ? formatDurationExpr(e.rangeExpr) : formatDuration(e.range);
      const step = e.step !== 0 ? formatDuration(e.step) : e.stepExpr ? formatDurationExpr(e.stepExpr) : '';
      return `${formatExpr(e.expr)}[${range}:${step}]${formatAt(e.at)}${formatOffset(e.offset, e.offsetExpr)}`;
    }
    case 'Call':
      return `${e.func}(${e.args.map(formatExpr).join(', ')})`;
    case 'AggregateExpr': {
      let s: string = e.op;
      if (e.without) s += ` without (${formatLabelList(e.grouping)}) `;
      else if (e.grouping.length > 0) s += ` by (${formatLabelList(e.grouping)}) `;
      s += '(';
      if (e.param) s += formatExpr(e.param) + ', ';
      return s + formatExpr(e.expr) + ')';
    }
    case 'BinaryExpr': {
      let mods = e.returnBool ? ' bool' : '';
      if (e.matching) mods += formatMatching(e.matching);
      if (e.fill) {
        const { lhs, rhs } = e.fill;
        if (lhs !== undefined && rhs !== undefined && Object.is(lhs, rhs)) mods += ` fill (${formatFloat(lhs)})`;
        else {
          if (lhs !== undefined) mods += ` fill_left (${formatFloat(lhs)})`;
          if (rhs !== undefined) mods += ` fill_right (${formatFloat(rhs)})`;
        }
      }
      return `${formatExpr(e.lhs)} ${e.op}${mods} ${formatExpr(e.rhs)}`;
    }
    case 'UnaryExpr':
      return e.op + formatExpr(e.expr);
    case 'ParenExpr':
      return `(${formatExpr(e.expr)})`;
    case 'StepInvariantExpr':
      return formatExpr(e.expr);
  }
}

function formatMatching(m: VectorMatching): string {
  let s = '';
  const grouped = m.card === 'many-to-one' || m.card === 'one-to-many';
  if (m.matchingLabels.length > 0 || m.on || grouped) {
    s += ` ${m.on ? 'on' : 'ignoring'} (${formatLabelList(m.matchingLabels)})`;
  }
  if (grouped) s += ` group_${m.card === 'many-to-one' ? 'left' : 'right'} (${formatLabelList(m.include)})`;
  return s;
}

function extended(vs: VectorSelector): string {
  if (vs.anchored) return ' anchored';
  if (vs.smoothed) return ' smoothed';
  return '';
}

/** Label names, quoted when not valid legacy names. */
export function formatLabelList(names: readonly string[]): string {
  return names.map((n) => (LEGACY_LABEL_RE.test(n) ? n : goQuote(n))).join(', ');
}

export function formatMatcherCanonical(m: Matcher): string {
  const name = LEGACY_LABEL_RE.test(m.name) ? m.name : goQuote(m.name);
  return `${name}${m.type}${goQuote(m.value)}`;
}

function formatSelectorCore(vs: VectorSelector): string {
  const parts: string[] = [];
  for (const m of vs.matchers) {
    if (m.name === '__name__' && m.type === '=' && m.value === vs.name && m.value !== '') continue;
    parts.push(formatMatcherCanonical(m));
  }
  parts.sort();
  return parts.length > 0 ? `${vs.name}{${parts.join(',')}}` : vs.name;
}

function formatAt(at: AtModifier | undefined): string {
  if (!at) return '';
  if (at.kind === 'start') return ' @ start()';
  if (at.kind === 'end') return ' @ end()';
  return ` @ ${(at.ms / 1000).toFixed(3)}`;
}

function formatOffset(ms: number, expr: DurationExpr | undefined): string {
  // A bare binary expression after `offset` would re-parse as a binary operation on the selector.
  if (expr) return ` offset ${expr.kind === 'binary' ? `(${formatDurationExpr(expr)})` : formatDurationExpr(expr)}`;
  if (ms > 0) return ` offset ${formatDuration(ms)}`;
  if (ms < 0) return ` offset -${formatDuration(-ms)}`;
  return '';
}

const DUR_PREC: Record<string, number> = { '+': 1, '-': 1, '*': 2, '/': 2, '%': 2, '^': 3 };

/** Prints a duration expression with the parentheses its structure needs. */
export function formatDurationExpr(d: DurationExpr): string {
  switch (d.kind) {
    case 'number':
      if (d.unitless) return formatFloat(d.ms / 1000);
      if (d.ms < 0) return '-' + formatDurationNumber(-d.ms);
      return formatDurationNumber(d.ms);
    case 'step':
      return 'step()';
    case 'range':
      return 'range()';
    case 'call':
      return `${d.func}_of(${d.args.map(formatDurationExpr).join(', ')})`;
    case 'unary': {
      const inner = formatDurationExpr(d.expr);
      return d.op + (d.expr.kind === 'binary' ? `(${inner})` : inner);
    }
    case 'binary': {
      const p = DUR_PREC[d.op]!;
      const wrap = (x: DurationExpr, right: boolean): string => {
        const s = formatDurationExpr(x);
        if (x.kind === 'binary') {
          const q = DUR_PREC[x.op]!;
          const needs = q < p || (q === p && (d.op === '^' ? !right : right));
          return needs ? `(${s})` : s;
        }
        return s;
      };
      return `${wrap(d.lhs, false)} ${d.op} ${wrap(d.rhs, true)}`;
    }
  }
}

function formatDurationNumber(ms: number): string {
  if (Number.isInteger(ms)) return formatDuration(ms);
  return formatFloat(ms / 1000);
}

/** Prometheus model.Duration.String(): `1h30m`, `90d` (y and w only when exact), `0s`. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = Math.trunc(ms);
  let out = '';
  const units: [string, number, boolean][] = [
    ['y', 365 * 86400000, true],
    ['w', 7 * 86400000, true],
    ['d', 86400000, false],
    ['h', 3600000, false],
    ['m', 60000, false],
    ['s', 1000, false],
    ['ms', 1, false],
  ];
  for (const [unit, mult, exact] of units) {
    if (exact && rest % mult !== 0) continue;
    const v = Math.trunc(rest / mult);
    if (v > 0) {
      out += `${v}${unit}`;
      rest -= v * mult;
    }
  }
  return out;
}

/** Go's strconv.FormatFloat(v, 'f', -1, 64): shortest round-trip digits, never an exponent. */
export function formatFloat(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (Object.is(v, -0)) return '-0';
  const s = String(v);
  const e = s.indexOf('e');
  if (e < 0) return s;
  const neg = s[0] === '-';
  const mant = s.slice(neg ? 1 : 0, e);
  const exp = Number(s.slice(e + 1));
  const dot = mant.indexOf('.');
  const digits = mant.replace('.', '');
  const intLen = (dot < 0 ? mant.length : dot) + exp;
  let out: string;
  if (intLen <= 0) out = '0.' + '0'.repeat(-intLen) + digits;
  else if (intLen >= digits.length) out = digits + '0'.repeat(intLen - digits.length);
  else out = digits.slice(0, intLen) + '.' + digits.slice(intLen);
  return (neg ? '-' : '') + out;
}
