// Test support: a real Debian root file system built once with mmdebstrap and cached under .cache/fixtures/.
// Concurrent test processes share one build through a lock directory; a finished build is marked by `.done`.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { InputError } from '../../core/errors.ts';

const run = promisify(execFile);
export const FIXTURES_DIR = resolve(import.meta.dirname, '..', '..', '..', '.cache', 'fixtures');

export interface DebianRootOptions {
  /** folder name under .cache/fixtures */
  name: string;
  /** packages for mmdebstrap --include */
  include: string[];
  /** give up waiting for another process's build after this many ms (default 15 min) */
  timeoutMs?: number;
}

/** Reason to skip when mmdebstrap is missing, else false. */
export function mmdebstrapSkip(): false | string {
  return existsSync('/usr/bin/mmdebstrap') ? false : 'mmdebstrap not installed (apt-get install -y mmdebstrap)';
}

/** Path of the finished root, building it first if no cached copy exists. */
export async function debianRoot(options: DebianRootOptions): Promise<string> {
  const out = join(FIXTURES_DIR, options.name);
  const done = join(out, '.done');
  const lock = `${out}.lock`;
  const deadline = Date.now() + (options.timeoutMs ?? 15 * 60_000);
  mkdirSync(FIXTURES_DIR, { recursive: true });
  while (!existsSync(done)) {
    try {
      mkdirSync(lock);
    } catch {
      // another process builds it; a lock older than the deadline is stale
      const since = statSync(lock, { throwIfNoEntry: false })?.mtimeMs;
      if (since !== undefined && Date.now() - since > 20 * 60_000) rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new InputError(`fixture ${options.name}: timed out waiting for ${lock}`);
      await sleep(2000);
      continue;
    }
    try {
      if (existsSync(done)) break;
      rmSync(out, { recursive: true, force: true });
      await run(
        'mmdebstrap',
        [
          '--variant=minbase',
          '--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr',
          `--include=${options.include.join(',')}`,
          'bookworm',
          out,
          'deb http://deb.debian.org/debian bookworm main',
          'deb http://deb.debian.org/debian-security bookworm-security main',
        ],
        { maxBuffer: 64 * 1024 * 1024 },
      );
      writeFileSync(done, new Date().toISOString());
    } catch (err) {
      throw new InputError(`fixture ${options.name}: mmdebstrap failed`, { cause: err });
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
  return out;
}

/** The realistic bloat case: minbase + python3 + build-essential. */
export const BLOAT_ROOT: DebianRootOptions = {
  name: 'debian-python3-build-essential',
  include: ['python3', 'build-essential'],
};
