/**
 * Errors of the PromQL parser. `query/` must not import from `node/`, so this file
 * carries its own code + HTTP status (the API layer maps them: parse errors are
 * Prometheus `bad_data`, HTTP 400).
 */

/** Stable error codes of the parser package. */
export const ParserErrorCode = {
  /** Any syntax or type error found while parsing a query (HTTP 400, bad_data). */
  parseError: 'promql_parse_error',
} as const;

export type ParserErrorCodeValue = (typeof ParserErrorCode)[keyof typeof ParserErrorCode];

/**
 * A PromQL parse error. `message` has Prometheus's shape
 * `<line>:<column>: parse error: <detail>` (column = 1-based UTF-8 byte offset),
 * `position` is the character offset range in the query string and `detail` the bare text.
 */
export class PromQLParseError extends SyntaxError {
  readonly code: ParserErrorCodeValue = ParserErrorCode.parseError;
  readonly httpStatus = 400;
  readonly errorType = 'bad_data' as const;
  readonly position: { start: number; end: number };
  readonly detail: string;
  readonly query: string;

  constructor(query: string, start: number, end: number, detail: string) {
    super(`${positionPrefix(query, start)} parse error: ${detail}`);
    this.name = 'PromQLParseError';
    this.position = { start, end };
    this.detail = detail;
    this.query = query;
  }
}

export function isPromQLParseError(e: unknown): e is PromQLParseError {
  return e instanceof PromQLParseError;
}

/** `line:col:` as Prometheus prints it: col is the 1-based byte offset within the line. */
function positionPrefix(query: string, pos: number): string {
  if (pos < 0 || pos > query.length) return 'invalid position:';
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < pos; i++) {
    if (query.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  const col = Buffer.byteLength(query.slice(lineStart, pos), 'utf8') + 1;
  return `${line}:${col}:`;
}
