// The shared test corpus (../shared/corpus beside the project root). Tests that use it skip, saying why, when it
// is absent (a user's fresh clone). In CI (`CI=true`) a missing corpus fails the run instead: there, a silent skip of
// ~30 tests would hide a broken set-up.
import { existsSync } from 'node:fs';
import { resolve, join } from 'node:path';

export const CORPUS_ROOT = resolve(import.meta.dirname, '..', '..', '..', 'shared', 'corpus');

/** True when running in CI, where every test must run. */
export const IN_CI = process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false';

/** Absolute path of a corpus file or folder, or undefined when the corpus is not there. */
export function corpusPath(rel: string): string | undefined {
  const p = join(CORPUS_ROOT, rel);
  return existsSync(p) ? p : undefined;
}

/**
 * For `test(name, { skip: corpusSkip('x/y') }, …)`: false when present, else the reason to skip. In CI a missing
 * corpus path throws, failing the test file with the path it needed.
 */
export function corpusSkip(rel: string, env: { ci: boolean } = { ci: IN_CI }): false | string {
  if (corpusPath(rel)) return false;
  const where = join(CORPUS_ROOT, rel);
  if (env.ci)
    throw new Error(`shared corpus missing in CI: ${where} not found (CI needs ../shared/corpus beside the clone)`);
  return `shared corpus absent: ${where} not found (clone without ../shared)`;
}
