// A layer from a directory on disk (a root file system built here), deterministically: entries sorted by path,
// one mtime for all, hard links kept as hard links (first path in sort order is the target), owners and modes as on
// disk. Symlinks are stored, never followed. Sockets are skipped (they cannot live in a layer).
import { lstatSync, readdirSync, readlinkSync, createReadStream } from 'node:fs';
import { join } from 'node:path';
import type { TarWriter } from '../../walk/index.ts';
import { entryTypeOf } from '../../core/entry.ts';

export interface DirLayerOptions {
  /** every entry's mtime (SOURCE_DATE_EPOCH); default 0 */
  mtime?: number;
  /** paths (absolute inside the root) to leave out, with everything below them */
  exclude?: (path: string) => boolean;
  /** include only these paths (absolute inside the root); parents are added automatically */
  include?: ReadonlySet<string>;
}

/** Add every entry below `root` to `tar`. Returns the number of entries written. */
export async function addDirToTar(tar: TarWriter, root: string, options: DirLayerOptions = {}): Promise<number> {
  const paths: string[] = [];
  const dirs = new Set<string>();
  const walk = (rel: string) => {
    for (const name of readdirSync(join(root, rel))) {
      const p = `${rel}/${name}`;
      if (options.exclude?.(p)) continue;
      paths.push(p);
      const st = lstatSync(join(root, p));
      if (st.isDirectory()) {
        dirs.add(p);
        walk(p);
      }
    }
  };
  walk('');
  // byte order of the names as tar stores them (directories end in `/`): parents still precede children
  const key = (p: string) => (dirs.has(p) ? `${p}/` : p);
  paths.sort((a, b) => {
    const x = key(a);
    const y = key(b);
    return x < y ? -1 : x > y ? 1 : 0;
  });
  let wanted = paths;
  if (options.include) {
    const keep = new Set<string>();
    for (const p of options.include) {
      keep.add(p);
      for (let i = p.lastIndexOf('/'); i > 0; i = p.lastIndexOf('/', i - 1)) keep.add(p.slice(0, i));
    }
    wanted = paths.filter((p) => keep.has(p));
  }
  const seen = new Map<string, string>();
  let n = 0;
  for (const p of wanted) {
    const abs = join(root, p);
    const st = lstatSync(abs);
    const base = { path: p, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: options.mtime ?? 0 };
    const type = entryTypeOf(st);
    if (type === undefined) continue;
    if (type === 'symlink') {
      await tar.add({ ...base, type: 'symlink', linkTarget: readlinkSync(abs) });
      n++;
      continue;
    }
    if (type === 'file' && st.nlink > 1) {
      const key = `${st.dev}:${st.ino}`;
      const first = seen.get(key);
      if (first) {
        await tar.add({ ...base, type: 'hardlink', linkTarget: first.slice(1) });
        n++;
        continue;
      }
      seen.set(key, p);
    }
    if (type === 'char' || type === 'block') {
      await tar.add({ ...base, type, devmajor: Math.floor(st.rdev / 256) & 0xfff, devminor: st.rdev & 0xff });
    } else if (type === 'file') {
      await tar.add(
        { ...base, type, size: st.size },
        st.size ? createReadStream(abs, { highWaterMark: 256 << 10 }) : Buffer.alloc(0),
      );
    } else {
      await tar.add({ ...base, type });
    }
    n++;
  }
  return n;
}
