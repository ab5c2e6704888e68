/**
 * `frankctl ring`: the hash ring as the node sees it. Exit 0 only when every instance is
 * ACTIVE and healthy; 1 otherwise (an empty ring counts as unhealthy: nothing can take writes).
 */
import { formatAge, formatTable } from '../table.ts';
import { EXIT_UNHEALTHY } from '../errors.ts';
import { expectArray, expectObject, type CommandContext } from './context.ts';

/** One ring member as printed by `--json` (the node's /ring JSON shape). */
export interface RingInstance {
  id: string;
  addr: string;
  zone: string;
  state: string;
  tokens: number;
  ownership: number;
  lastHeartbeat: number;
  healthy: boolean;
}

function toInstance(raw: unknown, url: string): RingInstance {
  const o = expectObject(raw, url, 'a ring instance');
  return {
    id: String(o['id'] ?? ''),
    addr: String(o['addr'] ?? ''),
    zone: String(o['zone'] ?? ''),
    state: String(o['state'] ?? ''),
    // Tolerate a token list or an ISO heartbeat time from other ring implementations.
    tokens: Array.isArray(o['tokens']) ? o['tokens'].length : Number(o['tokens'] ?? 0),
    ownership: Number(o['ownership'] ?? 0),
    lastHeartbeat: typeof o['lastHeartbeat'] === 'string' ? Date.parse(o['lastHeartbeat']) || 0 : Number(o['lastHeartbeat'] ?? 0),
    healthy: o['healthy'] === true,
  };
}

export async function ringCommand(ctx: CommandContext): Promise<number> {
  const url = ctx.client.urlOf('/ring');
  const body = expectObject(await ctx.client.getJson('/ring'), url, 'the body');
  const instances = expectArray(body, 'instances', url).map((i) => toInstance(i, url));
  instances.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  if (ctx.json) {
    ctx.out(`${JSON.stringify({ instances })}\n`);
  } else {
    const rows = instances.map((i) => [
      i.id,
      i.addr,
      i.zone || '-',
      i.state,
      String(i.tokens),
      `${(i.ownership * 100).toFixed(2)}%`,
      i.lastHeartbeat > 0 ? `${formatAge(ctx.now - i.lastHeartbeat)} ago` : 'never',
      i.healthy ? 'healthy' : 'UNHEALTHY',
    ]);
    ctx.out(formatTable(['ID', 'ADDR', 'ZONE', 'STATE', 'TOKENS', 'OWNERSHIP', 'LAST-HEARTBEAT', 'HEALTH'], rows));
  }
  if (instances.length === 0) {
    ctx.err('Ring has no instances\n');
    return EXIT_UNHEALTHY;
  }
  const bad = instances.filter((i) => i.state !== 'ACTIVE' || !i.healthy);
  if (bad.length > 0) {
    const list = bad.map((i) => `"${i.id}" (${[i.state !== 'ACTIVE' ? i.state : '', i.healthy ? '' : 'unhealthy'].filter(Boolean).join(', ')})`);
    ctx.err(`${bad.length} of ${instances.length} instances are not ACTIVE and healthy: ${list.join(', ')}\n`);
    return EXIT_UNHEALTHY;
  }
  return 0;
}

