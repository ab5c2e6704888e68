/**
 * The `{{schema:0 sum:5 count:4 buckets:[1 2 1] ...}}` notation of the PromQL test
 * scripts (shared/conformance/promql/FORMAT.md §5): parsing, and printing for
 * messages. Each bucket list is one contiguous run of buckets starting at its offset.
 */
import { CUSTOM_BUCKETS_SCHEMA, FloatHistogram } from './float-histogram.ts';
import type { CounterResetHint } from './float-histogram.ts';

export interface HistogramLiteral {
  h: FloatHistogram;
  /** Whether counter_reset_hint was spelled out (expected results check it only then). */
  hintWritten: boolean;
}

const HINTS: Record<string, CounterResetHint> = { unknown: 'unknown', reset: 'reset', not_reset: 'not_reset', gauge: 'gauge' };

function parseNum(s: string, what: string): number {
  const l = s.toLowerCase().replace(/^\+/, '');
  if (l === 'inf') return Infinity;
  if (l === '-inf') return -Infinity;
  if (l === 'nan' || l === '-nan') return NaN;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) throw new SyntaxError(`invalid number ${JSON.stringify(s)} for ${what} in histogram literal`);
  return Number(s);
}

function parseInt10(s: string, what: string): number {
  if (!/^[+-]?\d+$/.test(s)) throw new SyntaxError(`invalid integer ${JSON.stringify(s)} for ${what} in histogram literal`);
  return Number(s);
}

/** Parses one `{{...}}` literal. Throws SyntaxError. */
export function parseHistogramLiteral(text: string): HistogramLiteral {
  const t = text.trim();
  if (!t.startsWith('{{') || !t.endsWith('}}')) throw new SyntaxError(`invalid histogram literal ${JSON.stringify(text)}`);
  const body = t.slice(2, -2);
  const fields = new Map<string, string>();
  const re = /\s*([a-zA-Z_]+):(\[[^\]]*\]|\S+)/y;
  let pos = 0;
  while (pos < body.length) {
    if (/^\s*$/.test(body.slice(pos))) break;
    re.lastIndex = pos;
    const m = re.exec(body);
    if (m === null) throw new SyntaxError(`invalid histogram literal ${JSON.stringify(text)}`);
    const key = m[1]!.toLowerCase();
    if (fields.has(key)) throw new SyntaxError(`duplicate key ${key} in histogram literal`);
    fields.set(key, m[2]!);
    pos = re.lastIndex;
  }
  const h = new FloatHistogram();
  const list = (k: string): number[] => {
    const v = fields.get(k);
    if (v === undefined) return [];
    if (!v.startsWith('[')) throw new SyntaxError(`expected a list for ${k} in histogram literal`);
    return v
      .slice(1, -1)
      .trim()
      .split(/\s+/)
      .filter((x) => x !== '')
      .map((x) => parseNum(x, k));
  };
  let hintWritten = false;
  for (const [k, v] of fields) {
    switch (k) {
      case 'schema':
        h.schema = parseInt10(v, k);
        break;
      case 'sum':
        h.sum = parseNum(v, k);
        break;
      case 'count':
        h.count = parseNum(v, k);
        break;
      case 'z_bucket':
        h.zeroCount = parseNum(v, k);
        break;
      case 'z_bucket_w':
        h.zeroThreshold = parseNum(v, k);
        break;
      case 'counter_reset_hint': {
        const hint = HINTS[v];
        if (hint === undefined) throw new SyntaxError(`invalid counter_reset_hint ${JSON.stringify(v)} in histogram literal`);
        h.hint = hint;
        hintWritten = true;
        break;
      }
      case 'buckets':
      case 'n_buckets':
      case 'custom_values':
      case 'offset':
      case 'n_offset':
        break;
      default:
        throw new SyntaxError(`unknown key ${k} in histogram literal`);
    }
  }
  const off = fields.has('offset') ? parseInt10(fields.get('offset')!, 'offset') : 0;
  const nOff = fields.has('n_offset') ? parseInt10(fields.get('n_offset')!, 'n_offset') : 0;
  h.posCnt = list('buckets');
  h.posIdx = h.posCnt.map((_, i) => off + i);
  h.negCnt = list('n_buckets');
  h.negIdx = h.negCnt.map((_, i) => nOff + i);
  if (fields.has('custom_values')) h.customValues = list('custom_values');
  if (h.schema === CUSTOM_BUCKETS_SCHEMA && h.customValues === undefined) h.customValues = [];
  return { h, hintWritten };
}

function fmt(v: number): string {
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/** Contiguous runs of bucket indexes as [offset, counts] pairs (absolute offsets). */
function runs(idx: readonly number[], cnt: readonly number[]): [number, number[]][] {
  const out: [number, number[]][] = [];
  for (let k = 0; k < idx.length; k++) {
    const last = out[out.length - 1];
    if (last !== undefined && last[0] + last[1].length === idx[k]) last[1].push(cnt[k]!);
    else out.push([idx[k]!, [cnt[k]!]]);
  }
  return out;
}

/** Prints h in the literal notation (several runs are printed as several bucket lists, for messages only). */
export function formatHistogramLiteral(h: FloatHistogram): string {
  const parts: string[] = [];
  if (h.schema !== 0) parts.push(`schema:${h.schema}`);
  parts.push(`count:${fmt(h.count)}`, `sum:${fmt(h.sum)}`);
  if (h.zeroThreshold !== 0) parts.push(`z_bucket_w:${fmt(h.zeroThreshold)}`);
  if (h.zeroCount !== 0) parts.push(`z_bucket:${fmt(h.zeroCount)}`);
  if (h.customValues !== undefined) parts.push(`custom_values:[${h.customValues.map(fmt).join(' ')}]`);
  for (const [o, c] of runs(h.posIdx, h.posCnt)) parts.push(`offset:${o} buckets:[${c.map(fmt).join(' ')}]`);
  for (const [o, c] of runs(h.negIdx, h.negCnt)) parts.push(`n_offset:${o} n_buckets:[${c.map(fmt).join(' ')}]`);
  if (h.hint !== 'unknown') parts.push(`counter_reset_hint:${h.hint}`);
  return `{{${parts.join(' ')}}}`;
}
