/** `frankctl wal` and `frankctl store`: print an admin endpoint's JSON document, indented. */
import { expectObject, type CommandContext } from './context.ts';

export function adminJsonCommand(path: string) {
  return async function run(ctx: CommandContext): Promise<number> {
    const body = expectObject(await ctx.client.getJson(path), ctx.client.urlOf(path), 'the body');
    ctx.out(ctx.json ? `${JSON.stringify(body)}\n` : `${JSON.stringify(body, null, 2)}\n`);
    return 0;
  };
}
