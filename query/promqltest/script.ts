/**
 * Parser for PromQL test scripts (`*.test`), per shared/conformance/promql/FORMAT.md:
 * blocks of load / clear / eval commands separated by empty or comment lines.
 */
import type { SeriesDescription } from './series-desc.ts';
import { parseDuration, parseSeriesDescription, parseSeriesNumber, parseStartOffsets, unquote } from './series-desc.ts';
import { labelsKey } from '../model/labels.ts';

export interface LoadCommand {
  kind: 'load';
  line: number;
  stepMs: number;
  withNhcb: boolean;
  series: SeriesDescription[];
  /** Lines carrying start timestamps (`metric@st ...`); their offsets go to the next series' startOffsets. */
  startTimestampLines: number;
}

export interface ClearCommand {
  kind: 'clear';
  line: number;
}

export interface Expectation {
  type: 'fail' | 'warn' | 'info' | 'no_warn' | 'no_info' | 'ordered';
  msg?: string;
  regex?: RegExp;
}

export interface EvalCommand {
  kind: 'eval';
  line: number;
  expr: string;
  range?: { start: number; end: number; step: number };
  /** Instant evaluation time (ms). */
  at?: number;
  expectations: Expectation[];
  /** From eval_fail / eval_warn / eval_info / eval_ordered. */
  shorthand?: 'fail' | 'warn' | 'info' | 'ordered';
  expectRangeVector?: { start: number; end: number; step: number };
  expectString?: string;
  expectScalar?: number;
  series: { desc: SeriesDescription; line: number }[];
  /** Expected output mentions a native histogram literal. */
  expectsHistogram: boolean;
}

export type Command = LoadCommand | ClearCommand | EvalCommand;

export interface Script {
  commands: Command[];
}

const EVAL_INSTANT = /^eval(?:_(fail|warn|info|ordered))?\s+instant\s+at\s+(\S+)\s+(.+)$/i;
const EVAL_RANGE = /^eval(?:_(fail|warn|info|ordered))?\s+range\s+from\s+(\S+)\s+to\s+(\S+)\s+step\s+(\S+)\s+(.+)$/i;
const EXPECT = /^expect\s+(fail|warn|info|no_warn|no_info|ordered)(?:\s+(msg|regex):(.*))?$/;
const EXPECT_RANGE = /^expect\s+range\s+vector\s+from\s+(\S+)\s+to\s+(\S+)\s+step\s+(\S+)$/;
const EXPECT_STRING = /^expect\s+string\s+(.*)$/;

/** Numbers an expected-result line may be: Go integers (with base prefixes, underscores) and floats. */
export function parseScalarLine(s: string): number | undefined {
  const t = s.trim();
  if (/^[+-]?(inf|nan)$/i.test(t)) return parseSeriesNumber(t);
  if (/^[+-]?(0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+)$/.test(t)) {
    const neg = t.startsWith('-');
    const body = t.replace(/^[+-]/, '').replace(/_/g, '');
    const v = Number(body);
    return neg ? -v : v;
  }
  if (/^[+-]?(\d[\d_]*\.?[\d_]*|\.\d[\d_]*)([eE][+-]?\d+)?$/.test(t)) return Number(t.replace(/_/g, ''));
  return undefined;
}

export function parseScript(text: string): Script {
  const lines = text.split('\n').map((l) => {
    const t = l.trim();
    return t.startsWith('#') ? '' : t;
  });
  const commands: Command[] = [];
  let i = 0;
  while (i < lines.length) {
    if (lines[i] === '') {
      i++;
      continue;
    }
    const first = lines[i]!;
    const lineNo = i + 1;
    const word = first.split(/\s+/)[0]!.toLowerCase();
    i++;
    if (word === 'clear') {
      commands.push({ kind: 'clear', line: lineNo });
      continue;
    }
    if (word.startsWith('load')) {
      const m = /^(load|load_with_nhcb)\s+(\S+)$/.exec(first);
      if (!m) throw new SyntaxError(`line ${lineNo}: invalid load command ${JSON.stringify(first)}`);
      const cmd: LoadCommand = { kind: 'load', line: lineNo, stepMs: parseDuration(m[2]!), withNhcb: m[1] === 'load_with_nhcb', series: [], startTimestampLines: 0 };
      let pending: { labels: SeriesDescription['labels']; offsets: (number | undefined)[] } | undefined;
      while (i < lines.length && lines[i] !== '') {
        const l = lines[i]!;
        const tok = l.split(/\s+/)[0]!;
        if (pending !== undefined && tok.endsWith('@st')) throw new SyntaxError(`line ${lineNo}: start timestamp line not followed by its series`);
        if (tok.endsWith('@st')) {
          cmd.startTimestampLines++;
          const desc = parseSeriesDescription(tok.slice(0, -3));
          pending = { labels: desc.labels, offsets: parseStartOffsets(l.slice(tok.length)) };
        } else {
          const desc = parseSeriesDescription(l);
          if (pending !== undefined) {
            if (labelsKey(pending.labels) !== labelsKey(desc.labels) || pending.offsets.length !== desc.values.length) {
              throw new SyntaxError(`line ${lineNo}: start timestamp line does not match its series`);
            }
            desc.startOffsets = pending.offsets;
            pending = undefined;
          }
          cmd.series.push(desc);
        }
        i++;
      }
      if (pending !== undefined) throw new SyntaxError(`line ${lineNo}: start timestamp line not followed by its series`);
      commands.push(cmd);
      continue;
    }
    if (word.startsWith('eval')) {
      const cmd: EvalCommand = { kind: 'eval', line: lineNo, expr: '', expectations: [], series: [], expectsHistogram: false };
      const ri = EVAL_RANGE.exec(first);
      const ii = EVAL_INSTANT.exec(first);
      if (ri) {
        cmd.shorthand = ri[1]?.toLowerCase() as EvalCommand['shorthand'];
        cmd.range = { start: parseDuration(ri[2]!), end: parseDuration(ri[3]!), step: parseDuration(ri[4]!) };
        cmd.expr = ri[5]!;
      } else if (ii) {
        cmd.shorthand = ii[1]?.toLowerCase() as EvalCommand['shorthand'];
        cmd.at = parseDuration(ii[2]!);
        cmd.expr = ii[3]!;
      } else throw new SyntaxError(`line ${lineNo}: invalid eval command ${JSON.stringify(first)}`);
      while (i < lines.length && lines[i] !== '') {
        const l = lines[i]!;
        const ln = i + 1;
        i++;
        let m = EXPECT_RANGE.exec(l);
        if (m) {
          cmd.expectRangeVector = { start: parseDuration(m[1]!), end: parseDuration(m[2]!), step: parseDuration(m[3]!) };
          continue;
        }
        m = EXPECT_STRING.exec(l);
        if (m) {
          cmd.expectString = unquote(m[1]!.trim());
          continue;
        }
        m = EXPECT.exec(l);
        if (m) {
          const e: Expectation = { type: m[1] as Expectation['type'] };
          if (m[2] === 'msg') e.msg = m[3]!.trim();
          else if (m[2] === 'regex') e.regex = new RegExp(m[3]!.trim());
          cmd.expectations.push(e);
          continue;
        }
        const num = parseScalarLine(l);
        if (num !== undefined) {
          cmd.expectScalar = num;
          break;
        }
        if (l.includes('{{')) cmd.expectsHistogram = true;
        cmd.series.push({ desc: parseSeriesDescription(l), line: ln });
      }
      commands.push(cmd);
      continue;
    }
    throw new SyntaxError(`line ${lineNo}: unknown command ${JSON.stringify(first)}`);
  }
  return { commands };
}
