/** Label matchers (=, !=, =~, !~) with Prometheus semantics: regexes are fully anchored. */
import { getLabel, type Labels } from './labels.ts';

export type MatchType = '=' | '!=' | '=~' | '!~';

export interface Matcher {
  readonly type: MatchType;
  readonly name: string;
  readonly value: string;
  /** Compiled, anchored regex for =~ and !~. */
  readonly re?: RegExp;
}

/**
 * Creates a matcher. Regexes are anchored as Prometheus does (^(?:re)$) and use the
 * `s` flag so `.` matches newlines, like Go's RE2 with (?s) as Prometheus sets it.
 * Throws SyntaxError for an invalid regex.
 */
export function newMatcher(type: MatchType, name: string, value: string): Matcher {
  if (type === '=~' || type === '!~') {
    let re: RegExp;
    try {
      re = new RegExp(`^(?:${value})$`, 'su');
    } catch {
      try {
        re = new RegExp(`^(?:${value})$`, 's');
      } catch (err) {
        throw new SyntaxError(`Invalid regular expression in matcher ${name}${type}${JSON.stringify(value)}: ${(err as Error).message}`);
      }
    }
    return { type, name, value, re };
  }
  return { type, name, value };
}

export function matches(m: Matcher, v: string): boolean {
  switch (m.type) {
    case '=':
      return v === m.value;
    case '!=':
      return v !== m.value;
    case '=~':
      return m.re!.test(v);
    case '!~':
      return !m.re!.test(v);
  }
}

/** True when the matcher accepts the empty string, i.e. also selects series lacking the label. */
/** Whether a series with these labels is selected by every matcher (an absent label is ""). */
export function matchesAll(matchers: readonly Matcher[], labels: Labels): boolean {
  for (const m of matchers) if (!matches(m, getLabel(labels, m.name))) return false;
  return true;
}

export function matchesEmpty(m: Matcher): boolean {
  return matches(m, '');
}

export function formatMatcher(m: Matcher): string {
  return `${m.name}${m.type}${JSON.stringify(m.value)}`;
}
