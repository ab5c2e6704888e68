/**
 * Per-series and per-sample validation of a write request against a tenant's
 * Limits. Nothing throws for the whole request: each series is accepted or
 * rejected, each sample is accepted or rejected, and the result counts
 * discards per Cortex reason and keeps the first few messages, so the caller
 * can store what is valid and still answer 400 naming what was not (the
 * remote-write spec requires 400 when any sample was invalid).
 */
import { formatLabels, isValidLabelName, isValidMetricName, METRIC_NAME, type Label, type Labels } from '../../query/model/labels.ts';
import { DISCARD_REASONS, DistributorError, errorSuffix, type DiscardReason } from './errors.ts';
import type { Limits } from './limits.ts';

export interface SeriesToValidate {
  readonly labels: Labels;
  readonly timestamps: ArrayLike<number>;
  /**
   * Sample count; with ValidationInput.timestamps, the samples are read from that
   * shared column instead of `timestamps` (decoded remote write: no view per series).
   */
  readonly sampleCount?: number;
  /** Id of the labels array in the decoder's SeriesLabelsCache (-1 or absent: none); see ValidationOptions.validLabels. */
  readonly labelsId?: number;
  /** Exemplars present on the series (rejected unless limits.acceptExemplars). */
  readonly exemplarCount?: number;
  /** Native histograms present on the series (rejected unless limits.acceptNativeHistograms). */
  readonly histogramCount?: number;
}

export interface MetadataToValidate {
  readonly metricFamilyName: string;
  readonly help: string;
  readonly unit: string;
}

export interface ValidationInput {
  readonly series: readonly SeriesToValidate[];
  /** Every series' timestamps, series after series (DecodedWriteRequest.timestamps); see SeriesToValidate.sampleCount. */
  readonly timestamps?: ArrayLike<number>;
  readonly metadata?: readonly MetadataToValidate[];
}

export interface ValidationOptions {
  /**
   * Most messages kept in firstErrors.
   * @default 10
   */
  readonly maxErrors?: number;
  /**
   * Long-lived memo of label arrays that passed the label checks (see
   * ValidLabelsMemo): consulted and filled for series with a labelsId.
   */
  readonly validLabels?: ValidLabelsMemo;
}

/**
 * Which label arrays passed the label checks, and under which Limits object,
 * by labels id (DecodedSeries.labelsId). Remote write hands the same array for
 * a known series every time (SeriesLabelsCache), so a long-lived memo skips
 * re-checking it; another array or a changed Limits object (overrides reload)
 * is checked again. Arrays indexed by the cache's dense ids: no hashing.
 */
export class ValidLabelsMemo {
  #labels: (Labels | undefined)[] = [];
  #limits: (Limits | undefined)[] = [];

  has(id: number, labels: Labels, limits: Limits): boolean {
    return id >= 0 && this.#labels[id] === labels && this.#limits[id] === limits;
  }

  add(id: number, labels: Labels, limits: Limits): void {
    if (id < 0) return;
    this.#labels[id] = labels;
    this.#limits[id] = limits;
  }
}

export interface ValidationResult {
  /**
   * Per input series: the labels to store (empty-valued labels dropped; the
   * input array itself when nothing was dropped), or null when the series is rejected.
   */
  readonly labels: (Labels | null)[];
  /**
   * Per sample, in input order (series after series — the layout of
   * DecodedWriteRequest.timestamps/values): 1 = accepted, 0 = rejected.
   */
  readonly sampleAccepted: Uint8Array;
  /** Per input metadata entry: 1 = accepted, 0 = rejected. */
  readonly metadataAccepted: Uint8Array;
  readonly acceptedSeries: number;
  readonly rejectedSeries: number;
  readonly acceptedSamples: number;
  readonly rejectedSamples: number;
  readonly acceptedMetadata: number;
  /** Rejected exemplars and histograms (whole request parts the tenant may not send). */
  readonly rejectedExemplars: number;
  readonly rejectedHistograms: number;
  /**
   * Discards per Cortex reason: samples for series and sample reasons,
   * exemplars/histograms for *_not_accepted, entries for metadata_* reasons.
   */
  readonly rejected: Partial<Record<DiscardReason, number>>;
  /** Up to maxErrors messages, each naming the reason, the value at fault and the series. */
  readonly firstErrors: string[];
}

const MAX_SERIES_IN_MESSAGE = 300;

function utf8Length(s: string, limit: number): number {
  // Only count bytes when the answer could depend on it.
  if (s.length > limit || s.length * 3 <= limit) return s.length;
  return Buffer.byteLength(s, 'utf8');
}

function seriesText(labels: Labels): string {
  const s = formatLabels(labels);
  return s.length > MAX_SERIES_IN_MESSAGE ? `${s.slice(0, MAX_SERIES_IN_MESSAGE)}...` : s;
}

function quote(s: string, max = 100): string {
  return JSON.stringify(s.length > max ? `${s.slice(0, max)}...` : s);
}

function isoTime(ms: number): string {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? 'invalid' : d.toISOString();
}

/** Validates a request for one tenant at time `now` (ms). */
export function validateWriteRequest(req: ValidationInput, limits: Limits, now: number, options: ValidationOptions = {}): ValidationResult {
  const maxErrors = options.maxErrors ?? 10;
  const memo = options.validLabels;
  const rejected: Partial<Record<DiscardReason, number>> = {};
  const firstErrors: string[] = [];
  const report = (reason: DiscardReason, count: number, message: string): void => {
    rejected[reason] = (rejected[reason] ?? 0) + count;
    if (firstErrors.length < maxErrors) {
      const r = DISCARD_REASONS[reason];
      firstErrors.push(message + errorSuffix(r.id, r.limit));
    }
  };

  const column = req.timestamps;
  let totalSamples = 0;
  for (const s of req.series) totalSamples += column !== undefined && s.sampleCount !== undefined ? s.sampleCount : s.timestamps.length;
  const sampleAccepted = new Uint8Array(totalSamples);
  const labelsOut: (Labels | null)[] = new Array(req.series.length);
  const validNames = new Set<string>();
  const minTs = limits.rejectOldSamples ? now - limits.rejectOldSamplesMaxAgeMs : -Infinity;
  const maxTs = now + limits.creationGracePeriodMs;

  let acceptedSeries = 0;
  let acceptedSamples = 0;
  let rejectedExemplars = 0;
  let rejectedHistograms = 0;
  let offset = 0;
  for (let i = 0; i < req.series.length; i++) {
    const s = req.series[i]!;
    const fromColumn = column !== undefined && s.sampleCount !== undefined;
    const ts = fromColumn ? column : s.timestamps;
    const n = fromColumn ? s.sampleCount! : ts.length;
    const base = fromColumn ? offset : 0;
    const start = offset;
    offset += n;

    const ex = s.exemplarCount ?? 0;
    if (ex > 0 && !limits.acceptExemplars) {
      rejectedExemplars += ex;
      report('exemplars_not_accepted', ex, `Exemplars are not accepted: ${ex} exemplars, series=${seriesText(s.labels)}`);
    }
    const hs = s.histogramCount ?? 0;
    if (hs > 0 && !limits.acceptNativeHistograms) {
      rejectedHistograms += hs;
      report('native_histograms_not_accepted', hs, `Native histograms are not accepted: ${hs} histograms, series=${seriesText(s.labels)}`);
    }

    let labels = s.labels;
    const id = s.labelsId ?? -1;
    if (memo === undefined || !memo.has(id, labels, limits)) {
      labels = dropEmptyValues(s.labels);
      const problem = checkLabels(labels, limits, validNames);
      if (problem !== null) {
        labelsOut[i] = null;
        report(problem.reason, n, `${problem.message}, series=${seriesText(labels)}`);
        continue;
      }
      if (memo !== undefined && labels === s.labels) memo.add(id, labels, limits);
    }
    labelsOut[i] = labels;
    acceptedSeries++;

    for (let j = 0; j < n; j++) {
      const t = ts[base + j]!;
      if (t < minTs) {
        report('greater_than_max_sample_age', 1, `Sample timestamp too old: timestamp=${t} (${isoTime(t)}), oldest allowed=${minTs}, series=${seriesText(labels)}`);
      } else if (t > maxTs) {
        report('too_far_in_future', 1, `Sample timestamp too far in the future: timestamp=${t} (${isoTime(t)}), newest allowed=${maxTs}, series=${seriesText(labels)}`);
      } else {
        sampleAccepted[start + j] = 1;
        acceptedSamples++;
      }
    }
  }

  const metadata = req.metadata ?? [];
  const metadataAccepted = new Uint8Array(metadata.length);
  let acceptedMetadata = 0;
  for (let i = 0; i < metadata.length; i++) {
    const m = metadata[i]!;
    const max = limits.maxMetadataLength;
    if (m.metricFamilyName === '') {
      report('metadata_missing_metric_name', 1, 'Metadata without a metric family name');
    } else if (utf8Length(m.metricFamilyName, max) > max) {
      report('metadata_metric_name_too_long', 1, `Metadata metric family name too long: length ${utf8Length(m.metricFamilyName, max)} > ${max}, metric=${quote(m.metricFamilyName)}`);
    } else if (utf8Length(m.help, max) > max) {
      report('metadata_help_too_long', 1, `Metadata help text too long: length ${utf8Length(m.help, max)} > ${max}, metric=${quote(m.metricFamilyName)}`);
    } else if (utf8Length(m.unit, max) > max) {
      report('metadata_unit_too_long', 1, `Metadata unit too long: length ${utf8Length(m.unit, max)} > ${max}, metric=${quote(m.metricFamilyName)}`);
    } else {
      metadataAccepted[i] = 1;
      acceptedMetadata++;
    }
  }

  return {
    labels: labelsOut,
    sampleAccepted,
    metadataAccepted,
    acceptedSeries,
    rejectedSeries: req.series.length - acceptedSeries,
    acceptedSamples,
    rejectedSamples: totalSamples - acceptedSamples,
    acceptedMetadata,
    rejectedExemplars,
    rejectedHistograms,
    rejected,
    firstErrors,
  };
}

/** Labels with an empty value mean "label absent" (remote-write spec), so they are dropped, not rejected. */
function dropEmptyValues(labels: Labels): Labels {
  let i = 0;
  for (; i < labels.length; i++) if (labels[i]!.value === '') break;
  if (i === labels.length) return labels;
  const out: Label[] = labels.slice(0, i);
  for (i++; i < labels.length; i++) if (labels[i]!.value !== '') out.push(labels[i]!);
  return out;
}

interface Problem {
  readonly reason: DiscardReason;
  readonly message: string;
}

function checkLabels(labels: Labels, limits: Limits, validNames: Set<string>): Problem | null {
  if (limits.enforceMetricName) {
    let name: string | undefined;
    for (const l of labels) {
      if (l.name === METRIC_NAME) {
        name = l.value;
        break;
      }
    }
    if (name === undefined) return { reason: 'missing_metric_name', message: 'Series has no metric name' };
    if (!(limits.utf8Names ? name !== '' : isValidMetricName(name))) {
      return { reason: 'invalid_metric_name', message: `Invalid metric name: ${quote(name)}` };
    }
  }
  if (labels.length > limits.maxLabelNamesPerSeries) {
    return { reason: 'max_label_names_per_series', message: `Series has too many labels: ${labels.length} > limit ${limits.maxLabelNamesPerSeries}` };
  }
  let last = '';
  for (let i = 0; i < labels.length; i++) {
    const { name, value } = labels[i]!;
    if (!validNames.has(name)) {
      if (!(limits.utf8Names ? name !== '' : isValidLabelName(name))) {
        return { reason: 'invalid_label', message: `Invalid label name: ${quote(name)}` };
      }
      validNames.add(name);
    }
    const nameLen = utf8Length(name, limits.maxLabelNameLength);
    if (nameLen > limits.maxLabelNameLength) {
      return { reason: 'label_name_too_long', message: `Label name too long: length ${nameLen} > limit ${limits.maxLabelNameLength}, label=${quote(name)}` };
    }
    const valueLen = utf8Length(value, limits.maxLabelValueLength);
    if (valueLen > limits.maxLabelValueLength) {
      return { reason: 'label_value_too_long', message: `Label value too long: length ${valueLen} > limit ${limits.maxLabelValueLength}, label=${quote(name)}, value=${quote(value)}` };
    }
    if (i > 0) {
      if (name === last) return { reason: 'duplicate_label_names', message: `Duplicate label name: ${quote(name)}` };
      if (name < last) return { reason: 'labels_not_sorted', message: `Labels not sorted by name: ${quote(name)} after ${quote(last)}` };
    }
    last = name;
  }
  return null;
}

/**
 * The 400 to answer when anything was rejected (null when all was accepted).
 * The message counts what was rejected and lists the first errors.
 */
export function validationError(result: ValidationResult, tenant: string): DistributorError | null {
  const reasons = Object.entries(result.rejected);
  if (reasons.length === 0) return null;
  const counts = reasons.map(([r, c]) => `${r}=${c}`).join(', ');
  return new DistributorError(
    'SAMPLES_REJECTED',
    `Write request for tenant ${JSON.stringify(tenant)} had rejected data: ${counts}; accepted ${result.acceptedSamples} of ${result.acceptedSamples + result.rejectedSamples} samples; first errors: ${result.firstErrors.join('; ')}`,
  );
}
