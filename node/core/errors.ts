/**
 * Operational errors carry a stable code and the HTTP status they map to.
 * Programmer mistakes throw built-in TypeError/RangeError instead.
 * Prometheus API error types: bad_data (400), execution (422), timeout (503),
 * canceled, internal (500), unavailable (503), not_found (404).
 */
export type ApiErrorType = 'bad_data' | 'execution' | 'timeout' | 'canceled' | 'internal' | 'unavailable' | 'not_found' | 'too_many_requests' | 'unauthorized';

export class StoreError extends Error {
  readonly code: string;
  readonly httpStatus: number;
  readonly errorType: ApiErrorType;

  constructor(code: string, httpStatus: number, message: string, options?: { cause?: unknown; errorType?: ApiErrorType }) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = 'StoreError';
    this.code = code;
    this.httpStatus = httpStatus;
    this.errorType = options?.errorType ?? defaultErrorType(httpStatus);
  }
}

function defaultErrorType(status: number): ApiErrorType {
  if (status === 400 || status === 413) return 'bad_data';
  if (status === 401 || status === 403) return 'unauthorized';
  if (status === 404) return 'not_found';
  if (status === 422) return 'execution';
  if (status === 429) return 'too_many_requests';
  if (status === 503) return 'unavailable';
  return 'internal';
}

export function isStoreError(e: unknown): e is StoreError {
  return e instanceof StoreError;
}
