/**
 * PromQL parser (Prometheus 3.x grammar, including the experimental syntax the conformance
 * corpus uses: duration expressions, `anchored`/`smoothed`, `fill*` binary modifiers,
 * experimental functions and aggregations).
 *
 * Design: hand-written lexer (lexer.ts) + recursive-descent parser with precedence climbing
 * for binary operators. We do not build on @prometheus-io/lezer-promql: its tree is a CST
 * with error nodes rather than errors, lags the newest syntax (min_of/max_of, upper-case
 * STEP()), and we need Prometheus-style messages with positions anyway. After the syntax pass,
 * `checkAst` applies Prometheus's type checks in Prometheus's order so the first error
 * reported matches Prometheus's first error where practical.
 *
 * Precedence, lowest first (Prometheus): `or` < `and unless` < comparisons < `+ -` <
 * `* / % atan2` < `^` (right-assoc). Unary +/- binds like `*`, so `-2 ^ 2` is -(2^2).
 * Postfix `[range]`, `[range:step]`, `offset`, `@`, `anchored`, `smoothed` bind tightest.
 *
 * Durations: numbers in duration position are seconds; constant duration expressions are
 * folded at parse time (so `foo[26m+4m]` has range 1800000 ms and no rangeExpr); only
 * expressions containing step()/range() are kept as DurationExpr for the engine
 * (see durations.ts for their evaluation).
 */
import type {
  AggregateExpr,
  AggregateOp,
  AtModifier,
  BinaryExpr,
  BinaryOp,
  Call,
  DurationExpr,
  Expr,
  FillModifier,
  MatrixSelector,
  NumberLiteral,
  SubqueryExpr,
  ValueType,
  VectorMatching,
  VectorSelector,
} from './ast.ts';
import { aggregators, experimentalAggregators, getFunction } from './functions.ts';
import { Lexer, goQuote, isWellFormed, parseDurationMs, parseNumberText, type Token } from './lexer.ts';
import { PromQLParseError } from './errors.ts';
import { compileAnchoredRe2 } from './re2.ts';
import { evalConstDuration, durationIsConstant } from './durations.ts';
import { newMatcher, matches, type Matcher, type MatchType } from '../model/matchers.ts';

export interface ParseOptions {
  /** Allow experimental functions and limitk/limit_ratio. @default true */
  enableExperimentalFunctions?: boolean;
}

const PREC: Record<string, number> = {
  or: 1,
  and: 2,
  unless: 2,
  '==': 3,
  '!=': 3,
  '<': 3,
  '>': 3,
  '<=': 3,
  '>=': 3,
  '+': 4,
  '-': 4,
  '*': 5,
  '/': 5,
  '%': 5,
  atan2: 5,
  '^': 6,
  // Histogram trim operators bind like comparisons.
  '</': 3,
  '>/': 3,
};
const UNARY_OPERAND_PREC = 6;

const COMPARISON = new Set(['==', '!=', '<', '>', '<=', '>=']);
const SET_OPS = new Set(['and', 'or', 'unless']);
const KEYWORDS = new Set([
  'offset',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'start',
  'end',
  'step',
  'range',
  'anchored',
  'smoothed',
  'fill',
  'fill_left',
  'fill_right',
]);

const LEGACY_LABEL_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export function documentedType(t: ValueType | 'none'): string {
  switch (t) {
    case 'vector':
      return 'instant vector';
    case 'matrix':
      return 'range vector';
    default:
      return t;
  }
}

/** The value type an expression evaluates to. */
export function exprType(e: Expr): ValueType {
  switch (e.kind) {
    case 'NumberLiteral':
      return 'scalar';
    case 'StringLiteral':
      return 'string';
    case 'VectorSelector':
    case 'AggregateExpr':
      return 'vector';
    case 'MatrixSelector':
    case 'SubqueryExpr':
      return 'matrix';
    case 'Call':
      return getFunction(e.func)?.returnType ?? 'vector';
    case 'BinaryExpr':
      return exprType(e.lhs) === 'scalar' && exprType(e.rhs) === 'scalar' ? 'scalar' : 'vector';
    case 'UnaryExpr':
    case 'ParenExpr':
    case 'StepInvariantExpr':
      return exprType(e.expr);
  }
}

/** Parses a PromQL expression; throws PromQLParseError. */
export function parseExpr(input: string, options: ParseOptions = {}): Expr {
  return new Parser(input, options).parseQuery();
}

/** Parses a series selector (`foo{a="b"}`, `{__name__=~"x"}`) as used by match[] parameters. */
export function parseMetricSelector(input: string): Matcher[] {
  return new Parser(input, {}).parseSelectorOnly().matchers;
}

interface BinaryMeta {
  opStart: number;
  opEnd: number;
}

class Parser {
  readonly #input: string;
  readonly #toks: Token[];
  readonly #experimental: boolean;
  #i = 0;
  /** Operator position of each binary expression, for error ranges. */
  readonly #binMeta = new WeakMap<BinaryExpr, BinaryMeta>();
  /** Selectors exempt from the "at least one non-empty matcher" rule (info()'s 2nd argument). */
  readonly #bypassEmptyCheck = new WeakSet<VectorSelector>();

  constructor(input: string, options: ParseOptions) {
    this.#input = input;
    this.#experimental = options.enableExperimentalFunctions ?? true;
    this.#toks = new Lexer(input).tokenize();
  }

  // ---- token helpers ----

  #peek(k = 0): Token {
    return this.#toks[Math.min(this.#i + k, this.#toks.length - 1)]!;
  }
  #next(): Token {
    const t = this.#toks[this.#i]!;
    if (this.#i < this.#toks.length - 1) this.#i++;
    return t;
  }
  #isIdent(t: Token, lower: string): boolean {
    return t.type === 'IDENT' && t.text.toLowerCase() === lower;
  }
  #fail(start: number, end: number, msg: string): never {
    throw new PromQLParseError(this.#input, start, end, msg);
  }
  #unexpected(t: Token, context?: string, expected?: string): never {
    if (t.type === 'EOF') {
      // Prometheus's lexer reports unbalanced delimiters before the grammar does.
      const open = this.#unclosed();
      if (open) this.#fail(t.start, t.end, open);
    }
    if (!context) {
      if (t.type === ')') this.#fail(t.start, t.end, `unexpected right parenthesis ${goQuoteChar(')')}`);
      if (t.type === ']') this.#fail(t.start, t.end, `unexpected right bracket ${goQuoteChar(']')}`);
      if (t.type === '}') this.#fail(t.start, t.end, `unexpected right brace ${goQuoteChar('}')}`);
    }
    let msg = `unexpected ${describe(t)}`;
    if (context) msg += ` in ${context}`;
    if (expected) msg += `, expected ${expected}`;
    this.#fail(t.start, t.end, msg);
  }
  #unclosed(): string | null {
    const stack: string[] = [];
    for (const t of this.#toks) {
      if (t.type === '(' || t.type === '[' || t.type === '{') stack.push(t.type);
      else if (t.type === ')' || t.type === ']' || t.type === '}') stack.pop();
    }
    const top = stack.pop();
    if (top === '(') return 'unclosed left parenthesis';
    if (top === '[') return 'unclosed left bracket';
    if (top === '{') return 'unexpected end of input inside braces';
    return null;
  }
  #expect(type: Token['type'], context: string, expected?: string): Token {
    const t = this.#peek();
    if (t.type !== type) this.#unexpected(t, context, expected ?? goQuote(type));
    return this.#next();
  }

  // ---- entry points ----

  parseQuery(): Expr {
    if (this.#peek().type === 'EOF') this.#fail(0, 0, 'no expression found in input');
    const e = this.#parseBinary(0);
    const t = this.#peek();
    if (t.type !== 'EOF') this.#unexpected(t);
    this.#checkAst(e);
    return e;
  }

  parseSelectorOnly(): VectorSelector {
    const t = this.#peek();
    if (t.type === 'EOF') this.#fail(0, 0, 'unexpected end of input');
    if (t.type !== 'IDENT' && t.type !== '{') this.#unexpected(t);
    let vs: VectorSelector;
    if (t.type === '{') vs = this.#parseVectorSelector(null);
    else vs = this.#parseVectorSelector(this.#next());
    const end = this.#peek();
    if (end.type !== 'EOF') this.#unexpected(end);
    this.#checkAst(vs);
    return vs;
  }

  // ---- expressions ----

  #binaryOpAt(t: Token): BinaryOp | null {
    if (t.type === 'OP') {
      if (t.text === '=' || t.text === '=~' || t.text === '!~') return null;
      return t.text as BinaryOp;
    }
    if (t.type === 'IDENT') {
      const l = t.text.toLowerCase();
      if (l === 'and' || l === 'or' || l === 'unless' || l === 'atan2') return l;
    }
    return null;
  }

  #parseBinary(minPrec: number): Expr {
    let lhs = this.#parseUnary();
    while (true) {
      const t = this.#peek();
      const op = this.#binaryOpAt(t);
      if (op === null) {
        if (t.type === 'OP' && (t.text === '=' || t.text === '=~' || t.text === '!~')) this.#unexpected(t);
        break;
      }
      const prec = PREC[op]!;
      if (prec < minPrec) break;
      this.#next();
      const mods = this.#parseBinModifiers(op);
      const rhs = this.#parseBinary(op === '^' ? prec : prec + 1);
      const be: BinaryExpr = {
        kind: 'BinaryExpr',
        op,
        lhs,
        rhs,
        matching: mods.matching,
        returnBool: mods.returnBool,
        pos: { start: lhs.pos.start, end: rhs.pos.end },
      };
      if (mods.fill) be.fill = mods.fill;
      this.#binMeta.set(be, { opStart: t.start, opEnd: mods.end });
      lhs = be;
    }
    return lhs;
  }

  #parseBinModifiers(op: BinaryOp): { matching: VectorMatching; returnBool: boolean; fill?: FillModifier; end: number } {
    const matching: VectorMatching = { card: 'one-to-one', matchingLabels: [], on: false, include: [] };
    let returnBool = false;
    let end = this.#toks[this.#i - 1]!.end;
    if (this.#isIdent(this.#peek(), 'bool')) {
      end = this.#next().end;
      returnBool = true;
    }
    const t = this.#peek();
    if (this.#isIdent(t, 'on') || this.#isIdent(t, 'ignoring')) {
      this.#next();
      matching.on = t.text.toLowerCase() === 'on';
      const g = this.#parseGroupingLabels();
      matching.matchingLabels = g.labels;
      end = g.end;
      const gt = this.#peek();
      if (this.#isIdent(gt, 'group_left') || this.#isIdent(gt, 'group_right')) {
        this.#next();
        end = gt.end;
        matching.card = gt.text.toLowerCase() === 'group_left' ? 'many-to-one' : 'one-to-many';
        if (this.#peek().type === '(') {
          const inc = this.#parseGroupingLabels();
          matching.include = inc.labels;
          end = inc.end;
        }
      }
    } else if (this.#isIdent(t, 'group_left') || this.#isIdent(t, 'group_right')) {
      this.#unexpected(t);
    }
    let fill: FillModifier | undefined;
    while (true) {
      const f = this.#peek();
      if (f.type !== 'IDENT' || this.#peek(1).type !== '(') break;
      const l = f.text.toLowerCase();
      if (l !== 'fill' && l !== 'fill_left' && l !== 'fill_right') break;
      this.#next();
      this.#next();
      const v = this.#parseSignedNumber('fill modifier');
      end = this.#expect(')', 'fill modifier', '")"').end;
      fill ??= {};
      if (l === 'fill' || l === 'fill_left') fill.lhs = v;
      if (l === 'fill' || l === 'fill_right') fill.rhs = v;
    }
    if (SET_OPS.has(op) && matching.card === 'one-to-one') matching.card = 'many-to-many';
    const out: { matching: VectorMatching; returnBool: boolean; fill?: FillModifier; end: number } = { matching, returnBool, end };
    if (fill) out.fill = fill;
    return out;
  }

  #parseSignedNumber(context: string): number {
    let sign = 1;
    const s = this.#peek();
    if (s.type === 'OP' && (s.text === '-' || s.text === '+')) {
      this.#next();
      if (s.text === '-') sign = -1;
    }
    const t = this.#peek();
    if (t.type === 'NUMBER') return sign * parseNumberText(this.#next().text);
    if (t.type === 'DURATION') return (sign * parseDurationMs(this.#next().text)!) / 1000;
    this.#unexpected(t, context, 'number');
  }

  #parseGroupingLabels(): { labels: string[]; end: number } {
    this.#expect('(', 'grouping opts', '"("');
    const labels: string[] = [];
    while (true) {
      const t = this.#peek();
      if (t.type === ')') {
        return { labels, end: this.#next().end };
      }
      if (t.type === 'IDENT') {
        if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(t.text)) this.#fail(t.start, t.end, `invalid label name ${goQuote(t.text)}`);
        labels.push(this.#next().text);
      } else if (t.type === 'STRING') {
        const v = t.value!;
        if (!isWellFormed(v)) this.#fail(t.start, t.end, `invalid label name ${goQuote(v)}`);
        this.#next();
        labels.push(v);
      } else this.#unexpected(t, 'grouping opts', 'label');
      const sep = this.#peek();
      if (sep.type === ',') this.#next();
      else if (sep.type !== ')') this.#unexpected(sep, 'grouping opts', '"," or ")"');
    }
  }

  #parseUnary(): Expr {
    const t = this.#peek();
    if (t.type === 'OP' && (t.text === '-' || t.text === '+')) {
      this.#next();
      const operand = this.#parseBinary(UNARY_OPERAND_PREC);
      if (operand.kind === 'NumberLiteral') {
        if (t.text === '-') operand.value = -operand.value;
        operand.pos = { start: t.start, end: operand.pos.end };
        return operand;
      }
      return { kind: 'UnaryExpr', op: t.text, expr: operand, pos: { start: t.start, end: operand.pos.end } };
    }
    return this.#parsePostfix(this.#parsePrimary());
  }

  #parsePrimary(): Expr {
    const t = this.#peek();
    switch (t.type) {
      case 'NUMBER': {
        this.#next();
        return { kind: 'NumberLiteral', value: parseNumberText(t.text), pos: { start: t.start, end: t.end } };
      }
      case 'DURATION': {
        this.#next();
        const nl: NumberLiteral = { kind: 'NumberLiteral', value: parseDurationMs(t.text)! / 1000, pos: { start: t.start, end: t.end } };
        nl.duration = true;
        return nl;
      }
      case 'STRING':
        this.#next();
        return { kind: 'StringLiteral', value: t.value!, pos: { start: t.start, end: t.end } };
      case '(': {
        this.#next();
        if (this.#peek().type === ')') this.#unexpected(this.#peek(), 'paren expression');
        const inner = this.#parseBinary(0);
        const close = this.#peek();
        if (close.type !== ')') this.#unexpected(close, 'paren expression', '")"');
        this.#next();
        return { kind: 'ParenExpr', expr: inner, pos: { start: t.start, end: close.end } };
      }
      case '{':
        return this.#parseVectorSelector(null);
      case 'IDENT': {
        const lower = t.text.toLowerCase();
        const next = this.#peek(1);
        if (aggregators.has(lower) && (next.type === '(' || this.#isIdent(next, 'by') || this.#isIdent(next, 'without'))) {
          return this.#parseAggregation();
        }
        if (next.type === '(') return this.#parseCall();
        this.#next();
        return this.#parseVectorSelector(t);
      }
      default:
        this.#unexpected(t);
    }
  }

  #parseCall(): Call {
    const name = this.#next();
    const sig = getFunction(name.text);
    if (!sig) this.#fail(name.start, name.end, `unknown function with name ${goQuote(name.text)}`);
    if (sig.experimental && !this.#experimental) this.#fail(name.start, name.end, `function ${goQuote(name.text)} is not enabled`);
    const { args, end } = this.#parseArgs('function call');
    return { kind: 'Call', func: sig.name, args, pos: { start: name.start, end } };
  }

  #parseArgs(context: string): { args: Expr[]; end: number } {
    this.#expect('(', context, '"("');
    const args: Expr[] = [];
    if (this.#peek().type === ')') return { args, end: this.#next().end };
    while (true) {
      args.push(this.#parseBinary(0));
      const t = this.#peek();
      if (t.type === ')') return { args, end: this.#next().end };
      if (t.type !== ',') this.#unexpected(t, context, '"," or ")"');
      this.#next();
      if (this.#peek().type === ')') this.#fail(t.start, t.end, 'trailing commas not allowed in function call args');
    }
  }

  #parseAggregation(): AggregateExpr {
    const opTok = this.#next();
    const op = opTok.text.toLowerCase() as AggregateOp;
    if (experimentalAggregators.has(op) && !this.#experimental) {
      this.#fail(opTok.start, opTok.end, `${op}() is experimental and must be enabled with --enable-feature=promql-experimental-functions`);
    }
    let grouping: string[] = [];
    let without = false;
    let haveGrouping = false;
    const parseGrouping = (): void => {
      const kw = this.#next();
      without = kw.text.toLowerCase() === 'without';
      grouping = this.#parseGroupingLabels().labels;
      haveGrouping = true;
    };
    if (this.#isIdent(this.#peek(), 'by') || this.#isIdent(this.#peek(), 'without')) parseGrouping();
    if (this.#peek().type !== '(') this.#unexpected(this.#peek(), 'aggregation');
    const { args, end: argsEnd } = this.#parseArgs('aggregation');
    let end = argsEnd;
    const after = this.#peek();
    if (!haveGrouping && (this.#isIdent(after, 'by') || this.#isIdent(after, 'without'))) {
      parseGrouping();
      end = this.#lastEnd();
    }
    const pos = { start: opTok.start, end };
    if (args.length === 0) this.#fail(pos.start, pos.end, 'no arguments for aggregate expression provided');
    const hasParam = aggregators.get(op) !== null;
    const desired = hasParam ? 2 : 1;
    if (args.length !== desired) {
      this.#fail(pos.start, pos.end, `wrong number of arguments for aggregate expression provided, expected ${desired}, got ${args.length}`);
    }
    const agg: AggregateExpr = { kind: 'AggregateExpr', op, expr: args[desired - 1]!, grouping, without, pos };
    if (hasParam) agg.param = args[0]!;
    return agg;
  }

  #parseVectorSelector(nameTok: Token | null): VectorSelector {
    const start = nameTok ? nameTok.start : this.#peek().start;
    let end = nameTok ? nameTok.end : start;
    const matchers: Matcher[] = [];
    if (nameTok && nameTok.type !== 'IDENT') this.#unexpected(nameTok);
    if (this.#peek().type === '{') {
      this.#next();
      while (true) {
        const t = this.#peek();
        if (t.type === '}') {
          end = this.#next().end;
          break;
        }
        let labelName: string;
        if (t.type === 'IDENT') {
          if (!LEGACY_LABEL_RE.test(t.text)) this.#fail(t.start, t.end, `invalid label name ${goQuote(t.text)}`);
          labelName = t.text;
        } else if (t.type === 'STRING') {
          labelName = t.value!;
        } else if (t.type === 'EOF') {
          this.#fail(t.start, t.end, 'unexpected end of input inside braces');
        } else this.#unexpected(t, 'label matching', 'identifier or "}"');
        this.#next();
        const opTok = this.#peek();
        if (t.type === 'STRING' && (opTok.type === ',' || opTok.type === '}')) {
          // `{"metric.name", ...}`: a bare quoted string is the metric name.
          matchers.push(this.#matcher('=', '__name__', labelName, t, t));
        } else {
          if (opTok.type !== 'OP' || !['=', '!=', '=~', '!~'].includes(opTok.text)) {
            this.#unexpected(opTok, 'label matching', 'label matching operator');
          }
          this.#next();
          const val = this.#peek();
          if (val.type !== 'STRING') this.#unexpected(val, 'label matching', 'string');
          this.#next();
          if (t.type === 'STRING' && !isWellFormed(labelName)) this.#fail(t.start, t.end, `invalid label name ${goQuote(labelName)}`);
          matchers.push(this.#matcher(opTok.text as MatchType, labelName, val.value!, t, val));
        }
        const sep = this.#peek();
        if (sep.type === ',') this.#next();
        else if (sep.type !== '}') {
          if (sep.type === 'EOF') this.#fail(sep.start, sep.end, 'unexpected end of input inside braces');
          this.#unexpected(sep, 'label matching', '"," or "}"');
        }
      }
    } else if (!nameTok) {
      this.#unexpected(this.#peek());
    }
    let name = '';
    if (nameTok) {
      name = nameTok.text;
      matchers.push(newMatcher('=', '__name__', name));
    }
    return { kind: 'VectorSelector', name, matchers, offset: 0, pos: { start, end } };
  }

  #matcher(type: MatchType, name: string, value: string, from: Token, to: Token): Matcher {
    if (type === '=' || type === '!=') return newMatcher(type, name, value);
    // Regexes use RE2 syntax; translate (newMatcher would hand them to JS as they are).
    try {
      return { type, name, value, re: compileAnchoredRe2(value) };
    } catch (err) {
      this.#fail(from.start, to.end, `error parsing regexp: ${(err as Error).message}`);
    }
  }

  // ---- postfix modifiers ----

  #parsePostfix(expr: Expr): Expr {
    while (true) {
      const t = this.#peek();
      if (t.type === '[') {
        expr = this.#parseRangeOrSubquery(expr);
      } else if (this.#isIdent(t, 'offset')) {
        this.#next();
        this.#applyOffset(expr, this.#parseOffsetDuration());
      } else if (t.type === '@') {
        this.#next();
        this.#applyAt(expr, this.#parseAtValue());
      } else if (this.#isIdent(t, 'anchored') || this.#isIdent(t, 'smoothed')) {
        this.#next();
        this.#applyExtended(expr, t.text.toLowerCase() as 'anchored' | 'smoothed', t);
      } else {
        return expr;
      }
    }
  }

  #lastEnd(): number {
    return this.#toks[this.#i - 1]!.end;
  }

  #parseRangeOrSubquery(expr: Expr): Expr {
    const open = this.#next();
    const first = this.#peek();
    if (first.type === ']' || first.type === ':' || first.type === 'EOF') this.#unexpected(first, 'subquery selector', 'duration');
    const rangeD = this.#parseDurationExpr('subquery or range');
    if (this.#peek().type === ':') {
      this.#next();
      let stepD: DurationExpr | null = null;
      const st = this.#peek();
      if (st.type !== ']') {
        if (st.type !== 'NUMBER' && st.type !== 'DURATION' && st.type !== '(' && st.type !== 'IDENT' && st.type !== 'OP') {
          this.#unexpected(st, 'subquery selector', 'duration or "]"');
        }
        stepD = this.#parseDurationExpr('subquery selector');
      }
      const close = this.#peek();
      if (close.type !== ']') this.#unexpected(close, 'subquery selector', '"]"');
      this.#next();
      const sq: SubqueryExpr = { kind: 'SubqueryExpr', expr, range: 0, step: 0, offset: 0, pos: { start: expr.pos.start, end: close.end } };
      this.#setDuration(rangeD, open, (ms) => (sq.range = ms), (d) => (sq.rangeExpr = d));
      if (stepD) this.#setDuration(stepD, open, (ms) => (sq.step = ms), (d) => (sq.stepExpr = d));
      return sq;
    }
    const close = this.#peek();
    if (close.type !== ']') this.#unexpected(close, 'subquery or range', '":" or "]"');
    this.#next();
    const pos = { start: expr.pos.start, end: close.end };
    // Prometheus reports these at the brackets.
    if (expr.kind !== 'VectorSelector') this.#fail(open.start, close.end, 'ranges only allowed for vector selectors');
    if (expr.offset !== 0 || expr.offsetExpr) this.#fail(open.start, close.end, 'no offset modifiers allowed before range');
    if (expr.at) this.#fail(open.start, close.end, 'no @ modifiers allowed before range');
    const ms: MatrixSelector = { kind: 'MatrixSelector', vectorSelector: expr, range: 0, pos };
    this.#setDuration(rangeD, open, (v) => (ms.range = v), (d) => (ms.rangeExpr = d));
    return ms;
  }

  #setDuration(d: DurationExpr, at: Token, setMs: (ms: number) => void, setExpr: (d: DurationExpr) => void): void {
    if (durationIsConstant(d)) {
      try {
        const ms = evalConstDuration(d);
        // Like Prometheus, only computed ranges/steps are checked (a literal `[0s]` is left to the engine).
        if (ms <= 0 && (d.kind !== 'number' || d.ms < 0)) throw new RangeError('duration must be greater than 0');
        setMs(ms);
      } catch (err) {
        this.#fail(at.start, this.#lastEnd(), (err as Error).message);
      }
    } else setExpr(d);
  }

  /** Duration expression with + - * / % ^ (inside brackets or parentheses). */
  #parseDurationExpr(context: string, minPrec = 0): DurationExpr {
    let lhs = this.#parseDurationUnary(context);
    while (true) {
      const t = this.#peek();
      if (t.type !== 'OP' || !['+', '-', '*', '/', '%', '^'].includes(t.text)) return lhs;
      const prec = t.text === '+' || t.text === '-' ? 1 : t.text === '^' ? 3 : 2;
      if (prec < minPrec) return lhs;
      this.#next();
      const rhs = this.#parseDurationExpr(context, t.text === '^' ? prec : prec + 1);
      lhs = { kind: 'binary', op: t.text as '+', lhs, rhs };
    }
  }

  #parseDurationUnary(context: string): DurationExpr {
    const t = this.#peek();
    if (t.type === 'OP' && (t.text === '-' || t.text === '+')) {
      this.#next();
      const operand = this.#parseDurationExpr(context, 3);
      if (t.text === '+') return operand;
      if (operand.kind === 'number') return { ...operand, ms: -operand.ms };
      return { kind: 'unary', op: '-', expr: operand };
    }
    return this.#parseDurationAtom(context);
  }

  #parseDurationAtom(context: string): DurationExpr {
    const t = this.#peek();
    if (t.type === 'NUMBER') {
      this.#next();
      return { kind: 'number', ms: parseNumberText(t.text) * 1000, unitless: true };
    }
    if (t.type === 'DURATION') {
      this.#next();
      return { kind: 'number', ms: parseDurationMs(t.text)! };
    }
    if (t.type === '(') {
      this.#next();
      const inner = this.#parseDurationExpr(context);
      this.#expect(')', context, '")"');
      return inner;
    }
    if (t.type === 'IDENT' && this.#peek(1).type === '(') {
      const l = t.text.toLowerCase();
      if (l === 'step' || l === 'range') {
        this.#next();
        this.#next();
        this.#expect(')', context, '")"');
        return { kind: l };
      }
      if (l === 'min_of' || l === 'max_of') {
        this.#next();
        this.#next();
        const a = this.#parseDurationExpr(context);
        this.#expect(',', context, '","');
        const b = this.#parseDurationExpr(context);
        this.#expect(')', context, '")"');
        return { kind: 'call', func: l === 'min_of' ? 'min' : 'max', args: [a, b] };
      }
    }
    if (t.type === ']' || t.type === ':') this.#unexpected(t, context, 'duration');
    this.#unexpected(t, context, 'number or duration');
  }

  /** `offset` argument: a signed literal, step()/range()/min_of()/max_of(), or a parenthesised expression. */
  #parseOffsetDuration(): DurationExpr {
    const t = this.#peek();
    if (t.type === 'OP' && (t.text === '-' || t.text === '+')) {
      this.#next();
      const inner = this.#parseOffsetAtom();
      if (t.text === '+') return inner;
      if (inner.kind === 'number') return { ...inner, ms: -inner.ms };
      return { kind: 'unary', op: '-', expr: inner };
    }
    return this.#parseOffsetAtom();
  }

  #parseOffsetAtom(): DurationExpr {
    const t = this.#peek();
    if (t.type === 'NUMBER' || t.type === 'DURATION' || t.type === '(' || (t.type === 'IDENT' && this.#peek(1).type === '(')) {
      return this.#parseDurationAtom('offset');
    }
    this.#unexpected(t, 'offset', 'duration');
  }

  #applyOffset(expr: Expr, d: DurationExpr): void {
    let target: VectorSelector | SubqueryExpr;
    if (expr.kind === 'VectorSelector' || expr.kind === 'SubqueryExpr') target = expr;
    else if (expr.kind === 'MatrixSelector') target = expr.vectorSelector;
    else this.#fail(expr.pos.start, expr.pos.end, 'offset modifier must be preceded by an instant vector selector or range vector selector or a subquery');
    if (target.offset !== 0 || target.offsetExpr) this.#fail(expr.pos.start, expr.pos.end, 'offset may not be set multiple times');
    if (durationIsConstant(d)) {
      try {
        target.offset = evalConstDuration(d);
      } catch (err) {
        this.#fail(expr.pos.start, this.#lastEnd(), (err as Error).message);
      }
    } else target.offsetExpr = d;
    expr.pos = { start: expr.pos.start, end: this.#lastEnd() };
  }

  #parseAtValue(): AtModifier {
    const t = this.#peek();
    if (t.type === 'IDENT' && this.#peek(1).type === '(' && this.#peek(2).type === ')') {
      const l = t.text.toLowerCase();
      if (l === 'start' || l === 'end') {
        this.#next();
        this.#next();
        this.#next();
        return { kind: l };
      }
    }
    let sign = 1;
    if (t.type === 'OP' && (t.text === '-' || t.text === '+')) {
      this.#next();
      if (t.text === '-') sign = -1;
    }
    const v = this.#peek();
    let secs: number;
    if (v.type === 'NUMBER') secs = parseNumberText(v.text);
    else if (v.type === 'DURATION') secs = parseDurationMs(v.text)! / 1000;
    else this.#unexpected(v, '@', 'timestamp');
    this.#next();
    secs *= sign;
    if (!Number.isFinite(secs) || Math.abs(secs) >= 9.223372036854776e18) {
      this.#fail(t.start, v.end, `timestamp out of bounds for @ modifier: ${formatGoF(secs)}`);
    }
    return { kind: 'timestamp', ms: Math.round(secs * 1000) };
  }

  #applyAt(expr: Expr, at: AtModifier): void {
    let target: VectorSelector | SubqueryExpr;
    if (expr.kind === 'VectorSelector' || expr.kind === 'SubqueryExpr') target = expr;
    else if (expr.kind === 'MatrixSelector') target = expr.vectorSelector;
    else this.#fail(expr.pos.start, expr.pos.end, '@ modifier must be preceded by an instant vector selector or range vector selector or a subquery');
    if (target.at) this.#fail(expr.pos.start, expr.pos.end, '@ <timestamp> may not be set multiple times');
    target.at = at;
    expr.pos = { start: expr.pos.start, end: this.#lastEnd() };
  }

  #applyExtended(expr: Expr, mod: 'anchored' | 'smoothed', t: Token): void {
    let vs: VectorSelector;
    if (expr.kind === 'VectorSelector') vs = expr;
    else if (expr.kind === 'MatrixSelector') vs = expr.vectorSelector;
    else if (expr.kind === 'SubqueryExpr') this.#fail(expr.pos.start, t.end, `${mod} modifier is not supported for subqueries`);
    else this.#unexpected(t);
    vs[mod] = true;
    if (vs.anchored && vs.smoothed) this.#fail(expr.pos.start, t.end, 'anchored and smoothed modifiers cannot be used together');
    expr.pos = { start: expr.pos.start, end: t.end };
  }

  // ---- type checks (Prometheus's checkAST) ----

  #checkAst(e: Expr): ValueType {
    const typ = exprType(e);
    switch (e.kind) {
      case 'AggregateExpr':
        this.#expectType(e.expr, 'vector', 'aggregation expression');
        if (e.param) this.#expectType(e.param, aggregators.get(e.op)!, 'aggregation parameter');
        break;
      case 'BinaryExpr': {
        const lt = this.#checkAst(e.lhs);
        const rt = this.#checkAst(e.rhs);
        const meta = this.#binMeta.get(e);
        const opStart = meta?.opStart ?? e.pos.start;
        const opEnd = meta?.opEnd ?? e.pos.end;
        const isCmp = COMPARISON.has(e.op);
        const isSet = SET_OPS.has(e.op);
        if (e.returnBool && !isCmp) this.#fail(opStart, opEnd, 'bool modifier can only be used on comparison operators');
        if (isCmp && !e.returnBool && lt === 'scalar' && rt === 'scalar') this.#fail(opStart, opEnd, 'comparisons between scalars must use BOOL modifier');
        const m = e.matching;
        if (m && m.on) {
          for (const l of m.matchingLabels) {
            if (m.include.includes(l)) this.#fail(opStart, opEnd, `label ${goQuote(l)} must not occur in ON and GROUP clause at once`);
          }
        }
        if (lt !== 'scalar' && lt !== 'vector') this.#fail(e.lhs.pos.start, e.lhs.pos.end, 'binary expression must contain only scalar and instant vector types');
        if (rt !== 'scalar' && rt !== 'vector') this.#fail(e.rhs.pos.start, e.rhs.pos.end, 'binary expression must contain only scalar and instant vector types');
        if (m && (lt !== 'vector' || rt !== 'vector')) {
          if (m.matchingLabels.length > 0) this.#fail(e.pos.start, e.pos.end, 'vector matching only allowed between instant vectors');
          if (e.fill) this.#fail(e.pos.start, e.pos.end, 'filling in missing series only allowed between instant vectors');
          delete e.matching;
        } else if (m && isSet) {
          if (m.card === 'one-to-many' || m.card === 'many-to-one') this.#fail(e.pos.start, e.pos.end, `no grouping allowed for ${goQuote(e.op)} operation`);
          if (e.fill) this.#fail(e.pos.start, e.pos.end, 'filling in missing series not allowed for set operators');
        }
        if ((lt === 'scalar' || rt === 'scalar') && isSet) this.#fail(e.pos.start, e.pos.end, `set operator ${goQuote(e.op)} not allowed in binary scalar expression`);
        break;
      }
      case 'Call': {
        const sig = getFunction(e.func)!;
        const nargs = sig.argTypes.length;
        if (sig.variadic === 0) {
          if (nargs !== e.args.length) this.#fail(e.pos.start, e.pos.end, `expected ${nargs} argument(s) in call to ${goQuote(e.func)}, got ${e.args.length}`);
        } else {
          const na = nargs - 1;
          if (na > e.args.length) this.#fail(e.pos.start, e.pos.end, `expected at least ${na} argument(s) in call to ${goQuote(e.func)}, got ${e.args.length}`);
          const max = na + sig.variadic;
          if (sig.variadic > 0 && max < e.args.length) this.#fail(e.pos.start, e.pos.end, `expected at most ${max} argument(s) in call to ${goQuote(e.func)}, got ${e.args.length}`);
        }
        if (e.func === 'info' && e.args.length > 1) {
          const a = e.args[1]!;
          const at = exprType(a);
          if (at !== 'vector') this.#fail(e.pos.start, e.pos.end, `expected type instant vector in call to function "info", got ${documentedType(at)}`);
          if (a.kind === 'VectorSelector' && a.name !== '') this.#fail(a.pos.start, a.pos.end, 'expected label selectors only, got vector selector instead');
          else if (a.kind === 'VectorSelector') this.#bypassEmptyCheck.add(a);
          else this.#fail(a.pos.start, a.pos.end, 'expected label selectors only');
        }
        for (let i = 0; i < e.args.length; i++) {
          let k = i;
          if (k >= nargs) {
            if (sig.variadic === 0) break;
            k = nargs - 1;
          }
          const arg = e.args[i]!;
          const t = this.#checkAst(arg);
          if (t !== sig.argTypes[k]) {
            this.#fail(arg.pos.start, arg.pos.end, `expected type ${documentedType(sig.argTypes[k]!)} in call to function ${goQuote(e.func)}, got ${documentedType(t)}`);
          }
        }
        break;
      }
      case 'ParenExpr':
      case 'StepInvariantExpr':
        this.#checkAst(e.expr);
        break;
      case 'UnaryExpr': {
        const t = this.#checkAst(e.expr);
        if (t !== 'scalar' && t !== 'vector') {
          this.#fail(e.pos.start, e.pos.end, `unary expression only allowed on expressions of type scalar or instant vector, got ${goQuote(documentedType(t))}`);
        }
        break;
      }
      case 'SubqueryExpr': {
        const t = this.#checkAst(e.expr);
        if (t !== 'vector') this.#fail(e.pos.start, e.pos.end, `subquery is only allowed on instant vector, got ${t} instead`);
        break;
      }
      case 'MatrixSelector':
        this.#checkAst(e.vectorSelector);
        break;
      case 'VectorSelector': {
        if (e.name !== '') {
          for (let i = 0; i < e.matchers.length - 1; i++) {
            const m = e.matchers[i]!;
            if (m.name === '__name__') this.#fail(e.pos.start, e.pos.end, `metric name must not be set twice: ${goQuote(e.name)} or ${goQuote(m.value)}`);
          }
          break;
        }
        if (!this.#bypassEmptyCheck.has(e) && !e.matchers.some((m) => !matches(m, ''))) {
          this.#fail(e.pos.start, e.pos.end, 'vector selector must contain at least one non-empty matcher');
        }
        break;
      }
      case 'NumberLiteral':
      case 'StringLiteral':
        break;
    }
    return typ;
  }

  #expectType(e: Expr, want: ValueType, context: string): void {
    const t = this.#checkAst(e);
    if (t !== want) this.#fail(e.pos.start, e.pos.end, `expected type ${documentedType(want)} in ${context}, got ${documentedType(t)}`);
  }
}

/** Prometheus's description of a token in "unexpected ..." messages. */
function describe(t: Token): string {
  switch (t.type) {
    case 'EOF':
      return 'end of input';
    case 'IDENT': {
      const l = t.text.toLowerCase();
      if (PREC[l] !== undefined) return `<op:${l}>`;
      if (aggregators.has(l)) return `<aggr:${l}>`;
      if (KEYWORDS.has(l)) return `<${l}>`;
      return `${t.text.includes(':') ? 'metric identifier' : 'identifier'} ${goQuote(t.text)}`;
    }
    case 'NUMBER':
      return `number ${goQuote(t.text)}`;
    case 'DURATION':
      return `duration ${goQuote(t.text)}`;
    case 'STRING': {
      const chars = [...t.text];
      return chars.length > 10 ? `string ${goQuote(chars.slice(0, 10).join(''))}...` : `string ${goQuote(t.text)}`;
    }
    case 'OP':
      return `<op:${t.text}>`;
    default:
      return goQuote(t.text);
  }
}

function goQuoteChar(c: string): string {
  return `'${c}'`;
}

/** Go's %f formatting (6 decimals). */
function formatGoF(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  return v.toFixed(6);
}
