import type { AdminClient } from '../admin-client.ts';
import { CliError, EXIT_USAGE } from '../errors.ts';

/** What every frankctl command gets: the node client, its positional arguments and output sinks. */
export interface CommandContext {
  client: AdminClient;
  /** Positional arguments after the command name. */
  args: string[];
  /** --json: print the machine-readable shape instead of a table. */
  json: boolean;
  /** --tenant, when given. */
  tenant: string | undefined;
  /** Current time in ms, for heartbeat ages. */
  now: number;
  out(text: string): void;
  err(text: string): void;
}

/** A command resolves to the process exit code. */
export type Command = (ctx: CommandContext) => Promise<number>;

/** Throws a CliError naming `url` when `value` is not a plain object. */
export function expectObject(value: unknown, url: string, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CliError(`GET ${url}: unexpected response: ${what} is not a JSON object`, EXIT_USAGE);
  }
  return value as Record<string, unknown>;
}

/** Throws a CliError naming `url` when `obj[key]` is not an array. */
export function expectArray(obj: Record<string, unknown>, key: string, url: string): unknown[] {
  const v = obj[key];
  if (!Array.isArray(v)) throw new CliError(`GET ${url}: unexpected response: missing "${key}" array`, EXIT_USAGE);
  return v;
}

export function str(v: unknown): string {
  return v === undefined || v === null ? '-' : String(v);
}
