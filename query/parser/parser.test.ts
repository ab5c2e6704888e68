import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  parseExpr,
  parseMetricSelector,
  formatExpr,
  exprType,
  functions,
  PromQLParseError,
  evalDurationExpr,
  type Expr,
  type MatrixSelector,
  type VectorSelector,
  type SubqueryExpr,
} from './index.ts';
import { matches } from '../model/matchers.ts';

/** AST without positions or compiled regexes, for structural comparison. */
function strip(e: unknown): unknown {
  return JSON.parse(
    JSON.stringify(e, (k, v) => {
      if (k === 'pos' || k === 're') return undefined;
      // The printer sorts matchers, as Prometheus does.
      if (k === 'matchers') return [...(v as { name: string; type: string; value: string }[])].map((m) => `${m.name}${m.type}${m.value}`).sort();
      if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
      return v;
    }),
  );
}

function roundTrip(q: string): string {
  const e = parseExpr(q);
  const printed = formatExpr(e);
  const again = parseExpr(printed);
  assert.deepEqual(strip(again), strip(e), `round trip of ${q} via ${printed}`);
  assert.equal(formatExpr(again), printed);
  return printed;
}

const canonical: [string, string][] = [
  ['sum(rate(foo{bar="baz"}[5m])) by (job)', 'sum by (job) (rate(foo{bar="baz"}[5m]))'],
  ['sum by(job)(rate(foo{bar="baz"}[5m]))', 'sum by (job) (rate(foo{bar="baz"}[5m]))'],
  ['SUM(foo) BY (job)', 'sum by (job) (foo)'],
  ['sum without () (foo)', 'sum without () (foo)'],
  ['sum by () (foo)', 'sum(foo)'],
  ['topk by (a, "b.c") (5, foo)', 'topk by (a, "b.c") (5, foo)'],
  ['count_values without(x)("value", foo)', 'count_values without (x) ("value", foo)'],
  ['foo{b="2", a=~"1"}', 'foo{a=~"1",b="2"}'],
  ['{__name__="foo", a="b"}', 'foo{a="b"}'.replace('foo{', '{__name__="foo",')],
  ['{"metric.name", a="b"}', '{__name__="metric.name",a="b"}'],
  ['{"my.label"="x"}', '{"my.label"="x"}'],
  ["foo{a='single', b=`raw\\d`}", 'foo{a="single",b="raw\\\\d"}'],
  ['"a\\tb\\u00e9\\x41"', '"a\\tbéA"'],
  ['0x1F', '31'],
  ['1e3', '1000'],
  ['12.34e-6', '0.00001234'],
  ['.5', '0.5'],
  ['2.', '2'],
  ['-Inf', '-Inf'],
  ['+inF', '+Inf'],
  ['nan', 'NaN'],
  ['1e21', '1000000000000000000000'],
  ['1 - -1', '1 - -1'],
  ['-2 ^ 2', '-2 ^ 2'],
  ['2 ^ 3 ^ 2', '2 ^ 3 ^ 2'],
  ['1h30m', '1h30m'],
  ['time() - 5m', 'time() - 5m'],
  ['foo offset 5m', 'foo offset 5m'],
  ['foo offset -1h30m', 'foo offset -1h30m'],
  ['foo offset 90', 'foo offset 1m30s'],
  ['foo @ 100', 'foo @ 100.000'],
  ['foo @ 1m40s', 'foo @ 100.000'],
  ['foo offset 5m @ 1.234', 'foo @ 1.234 offset 5m'],
  ['foo @ start()', 'foo @ start()'],
  ['foo[5m] @ end() offset 1m', 'foo[5m] @ end() offset 1m'],
  ['rate(foo[5m] anchored)', 'rate(foo[5m] anchored)'],
  ['increase(foo[1m] smoothed offset 1m)', 'increase(foo[1m] smoothed offset 1m)'],
  ['rate(foo[5m])[30m:1m]', 'rate(foo[5m])[30m:1m]'],
  ['foo[5m:]', 'foo[5m:]'],
  ['(a + b)[1h:5m] @ 100 offset 10m', '(a + b)[1h:5m] @ 100.000 offset 10m'],
  ['foo[26m+4m]', 'foo[30m]'],
  ['foo[2m*(10+5)]', 'foo[30m]'],
  ['foo[1800]', 'foo[30m]'],
  ['foo offset (20*500ms)', 'foo offset 10s'],
  ['count_over_time(foo[step()])', 'count_over_time(foo[step()])'],
  ['count_over_time(foo[1+(STep()-5)*2])', 'count_over_time(foo[1 + (step() - 5) * 2])'],
  ['foo offset -step()*2', 'foo offset -step() * 2'],
  ['foo offset (-step()*2)', 'foo offset (-step() * 2)'],
  ['foo[step() - -1m]', 'foo[step() - -1m]'],
  ['foo[-(step() - 1m) * -2]', 'foo[-(step() - 1m) * -2]'],
  ['foo offset min_of(step(), 1s)+8000', 'foo offset min_of(step(), 1s) + 8000'],
  ['foo[max_of(min_of(step()+1,1h),1ms)]', 'foo[max_of(min_of(step() + 1, 1h), 1ms)]'],
  ['foo offset range()', 'foo offset range()'],
  ['a + on(x, y) group_left(z) b', 'a + on (x, y) group_left (z) b'],
  ['a + ignoring(x) group_right b', 'a + ignoring (x) group_right () b'],
  ['a > bool on() b', 'a > bool on () b'],
  ['a AND ON (dummy) b', 'a and on (dummy) b'],
  ['a or b unless c', 'a or b unless c'],
  ['a + fill(0) b', 'a + fill (0) b'],
  ['a + on(x) group_left fill_left(5) fill_right(-Inf) b', 'a + on (x) group_left () fill_left (5) fill_right (-Inf) b'],
  ['a == bool fill(NaN) b', 'a == bool fill (NaN) b'],
  ['h </ 1.5', 'h </ 1.5'],
  ['h >/ -Inf', 'h >/ -Inf'],
  ['1 == bool 2', '1 == bool 2'],
  ['-foo', '-foo'],
  ['+foo', '+foo'],
  ['((1) / (0))', '((1) / (0))'],
  ['label_replace(up, "a", "$1", "b", "(.*)")', 'label_replace(up, "a", "$1", "b", "(.*)")'],
  ['info(foo, {k8s_cluster_name=~".+"})', 'info(foo, {k8s_cluster_name=~".+"})'],
  ['limitk(2, foo)', 'limitk(2, foo)'],
  ['limit_ratio(0.5, foo)', 'limit_ratio(0.5, foo)'],
  ['histogram_quantiles(foo, "q", 0.5, 0.9)', 'histogram_quantiles(foo, "q", 0.5, 0.9)'],
  ['min_of(3, NaN)', 'min_of(3, NaN)'],
  ['offset', 'offset'],
  ['sum', 'sum'],
  ['rate', 'rate'],
  ['job:rate5m', 'job:rate5m'],
  ['foo # a comment', 'foo'],
  ['foo{a=~"(?i:PRO).*"}', 'foo{a=~"(?i:PRO).*"}'],
];

test('prints canonical PromQL and round-trips', () => {
  for (const [input, want] of canonical) {
    assert.equal(formatExpr(parseExpr(input)), want, input);
    roundTrip(input);
  }
});

test('builds the expected AST for selectors, ranges and modifiers', () => {
  const ms = parseExpr('rate(foo{a="b"}[5m] offset -1m @ 100)') as Expr & { kind: 'Call' };
  const m = ms.args[0] as MatrixSelector;
  assert.equal(m.kind, 'MatrixSelector');
  assert.equal(m.range, 300_000);
  assert.equal(m.vectorSelector.offset, -60_000);
  assert.deepEqual(m.vectorSelector.at, { kind: 'timestamp', ms: 100_000 });
  assert.deepEqual(
    m.vectorSelector.matchers.map((x) => [x.name, x.type, x.value]),
    [
      ['a', '=', 'b'],
      ['__name__', '=', 'foo'],
    ],
  );
  assert.deepEqual(ms.pos, { start: 0, end: 'rate(foo{a="b"}[5m] offset -1m @ 100)'.length });

  const sq = parseExpr('foo[1h:]') as SubqueryExpr;
  assert.equal(sq.kind, 'SubqueryExpr');
  assert.equal(sq.step, 0);
  assert.equal(sq.range, 3_600_000);

  const dyn = parseExpr('foo offset step()') as VectorSelector;
  assert.equal(dyn.offset, 0);
  assert.deepEqual(dyn.offsetExpr, { kind: 'step' });

  const be = parseExpr('a and b') as Expr & { kind: 'BinaryExpr' };
  assert.equal(be.matching?.card, 'many-to-many');
  const scalarBe = parseExpr('a + 1') as Expr & { kind: 'BinaryExpr' };
  assert.equal(scalarBe.matching, undefined);
  const fill = parseExpr('a + fill_left(5) fill_right(7) b') as Expr & { kind: 'BinaryExpr' };
  assert.deepEqual(fill.fill, { lhs: 5, rhs: 7 });

  // `^` is right-associative and binds tighter than unary minus.
  const pow = parseExpr('-2 ^ 2') as Expr & { kind: 'UnaryExpr' };
  assert.equal(pow.kind, 'UnaryExpr');
  assert.equal(pow.expr.kind, 'BinaryExpr');
  // offset binds to a single (signed) term: `offset 2 ^ 2` squares the selector.
  const off = parseExpr('metric offset -2 ^ 2') as Expr & { kind: 'BinaryExpr' };
  assert.equal(off.op, '^');
  assert.equal((off.lhs as VectorSelector).offset, -2000);
});

test('computes expression types', () => {
  assert.equal(exprType(parseExpr('1 + 1')), 'scalar');
  assert.equal(exprType(parseExpr('foo + 1')), 'vector');
  assert.equal(exprType(parseExpr('foo[5m]')), 'matrix');
  assert.equal(exprType(parseExpr('"x"')), 'string');
  assert.equal(exprType(parseExpr('scalar(foo)')), 'scalar');
  assert.equal(exprType(parseExpr('(foo)[5m:]')), 'matrix');
});

const errors: [string, string][] = [
  ['rate(foo)', '1:6: parse error: expected type range vector in call to function "rate", got instant vector'],
  ['sum(foo[5m])', '1:5: parse error: expected type instant vector in aggregation expression, got range vector'],
  ['topk("a", foo)', '1:6: parse error: expected type scalar in aggregation parameter, got string'],
  ['count_values(1, foo)', '1:14: parse error: expected type string in aggregation parameter, got scalar'],
  ['1 > 2', '1:3: parse error: comparisons between scalars must use BOOL modifier'],
  ['foo + bool bar', '1:5: parse error: bool modifier can only be used on comparison operators'],
  ['1 and foo', '1:1: parse error: set operator "and" not allowed in binary scalar expression'],
  ['foo and on(a) group_left bar', '1:1: parse error: no grouping allowed for "and" operation'],
  ['foo + on(a) 1', '1:1: parse error: vector matching only allowed between instant vectors'],
  ['foo + fill(0) 1', '1:1: parse error: filling in missing series only allowed between instant vectors'],
  ['foo or fill(0) bar', '1:1: parse error: filling in missing series not allowed for set operators'],
  ['foo[5m] + 1', '1:1: parse error: binary expression must contain only scalar and instant vector types'],
  ['-foo[5m]', '1:1: parse error: unary expression only allowed on expressions of type scalar or instant vector, got "range vector"'],
  ['foo[5m][10m:]', '1:1: parse error: subquery is only allowed on instant vector, got matrix instead'],
  ['sum(foo) offset 5m', '1:1: parse error: offset modifier must be preceded by an instant vector selector or range vector selector or a subquery'],
  ['foo offset 1m offset 2m', '1:1: parse error: offset may not be set multiple times'],
  ['foo @ 1 @ 2', '1:1: parse error: @ <timestamp> may not be set multiple times'],
  ['foo offset 1m [5m]', '1:15: parse error: no offset modifiers allowed before range'],
  ['(foo)[5m]', '1:6: parse error: ranges only allowed for vector selectors'],
  ['foo[5m', '1:7: parse error: unclosed left bracket'],
  ['foo[]', '1:5: parse error: unexpected "]" in subquery selector, expected duration'],
  ['foo[5m:1m:]', '1:10: parse error: unexpected ":" in subquery selector, expected "]"'],
  ['foo offset bar', '1:12: parse error: unexpected identifier "bar" in offset, expected duration'],
  ['foo @ bar', '1:7: parse error: unexpected identifier "bar" in @, expected timestamp'],
  ['sum by (a) bar', '1:12: parse error: unexpected identifier "bar" in aggregation'],
  ['sum by (a b) (bar)', '1:11: parse error: unexpected identifier "b" in grouping opts, expected "," or ")"'],
  ['foo[5m:1m] anchored', '1:1: parse error: anchored modifier is not supported for subqueries'],
  ['foo[5m] anchored smoothed', '1:1: parse error: anchored and smoothed modifiers cannot be used together'],
  ['{}', '1:1: parse error: vector selector must contain at least one non-empty matcher'],
  ['{a=~".*"}', '1:1: parse error: vector selector must contain at least one non-empty matcher'],
  ['foo{__name__="bar"}', '1:1: parse error: metric name must not be set twice: "foo" or "bar"'],
  ['info(foo, bar)', '1:11: parse error: expected label selectors only, got vector selector instead'],
  ['abs(foo, bar)', '1:1: parse error: expected 1 argument(s) in call to "abs", got 2'],
  ['label_join(foo)', '1:1: parse error: expected at least 3 argument(s) in call to "label_join", got 1'],
  ['round(foo, 1, 2)', '1:1: parse error: expected at most 2 argument(s) in call to "round", got 3'],
  ['holt_winters(foo[5m], 0.1, 0.1)', '1:1: parse error: unknown function with name "holt_winters"'],
  ['sum(foo, bar)', '1:1: parse error: wrong number of arguments for aggregate expression provided, expected 1, got 2'],
  ['topk(foo)', '1:1: parse error: wrong number of arguments for aggregate expression provided, expected 2, got 1'],
  ['sum()', '1:1: parse error: no arguments for aggregate expression provided'],
  ['foo bar', '1:5: parse error: unexpected identifier "bar"'],
  ['foo +', '1:6: parse error: unexpected end of input'],
  ['sum(foo', '1:8: parse error: unclosed left parenthesis'],
  ['foo)', '1:4: parse error: unexpected right parenthesis \')\''],
  ['foo{a="b"', '1:10: parse error: unexpected end of input inside braces'],
  ['foo{a}', '1:6: parse error: unexpected "}" in label matching, expected label matching operator'],
  ['foo{=~"a"}', '1:5: parse error: unexpected <op:=~> in label matching, expected identifier or "}"'],
  ['foo{a=b}', '1:7: parse error: unexpected identifier "b" in label matching, expected string'],
  ['"abc', '1:1: parse error: unterminated quoted string'],
  ['1.5m', '1:1: parse error: bad number or duration syntax: "1.5m"'],
  ['foo{a=~"("}', '1:5: parse error: error parsing regexp: missing )'.slice(0, 0) + '1:5: parse error: error parsing regexp: '],
  ['a + on(x) group_left(x) b', '1:3: parse error: label "x" must not occur in ON and GROUP clause at once'],
  ['', '1:1: parse error: no expression found in input'],
  ['foo $', "1:5: parse error: unexpected character: '$'"],
  ['x\n  + rate(y)', '2:10: parse error: expected type range vector in call to function "rate", got instant vector'],
];

test('reports Prometheus-style parse errors with positions', () => {
  for (const [input, want] of errors) {
    let err: unknown;
    try {
      parseExpr(input);
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof PromQLParseError, `expected a parse error for ${JSON.stringify(input)}`);
    assert.ok(err instanceof SyntaxError);
    assert.equal(err.httpStatus, 400);
    assert.equal(err.errorType, 'bad_data');
    if (want.endsWith(': ')) assert.ok(err.message.startsWith(want), `${input}: ${err.message}`);
    else assert.equal(err.message, want, input);
    assert.ok(err.position.start >= 0 && err.position.end >= err.position.start);
  }
});

test('experimental functions can be disabled', () => {
  assert.throws(() => parseExpr('mad_over_time(foo[5m])', { enableExperimentalFunctions: false }), /function "mad_over_time" is not enabled/);
  assert.throws(() => parseExpr('limitk(1, foo)', { enableExperimentalFunctions: false }), /experimental/);
  assert.doesNotThrow(() => parseExpr('rate(foo[5m])', { enableExperimentalFunctions: false }));
});

test('parses metric selectors for match[]', () => {
  const ms = parseMetricSelector('up{job=~"api|web", instance!=""}');
  assert.deepEqual(
    ms.map((m) => [m.name, m.type, m.value]),
    [
      ['job', '=~', 'api|web'],
      ['instance', '!=', ''],
      ['__name__', '=', 'up'],
    ],
  );
  assert.deepEqual(
    parseMetricSelector('{"http.requests"}').map((m) => [m.name, m.value]),
    [['__name__', 'http.requests']],
  );
  assert.throws(() => parseMetricSelector('{job=~".*"}'), /at least one non-empty matcher/);
  assert.throws(() => parseMetricSelector('rate(up[5m])'), PromQLParseError);
  assert.throws(() => parseMetricSelector('up[5m]'), PromQLParseError);
});

test('translates RE2 regex syntax in matchers', () => {
  const vs = parseExpr('{a=~"(?i:PRO).*", b=~"x\\\\z", c=~"[[:digit:]]+", d=~"((?i)duc)"}') as VectorSelector;
  const [a, b, c, d] = vs.matchers;
  assert.ok(matches(a!, 'production') && matches(a!, 'PROduction') && !matches(a!, 'xpro'));
  assert.ok(matches(b!, 'x') && !matches(b!, 'xz'));
  assert.ok(matches(c!, '123') && !matches(c!, '12a'));
  assert.ok(matches(d!, 'DUC') && matches(d!, 'duc'));
  // Anchored and dot-all like Prometheus.
  const e = (parseExpr('{a=~"a.b"}') as VectorSelector).matchers[0]!;
  assert.ok(matches(e, 'a\nb') && !matches(e, 'xa\nb'));
});

test('keeps invalid UTF-8 from escapes detectable', () => {
  const vs = parseExpr('foo{a="\\xff"}') as VectorSelector;
  assert.equal(vs.matchers[0]!.value, '\udcff');
  assert.equal(formatExpr(vs), 'foo{a="\\xff"}');
  assert.throws(() => parseExpr('sum by ("\\xc5") (foo)'), /invalid label name/);
});

test('evaluates duration expressions in seconds', () => {
  const m = parseExpr('foo[step() * 2 + 1m]') as MatrixSelector;
  assert.equal(m.range, 0);
  assert.equal(evalDurationExpr(m.rangeExpr!, { stepMs: 5000, rangeMs: 0 }), 70_000);
  const o = parseExpr('foo offset min_of(range(), 8s)') as VectorSelector;
  assert.equal(evalDurationExpr(o.offsetExpr!, { stepMs: 0, rangeMs: 10_000 }), 8000);
  assert.throws(() => parseExpr('foo[1m/0]'), /division by zero/);
});

test('function table covers Prometheus 3.x functions', () => {
  for (const name of ['rate', 'info', 'histogram_quantiles', 'mad_over_time', 'ts_of_max_over_time', 'first_over_time', 'double_exponential_smoothing', 'sort_by_label_desc', 'start_timestamp', 'histogram_fraction']) {
    assert.ok(functions.has(name), name);
  }
  assert.equal(functions.get('rate')!.argTypes[0], 'matrix');
  assert.equal(functions.get('info')!.experimental, true);
});

/**
 * Every `eval` expression of the upstream PromQL corpus must parse (the upstream runner
 * rejects a whole file if one does not). Expressions known NOT to parse would be listed here
 * with a reason; the list is currently empty.
 */
const KNOWN_UNPARSEABLE: ReadonlySet<string> = new Set<string>([]);

test('parses every eval expression of the conformance corpus', () => {
  const dir = join(dirname(fileURLToPath(import.meta.url)), '../../../shared/conformance/promql');
  const files = readdirSync(dir).filter((f) => f.endsWith('.test')).sort();
  assert.ok(files.length > 0, `no .test files in ${dir}`);
  let total = 0;
  let parsed = 0;
  const failures: string[] = [];
  for (const f of files) {
    const lines = readFileSync(join(dir, f), 'utf8').split('\n');
    lines.forEach((raw, i) => {
      const l = raw.trim();
      const m = /^eval\S*\s+instant\s+at\s+\S+\s+(.*)$/.exec(l) ?? /^eval\S*\s+range\s+from\s+\S+\s+to\s+\S+\s+step\s+\S+\s+(.*)$/.exec(l);
      if (!m) return;
      total++;
      const q = m[1]!;
      try {
        roundTrip(q);
        parsed++;
      } catch (err) {
        if (!KNOWN_UNPARSEABLE.has(q)) failures.push(`${f}:${i + 1}: ${q}: ${(err as Error).message}`);
      }
    });
  }
  console.log(`conformance corpus: ${parsed}/${total} eval expressions parsed and round-tripped (${files.length} files)`);
  assert.ok(total >= 2000, `only ${total} eval lines found`);
  assert.deepEqual(failures, []);
});

test('millisecond range literals are exact (1001ms is not read as 1000ms)', () => {
  const e = parseExpr('metric[1001ms]');
  assert.equal(e.kind === 'MatrixSelector' && e.range, 1001);
  const o = parseExpr('metric offset 1001ms');
  assert.equal(o.kind === 'VectorSelector' && o.offset, 1001);
});
