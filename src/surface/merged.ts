// The read side of the merged file system this stage needs: entries by path and symlink resolution inside the
// root. Built from any `Iterable<MergedEntry>` (the walk's merged view, or a directory listed by a test).
import type { MergedEntry } from '../core/entry.ts';
import { resolveInTree } from '../core/resolve-path.ts';

/** A file removed or replaced by a later layer, as the merge reports it. */
export interface ShadowedFile {
  path: string;
  layer: number;
  size: number;
}

export interface PathIndex {
  get(path: string): MergedEntry | undefined;
  /**
   * final entry after following symlinks (also in parent directories) inside the root; undefined if dangling or looping
   */
  resolve(path: string): MergedEntry | undefined;
  /** absolute path `resolve` arrived at */
  resolvePath(path: string): string | undefined;
  entries(): Iterable<MergedEntry>;
}

export function createPathIndex(merged: Iterable<MergedEntry>): PathIndex {
  const byPath = new Map<string, MergedEntry>();
  for (const e of merged) byPath.set(e.path, e);

  const resolvePath = (path: string): string | undefined => resolveInTree(path, (p) => byPath.get(p)).real;

  return {
    get: (p) => byPath.get(p),
    resolvePath,
    resolve(p) {
      const r = resolvePath(p);
      return r === undefined ? undefined : byPath.get(r);
    },
    entries: () => byPath.values(),
  };
}
