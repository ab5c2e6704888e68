/**
 * Warnings and infos collected during evaluation, rendered like Prometheus:
 * `PromQL warning: <text> (<line>:<column>)`, de-duplicated by text.
 */
import type { PosRange } from '../parser/ast.ts';

export class Annotations {
  readonly #warnings = new Set<string>();
  readonly #infos = new Set<string>();
  readonly #query: string;

  constructor(query: string) {
    this.#query = query;
  }

  // Position suffixes by start offset: an annotation may be raised once per series.
  readonly #whereCache = new Map<number, string>();

  #where(pos: PosRange | undefined): string {
    if (pos === undefined || this.#query === '') return '';
    const hit = this.#whereCache.get(pos.start);
    if (hit !== undefined) return hit;
    const w = this.#computeWhere(pos);
    this.#whereCache.set(pos.start, w);
    return w;
  }

  #computeWhere(pos: PosRange): string {
    // Line and 1-based byte column of the sub-expression start, as Prometheus reports.
    const before = this.#query.slice(0, pos.start);
    const nl = before.lastIndexOf('\n');
    const line = before.split('\n').length;
    const col = Buffer.byteLength(before.slice(nl + 1), 'utf8') + 1;
    return ` (${line}:${col})`;
  }

  warn(text: string, pos?: PosRange): void {
    this.#warnings.add(`PromQL warning: ${text}${this.#where(pos)}`);
  }

  info(text: string, pos?: PosRange): void {
    this.#infos.add(`PromQL info: ${text}${this.#where(pos)}`);
  }

  get warnings(): string[] {
    return [...this.#warnings];
  }

  get infos(): string[] {
    return [...this.#infos];
  }
}
