import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateWriteRequest, validationError, type SeriesToValidate } from './validation.ts';
import { DEFAULT_LIMITS, type Limits } from './limits.ts';
import { decodeWriteRequest } from '../remote/write-request-decoder.ts';
import { encodeWriteRequest } from '../remote/write-request-encoder.ts';
import type { Labels } from '../../query/model/labels.ts';

const NOW = 1_700_000_000_000;
const L = (obj: [string, string][]): Labels => obj.map(([name, value]) => ({ name, value }));
const series = (labels: [string, string][], timestamps: number[] = [NOW]): SeriesToValidate => ({ labels: L(labels), timestamps });
const limits = (o: Partial<Limits> = {}): Limits => ({ ...DEFAULT_LIMITS, ...o });

test('accepts valid series and samples', () => {
  const r = validateWriteRequest({ series: [series([['__name__', 'up'], ['job', 'a']], [NOW - 1000, NOW])] }, limits(), NOW);
  assert.equal(r.acceptedSeries, 1);
  assert.equal(r.acceptedSamples, 2);
  assert.equal(r.rejectedSamples, 0);
  assert.deepEqual([...r.sampleAccepted], [1, 1]);
  assert.deepEqual(r.rejected, {});
  assert.deepEqual(r.firstErrors, []);
  assert.equal(validationError(r, 't'), null);
});

const CASES: { name: string; labels: [string, string][]; reason: string; message: RegExp; limits?: Partial<Limits> }[] = [
  { name: 'missing metric name', labels: [['job', 'a']], reason: 'missing_metric_name', message: /^Series has no metric name, series=\{job="a"\} \(err-frank-missing-metric-name/ },
  { name: 'invalid metric name', labels: [['__name__', '1up']], reason: 'invalid_metric_name', message: /^Invalid metric name: "1up", series=1up \(err-frank-metric-name-invalid/ },
  { name: 'invalid label name', labels: [['__name__', 'up'], ['a-b', 'x']], reason: 'invalid_label', message: /^Invalid label name: "a-b"/ },
  { name: 'empty label name', labels: [['', 'x'], ['__name__', 'up']], reason: 'invalid_label', message: /^Invalid label name: ""/ },
  { name: 'duplicate label names', labels: [['__name__', 'up'], ['job', 'a'], ['job', 'b']], reason: 'duplicate_label_names', message: /^Duplicate label name: "job"/ },
  { name: 'unsorted labels', labels: [['__name__', 'up'], ['job', 'a'], ['instance', 'b']], reason: 'labels_not_sorted', message: /^Labels not sorted by name: "instance" after "job"/ },
  {
    name: 'too many labels',
    labels: [['__name__', 'up'], ['a', '1'], ['b', '2'], ['c', '3']],
    reason: 'max_label_names_per_series',
    message: /^Series has too many labels: 4 > limit 3, .*\(err-frank-max-label-names-per-series; to adjust, raise the per-tenant limit maxLabelNamesPerSeries\)$/,
    limits: { maxLabelNamesPerSeries: 3 },
  },
  { name: 'label name too long', labels: [['__name__', 'up'], ['abcdefghi', 'x']], reason: 'label_name_too_long', message: /^Label name too long: length 9 > limit 8, label="abcdefghi"/, limits: { maxLabelNameLength: 8 } },
  { name: 'label value too long (UTF-8 bytes)', labels: [['__name__', 'up'], ['a', 'ééé']], reason: 'label_value_too_long', message: /^Label value too long: length 6 > limit 5, label="a", value="ééé"/, limits: { maxLabelValueLength: 5 } },
];

for (const c of CASES) {
  test(`rejects the series: ${c.name}`, () => {
    const r = validateWriteRequest({ series: [series(c.labels, [NOW, NOW + 1]), series([['__name__', 'ok']])] }, limits(c.limits), NOW);
    assert.equal(r.labels[0], null);
    assert.ok(r.labels[1]);
    assert.equal(r.acceptedSeries, 1);
    assert.equal(r.rejectedSeries, 1);
    assert.deepEqual([...r.sampleAccepted], [0, 0, 1]);
    assert.deepEqual(r.rejected, { [c.reason]: 2 });
    assert.equal(r.firstErrors.length, 1);
    assert.match(r.firstErrors[0]!, c.message);
  });
}

test('UTF-8 names are accepted when utf8Names is on', () => {
  const s = series([['__name__', 'http.requests'], ['dé.x', 'v']]);
  assert.equal(validateWriteRequest({ series: [s] }, limits(), NOW).rejectedSeries, 1);
  assert.equal(validateWriteRequest({ series: [s] }, limits({ utf8Names: true }), NOW).acceptedSeries, 1);
});

test('enforceMetricName off accepts series without __name__', () => {
  assert.equal(validateWriteRequest({ series: [series([['job', 'a']])] }, limits({ enforceMetricName: false }), NOW).acceptedSamples, 1);
});

test('empty label values are dropped, not rejected', () => {
  const input = L([['__name__', 'up'], ['a', ''], ['job', 'x'], ['z', '']]);
  const r = validateWriteRequest({ series: [{ labels: input, timestamps: [NOW] }] }, limits(), NOW);
  assert.deepEqual(r.labels[0], L([['__name__', 'up'], ['job', 'x']]));
  const same = L([['__name__', 'up']]);
  assert.equal(validateWriteRequest({ series: [{ labels: same, timestamps: [NOW] }] }, limits(), NOW).labels[0], same, 'unchanged input is reused');
  // An empty metric name is a missing metric name.
  assert.deepEqual(validateWriteRequest({ series: [series([['__name__', ''], ['job', 'x']])] }, limits(), NOW).rejected, { missing_metric_name: 1 });
});

test('per-sample timestamp window: too old and too far in the future', () => {
  const maxAge = DEFAULT_LIMITS.rejectOldSamplesMaxAgeMs;
  const grace = DEFAULT_LIMITS.creationGracePeriodMs;
  const ts = [NOW - maxAge - 1, NOW - maxAge, NOW, NOW + grace, NOW + grace + 1];
  const r = validateWriteRequest({ series: [series([['__name__', 'up'], ['job', 'a']], ts)] }, limits(), NOW);
  assert.deepEqual([...r.sampleAccepted], [0, 1, 1, 1, 0]);
  assert.deepEqual(r.rejected, { greater_than_max_sample_age: 1, too_far_in_future: 1 });
  assert.equal(r.acceptedSeries, 1);
  assert.equal(
    r.firstErrors[0],
    `Sample timestamp too old: timestamp=${NOW - maxAge - 1} (${new Date(NOW - maxAge - 1).toISOString()}), oldest allowed=${NOW - maxAge}, series=up{job="a"} (err-frank-sample-timestamp-too-old; to adjust, raise the per-tenant limit rejectOldSamplesMaxAgeMs)`,
  );
  assert.match(r.firstErrors[1]!, /^Sample timestamp too far in the future: timestamp=\d+ \(.*\), newest allowed=\d+, series=up\{job="a"\} \(err-frank-sample-too-far-in-future/);
  // rejectOldSamples off keeps old samples but still rejects the future.
  const off = validateWriteRequest({ series: [series([['__name__', 'up']], ts)] }, limits({ rejectOldSamples: false }), NOW);
  assert.deepEqual([...off.sampleAccepted], [1, 1, 1, 1, 0]);
});

test('firstErrors is capped while counts keep going', () => {
  const many = Array.from({ length: 30 }, (_, i) => series([['job', String(i)]]));
  const r = validateWriteRequest({ series: many }, limits(), NOW, { maxErrors: 5 });
  assert.equal(r.firstErrors.length, 5);
  assert.deepEqual(r.rejected, { missing_metric_name: 30 });
  const d = validateWriteRequest({ series: many }, limits(), NOW);
  assert.equal(d.firstErrors.length, 10);
});

test('exemplars and native histograms are rejected unless accepted, samples kept', () => {
  const s: SeriesToValidate = { labels: L([['__name__', 'h']]), timestamps: [NOW], exemplarCount: 2, histogramCount: 3 };
  const r = validateWriteRequest({ series: [s] }, limits(), NOW);
  assert.equal(r.acceptedSamples, 1);
  assert.equal(r.rejectedExemplars, 2);
  assert.equal(r.rejectedHistograms, 3);
  assert.deepEqual(r.rejected, { exemplars_not_accepted: 2, native_histograms_not_accepted: 3 });
  assert.match(r.firstErrors[0]!, /^Exemplars are not accepted: 2 exemplars, series=h \(err-frank-exemplars-not-accepted; to adjust, raise the per-tenant limit acceptExemplars\)$/);
  const ok = validateWriteRequest({ series: [s] }, limits({ acceptExemplars: true, acceptNativeHistograms: true }), NOW);
  assert.deepEqual(ok.rejected, {});
});

test('metadata validation', () => {
  const r = validateWriteRequest(
    {
      series: [],
      metadata: [
        { metricFamilyName: 'up', help: 'Up', unit: '' },
        { metricFamilyName: '', help: 'x', unit: '' },
        { metricFamilyName: 'x'.repeat(11), help: '', unit: '' },
        { metricFamilyName: 'a', help: 'h'.repeat(11), unit: '' },
        { metricFamilyName: 'b', help: '', unit: 'u'.repeat(11) },
      ],
    },
    limits({ maxMetadataLength: 10 }),
    NOW,
  );
  assert.deepEqual([...r.metadataAccepted], [1, 0, 0, 0, 0]);
  assert.equal(r.acceptedMetadata, 1);
  assert.deepEqual(r.rejected, { metadata_missing_metric_name: 1, metadata_metric_name_too_long: 1, metadata_help_too_long: 1, metadata_unit_too_long: 1 });
});

test('validationError summarises the result as a 400', () => {
  const r = validateWriteRequest({ series: [series([['job', 'a']], [NOW, NOW]), series([['__name__', 'up']], [0])] }, limits(), NOW);
  const e = validationError(r, 'team-a');
  assert.ok(e);
  assert.equal(e.httpStatus, 400);
  assert.equal(e.code, 'SAMPLES_REJECTED');
  assert.match(e.message, /^Write request for tenant "team-a" had rejected data: missing_metric_name=2, greater_than_max_sample_age=1; accepted 0 of 3 samples; first errors: Series has no metric name/);
  assert.match(e.message, /\(err-frank-samples-rejected\)$/);
});

test('works on decoded requests: sampleAccepted aligns with the shared columns', () => {
  const bytes = encodeWriteRequest({
    series: [
      { labels: L([['__name__', 'a']]), timestamps: [NOW, 1], values: [1, 2] },
      { labels: L([['job', 'x']]), timestamps: [NOW], values: [3] },
      { labels: L([['__name__', 'c'], ['job', 'y']]), timestamps: [NOW, NOW + 1e9, NOW - 5], values: [4, 5, 6] },
    ],
  });
  const req = decodeWriteRequest(bytes);
  const r = validateWriteRequest(req, limits(), NOW);
  assert.deepEqual([...r.sampleAccepted], [1, 0, 0, 1, 0, 1]);
  const kept = [...req.values].filter((_, i) => r.sampleAccepted[i] === 1);
  assert.deepEqual(kept, [1, 4, 6]);
  assert.equal(r.labels[1], null);
});
