/** `frankctl forget ID`: remove an unhealthy instance from the ring (POST /ring/forget). */
import { CliError, EXIT_UNHEALTHY, EXIT_USAGE, HttpStatusError } from '../errors.ts';
import type { CommandContext } from './context.ts';

export async function forgetCommand(ctx: CommandContext): Promise<number> {
  if (ctx.args.length !== 1 || ctx.args[0] === '') {
    throw new CliError('Usage: frankctl forget ID: expected exactly one instance ID', EXIT_USAGE);
  }
  const id = ctx.args[0]!;
  const res = await ctx.client.postForm('/ring/forget', { id });
  const detail = res.body ? `: ${res.body}` : '';
  if (res.status >= 200 && res.status < 300) {
    ctx.out(`Forgot instance "${id}"\n`);
    return 0;
  }
  // A 404 from the router (the node has no /ring/forget) is not an unknown instance.
  if (res.status === 404 && !/no route|page not found/i.test(res.body)) {
    ctx.err(`Unknown instance: "${id}" is not in the ring${detail}\n`);
    return EXIT_UNHEALTHY;
  }
  if (res.status === 409) {
    ctx.err(`Refused to forget instance "${id}": it is not unhealthy${detail}\n`);
    return EXIT_UNHEALTHY;
  }
  throw new HttpStatusError('POST', res.url, res.status, res.statusText, res.body);
}
