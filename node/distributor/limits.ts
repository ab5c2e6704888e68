/**
 * Per-tenant limits with Cortex defaults, and the Overrides registry that
 * resolves them for one tenant (defaults merged with that tenant's overrides).
 */

const DAY_MS = 24 * 60 * 60 * 1000;

/** Limits applied to one tenant. Every field documents its default (see DEFAULT_LIMITS). */
export interface Limits {
  /**
   * Sustained ingestion rate per tenant, in samples (plus metadata entries) per second,
   * enforced by a token bucket in each distributor. Infinity (`.inf` in YAML) disables it.
   * @default 25000 (Infinity in auth mode none unless set)
   */
  readonly ingestionRate: number;
  /**
   * Token bucket size: the most samples one tenant can push at once after being idle.
   * A single request larger than this is always rejected.
   * @default 50000
   */
  readonly ingestionBurstSize: number;
  /**
   * Most labels a series may carry, __name__ included.
   * @default 30
   */
  readonly maxLabelNamesPerSeries: number;
  /**
   * Longest label name, in UTF-8 bytes.
   * @default 1024
   */
  readonly maxLabelNameLength: number;
  /**
   * Longest label value, in UTF-8 bytes.
   * @default 2048
   */
  readonly maxLabelValueLength: number;
  /**
   * Reject samples older than now - rejectOldSamplesMaxAgeMs.
   * @default true
   */
  readonly rejectOldSamples: boolean;
  /**
   * Maximum sample age when rejectOldSamples is on.
   * @default 1209600000 (14 days)
   */
  readonly rejectOldSamplesMaxAgeMs: number;
  /**
   * Samples with a timestamp later than now + creationGracePeriodMs are rejected.
   * @default 600000 (10 minutes)
   */
  readonly creationGracePeriodMs: number;
  /**
   * Require the __name__ label and check it against the metric-name syntax.
   * @default true
   */
  readonly enforceMetricName: boolean;
  /**
   * Accept any non-empty UTF-8 metric and label names (Prometheus 3 / remote write 2.0).
   * When false, names must match the classic [a-zA-Z_:][a-zA-Z0-9_:]* / [a-zA-Z_][a-zA-Z0-9_]* syntax.
   * @default false
   */
  readonly utf8Names: boolean;
  /**
   * Most in-memory series per tenant (enforced by ingesters; 0 = unlimited).
   * @default 5000000
   */
  readonly maxSeriesPerUser: number;
  /**
   * Most in-memory series per metric name per tenant (enforced by ingesters; 0 = unlimited).
   * @default 50000
   */
  readonly maxSeriesPerMetric: number;
  /**
   * Most metric-metadata entries kept per tenant (0 = unlimited).
   * @default 8000
   */
  readonly maxMetadataPerUser: number;
  /**
   * Most metadata entries kept per metric name per tenant (0 = unlimited).
   * @default 10
   */
  readonly maxMetadataPerMetric: number;
  /**
   * Longest metadata field (metric family name, help or unit), in UTF-8 bytes.
   * @default 1024
   */
  readonly maxMetadataLength: number;
  /**
   * Store exemplars. When false, requests carrying exemplars are rejected with 400 naming them.
   * @default false
   */
  readonly acceptExemplars: boolean;
  /**
   * Store native histograms. When false, requests carrying them are rejected with 400 naming them.
   * @default false
   */
  readonly acceptNativeHistograms: boolean;
  /**
   * Largest accepted compressed request body, in bytes (413 above it).
   * @default 10485760 (10 MiB)
   */
  readonly maxRequestBodyBytes: number;
  /**
   * Largest accepted uncompressed request, in bytes (the snappy preamble is checked before decoding; 413 above it).
   * @default 67108864 (64 MiB)
   */
  readonly maxUncompressedBytes: number;
}

/** Cortex defaults (see shared/design/anchors.md A2). */
export const DEFAULT_LIMITS: Limits = Object.freeze({
  ingestionRate: 25_000,
  ingestionBurstSize: 50_000,
  maxLabelNamesPerSeries: 30,
  maxLabelNameLength: 1024,
  maxLabelValueLength: 2048,
  rejectOldSamples: true,
  rejectOldSamplesMaxAgeMs: 14 * DAY_MS,
  creationGracePeriodMs: 10 * 60 * 1000,
  enforceMetricName: true,
  utf8Names: false,
  maxSeriesPerUser: 5_000_000,
  maxSeriesPerMetric: 50_000,
  maxMetadataPerUser: 8_000,
  maxMetadataPerMetric: 10,
  maxMetadataLength: 1024,
  acceptExemplars: false,
  acceptNativeHistograms: false,
  maxRequestBodyBytes: 10 * 1024 * 1024,
  maxUncompressedBytes: 64 * 1024 * 1024,
});

const LIMIT_KEYS = Object.keys(DEFAULT_LIMITS) as (keyof Limits)[];

/**
 * Checks a partial limits object (e.g. from a YAML overrides file): unknown
 * keys, wrong types and negative numbers throw TypeError/RangeError naming the field.
 */
export function checkLimits(partial: Record<string, unknown>, context: string): Partial<Limits> {
  for (const [key, value] of Object.entries(partial)) {
    if (!LIMIT_KEYS.includes(key as keyof Limits)) throw new TypeError(`Unknown limit in ${context}: ${JSON.stringify(key)}`);
    const expected = typeof DEFAULT_LIMITS[key as keyof Limits];
    if (typeof value !== expected) throw new TypeError(`Limit ${key} in ${context} must be a ${expected}: got ${JSON.stringify(value)}`);
    // The ingestion rate may be unlimited (.inf in YAML); every other number must be finite.
    const unlimitedOk = key === 'ingestionRate' && value === Infinity;
    if (expected === 'number' && !unlimitedOk && (!Number.isFinite(value) || (value as number) < 0)) {
      throw new RangeError(`Limit ${key} in ${context} must be a finite number >= 0: got ${String(value)}`);
    }
  }
  return partial as Partial<Limits>;
}

/**
 * Default limits plus per-tenant overrides. Each tenant's effective Limits
 * object is merged once (and frozen) when overrides are set, so forTenant()
 * on the hot path is one map lookup.
 */
export class Overrides {
  readonly #defaults: Limits;
  #tenants = new Map<string, Limits>();

  /**
   * @param defaults overrides of DEFAULT_LIMITS applying to every tenant
   * @param tenants per-tenant overrides, applied on top of defaults
   */
  constructor(defaults: Partial<Limits> = {}, tenants: Record<string, Partial<Limits>> = {}) {
    this.#defaults = Object.freeze({ ...DEFAULT_LIMITS, ...checkLimits(defaults, 'defaults') });
    this.setTenantOverrides(tenants);
  }

  get defaults(): Limits {
    return this.#defaults;
  }

  /** The effective limits of one tenant. */
  forTenant(tenant: string): Limits {
    return this.#tenants.get(tenant) ?? this.#defaults;
  }

  /** Replaces all per-tenant overrides (runtime config reload). Invalid input throws and changes nothing. */
  setTenantOverrides(tenants: Record<string, Partial<Limits>>): void {
    const next = new Map<string, Limits>();
    for (const [id, l] of Object.entries(tenants)) {
      next.set(id, Object.freeze({ ...this.#defaults, ...checkLimits(l, `overrides of tenant ${JSON.stringify(id)}`) }));
    }
    this.#tenants = next;
  }

  /** Tenants that have explicit overrides. */
  tenantsWithOverrides(): string[] {
    return [...this.#tenants.keys()];
  }
}
