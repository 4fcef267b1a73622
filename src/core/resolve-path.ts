// Path resolution inside an image's root, the one rule for every view of a tree (the walk's merged entries, an
// extracted root on disk): symlinks followed in every component, relative targets against the link's directory,
// absolute ones against the root, `..` clamped at `/`, never leaving the root.
import type { EntryType } from './entry.ts';

/** symlink chains longer than this are taken as loops (Linux's own limit is 40) */
export const MAX_SYMLINK_HOPS = 40;

/** What resolution needs to know of one path of the tree. */
export interface TreeNode {
  type: EntryType;
  /** symlink target as stored; hard link target as a normalized absolute path */
  linkTarget?: string;
}

export interface Resolution {
  /** the real path reached (every component a non-link), undefined when dangling, looping or missing */
  real?: string;
  /** paths of the symlinks followed on the way, in order */
  links: string[];
}

export interface ResolveOptions {
  /**
   * a directory missing from the tree but needed on the way exists implicitly, as tar extraction creates it (layers
   * need not list every parent); default false
   */
  implicitDirs?: boolean;
  /** a hard link as the last component resolves to its target; default true */
  followHardlinks?: boolean;
}

/**
 * Follows `path` (absolute, in-image) through the tree `lookup` describes. Stops (no `real`) at a missing
 * component, a non-directory in the middle or a loop.
 */
export function resolveInTree(
  path: string,
  lookup: (path: string) => TreeNode | undefined,
  options: ResolveOptions = {},
): Resolution {
  const links: string[] = [];
  let pending = path.split('/').filter(Boolean);
  let cur = '';
  let hops = 0;
  while (pending.length > 0) {
    const name = pending.shift()!;
    if (name === '.') continue;
    if (name === '..') {
      cur = cur.slice(0, cur.lastIndexOf('/'));
      continue;
    }
    const next = `${cur}/${name}`;
    const node = lookup(next);
    if (!node) {
      if (!options.implicitDirs || pending.length === 0) return { links };
      cur = next;
      continue;
    }
    if (node.type === 'symlink' && node.linkTarget !== undefined) {
      if (++hops > MAX_SYMLINK_HOPS) return { links };
      links.push(next);
      const base = node.linkTarget.startsWith('/') ? [] : cur.split('/').filter(Boolean);
      pending = [...base, ...node.linkTarget.split('/').filter(Boolean), ...pending];
      cur = '';
      continue;
    }
    if (pending.length === 0) {
      if (node.type === 'hardlink' && node.linkTarget !== undefined && options.followHardlinks !== false)
        return { real: node.linkTarget, links };
    } else if (node.type !== 'dir') return { links };
    cur = next;
  }
  return { real: cur || '/', links };
}
