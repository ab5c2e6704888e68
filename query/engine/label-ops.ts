/** Label-set helpers used by the evaluator (Labels stay sorted by name). */
import type { Label, Labels } from '../model/labels.ts';
import { METRIC_NAME } from '../model/labels.ts';

/** Prometheus Labels.String(): {a="b", c="d"} with __name__ as an ordinary label. */
export function labelsString(ls: Labels): string {
  return `{${ls.map((l) => `${l.name}=${JSON.stringify(l.value)}`).join(', ')}}`;
}

export function withoutLabels(ls: Labels, names: ReadonlySet<string>): Labels {
  let drop = false;
  for (const l of ls) if (names.has(l.name)) drop = true;
  if (!drop) return ls;
  return ls.filter((l) => !names.has(l.name));
}

export function onlyLabels(ls: Labels, names: ReadonlySet<string>): Labels {
  return ls.filter((l) => names.has(l.name));
}

/** Sets (or with an empty value deletes) one label. */
export function setLabel(ls: Labels, name: string, value: string): Labels {
  const out: Label[] = [];
  let done = false;
  for (const l of ls) {
    if (!done && l.name >= name) {
      if (value !== '') out.push({ name, value });
      done = true;
      if (l.name === name) continue;
    }
    out.push(l);
  }
  if (!done && value !== '') out.push({ name, value });
  return out;
}

export const METADATA_LABELS: ReadonlySet<string> = new Set([METRIC_NAME, '__type__', '__unit__']);

export function dropMetadata(ls: Labels): Labels {
  return withoutLabels(ls, METADATA_LABELS);
}

/** Natural ("version") order used by sort_by_label: digit runs compare numerically. */
export function natLess(a: string, b: string): boolean {
  const re = /(\d+|\D+)/g;
  const pa = a.match(re) ?? [];
  const pb = b.match(re) ?? [];
  const n = Math.min(pa.length, pb.length);
  for (let i = 0; i < n; i++) {
    const x = pa[i]!;
    const y = pb[i]!;
    if (x === y) continue;
    const dx = /^\d/.test(x);
    const dy = /^\d/.test(y);
    if (dx && dy) {
      const nx = Number(x);
      const ny = Number(y);
      if (nx !== ny) return nx < ny;
      return x.length < y.length;
    }
    return x < y;
  }
  return pa.length < pb.length;
}
