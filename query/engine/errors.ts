/**
 * Query engine errors. Each carries a stable code, the HTTP status it maps to and
 * the Prometheus API errorType, so the HTTP layer can answer exactly like Prometheus.
 * (query/ must not import node/, so this mirrors node/core/errors.ts's StoreError shape.)
 */
export type QueryErrorType = 'bad_data' | 'execution' | 'timeout' | 'canceled' | 'internal';

export type QueryErrorCode =
  | 'QUERY_TIMEOUT'
  | 'QUERY_CANCELED'
  | 'TOO_MANY_SAMPLES'
  | 'TOO_MANY_POINTS'
  | 'BAD_QUERY'
  | 'EXECUTION'
  | 'NOT_SUPPORTED';

export class QueryError extends Error {
  readonly code: QueryErrorCode;
  readonly httpStatus: number;
  readonly errorType: QueryErrorType;

  constructor(code: QueryErrorCode, httpStatus: number, errorType: QueryErrorType, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = 'QueryError';
    this.code = code;
    this.httpStatus = httpStatus;
    this.errorType = errorType;
  }
}

/** Evaluation failed in a way the user caused (bad matching, NaN parameter, ...): 422 execution like Prometheus. */
export function executionError(message: string): QueryError {
  return new QueryError('EXECUTION', 422, 'execution', message);
}

/** The query is malformed in a way only detectable before evaluation (wrong result type for a range query, ...). */
export function badQueryError(message: string): QueryError {
  return new QueryError('BAD_QUERY', 400, 'bad_data', message);
}

export function timeoutError(phase: string): QueryError {
  return new QueryError('QUERY_TIMEOUT', 503, 'timeout', `query timed out in ${phase}`);
}

export function canceledError(phase: string): QueryError {
  return new QueryError('QUERY_CANCELED', 422, 'canceled', `query was canceled in ${phase}`);
}

export function tooManySamplesError(): QueryError {
  return new QueryError('TOO_MANY_SAMPLES', 422, 'execution', 'query processing would load too many samples into memory in query execution');
}

export function tooManyPointsError(max: number): QueryError {
  return new QueryError(
    'TOO_MANY_POINTS',
    400,
    'bad_data',
    `exceeded maximum resolution of ${max.toLocaleString('en-US')} points per timeseries. Try decreasing the query resolution (?step=XX)`,
  );
}

export function notSupportedError(what: string): QueryError {
  return new QueryError('NOT_SUPPORTED', 422, 'execution', `${what} not supported`);
}

export function isQueryError(e: unknown): e is QueryError {
  return e instanceof QueryError;
}
