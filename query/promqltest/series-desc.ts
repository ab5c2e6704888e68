/**
 * Series descriptions of the PromQL test-script format (see
 * shared/conformance/promql/FORMAT.md §4): `name{l="v"} 1 2+3x4 _ stale {{...}}`.
 */
import type { Label, Labels } from '../model/labels.ts';
import { sortLabels } from '../model/labels.ts';
import type { FloatHistogram } from '../engine/histogram/float-histogram.ts';
import { parseHistogramLiteral } from '../engine/histogram/literal.ts';

/** One expanded position of a value sequence. */
export type SeriesValue =
  | { kind: 'float'; value: number }
  | { kind: 'stale' }
  | { kind: 'omitted' }
  | { kind: 'histogram'; text: string; h: FloatHistogram; hintWritten: boolean };

export interface SeriesDescription {
  labels: Labels;
  values: SeriesValue[];
  /** Start-timestamp offsets (ms, relative to each sample) from a `metric@st` line; undefined = none. */
  startOffsets?: (number | undefined)[];
}

const DURATION_RE = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;

/** Prometheus duration (`5m`, `1h30m`, `0`) in ms. Throws SyntaxError. */
export function parseDuration(s: string): number {
  if (s === '0') return 0;
  const m = DURATION_RE.exec(s);
  if (s === '' || m === null || m.slice(1).every((x) => x === undefined)) throw new SyntaxError(`invalid duration ${JSON.stringify(s)}`);
  const mult = [365 * 86400000, 7 * 86400000, 86400000, 3600000, 60000, 1000, 1];
  let ms = 0;
  for (let i = 0; i < 7; i++) if (m[i + 1] !== undefined) ms += Number(m[i + 1]) * mult[i]!;
  return ms;
}

/** Go-style unquoting of "..." / '...' (escapes) and `...` (raw). */
export function unquote(s: string): string {
  const q = s[0];
  if (s.length < 2 || s[s.length - 1] !== q) throw new SyntaxError(`unterminated string ${s}`);
  const body = s.slice(1, -1);
  if (q === '`') return body;
  let out = '';
  const bytes: number[] = [];
  const flushBytes = (): void => {
    if (bytes.length > 0) {
      out += Buffer.from(bytes).toString('utf8');
      bytes.length = 0;
    }
  };
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== '\\') {
      flushBytes();
      out += c;
      continue;
    }
    const n = body[++i];
    switch (n) {
      case 'a':
        flushBytes();
        out += '\x07';
        break;
      case 'b':
        flushBytes();
        out += '\b';
        break;
      case 'f':
        flushBytes();
        out += '\f';
        break;
      case 'n':
        flushBytes();
        out += '\n';
        break;
      case 'r':
        flushBytes();
        out += '\r';
        break;
      case 't':
        flushBytes();
        out += '\t';
        break;
      case 'v':
        flushBytes();
        out += '\v';
        break;
      case '\\':
      case '"':
      case "'":
        flushBytes();
        out += n;
        break;
      case 'x':
        bytes.push(parseInt(body.slice(i + 1, i + 3), 16));
        i += 2;
        break;
      case 'u':
        flushBytes();
        out += String.fromCodePoint(parseInt(body.slice(i + 1, i + 5), 16));
        i += 4;
        break;
      case 'U':
        flushBytes();
        out += String.fromCodePoint(parseInt(body.slice(i + 1, i + 9), 16));
        i += 8;
        break;
      default:
        if (n !== undefined && /[0-7]/.test(n)) {
          bytes.push(parseInt(body.slice(i, i + 3), 8));
          i += 2;
          break;
        }
        throw new SyntaxError(`invalid escape \\${n ?? ''} in ${s}`);
    }
  }
  flushBytes();
  return out;
}

/** Reads a quoted string starting at s[i]; returns the raw quoted text. */
function readQuoted(s: string, i: number): string {
  const q = s[i]!;
  let j = i + 1;
  while (j < s.length && s[j] !== q) {
    if (s[j] === '\\' && q !== '`') j++;
    j++;
  }
  if (j >= s.length) throw new SyntaxError(`unterminated string in ${s}`);
  return s.slice(i, j + 1);
}

/** Parses the labels part; returns labels and the index after it. */
export function parseLabelsPart(s: string): { labels: Labels; rest: string } {
  let i = 0;
  const out: Label[] = [];
  const nameMatch = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(s);
  if (nameMatch) {
    out.push({ name: '__name__', value: nameMatch[0] });
    i = nameMatch[0].length;
  }
  if (s[i] === '{') {
    i++;
    for (;;) {
      while (s[i] === ' ' || s[i] === '\t') i++;
      if (s[i] === '}') {
        i++;
        break;
      }
      let name: string;
      if (s[i] === '"' || s[i] === "'" || s[i] === '`') {
        const raw = readQuoted(s, i);
        i += raw.length;
        name = unquote(raw);
        while (s[i] === ' ') i++;
        if (s[i] !== '=') {
          out.push({ name: '__name__', value: name });
          if (s[i] === ',') i++;
          continue;
        }
      } else {
        const m = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(s.slice(i));
        if (!m) throw new SyntaxError(`invalid label name in ${JSON.stringify(s)}`);
        name = m[0];
        i += name.length;
      }
      while (s[i] === ' ') i++;
      if (s[i] !== '=') throw new SyntaxError(`expected "=" in ${JSON.stringify(s)}`);
      i++;
      while (s[i] === ' ') i++;
      const raw = readQuoted(s, i);
      i += raw.length;
      out.push({ name, value: unquote(raw) });
      while (s[i] === ' ' || s[i] === '\t') i++;
      if (s[i] === ',') i++;
    }
  }
  if (i === 0) throw new SyntaxError(`invalid series description ${JSON.stringify(s)}`);
  const byName = new Map<string, Label>();
  for (const l of out) byName.set(l.name, l);
  return { labels: sortLabels([...byName.values()].filter((l) => l.value !== '')), rest: s.slice(i) };
}

const NUM = String.raw`(?:[iI][nN][fF]|[nN][aA][nN]|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)`;
const EXPANSION_RE = new RegExp(String.raw`^([+-]?${NUM})(?:([+-])(${NUM}))?x(\d+)$`);
const NUMBER_RE = new RegExp(String.raw`^[+-]?${NUM}$`);

/** Parses a float in the series-description syntax (no hex, no units). */
export function parseSeriesNumber(s: string): number {
  if (!NUMBER_RE.test(s)) throw new SyntaxError(`invalid number ${JSON.stringify(s)}`);
  const t = s.toLowerCase().replace(/^\+/, '');
  if (t === 'inf' || t === '+inf') return Infinity;
  if (t === '-inf') return -Infinity;
  if (t === 'nan' || t === '-nan') return NaN;
  return Number(t);
}

/** Splits a value sequence into items, keeping `{{ ... }}` histogram literals whole. */
function tokenize(s: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < s.length) {
    while (i < s.length && (s[i] === ' ' || s[i] === '\t')) i++;
    if (i >= s.length) break;
    let j = i;
    while (j < s.length && s[j] !== ' ' && s[j] !== '\t') {
      if (s.startsWith('{{', j)) {
        const close = s.indexOf('}}', j);
        if (close < 0) throw new SyntaxError(`unterminated histogram in ${JSON.stringify(s)}`);
        j = close + 2;
      } else j++;
    }
    out.push(s.slice(i, j));
    i = j;
  }
  return out;
}

export function parseValues(s: string): SeriesValue[] {
  const out: SeriesValue[] = [];
  for (const item of tokenize(s)) {
    if (item === '_') {
      out.push({ kind: 'omitted' });
      continue;
    }
    const om = /^_x(\d+)$/.exec(item);
    if (om) {
      for (let k = 0; k < Number(om[1]); k++) out.push({ kind: 'omitted' });
      continue;
    }
    if (item === 'stale') {
      out.push({ kind: 'stale' });
      continue;
    }
    if (item.startsWith('{{')) {
      const hm = /^(\{\{.*?\}\})(?:([+-])(\{\{.*?\}\}))?(?:x(\d+))?$/.exec(item);
      if (!hm) throw new SyntaxError(`invalid histogram item ${JSON.stringify(item)}`);
      const times = hm[4] === undefined ? 1 : Number(hm[4]) + 1;
      const start = parseHistogramLiteral(hm[1]!);
      if (hm[2] === undefined) {
        for (let k = 0; k < times; k++) out.push({ kind: 'histogram', text: hm[1]!, h: start.h, hintWritten: start.hintWritten });
        continue;
      }
      const inc = parseHistogramLiteral(hm[3]!);
      let cur = start.h;
      for (let k = 0; k < times; k++) {
        if (k > 0) {
          if (cur.schema > inc.h.schema && !cur.usesCustomBuckets()) throw new SyntaxError(`histogram expansion in ${JSON.stringify(item)} has a finer schema than its increment`);
          cur = cur.copy();
          if (hm[2] === '+') cur.add(inc.h);
          else cur.sub(inc.h);
        }
        out.push({ kind: 'histogram', text: item, h: cur, hintWritten: inc.hintWritten });
      }
      continue;
    }
    const em = EXPANSION_RE.exec(item);
    if (em) {
      let cur = parseSeriesNumber(em[1]!);
      const n = Number(em[4]);
      let d = 0;
      if (em[2] !== undefined) {
        d = parseSeriesNumber(em[3]!);
        if (em[2] === '-') d = -d;
      }
      out.push({ kind: 'float', value: cur });
      for (let k = 0; k < n; k++) {
        // Repeated float addition, exactly as upstream generates load data.
        cur = cur + d;
        out.push({ kind: 'float', value: cur });
      }
      continue;
    }
    out.push({ kind: 'float', value: parseSeriesNumber(item) });
  }
  return out;
}

export function parseSeriesDescription(line: string): SeriesDescription {
  const { labels, rest } = parseLabelsPart(line.trim());
  return { labels, values: parseValues(rest) };
}

const ST_UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60000, h: 3600000, d: 86400000, w: 604800000, y: 31536000000 };

/** One signed offset of a start-timestamp line: `-30s`, `-59999ms`, `+1m`, `0`. */
function parseOffset(s: string): number {
  const m = /^([+-]?)(\d+)(ms|[smhdwy])?$/.exec(s);
  if (!m) throw new SyntaxError(`invalid start timestamp offset ${JSON.stringify(s)}`);
  const v = Number(m[2]) * (m[3] === undefined ? 1000 : ST_UNIT_MS[m[3]]!);
  return m[1] === '-' ? -v : v;
}

/** The items of a start-timestamp line (FORMAT.md §3.1): `_`, `_xN`, `d`, `dxN`, `d+exN`, `d-exN`. */
export function parseStartOffsets(s: string): (number | undefined)[] {
  const out: (number | undefined)[] = [];
  for (const item of s.trim().split(/\s+/)) {
    if (item === '') continue;
    if (item === '_') {
      out.push(undefined);
      continue;
    }
    const om = /^_x(\d+)$/.exec(item);
    if (om) {
      for (let k = 0; k < Number(om[1]); k++) out.push(undefined);
      continue;
    }
    const m = /^([+-]?\d+(?:ms|[smhdwy])?)(?:([+-])(\d+(?:ms|[smhdwy])?))?(?:x(\d+))?$/.exec(item);
    if (!m) throw new SyntaxError(`invalid start timestamp item ${JSON.stringify(item)}`);
    let cur = parseOffset(m[1]!);
    const d = m[2] === undefined ? 0 : (m[2] === '-' ? -1 : 1) * parseOffset(m[3]!);
    const n = m[4] === undefined ? 0 : Number(m[4]);
    out.push(cur);
    for (let k = 0; k < n; k++) {
      cur += d;
      out.push(cur);
    }
  }
  return out;
}
