/**
 * The distributor: takes one tenant's decoded write request, applies the
 * tenant's rate limit and validation, shards series onto their replica sets
 * and answers only once a quorum of replicas has every accepted sample in
 * its WAL. Rejected series or samples never fail the rest of the batch.
 */
import { SystemClock, type Clock } from '../core/clock.ts';
import { StoreError } from '../core/errors.ts';
import { fnv1a32, labelsKey, type Labels } from '../../query/model/labels.ts';
import type { DecodedWriteRequest } from '../remote/write-request-decoder.ts';
import type { PushResult, PushSeries } from '../ingester/ingester.ts';
import { DistributorError, rateLimitedError } from './errors.ts';
import type { Overrides } from './limits.ts';
import { RateLimiter } from './rate-limiter.ts';
import { validateWriteRequest, ValidLabelsMemo, type ValidationResult } from './validation.ts';
import type { IngesterClient, ReplicaRouter, ReplicaSet } from './ingester-client.ts';
import { MetadataStore } from './metadata-store.ts';
import { untilDecided } from './quorum.ts';

export interface DistributorConfig {
  overrides: Overrides;
  router: ReplicaRouter;
  /** @default new SystemClock() */
  clock?: Clock;
  /** Called with discarded sample counts per reason, for /metrics. */
  onDiscard?: (tenant: string, reason: string, count: number) => void;
  /** Called with samples acknowledged as durable. */
  onIngested?: (tenant: string, samples: number) => void;
}

export interface PushOutcome {
  acceptedSamples: number;
  rejectedSamples: number;
  /** Error to answer (400 listing rejections) when anything was rejected; null when all was stored. */
  error: StoreError | null;
}

export class Distributor {
  readonly #cfg: DistributorConfig;
  readonly #clock: Clock;
  readonly #limiter: RateLimiter;
  readonly metadata = new MetadataStore();
  /** Label arrays that passed validation (see ValidationOptions.validLabels). */
  readonly #validLabels = new ValidLabelsMemo();

  constructor(cfg: DistributorConfig) {
    this.#cfg = cfg;
    this.#clock = cfg.clock ?? new SystemClock();
    this.#limiter = new RateLimiter({ clock: this.#clock });
  }

  /**
   * body: the request's original snappy-compressed WriteRequest, when the caller has it. If validation
   * passed every series and sample unchanged, remote replicas that take the whole request are sent these
   * bytes as they are instead of a re-encoded copy (they decode the same series).
   */
  async push(tenant: string, req: DecodedWriteRequest, body?: Uint8Array): Promise<PushOutcome> {
    const limits = this.#cfg.overrides.forTenant(tenant);
    if (!this.#limiter.allow(tenant, req.sampleCount + req.metadata.length, limits)) {
      this.#cfg.onDiscard?.(tenant, 'rate_limited', req.sampleCount);
      throw rateLimitedError(tenant, limits.ingestionRate, req.sampleCount, req.metadata.length);
    }
    const v = validateWriteRequest(req, limits, this.#clock.now(), { validLabels: this.#validLabels });
    for (const [reason, n] of Object.entries(v.rejected)) if (n) this.#cfg.onDiscard?.(tenant, reason, n);
    this.metadata.add(tenant, req.metadata, v.metadataAccepted, limits);

    const batch = acceptedSeries(req, v);
    const raw = body !== undefined && forwardableUnchanged(req, v, batch) ? body : undefined;
    const result = batch.length ? await this.#replicate(tenant, batch, { maxSeriesPerUser: limits.maxSeriesPerUser, maxSeriesPerMetric: limits.maxSeriesPerMetric }, raw) : null;
    const stored = result?.accepted ?? 0;
    const duplicates = result?.duplicates ?? 0;
    this.#cfg.onIngested?.(tenant, stored + duplicates);
    for (const [reason, n] of Object.entries(result?.reasons ?? {})) if (n) this.#cfg.onDiscard?.(tenant, reason, n);

    const ingesterRejected = result?.rejected ?? 0;
    const rejectedSamples = v.rejectedSamples + ingesterRejected;
    let error: StoreError | null = null;
    if (rejectedSamples > 0 || v.rejectedExemplars > 0 || v.rejectedHistograms > 0 || Object.keys(v.rejected).length > 0) {
      const counts = { ...v.rejected } as Record<string, number>;
      for (const [r, n] of Object.entries(result?.reasons ?? {})) counts[r] = (counts[r] ?? 0) + (n ?? 0);
      const first = [...v.firstErrors, ...(result?.messages ?? [])].slice(0, 10);
      error = new DistributorError(
        'SAMPLES_REJECTED',
        `write request for tenant ${JSON.stringify(tenant)} had rejected data: ${Object.entries(counts).map(([r, n]) => `${r}=${n}`).join(', ')}; ` +
          `accepted ${stored + duplicates} of ${req.sampleCount} samples; first errors: ${first.join('; ')}`,
      );
    }
    return { acceptedSamples: stored + duplicates, rejectedSamples, error };
  }

  /**
   * Sends each series to its replicas; resolves as soon as every series has a quorum of durable
   * writes (replicas still working finish in the background), fails as soon as one cannot.
   */
  async #replicate(tenant: string, batch: PushSeries[], limits: { maxSeriesPerUser: number; maxSeriesPerMetric: number }, raw: Uint8Array | undefined): Promise<PushResult> {
    const router = this.#cfg.router;
    const only = router.onlyReplicaSet?.();
    if (only) return only.clients.length === 1 && !only.clients[0]!.pushRaw ? only.clients[0]!.push(tenant, batch, limits) : this.#replicateWhole(tenant, batch, limits, raw, only);
    // Group series by ingester. Series that share a replica set share one request per ingester.
    const perClient = new Map<IngesterClient, number[]>();
    const need = new Uint8Array(batch.length);
    for (let i = 0; i < batch.length; i++) {
      const set = router.writeReplicas(seriesToken(tenant, batch[i]!.labels));
      need[i] = set.minSuccess;
      for (const c of set.clients) {
        const l = perClient.get(c);
        if (l) l.push(i);
        else perClient.set(c, [i]);
      }
    }
    if (perClient.size === 1) {
      const [[client]] = perClient;
      return raw !== undefined && client.pushRaw ? client.pushRaw(tenant, raw, limits) : client.push(tenant, batch, limits);
    }
    const acks = new Uint8Array(batch.length);
    // Replicas of each series still working on it: once acks + pending < need, the quorum is lost.
    const pending = new Uint8Array(batch.length);
    for (const idx of perClient.values()) for (const i of idx) pending[i]!++;
    const results: PushResult[] = [];
    const failures: unknown[] = [];
    const decided = (): boolean => {
      let allMet = true;
      for (let i = 0; i < batch.length; i++) {
        if (acks[i]! + pending[i]! < need[i]!) return true; // lost
        if (acks[i]! < need[i]!) allMet = false;
      }
      return allMet;
    };
    // Remote sends first: they only queue bytes on sockets, then the local append (synchronous CPU work
    // up to its WAL wait) runs while the peers work on their copies.
    const order = [...perClient].sort((a, b) => (a[0].pushRaw ? 0 : 1) - (b[0].pushRaw ? 0 : 1));
    await untilDecided(
      order.map(([client, idx]) => async () => {
        try {
          const whole = idx.length === batch.length;
          const r = await (whole && raw !== undefined && client.pushRaw
            ? client.pushRaw(tenant, raw, limits)
            : client.push(tenant, whole ? batch : idx.map((i) => batch[i]!), limits));
          results.push(r);
          for (const i of idx) acks[i]!++;
        } catch (err) {
          failures.push(err);
        } finally {
          for (const i of idx) pending[i]!--;
        }
      }),
      decided,
    );
    for (let i = 0; i < batch.length; i++) {
      if (acks[i]! < need[i]!) {
        const cause = failures[0];
        if (cause instanceof StoreError && cause.httpStatus < 500) throw cause;
        throw new StoreError('QUORUM_NOT_REACHED', 500, `write failed: only ${acks[i]} of ${need[i]} required ingesters acknowledged series ${JSON.stringify(labelsKey(batch[i]!.labels).replaceAll('\xff', ' '))}: ${(cause as Error)?.message ?? 'no healthy ingester'}`, { cause });
      }
    }
    return mergeReplicaResults(results);
  }

  /** Every series has the same replica set: each replica gets the whole batch (the original body when allowed). */
  async #replicateWhole(tenant: string, batch: PushSeries[], limits: { maxSeriesPerUser: number; maxSeriesPerMetric: number }, raw: Uint8Array | undefined, set: ReplicaSet): Promise<PushResult> {
    const results: PushResult[] = [];
    const failures: unknown[] = [];
    // Remote sends first (see #replicate); answer once the quorum is reached or lost.
    const clients = [...set.clients].sort((a, b) => (a.pushRaw ? 0 : 1) - (b.pushRaw ? 0 : 1));
    await untilDecided(
      clients.map((client) => async () => {
        try {
          results.push(await (raw !== undefined && client.pushRaw ? client.pushRaw(tenant, raw, limits) : client.push(tenant, batch, limits)));
        } catch (err) {
          failures.push(err);
        }
      }),
      () => results.length >= set.minSuccess || clients.length - failures.length < set.minSuccess,
    );
    if (results.length < set.minSuccess) {
      const cause = failures[0];
      if (cause instanceof StoreError && cause.httpStatus < 500) throw cause;
      throw new StoreError('QUORUM_NOT_REACHED', 500, `write failed: only ${results.length} of ${set.minSuccess} required ingesters acknowledged series ${JSON.stringify(labelsKey(batch[0]!.labels).replaceAll('\xff', ' '))} and ${batch.length - 1} more: ${(cause as Error)?.message ?? 'no healthy ingester'}`, { cause });
    }
    return mergeReplicaResults(results);
  }
}

/** Ring token of a series: tenant and every label, so one metric never hot-spots one ingester. */
export function seriesToken(tenant: string, labels: Labels): number {
  return fnv1a32(tenant + '\xfe' + labelsKey(labels));
}

/** Replicas report the same rejections; count each once (the largest report per reason). */
function mergeReplicaResults(results: readonly PushResult[]): PushResult {
  const out: PushResult = { accepted: 0, duplicates: 0, rejected: 0, reasons: {}, messages: [] };
  for (const r of results) {
    out.accepted = Math.max(out.accepted, r.accepted);
    out.duplicates = Math.max(out.duplicates, r.duplicates);
    for (const [k, v] of Object.entries(r.reasons) as [keyof PushResult['reasons'], number][]) out.reasons[k] = Math.max(out.reasons[k] ?? 0, v);
    if (out.messages.length === 0) out.messages = r.messages;
  }
  out.rejected = Object.values(out.reasons).reduce((a, b) => a + (b ?? 0), 0);
  return out;
}

/**
 * Whether the accepted batch is exactly the request as sent: every series kept with its own labels array
 * (nothing dropped or rewritten), every sample accepted, and nothing else a receiver would turn into
 * series (histograms, sample-less series). Only then may replicas decode the original body instead.
 */
function forwardableUnchanged(req: DecodedWriteRequest, v: ValidationResult, batch: readonly PushSeries[]): boolean {
  if (v.rejectedSamples !== 0 || v.rejectedHistograms !== 0 || req.histogramCount !== 0) return false;
  if (batch.length !== req.series.length || v.acceptedSamples !== req.sampleCount) return false;
  for (let i = 0; i < req.series.length; i++) if (v.labels[i] !== req.series[i]!.labels || batch[i] !== req.series[i]) return false;
  return true;
}

/**
 * The accepted part of a request: series with their accepted samples. A fully
 * accepted series is passed on as the decoded object itself (it reads from the
 * request's columns: no copy, no view, no new object).
 */
function acceptedSeries(req: DecodedWriteRequest, v: ValidationResult): PushSeries[] {
  const out: PushSeries[] = [];
  const accepted = v.sampleAccepted;
  for (let i = 0; i < req.series.length; i++) {
    const labels = v.labels[i];
    if (!labels) continue;
    const s = req.series[i]!;
    const n = s.sampleCount;
    if (n === 0) continue;
    const off = s.sampleOffset;
    let kept = 0;
    for (let j = 0; j < n; j++) kept += accepted[off + j]!;
    if (kept === n) {
      out.push(labels === s.labels ? s : { labels, timestamps: s.timestamps, values: s.values });
      continue;
    }
    if (kept === 0) continue;
    // Copy the accepted samples; values move as raw bits so NaN payloads (stale markers) stay exact.
    const ts = new Float64Array(kept);
    const vs = new Float64Array(kept);
    const vbits = new Uint32Array(vs.buffer);
    const srcBits = new Uint32Array(s.columnValues.buffer, s.columnValues.byteOffset, s.columnValues.length * 2);
    for (let j = 0, k = 0; j < n; j++) {
      if (!accepted[off + j]) continue;
      ts[k] = s.columnTimestamps[off + j]!;
      vbits[2 * k] = srcBits[2 * (off + j)]!;
      vbits[2 * k + 1] = srcBits[2 * (off + j) + 1]!;
      k++;
    }
    out.push({ labels, timestamps: ts, values: vs });
  }
  return out;
}
