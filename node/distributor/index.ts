/** Public API of the distributor's validation, limits and tenancy (see ERRORS.md). */
export { DEFAULT_LIMITS, Overrides, checkLimits, type Limits } from './limits.ts';
export { TenantResolver, hashToken, validateTenantId, tenantIdProblem, MAX_TENANT_ID_LENGTH, RESERVED_TENANT_IDS, type AuthConfig, type RequestHeaders } from './tenant.ts';
export {
  validateWriteRequest,
  validationError,
  type ValidationInput,
  type ValidationOptions,
  type ValidationResult,
  type SeriesToValidate,
  type MetadataToValidate,
} from './validation.ts';
export { RateLimiter, type RateLimiterConfig } from './rate-limiter.ts';
export {
  DistributorError,
  DISTRIBUTOR_ERRORS,
  DISCARD_REASONS,
  rateLimitedError,
  requestTooLargeError,
  notAcceptedError,
  errorSuffix,
  type DiscardReason,
  type DistributorErrorCode,
} from './errors.ts';
