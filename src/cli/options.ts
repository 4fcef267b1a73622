// Flags, the `zerocve.yaml` config file and `ZEROCVE_*` environment variables — one definition, three sources.
// Precedence: command-line flag > environment variable > config file > default.
import { parseArgs } from 'node:util';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { homedir } from 'node:os';
import { parse as parseYaml } from 'yaml';
import { UsageError } from '../core/errors.ts';

export interface FlagSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  /** help text; `(VALUE)` placeholder first, e.g. 'LIST: severities to show' */
  help: string;
  default?: string | boolean;
  /** false: not settable from config/env (e.g. --help, --config) */
  configurable?: boolean;
}

export type FlagValues = Record<string, string | boolean | string[] | undefined>;

export const COMMON_FLAGS: Record<string, FlagSpec> = {
  help: { type: 'boolean', short: 'h', help: 'show this help', configurable: false },
  config: { type: 'string', help: 'FILE: config file (default ./zerocve.yaml if present)', configurable: false },
  quiet: { type: 'boolean', short: 'q', help: 'no progress or warnings on stderr' },
};

export const IMAGE_FLAGS: Record<string, FlagSpec> = {
  platform: {
    type: 'string',
    help: 'OS/ARCH[/VARIANT]: platform to pick from a multi-arch image (default linux/amd64)',
  },
  'cache-dir': { type: 'string', help: 'DIR: layer cache (default ~/.cache/zerocve)' },
  'no-cache': { type: 'boolean', help: 'do not read or write the layer cache' },
  'cache-max-size': {
    type: 'string',
    help: 'SIZE: bound of the layer cache, least recently used layers evicted first, e.g. 4GiB, 500MB (default 4GiB)',
  },
  insecure: { type: 'boolean', help: 'allow plain-HTTP registries' },
  username: { type: 'string', help: 'USER: registry user name (env ZEROCVE_REGISTRY_USERNAME)' },
  password: { type: 'string', help: 'PASS: registry password (env ZEROCVE_REGISTRY_PASSWORD)' },
  offline: {
    type: 'boolean',
    help: 'never use the network (registry targets, db update and automatic database updates refused)',
  },
};

/** `cache-dir` → `ZEROCVE_CACHE_DIR` */
export const envName = (flag: string): string => `ZEROCVE_${flag.toUpperCase().replace(/-/g, '_')}`;

export interface ParsedCommand {
  values: FlagValues;
  positionals: string[];
}

function readConfig(path: string | undefined, cwd: string): Record<string, unknown> {
  const file = path ?? join(cwd, 'zerocve.yaml');
  if (!existsSync(file)) {
    if (path) throw new UsageError(`config file ${path}: not found`);
    return {};
  }
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UsageError(`config file ${file}: not valid YAML: ${(err as Error).message.split('\n')[0]}`, {
      cause: err,
    });
  }
  if (doc == null) return {};
  if (typeof doc !== 'object' || Array.isArray(doc))
    throw new UsageError(`config file ${file}: expected a mapping of option names to values`);
  return doc as Record<string, unknown>;
}

function coerce(flag: string, spec: FlagSpec, value: unknown, where: string): string | boolean | string[] {
  if (spec.type === 'boolean') {
    if (typeof value === 'boolean') return value;
    if (value === 'true' || value === '1') return true;
    if (value === 'false' || value === '0' || value === '') return false;
    throw new UsageError(`${where}: ${flag} must be true or false, got '${String(value)}'`);
  }
  if (spec.multiple) {
    if (Array.isArray(value)) return value.map(String);
    return String(value)
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  }
  if (typeof value === 'object') throw new UsageError(`${where}: ${flag} must be a single value`);
  return String(value);
}

/** Parse a command's arguments with flags, env and config merged. */
export function parseCommand(
  args: string[],
  flags: Record<string, FlagSpec>,
  env: NodeJS.ProcessEnv,
  cwd: string,
  command: string,
): ParsedCommand {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {};
  for (const [name, s] of Object.entries(flags))
    options[name] = { type: s.type, ...(s.short ? { short: s.short } : {}), ...(s.multiple ? { multiple: true } : {}) };
  let parsed;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(`${command}: ${(err as Error).message.split('\n')[0]}`, { cause: err });
  }
  const values: FlagValues = { ...(parsed.values as FlagValues) };
  const config = readConfig(values.config as string | undefined, cwd);
  for (const key of Object.keys(config)) {
    if (!(key in flags) || flags[key].configurable === false)
      throw new UsageError(`config file: unknown option '${key}' for ${command}`);
  }
  for (const [name, spec] of Object.entries(flags)) {
    if (values[name] !== undefined || spec.configurable === false) continue;
    const e = env[envName(name)];
    if (e !== undefined) {
      values[name] = coerce(name, spec, e, `environment ${envName(name)}`);
      continue;
    }
    if (name in config) {
      values[name] = coerce(name, spec, config[name], 'config file');
      continue;
    }
    if (spec.default !== undefined) values[name] = spec.default;
  }
  return { values, positionals: parsed.positionals };
}

export function helpText(
  command: string,
  synopsis: string,
  description: string,
  flags: Record<string, FlagSpec>,
): string {
  const lines = [`usage: zerocve ${command} ${synopsis}`, '', description, '', 'flags:'];
  for (const [name, s] of Object.entries(flags)) {
    const [arg, text] =
      s.type === 'string' && s.help.includes(':')
        ? [s.help.slice(0, s.help.indexOf(':')), s.help.slice(s.help.indexOf(':') + 2)]
        : ['', s.help];
    const left = `${s.short ? `-${s.short}, ` : '    '}--${name}${arg ? ` ${arg}` : ''}`;
    lines.push(`  ${left.padEnd(30)} ${text}${s.multiple ? ' (repeatable)' : ''}`);
  }
  return lines.join('\n') + '\n';
}

export const defaultCacheDir = (env: NodeJS.ProcessEnv): string =>
  join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'zerocve');
