/**
 * Self-monitoring metrics of one node, all on a registry owned by the node
 * (no global default registry, so several nodes can live in one test process).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class NodeMetrics {
  readonly registry = new Registry();
  readonly receivedSamples: Counter<'tenant'>;
  readonly ingestedSamples: Counter<'tenant'>;
  readonly discardedSamples: Counter<'tenant' | 'reason'>;
  readonly receivedMetadata: Counter<'tenant'>;
  readonly requestDuration: Histogram<'method' | 'route' | 'status_code'>;
  readonly queries: Counter<'tenant' | 'endpoint' | 'outcome'>;

  constructor(opts: { defaultMetrics: boolean }) {
    const registers = [this.registry];
    if (opts.defaultMetrics) collectDefaultMetrics({ register: this.registry });
    this.receivedSamples = new Counter({ name: 'frankenstein_distributor_received_samples_total', help: 'Samples received by the distributor, before validation.', labelNames: ['tenant'], registers });
    this.ingestedSamples = new Counter({ name: 'frankenstein_distributor_ingested_samples_total', help: 'Samples acknowledged as durably ingested.', labelNames: ['tenant'], registers });
    this.discardedSamples = new Counter({ name: 'frankenstein_discarded_samples_total', help: 'Samples rejected, by reason.', labelNames: ['tenant', 'reason'], registers });
    this.receivedMetadata = new Counter({ name: 'frankenstein_distributor_received_metadata_total', help: 'Metric metadata entries received.', labelNames: ['tenant'], registers });
    this.requestDuration = new Histogram({
      name: 'frankenstein_request_duration_seconds',
      help: 'HTTP request latency by route.',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.queries = new Counter({ name: 'frankenstein_queries_total', help: 'API queries by endpoint and outcome.', labelNames: ['tenant', 'endpoint', 'outcome'], registers });
  }

  /** Registers a gauge whose value is read from the component at scrape time. */
  gaugeFrom(name: string, help: string, labelNames: string[], read: () => Iterable<[Record<string, string>, number]>): void {
    new Gauge({
      name,
      help,
      labelNames,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [labels, v] of read()) this.set(labels, v);
      },
    });
  }
}
