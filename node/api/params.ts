/**
 * Parsing of Prometheus HTTP API parameters: timestamps (RFC 3339 or Unix
 * seconds with decimals) and durations (Prometheus duration strings or seconds).
 */
import { StoreError } from '../core/errors.ts';

/** Prometheus uses these bounds for "no start"/"no end" (minTime/maxTime of the API). */
export const MIN_TIME_MS = -9223372036854.775 * 1000; // well below any real sample
export const MAX_TIME_MS = 9223372036854.775 * 1000;

export function badData(message: string): StoreError {
  return new StoreError('BAD_DATA', 400, message, { errorType: 'bad_data' });
}

/** Parses a timestamp parameter into integer milliseconds. */
export function parseTime(raw: string, param: string): number {
  const s = raw.trim();
  if (/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(s)) {
    const secs = Number(s);
    if (!Number.isFinite(secs)) throw badData(`invalid parameter "${param}": cannot parse "${raw}" to a valid timestamp`);
    return Math.round(secs * 1000);
  }
  if (s === '-292273086-05-16T16:47:06Z' || s === '-292273086-05-16T16:47:06.000Z') return MIN_TIME_MS;
  if (s === '292277025-08-18T07:12:54.999999999Z') return MAX_TIME_MS;
  const ms = Date.parse(s);
  if (!Number.isNaN(ms) && /^\d{4}-\d{2}-\d{2}T/.test(s)) return ms;
  throw badData(`invalid parameter "${param}": cannot parse "${raw}" to a valid timestamp`);
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000 };

/** Parses a duration parameter (e.g. "15s", "1h30m", "0.5") into milliseconds. */
export function parseDuration(raw: string, param: string): number {
  const s = raw.trim();
  if (/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(s)) {
    const secs = Number(s);
    if (!Number.isFinite(secs)) throw badData(`invalid parameter "${param}": cannot parse "${raw}" to a valid duration`);
    return Math.round(secs * 1000);
  }
  const re = /(\d+)(ms|s|m|h|d|w|y)/g;
  let total = 0;
  let consumed = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    if (m.index !== consumed) break;
    total += Number(m[1]) * DURATION_UNITS[m[2]!]!;
    consumed = m.index + m[0].length;
  }
  if (consumed !== s.length || s.length === 0) throw badData(`invalid parameter "${param}": cannot parse "${raw}" to a valid duration`);
  return total;
}

/** Collects a parameter that may repeat (match[]) from query string and form body. */
export function paramList(query: unknown, body: unknown, name: string): string[] {
  const out: string[] = [];
  for (const src of [query, body]) {
    if (!src || typeof src !== 'object') continue;
    const v = (src as Record<string, unknown>)[name];
    if (Array.isArray(v)) out.push(...v.map(String));
    else if (v !== undefined) out.push(String(v));
  }
  return out;
}

export function param(query: unknown, body: unknown, name: string): string | undefined {
  const l = paramList(query, body, name);
  return l.length ? l[l.length - 1] : undefined;
}
