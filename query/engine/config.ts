/** Engine configuration with Prometheus-compatible defaults. */
export interface EngineConfig {
  /** Per-query wall-clock limit. @default 120000 */
  timeoutMs?: number;
  /** Maximum samples a query may hold in memory. @default 50000000 */
  maxSamples?: number;
  /** How far back an instant-vector selector looks for a sample. @default 300000 */
  lookbackDeltaMs?: number;
  /** Maximum points per series of a range query. @default 11000 */
  maxPointsPerSeries?: number;
  /** Queries evaluated at once; further queries wait in a queue. @default 20 */
  maxConcurrent?: number;
  /** Resolution of subqueries without a step (Prometheus's evaluation interval). @default 60000 */
  defaultSubqueryStepMs?: number;
  /** Allow experimental functions (limitk, limit_ratio, sort_by_label, ...). @default true */
  enableExperimentalFunctions?: boolean;
}

export type ResolvedEngineConfig = Required<EngineConfig>;

export const ENGINE_DEFAULTS: ResolvedEngineConfig = {
  timeoutMs: 120_000,
  maxSamples: 50_000_000,
  lookbackDeltaMs: 300_000,
  maxPointsPerSeries: 11_000,
  maxConcurrent: 20,
  defaultSubqueryStepMs: 60_000,
  enableExperimentalFunctions: true,
};

export function resolveEngineConfig(c: EngineConfig = {}): ResolvedEngineConfig {
  const r = { ...ENGINE_DEFAULTS };
  for (const k of Object.keys(c) as (keyof EngineConfig)[]) {
    const v = c[k];
    if (v !== undefined) (r as Record<string, unknown>)[k] = v;
  }
  return r;
}
