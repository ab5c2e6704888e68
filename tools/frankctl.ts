/**
 * frankctl: operate a Frankenstein cluster over its HTTP API.
 *
 *   frankctl <command> [--url http://host:port] [--tenant T] [--token T] [--json]
 *
 * Exit codes: 0 ok, 1 the cluster answered with bad news (unhealthy ring, forget refused,
 * failed load-generator requests), 2 usage, connection or unexpected HTTP errors.
 * Errors are printed as one line on stderr, never as a stack trace.
 */
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { AdminClient } from './frankctl/admin-client.ts';
import { CliError, EXIT_USAGE } from './frankctl/errors.ts';
import type { Command, CommandContext } from './frankctl/commands/context.ts';
import { ringCommand } from './frankctl/commands/ring.ts';
import { membersCommand } from './frankctl/commands/members.ts';
import { forgetCommand } from './frankctl/commands/forget.ts';
import { tenantsCommand } from './frankctl/commands/tenants.ts';
import { adminJsonCommand } from './frankctl/commands/admin-json.ts';
import { blocksCommand } from './frankctl/commands/blocks.ts';
import { parseDurationMs, runLoadgenCli, UsageError } from './loadgen/main.ts';

export const DEFAULT_URL = 'http://127.0.0.1:9009';

export const USAGE = `Usage: frankctl <command> [options]

Commands:
  ring [--json]              hash ring instances (exit 1 unless all ACTIVE and healthy)
  members [--json]           gossip member list
  forget ID                  remove an unhealthy instance from the ring
  tenants [--json]           per-tenant series and ingestion figures
  tenant-stats [--json]      the same, limited to --tenant when given
  wal                        write-ahead log status (JSON)
  store                      object store status (JSON)
  blocks [START [END]]       the tenant's block objects in the store (default: last 7 days)
  loadgen [loadgen options]  remote-write load generator (see frankctl loadgen --help)

Options:
  --url URL      node base URL (default ${DEFAULT_URL})
  --tenant T     tenant ID, sent as X-Scope-OrgID
  --token T      bearer token, sent as Authorization
  --timeout D    request timeout, e.g. 10s (default 10s)
  --json         machine-readable output
  -h, --help     this help`;

const COMMANDS: Record<string, Command> = {
  ring: ringCommand,
  members: membersCommand,
  forget: forgetCommand,
  tenants: tenantsCommand(false),
  'tenant-stats': tenantsCommand(true),
  wal: adminJsonCommand('/admin/wal'),
  store: adminJsonCommand('/admin/store'),
  blocks: blocksCommand,
};

export interface FrankctlIo {
  out(text: string): void;
  err(text: string): void;
}

const STDIO: FrankctlIo = {
  out: (t) => void process.stdout.write(t),
  err: (t) => void process.stderr.write(t),
};

/**
 * `frankctl loadgen` takes the loadgen's own options. For convenience a base --url (no path)
 * gets /api/v1/push appended, and --tenant maps to --tenants.
 */
function loadgenArgs(argv: string[]): string[] {
  const out: string[] = [];
  let sawUrl = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    if (flag === '--url' || flag === '--tenant') {
      const value = inline ?? argv[++i] ?? '';
      if (flag === '--tenant') {
        out.push('--tenants', value);
        continue;
      }
      sawUrl = true;
      let url = value;
      try {
        const u = new URL(value);
        if (u.pathname === '/' || u.pathname === '') url = `${u.origin}/api/v1/push`;
      } catch {
        // leave it to the loadgen's own validation
      }
      out.push('--url', url);
      continue;
    }
    out.push(a);
  }
  if (!sawUrl) out.push('--url', `${DEFAULT_URL}/api/v1/push`);
  return out;
}

/** Runs frankctl with `argv` (without node and script); resolves to the exit code. */
export async function main(argv: string[], io: FrankctlIo = STDIO): Promise<number> {
  const command = argv[0];
  if (command === 'loadgen') return runLoadgenCli(loadgenArgs(argv.slice(1)));
  if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
    (command === undefined ? io.err : io.out)(`${USAGE}\n`);
    return command === undefined ? EXIT_USAGE : 0;
  }
  try {
    const run = COMMANDS[command];
    if (run === undefined) throw new CliError(`Unknown command: "${command}" (see frankctl --help)`, EXIT_USAGE);
    let parsed;
    try {
      parsed = parseArgs({
        args: argv.slice(1),
        strict: true,
        allowPositionals: true,
        options: {
          url: { type: 'string' },
          tenant: { type: 'string' },
          token: { type: 'string' },
          timeout: { type: 'string' },
          json: { type: 'boolean' },
          help: { type: 'boolean', short: 'h' },
        },
      });
    } catch (err) {
      throw new CliError(`Invalid arguments for "${command}": ${(err as Error).message}`, EXIT_USAGE);
    }
    const v = parsed.values;
    if (v.help) {
      io.out(`${USAGE}\n`);
      return 0;
    }
    if (command !== 'forget' && command !== 'blocks' && parsed.positionals.length > 0) {
      throw new CliError(`Unexpected argument for "${command}": "${parsed.positionals[0]}"`, EXIT_USAGE);
    }
    let timeoutMs = 10_000;
    if (v.timeout !== undefined) {
      try {
        timeoutMs = parseDurationMs(v.timeout, 'timeout');
      } catch (err) {
        if (err instanceof UsageError) throw new CliError(err.message, EXIT_USAGE);
        throw err;
      }
    }
    const clientConfig: ConstructorParameters<typeof AdminClient>[0] = { url: v.url ?? DEFAULT_URL, timeoutMs };
    if (v.tenant !== undefined) clientConfig.tenant = v.tenant;
    if (v.token !== undefined) clientConfig.token = v.token;
    const ctx: CommandContext = {
      client: new AdminClient(clientConfig),
      args: parsed.positionals,
      json: v.json === true,
      tenant: v.tenant,
      now: Date.now(),
      out: io.out,
      err: io.err,
    };
    return await run(ctx);
  } catch (err) {
    if (err instanceof CliError) {
      io.err(`frankctl: ${err.message}\n`);
      return err.exitCode;
    }
    // A bug in frankctl itself: still one line, but say so.
    io.err(`frankctl: internal error: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT_USAGE;
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
