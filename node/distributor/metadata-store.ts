/**
 * Metric metadata (TYPE, HELP, UNIT) per tenant, as sent in remote write, for
 * /api/v1/metadata. Kept in memory on the node that received it; senders
 * resend metadata periodically (Prometheus every minute), so a restart
 * repopulates it within one send interval.
 */
import type { MetricMetadata } from '../remote/types.ts';
import type { Limits } from './limits.ts';

export interface MetadataEntry {
  type: string;
  help: string;
  unit: string;
}

export class MetadataStore {
  readonly #tenants = new Map<string, Map<string, MetadataEntry[]>>();

  add(tenant: string, metadata: readonly MetricMetadata[], accepted: Uint8Array, limits: Limits): void {
    if (metadata.length === 0) return;
    let t = this.#tenants.get(tenant);
    if (!t) this.#tenants.set(tenant, (t = new Map()));
    for (let i = 0; i < metadata.length; i++) {
      if (!accepted[i]) continue;
      const m = metadata[i]!;
      const entry: MetadataEntry = { type: m.type, help: m.help, unit: m.unit };
      let list = t.get(m.metricFamilyName);
      if (!list) {
        if (limits.maxMetadataPerUser > 0 && t.size >= limits.maxMetadataPerUser) continue;
        t.set(m.metricFamilyName, (list = []));
      }
      if (list.some((e) => e.type === entry.type && e.help === entry.help && e.unit === entry.unit)) continue;
      if (limits.maxMetadataPerMetric > 0 && list.length >= limits.maxMetadataPerMetric) list.shift();
      list.push(entry);
    }
  }

  /** Prometheus /api/v1/metadata data: metric → entries, optionally one metric and a limit. */
  query(tenant: string, opts: { metric?: string; limit?: number; limitPerMetric?: number }): Record<string, MetadataEntry[]> {
    const t = this.#tenants.get(tenant);
    const out: Record<string, MetadataEntry[]> = {};
    if (!t) return out;
    let n = 0;
    for (const [name, list] of [...t].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      if (opts.metric !== undefined && name !== opts.metric) continue;
      if (opts.limit !== undefined && opts.limit > 0 && n >= opts.limit) break;
      out[name] = opts.limitPerMetric && opts.limitPerMetric > 0 ? list.slice(0, opts.limitPerMetric) : [...list];
      n++;
    }
    return out;
  }
}
