/**
 * Distributor errors: stable codes, the HTTP status each maps to, and the
 * tenant-facing ID (err-frank-...) that never changes and names the limit to
 * raise. ERRORS.md lists the same codes and IDs; a test keeps them in sync.
 */
import { StoreError } from '../core/errors.ts';
import type { Limits } from './limits.ts';

/** Cortex discard reasons, used as the `reason` label of discarded-samples counters. */
export type DiscardReason =
  | 'missing_metric_name'
  | 'invalid_metric_name'
  | 'invalid_label'
  | 'duplicate_label_names'
  | 'labels_not_sorted'
  | 'max_label_names_per_series'
  | 'label_name_too_long'
  | 'label_value_too_long'
  | 'greater_than_max_sample_age'
  | 'too_far_in_future'
  | 'rate_limited'
  | 'per_user_series_limit'
  | 'per_metric_series_limit'
  | 'exemplars_not_accepted'
  | 'native_histograms_not_accepted'
  | 'metadata_missing_metric_name'
  | 'metadata_metric_name_too_long'
  | 'metadata_help_too_long'
  | 'metadata_unit_too_long'
  | 'per_user_metadata_limit'
  | 'per_metric_metadata_limit';

interface ErrorSpec {
  readonly httpStatus: number;
  /** Stable tenant-facing ID, shown in messages and documented in ERRORS.md. */
  readonly id: string;
  /** The Limits field a tenant would raise to avoid this error, if any. */
  readonly limit?: keyof Limits;
}

/** Every error code of the distributor package. */
export const DISTRIBUTOR_ERRORS = {
  TENANT_MISSING: { httpStatus: 401, id: 'err-frank-missing-tenant' },
  TENANT_UNAUTHORIZED: { httpStatus: 401, id: 'err-frank-unauthorized' },
  TENANT_ID_INVALID: { httpStatus: 400, id: 'err-frank-invalid-tenant-id' },
  REQUEST_TOO_LARGE: { httpStatus: 413, id: 'err-frank-request-too-large', limit: 'maxRequestBodyBytes' },
  INGESTION_RATE_LIMITED: { httpStatus: 429, id: 'err-frank-tenant-max-ingestion-rate', limit: 'ingestionRate' },
  SAMPLES_REJECTED: { httpStatus: 400, id: 'err-frank-samples-rejected' },
  EXEMPLARS_NOT_ACCEPTED: { httpStatus: 400, id: 'err-frank-exemplars-not-accepted', limit: 'acceptExemplars' },
  NATIVE_HISTOGRAMS_NOT_ACCEPTED: { httpStatus: 400, id: 'err-frank-native-histograms-not-accepted', limit: 'acceptNativeHistograms' },
  PER_USER_SERIES_LIMIT: { httpStatus: 400, id: 'err-frank-max-series-per-user', limit: 'maxSeriesPerUser' },
  PER_METRIC_SERIES_LIMIT: { httpStatus: 400, id: 'err-frank-max-series-per-metric', limit: 'maxSeriesPerMetric' },
  PER_USER_METADATA_LIMIT: { httpStatus: 400, id: 'err-frank-max-metadata-per-user', limit: 'maxMetadataPerUser' },
  PER_METRIC_METADATA_LIMIT: { httpStatus: 400, id: 'err-frank-max-metadata-per-metric', limit: 'maxMetadataPerMetric' },
} as const satisfies Record<string, ErrorSpec>;

export type DistributorErrorCode = keyof typeof DISTRIBUTOR_ERRORS;

/** The ID and limit of each discard reason, used in per-series validation messages. */
export const DISCARD_REASONS: Readonly<Record<DiscardReason, { readonly id: string; readonly limit?: keyof Limits }>> = {
  missing_metric_name: { id: 'err-frank-missing-metric-name', limit: 'enforceMetricName' },
  invalid_metric_name: { id: 'err-frank-metric-name-invalid', limit: 'enforceMetricName' },
  invalid_label: { id: 'err-frank-label-invalid' },
  duplicate_label_names: { id: 'err-frank-duplicate-label-names' },
  labels_not_sorted: { id: 'err-frank-labels-not-sorted' },
  max_label_names_per_series: { id: 'err-frank-max-label-names-per-series', limit: 'maxLabelNamesPerSeries' },
  label_name_too_long: { id: 'err-frank-label-name-too-long', limit: 'maxLabelNameLength' },
  label_value_too_long: { id: 'err-frank-label-value-too-long', limit: 'maxLabelValueLength' },
  greater_than_max_sample_age: { id: 'err-frank-sample-timestamp-too-old', limit: 'rejectOldSamplesMaxAgeMs' },
  too_far_in_future: { id: 'err-frank-sample-too-far-in-future', limit: 'creationGracePeriodMs' },
  rate_limited: { id: 'err-frank-tenant-max-ingestion-rate', limit: 'ingestionRate' },
  per_user_series_limit: { id: 'err-frank-max-series-per-user', limit: 'maxSeriesPerUser' },
  per_metric_series_limit: { id: 'err-frank-max-series-per-metric', limit: 'maxSeriesPerMetric' },
  exemplars_not_accepted: { id: 'err-frank-exemplars-not-accepted', limit: 'acceptExemplars' },
  native_histograms_not_accepted: { id: 'err-frank-native-histograms-not-accepted', limit: 'acceptNativeHistograms' },
  metadata_missing_metric_name: { id: 'err-frank-metadata-missing-metric-name' },
  metadata_metric_name_too_long: { id: 'err-frank-metric-name-too-long', limit: 'maxMetadataLength' },
  metadata_help_too_long: { id: 'err-frank-help-too-long', limit: 'maxMetadataLength' },
  metadata_unit_too_long: { id: 'err-frank-unit-too-long', limit: 'maxMetadataLength' },
  per_user_metadata_limit: { id: 'err-frank-max-metadata-per-user', limit: 'maxMetadataPerUser' },
  per_metric_metadata_limit: { id: 'err-frank-max-metadata-per-metric', limit: 'maxMetadataPerMetric' },
};

/** Suffix naming the error ID and, when there is one, the limit to raise. */
export function errorSuffix(id: string, limit?: keyof Limits): string {
  return limit === undefined ? ` (${id})` : ` (${id}; to adjust, raise the per-tenant limit ${limit})`;
}

export class DistributorError extends StoreError {
  /** Stable tenant-facing ID, e.g. "err-frank-tenant-max-ingestion-rate". */
  readonly id: string;
  constructor(code: DistributorErrorCode, message: string, options?: { cause?: unknown }) {
    const spec: ErrorSpec = DISTRIBUTOR_ERRORS[code];
    super(code, spec.httpStatus, message + errorSuffix(spec.id, spec.limit), options);
    this.name = 'DistributorError';
    this.id = spec.id;
  }
}

/** 429 for a request the tenant's token bucket cannot cover (wording as Cortex). */
export function rateLimitedError(tenant: string, limit: number, samples: number, metadata: number): DistributorError {
  return new DistributorError(
    'INGESTION_RATE_LIMITED',
    `Ingestion rate limit (${limit}) exceeded while adding ${samples} samples and ${metadata} metadata: tenant ${JSON.stringify(tenant)}`,
  );
}

/** 413 for a body over maxRequestBodyBytes. */
export function requestTooLargeError(tenant: string, size: number, limit: number): DistributorError {
  return new DistributorError('REQUEST_TOO_LARGE', `Request body too large: ${size} bytes exceeds the limit of ${limit} bytes for tenant ${JSON.stringify(tenant)}`);
}

/** 400 for exemplars/native histograms a tenant may not send. */
export function notAcceptedError(kind: 'exemplars' | 'native histograms', count: number, tenant: string): DistributorError {
  return new DistributorError(
    kind === 'exemplars' ? 'EXEMPLARS_NOT_ACCEPTED' : 'NATIVE_HISTOGRAMS_NOT_ACCEPTED',
    `Request contains ${count} ${kind}, which are not accepted for tenant ${JSON.stringify(tenant)}`,
  );
}
