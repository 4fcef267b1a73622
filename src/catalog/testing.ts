// Test support: a real Debian root for the catalog's tests. Analyzers are driven through the real walk by
// test/support/walk-root.ts, never by a copy of the dispatch.
import { join } from 'node:path';

/**
 * A real Debian 12 minbase root with python3 and python3-numpy, built once with mmdebstrap under
 * `.cache/fixtures/debian-bookworm-numpy` (a lock directory keeps concurrent test runs from building twice).
 * Returns undefined, with the reason, when it cannot be built here (no mmdebstrap, no mirror).
 */
export async function debianNumpyRoot(): Promise<{ root?: string; reason?: string }> {
  const { existsSync, mkdirSync, rmdirSync, renameSync, rmSync } = await import('node:fs');
  const { execFileSync } = await import('node:child_process');
  const base = join(import.meta.dirname, '..', '..', '.cache', 'fixtures');
  const root = join(base, 'debian-bookworm-numpy');
  const lock = `${root}.lock`;
  const deadline = Date.now() + 10 * 60 * 1000;
  mkdirSync(base, { recursive: true });
  while (!existsSync(join(root, 'var', 'lib', 'dpkg', 'status'))) {
    try {
      mkdirSync(lock);
    } catch {
      if (Date.now() > deadline) return { reason: `timed out waiting for ${lock}` };
      await new Promise((r) => setTimeout(r, 2000));
      continue;
    }
    const tmp = `${root}.tmp`;
    try {
      rmSync(tmp, { recursive: true, force: true });
      execFileSync(
        'mmdebstrap',
        [
          '--variant=minbase',
          '--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr',
          '--include=python3,python3-numpy',
          'bookworm',
          tmp,
          'deb http://deb.debian.org/debian bookworm main',
        ],
        { stdio: 'ignore', timeout: 10 * 60 * 1000 },
      );
      renameSync(tmp, root);
    } catch (err) {
      return { reason: `cannot build the Debian fixture with mmdebstrap: ${(err as Error).message.split('\n')[0]}` };
    } finally {
      rmdirSync(lock);
    }
  }
  return { root };
}
