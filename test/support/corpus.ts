// The shared test corpus (../shared/corpus beside the project root). Tests that use it skip, saying why, when it
// is absent (a user's fresh clone).
import { existsSync } from 'node:fs';
import { resolve, join } from 'node:path';

export const CORPUS_ROOT = resolve(import.meta.dirname, '..', '..', '..', 'shared', 'corpus');

/** Absolute path of a corpus file or folder, or undefined when the corpus is not there. */
export function corpusPath(rel: string): string | undefined {
  const p = join(CORPUS_ROOT, rel);
  return existsSync(p) ? p : undefined;
}

/** For `test(name, { skip: corpusSkip('x/y') }, …)`: false when present, else the reason to skip. */
export function corpusSkip(rel: string): false | string {
  return corpusPath(rel)
    ? false
    : `shared corpus absent: ${join(CORPUS_ROOT, rel)} not found (clone without ../shared)`;
}
