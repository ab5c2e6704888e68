import type { Labels } from '../model/labels.ts';
import type { Matcher } from '../model/matchers.ts';
import type { SeriesSamples } from '../model/samples.ts';

/**
 * What the PromQL engine and the read APIs need from storage. One Queryable is
 * scoped to one tenant by whoever constructs it: the engine never sees tenant IDs.
 * All time bounds are inclusive milliseconds.
 */
export interface SelectHints {
  start: number;
  end: number;
  /** Aborted when the query is cancelled or times out. */
  signal?: AbortSignal;
}

export interface Querier {
  /** Series whose labels satisfy every matcher, with their samples in [start, end], sorted by labels. */
  select(matchers: readonly Matcher[], hints: SelectHints): Promise<SeriesSamples[]>;
  /** Series label sets only (no samples) with at least one sample in range. */
  series(matchers: readonly Matcher[], hints: SelectHints): Promise<Labels[]>;
  /** Sorted label names of series that match (all series when matchers is empty). */
  labelNames(matchers: readonly Matcher[], hints: SelectHints): Promise<string[]>;
  /** Sorted values of one label over the matching series. */
  labelValues(name: string, matchers: readonly Matcher[], hints: SelectHints): Promise<string[]>;
}
