/**
 * `frankctl tenants` and `frankctl tenant-stats [--tenant T]`: per-tenant series and ingestion
 * figures from GET /api/v1/user_stats. Accepts a bare array, `{tenants: [...]}`,
 * `{data: [...]}` or a single tenant object (Cortex answers for the requesting tenant only).
 */
import { formatCount, formatTable } from '../table.ts';
import { CliError, EXIT_USAGE } from '../errors.ts';
import { str, type CommandContext } from './context.ts';

export interface TenantStats {
  tenant: string;
  series: number;
  /** Samples/s; null when the node does not report it. */
  ingestionRate: number | null;
  samplesIngested: number;
}

function toRows(body: unknown, url: string): Record<string, unknown>[] {
  const list = Array.isArray(body)
    ? body
    : typeof body === 'object' && body !== null
      ? Array.isArray((body as Record<string, unknown>)['tenants'])
        ? ((body as Record<string, unknown>)['tenants'] as unknown[])
        : Array.isArray((body as Record<string, unknown>)['data'])
          ? ((body as Record<string, unknown>)['data'] as unknown[])
          : [body]
      : undefined;
  if (list === undefined || !list.every((e) => typeof e === 'object' && e !== null)) {
    throw new CliError(`GET ${url}: unexpected response: expected tenant stats objects`, EXIT_USAGE);
  }
  return list as Record<string, unknown>[];
}

function toStats(o: Record<string, unknown>, fallbackTenant: string | undefined): TenantStats {
  return {
    tenant: str(o['tenant'] ?? o['userID'] ?? o['user'] ?? fallbackTenant),
    series: Number(o['series'] ?? o['numSeries'] ?? 0),
    ingestionRate: typeof o['ingestionRate'] === 'number' ? o['ingestionRate'] : null,
    samplesIngested: Number(o['samplesIngested'] ?? 0),
  };
}

/** `filterToTenant`: tenant-stats keeps only the --tenant row when the server returned several. */
export function tenantsCommand(filterToTenant: boolean) {
  return async function run(ctx: CommandContext): Promise<number> {
    const url = ctx.client.urlOf('/api/v1/user_stats');
    let stats = toRows(await ctx.client.getJson('/api/v1/user_stats'), url).map((o) => toStats(o, ctx.tenant));
    if (filterToTenant && ctx.tenant !== undefined) stats = stats.filter((s) => s.tenant === ctx.tenant);
    stats.sort((a, b) => (a.tenant < b.tenant ? -1 : a.tenant > b.tenant ? 1 : 0));
    if (ctx.json) {
      ctx.out(`${JSON.stringify({ tenants: stats })}\n`);
      return 0;
    }
    const rows = stats.map((s) => [s.tenant, formatCount(s.series), s.ingestionRate === null ? '-' : `${s.ingestionRate.toFixed(1)}/s`, formatCount(s.samplesIngested)]);
    ctx.out(formatTable(['TENANT', 'SERIES', 'INGESTION-RATE', 'SAMPLES-INGESTED'], rows));
    return 0;
  };
}
