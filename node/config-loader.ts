/**
 * Loads the root config: defaults, then the YAML file (--config), then CLI flags.
 * Unknown keys are errors (a typo in a limit must not silently keep the default).
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Plain = Record<string, unknown>;

function isPlain(v: unknown): v is Plain {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Deep-merges `override` into a copy of `base`. Keys not present in `base` are rejected,
 * except below paths listed in `openPaths` (maps keyed by user data, e.g. per-tenant overrides).
 */
export function mergeConfig<T>(base: T, override: unknown, openPaths: readonly string[] = [], path = ''): T {
  if (override === undefined || override === null) return base;
  if (!isPlain(base)) return override as T;
  if (!isPlain(override)) throw new ConfigError(`Invalid config: "${path || '<root>'}" must be a mapping`);
  const out: Plain = { ...(base as Plain) };
  for (const [k, v] of Object.entries(override)) {
    const p = path ? `${path}.${k}` : k;
    if (!(k in out)) {
      if (openPaths.includes(path)) {
        out[k] = v;
        continue;
      }
      throw new ConfigError(`Unknown config option: "${p}"`);
    }
    const cur = out[k];
    out[k] = isPlain(cur) && !openPaths.includes(p) ? mergeConfig(cur, v, openPaths, p) : v;
  }
  return out as T;
}

export function readYamlFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`Cannot read config file "${file}": ${(err as Error).message}`);
  }
  try {
    return parseYaml(text) ?? {};
  } catch (err) {
    throw new ConfigError(`Invalid YAML in config file "${file}": ${(err as Error).message}`);
  }
}

/** Parses `--flag value` / `--flag=value` / `--bool` argv into a map. */
export function parseArgs(argv: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) throw new ConfigError(`Unexpected argument: "${a}"`);
    const eq = a.indexOf('=');
    if (eq > 0) {
      out.set(a.slice(2, eq), a.slice(eq + 1));
    } else {
      const next = argv[i + 1];
      if (next !== undefined && !next.startsWith('--')) {
        out.set(a.slice(2), next);
        i++;
      } else out.set(a.slice(2), 'true');
    }
  }
  return out;
}
