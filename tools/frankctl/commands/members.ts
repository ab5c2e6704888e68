/** `frankctl members`: the gossip member list (alive, suspect, dead, left). */
import { formatTable } from '../table.ts';
import { expectArray, expectObject, str, type CommandContext } from './context.ts';

export async function membersCommand(ctx: CommandContext): Promise<number> {
  const url = ctx.client.urlOf('/memberlist');
  const body = expectObject(await ctx.client.getJson('/memberlist'), url, 'the body');
  const members = expectArray(body, 'members', url).map((m) => expectObject(m, url, 'a member'));
  if (ctx.json) {
    ctx.out(`${JSON.stringify({ members })}\n`);
    return 0;
  }
  const rows = members
    .map((m) => {
      const meta = typeof m['meta'] === 'object' && m['meta'] !== null ? (m['meta'] as Record<string, unknown>) : {};
      const metaText = Object.entries(meta).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(',');
      return [str(m['name']), str(m['addr']), str(m['state']), str(m['incarnation']), metaText || '-'];
    })
    .sort((a, b) => (a[0]! < b[0]! ? -1 : a[0]! > b[0]! ? 1 : 0));
  ctx.out(formatTable(['NAME', 'ADDR', 'STATE', 'INCARNATION', 'META'], rows));
  return 0;
}
