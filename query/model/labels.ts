/**
 * Label sets. A Labels value is an array of {name, value} sorted by name with
 * unique names — the same invariant Prometheus keeps, so equality, hashing and
 * printing never need to sort again.
 */
export interface Label {
  readonly name: string;
  readonly value: string;
}

export type Labels = readonly Label[];

export const METRIC_NAME = '__name__';

/** Builds a sorted Labels value from a plain object; empty values are dropped as in Prometheus. */
export function labelsFromObject(obj: Record<string, string>): Labels {
  const out: Label[] = [];
  for (const name of Object.keys(obj)) {
    const value = obj[name]!;
    if (value !== '') out.push({ name, value });
  }
  return sortLabels(out);
}

export function labelsToObject(ls: Labels): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of ls) out[l.name] = l.value;
  return out;
}

/** Sorts in place by name (byte order, like Go's string comparison for ASCII) and returns it. */
export function sortLabels(ls: Label[]): Label[] {
  return ls.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export function getLabel(ls: Labels, name: string): string {
  for (const l of ls) if (l.name === name) return l.value;
  return '';
}

export function compareLabels(a: Labels, b: Labels): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.name !== y.name) return x.name < y.name ? -1 : 1;
    if (x.value !== y.value) return x.value < y.value ? -1 : 1;
  }
  return a.length - b.length;
}

/**
 * Sorts (in place, and returns) by labels, in compareLabels order. Large sets are sorted by one string key per series,
 * which V8 compares natively: a comparator calling compareLabels costs ~30 ms for 10,000 series,
 * more than reading them. The key puts U+0000 after each name and value, so a name or value that is
 * a prefix of another sorts first, as in compareLabels; only values that contain U+0000 themselves
 * could order differently, so the result is checked and re-sorted the slow way if it is off.
 */
export function sortByLabels<T extends { labels: Labels }>(series: T[]): T[] {
  if (series.length < 64) return series.sort((a, b) => compareLabels(a.labels, b.labels));
  const keyed = series.map((s) => {
    let k = '';
    for (const l of s.labels) k += l.name + '\u0000' + l.value + '\u0000';
    return { k, s };
  });
  keyed.sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0));
  const out = keyed.map((x) => x.s);
  for (let i = 1; i < out.length; i++) {
    if (compareLabels(out[i - 1]!.labels, out[i]!.labels) > 0) return out.sort((a, b) => compareLabels(a.labels, b.labels));
  }
  return out;
}

export function labelsEqual(a: Labels, b: Labels): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (a[i]!.name !== b[i]!.name || a[i]!.value !== b[i]!.value) return false;
  }
  return true;
}

/**
 * A canonical string key for a label set. \xff separates fields: it cannot
 * occur in valid UTF-8, so two different label sets never share a key
 * (collision-safe, unlike a bare 64-bit hash).
 */
export function labelsKey(ls: Labels): string {
  let s = '';
  for (const l of ls) s += l.name + '\xff' + l.value + '\xff';
  return s;
}

/** Prometheus text form: name{a="b", c="d"} (name omitted when absent). */
export function formatLabels(ls: Labels): string {
  let name = '';
  const parts: string[] = [];
  for (const l of ls) {
    if (l.name === METRIC_NAME) name = l.value;
    else parts.push(`${l.name}=${JSON.stringify(l.value)}`);
  }
  if (parts.length === 0 && name !== '') return name;
  return `${name}{${parts.join(', ')}}`;
}

/** 32-bit FNV-1a over the canonical key; used for ring sharding, not for identity. */
export function fnv1a32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      h ^= c;
      h = Math.imul(h, 0x01000193);
    } else {
      // Hash UTF-16 units as two bytes; stable across processes, which is all sharding needs.
      h ^= c & 0xff;
      h = Math.imul(h, 0x01000193);
      c >>>= 8;
      h ^= c;
      h = Math.imul(h, 0x01000193);
    }
  }
  return h >>> 0;
}

const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const METRIC_NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

export function isValidLabelName(name: string): boolean {
  return LABEL_NAME_RE.test(name);
}

export function isValidMetricName(name: string): boolean {
  return METRIC_NAME_RE.test(name);
}
