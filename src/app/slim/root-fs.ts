// Read-only views of an extracted root file system on disk, resolved the way the image resolves paths: symlinks
// followed inside the root (never above it), every symlink met on the way reported, nothing outside ever touched.
import {
  constants as fsc,
  closeSync,
  lstatSync,
  openSync,
  readdirSync,
  readlinkSync,
  readSync,
  type Stats,
} from 'node:fs';
import { join } from 'node:path';
import { entryOfStats, entryTypeOf, type EntryType, type MergedEntry } from '../../core/entry.ts';
import { resolveInTree, type Resolution } from '../../core/resolve-path.ts';
import type { ElfInfo } from '../../core/fact.ts';
import { createElfSink } from '../../surface/index.ts';
import type { PathIndex } from '../../surface/index.ts';

export interface Snapshot {
  /** in-image path → what it was right after extraction (before any workload ran) */
  entries: Map<string, SnapshotEntry>;
  /** regular files, hard links counted once */
  files: number;
  bytes: number;
}

export interface SnapshotEntry {
  type: EntryType;
  size: number;
  mtime: number;
  inode: string;
}

/** lstat's entry type; a socket counts as a fifo here (neither is copied into an image) */
export const typeOf = (st: Stats): EntryType => entryTypeOf(st) ?? 'fifo';

/** Every entry below `root`, by lstat. */
export function snapshotRoot(root: string): Snapshot {
  const entries = new Map<string, SnapshotEntry>();
  const inodes = new Set<string>();
  let files = 0;
  let bytes = 0;
  const visit = (rel: string): void => {
    for (const name of readdirSync(join(root, rel))) {
      const p = `${rel}/${name}`;
      const st = lstatSync(join(root, p));
      const type = typeOf(st);
      const inode = `${st.dev}:${st.ino}`;
      entries.set(p, { type, size: type === 'file' ? st.size : 0, mtime: Math.floor(st.mtimeMs / 1000), inode });
      if (type === 'file' && !inodes.has(inode)) {
        inodes.add(inode);
        files++;
        bytes += st.size;
      }
      if (type === 'dir') visit(p);
    }
  };
  visit('');
  return { entries, files, bytes };
}

/** Follows `path` inside `root` as the image would: symlinks in any component, chains, `..`, clamped at `/`. */
export function resolveInRoot(root: string, path: string): Resolution {
  return resolveInTree(path, (p) => {
    let st: Stats;
    try {
      st = lstatSync(join(root, p));
    } catch {
      return undefined;
    }
    const type = entryTypeOf(st);
    if (type === undefined) return undefined;
    return type === 'symlink' ? { type, linkTarget: readlinkSync(join(root, p)) } : { type };
  });
}

/** The ELF header facts of a file in the root, read through the streaming sink; undefined when not ELF. */
export function readElf(root: string, path: string): ElfInfo | undefined {
  let fd: number;
  try {
    fd = openSync(join(root, path), fsc.O_RDONLY | fsc.O_NOFOLLOW);
  } catch {
    return undefined;
  }
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    let n = readSync(fd, buf, 0, buf.length, null);
    if (n < 4 || buf.readUInt32BE(0) !== 0x7f454c46) return undefined;
    const sink = createElfSink();
    while (n > 0) {
      sink.write(Buffer.from(buf.subarray(0, n)));
      n = readSync(fd, buf, 0, buf.length, null);
    }
    return sink.end().elf;
  } finally {
    closeSync(fd);
  }
}

/**
 * A PathIndex over the disk (what the surface stage's loader resolution reads), recording every query that
 * resolved, so the caller can keep the names the loader would open (`libz.so.1`), not only the files they reach.
 */
export function createDiskIndex(root: string): PathIndex & { queries: Map<string, Set<string>> } {
  const queries = new Map<string, Set<string>>();
  const get = (p: string): MergedEntry | undefined => {
    try {
      const st = lstatSync(join(root, p));
      const type = typeOf(st);
      const e = entryOfStats(p, type, st);
      if (type === 'symlink') e.linkTarget = readlinkSync(join(root, p));
      return e;
    } catch {
      return undefined;
    }
  };
  const resolvePath = (p: string): string | undefined => {
    const r = resolveInRoot(root, p).real;
    if (r !== undefined) {
      let s = queries.get(r);
      if (!s) queries.set(r, (s = new Set()));
      s.add(p);
    }
    return r;
  };
  return {
    queries,
    get,
    resolvePath,
    resolve: (p) => {
      const r = resolvePath(p);
      return r === undefined ? undefined : get(r);
    },
    entries: () => [],
  };
}

/** ELF facts parsed on first use and cached; only `get`/`has` are meaningful to the loader resolution. */
export function createLazyElfMap(root: string): ReadonlyMap<string, ElfInfo> {
  const cache = new Map<string, ElfInfo | undefined>();
  const load = (p: string): ElfInfo | undefined => {
    if (!cache.has(p)) cache.set(p, readElf(root, p));
    return cache.get(p);
  };
  const known = (): Map<string, ElfInfo> =>
    new Map([...cache].filter((e): e is [string, ElfInfo] => e[1] !== undefined));
  return {
    get: load,
    has: (p: string) => load(p) !== undefined,
    get size() {
      return known().size;
    },
    forEach: (fn, thisArg) => known().forEach(fn, thisArg),
    entries: () => known().entries(),
    keys: () => known().keys(),
    values: () => known().values(),
    [Symbol.iterator]: () => known()[Symbol.iterator](),
  };
}
