// Terminal plumbing: progress on stderr (only when it is a terminal), colour decisions, and output files written
// whole or not at all (temp file + rename).
import { randomUUID } from 'node:crypto';
import { createWriteStream, renameSync, rmSync } from 'node:fs';
import { finished } from 'node:stream/promises';
import type { Writable } from 'node:stream';
import { homedir } from 'node:os';
import { UsageError } from '../core/errors.ts';
import { parsePlatform, defaultDockerConfigPath, type OpenImageOptions } from '../image/index.ts';
import type { FlagValues } from './options.ts';
import { defaultCacheDir } from './options.ts';

export interface Progress {
  update(text: string): void;
  done(): void;
}

export function createProgress(enabled: boolean): Progress {
  const err = process.stderr;
  if (!enabled || !err.isTTY) return { update() {}, done() {} };
  let last = 0;
  let shown = false;
  return {
    update(text) {
      const now = Date.now();
      if (now - last < 100) return;
      last = now;
      err.write(`\r\x1b[2K${text.slice(0, (err.columns ?? 80) - 1)}`);
      shown = true;
    },
    done() {
      if (shown) err.write('\r\x1b[2K');
      shown = false;
    },
  };
}

export const useColor = (): boolean => !!process.stdout.isTTY && !process.env.NO_COLOR && process.env.TERM !== 'dumb';

/** Write to FILE atomically, or to stdout when file is undefined or `-`. */
export async function withOutput(file: string | undefined, write: (out: Writable) => Promise<void>): Promise<void> {
  if (!file || file === '-') {
    await write(process.stdout);
    return;
  }
  const tmp = `${file}.tmp-${randomUUID()}`;
  const out = createWriteStream(tmp);
  try {
    await write(out);
    out.end();
    await finished(out);
    renameSync(tmp, file);
  } catch (err) {
    out.destroy();
    rmSync(tmp, { force: true });
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'EACCES')
      throw new UsageError(`output ${file}: cannot write: ${(err as NodeJS.ErrnoException).code}`, { cause: err });
    throw err;
  }
}

/** `-o table -o json=out.json`, `--format sarif --output x.sarif` → [{ format, file }] */
export function parseOutputs(
  values: FlagValues,
  allowed: readonly string[],
  fallback: string,
): { format: string; file?: string }[] {
  const outs: { format: string; file?: string }[] = [];
  const format = values.format as string | undefined;
  if (format) outs.push({ format, file: values.output as string | undefined });
  for (const o of (values.out as string[] | undefined) ?? []) {
    const i = o.indexOf('=');
    outs.push(i < 0 ? { format: o } : { format: o.slice(0, i), file: o.slice(i + 1) || undefined });
  }
  if (!outs.length) outs.push({ format: fallback, file: values.output as string | undefined });
  for (const o of outs)
    if (!allowed.includes(o.format))
      throw new UsageError(`unknown format '${o.format}' (expected one of: ${allowed.join(', ')})`);
  if (outs.filter((o) => !o.file || o.file === '-').length > 1)
    throw new UsageError('only one output can go to stdout: give the others a file (-o json=report.json)');
  return outs;
}

export function openImageOptions(values: FlagValues, env: NodeJS.ProcessEnv): OpenImageOptions {
  const username = (values.username as string | undefined) ?? env.ZEROCVE_REGISTRY_USERNAME;
  const password = (values.password as string | undefined) ?? env.ZEROCVE_REGISTRY_PASSWORD;
  return {
    platform: values.platform ? parsePlatform(values.platform as string) : undefined,
    insecure: values.insecure === true,
    auth: username || password ? { username, password } : undefined,
    dockerConfigPath: defaultDockerConfigPath(env, homedir()),
    offline: values.offline === true,
  };
}

/** --cache-max-size (env ZEROCVE_CACHE_MAX_SIZE) in bytes; undefined: the default (4 GiB) */
export function cacheMaxBytesOf(values: FlagValues): number | undefined {
  const v = values['cache-max-size'] as string | undefined;
  return v === undefined ? undefined : parseSize(v, '--cache-max-size');
}

export function cacheDirOf(values: FlagValues, env: NodeJS.ProcessEnv): string | null {
  if (values['no-cache'] === true) return null;
  return (values['cache-dir'] as string | undefined) ?? defaultCacheDir(env);
}

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1000,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1000 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1000 ** 3,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tb: 1000 ** 4,
  tib: 1024 ** 4,
};

/** `4GiB`, `500MB`, `512m`, `1.5G`, `0` → bytes (K/M/G/T alone are binary, KB/MB/GB/TB decimal). */
export function parseSize(text: string, flag: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = m ? SIZE_UNITS[m[2].toLowerCase()] : undefined;
  if (!m || unit === undefined)
    throw new UsageError(
      `${flag}: '${text}' is not a size like 4GiB, 500MB or 0 (units B, K/KiB, M/MiB, G/GiB, T/TiB, KB, MB, GB, TB)`,
    );
  return Math.floor(Number(m[1]) * unit);
}

/** `24h`, `90m`, `7d`, `30s`, `0`, or a bare number of hours → hours. */
export function parseHours(text: string, flag: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|)\s*$/i.exec(text);
  if (!m) throw new UsageError(`${flag}: '${text}' is not a duration like 24h, 90m, 7d or 0`);
  const per: Record<string, number> = { s: 1 / 3600, m: 1 / 60, h: 1, d: 24, '': 1 };
  return Number(m[1]) * per[m[2].toLowerCase()];
}
