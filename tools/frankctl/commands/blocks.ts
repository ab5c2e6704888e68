/**
 * `frankctl blocks [START [END]] [--tenant T]`: the tenant's block objects in the long-term store
 * (GET /admin/store/blocks; the node answers for the requesting tenant only). START and END are
 * Unix seconds or RFC 3339, as in the Prometheus API; the node defaults to the last 7 days.
 */
import { formatCount, formatTable } from '../table.ts';
import { CliError, EXIT_USAGE } from '../errors.ts';
import { expectArray, expectObject, str, type CommandContext } from './context.ts';

export async function blocksCommand(ctx: CommandContext): Promise<number> {
  if (ctx.args.length > 2) throw new CliError(`frankctl blocks takes at most START and END: got ${ctx.args.length} arguments`, EXIT_USAGE);
  const q = new URLSearchParams();
  if (ctx.args[0] !== undefined) q.set('start', ctx.args[0]);
  if (ctx.args[1] !== undefined) q.set('end', ctx.args[1]);
  const path = `/admin/store/blocks${q.size > 0 ? `?${q}` : ''}`;
  const url = ctx.client.urlOf(path);
  const body = expectObject(await ctx.client.getJson(path), url, 'the body');
  const blocks = expectArray(body, 'blocks', url).map((b) => expectObject(b, url, 'a block'));
  if (ctx.json) {
    ctx.out(`${JSON.stringify(body)}\n`);
    return 0;
  }
  const time = (v: unknown) => (typeof v === 'number' ? new Date(v).toISOString() : '-');
  const num = (v: unknown) => (typeof v === 'number' ? formatCount(v) : '-');
  const rows = blocks.map((b) => [str(b['id']), time(b['minT']), time(b['maxT']), num(b['series']), num(b['chunks']), num(b['samples']), num(b['bytes'])]);
  ctx.out(`tenant ${str(body['tenant'])}: ${blocks.length} block${blocks.length === 1 ? '' : 's'}\n`);
  ctx.out(formatTable(['ID', 'MIN-TIME', 'MAX-TIME', 'SERIES', 'CHUNKS', 'SAMPLES', 'BYTES'], rows));
  return 0;
}
