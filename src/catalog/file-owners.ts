// Which package owns a file: one index over every package's owned-file list, built once with the inventory and
// shared by every consumer (Python distributions owned by OS packages, bloat by package, secrets in packaged
// files). The `/usr`-merge rule: on merged-/usr systems (Debian 12+, Ubuntu, Fedora) /bin, /sbin and /lib* are
// symlinks into /usr, so a package database naming /bin/x owns the file the tree holds at /usr/bin/x, and the other
// way round.
import type { Package } from '../core/package.ts';

export interface FileOwners {
  /**
   * The first package (in inventory order) owning `path` and accepted by `accept`, looking under the path as given
   * and then under its `/usr`-merged twin; undefined when no such package lists it.
   */
  ownerOf(path: string, accept?: (pkg: Package) => boolean): Package | undefined;
  /** number of distinct paths the index holds */
  readonly size: number;
}

const MERGED_DIRS = /^\/(?:lib|lib32|lib64|libx32|bin|sbin)\//;
const USR_MERGED_DIRS = /^\/usr\/(?:lib|lib32|lib64|libx32|bin|sbin)\//;

/** The `/usr`-merged twin of a path (`/lib/x` ↔ `/usr/lib/x`); undefined for paths outside the merged dirs. */
export function usrMergedTwin(path: string): string | undefined {
  if (path.startsWith('/usr/')) return USR_MERGED_DIRS.test(path) ? path.slice(4) : undefined;
  return MERGED_DIRS.test(path) ? `/usr${path}` : undefined;
}

/** The index over `packages`' `files` lists (packages without one own nothing here). */
export function createFileOwners(packages: readonly Package[]): FileOwners {
  const owners = new Map<string, Package[]>();
  for (const p of packages) {
    for (const f of p.files ?? []) {
      const list = owners.get(f);
      if (!list) owners.set(f, [p]);
      else if (list[list.length - 1] !== p) list.push(p);
    }
  }
  const first = (path: string, accept?: (pkg: Package) => boolean): Package | undefined => {
    const list = owners.get(path);
    if (!list) return undefined;
    return accept ? list.find(accept) : list[0];
  };
  return {
    ownerOf(path, accept) {
      const own = first(path, accept);
      if (own) return own;
      const twin = usrMergedTwin(path);
      return twin === undefined ? undefined : first(twin, accept);
    },
    get size() {
      return owners.size;
    },
  };
}
