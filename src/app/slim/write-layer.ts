// The slim layer: the kept paths (and their parent directories) of a root, in byte order, with their modes and
// owners, hard links as hard links.
//
// Why not addDirToTar: it gives every entry one mtime. Python validates a timestamp-based `.pyc` against its
// source's mtime, so flattening mtimes would make every kept cache stale and the slim image would recompile its
// modules at each start. Files and symlinks keep the mtime they had in the original image (from the snapshot taken
// before the workload ran, so the result does not depend on the run); directories, whose mtimes the run changes,
// get the fixed `mtime`. Same input image and keep set → same layer bytes.
import { createReadStream, lstatSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { TarWriter } from '../../walk/index.ts';
import type { Snapshot } from './root-fs.ts';
import { typeOf } from './root-fs.ts';

export interface KeptLayerStats {
  entries: number;
  files: number;
  bytes: number;
  missing: string[];
}

/** All kept paths plus their parents, as tar names sort them (`usr/` after `usr-x`). */
export function withParents(paths: Iterable<string>): string[] {
  const all = new Set<string>();
  for (const p of paths) {
    all.add(p);
    for (let i = p.lastIndexOf('/'); i > 0; i = p.lastIndexOf('/', i - 1)) all.add(p.slice(0, i));
  }
  all.delete('/');
  return [...all];
}

export async function addKeptToTar(
  tar: TarWriter,
  root: string,
  snapshot: Snapshot,
  kept: Iterable<string>,
  options: { mtime: number; signal?: AbortSignal },
): Promise<KeptLayerStats> {
  const items = withParents(kept).map((p) => {
    let st;
    try {
      st = lstatSync(join(root, p));
    } catch {
      return { p, st: undefined, key: Buffer.from(p) };
    }
    return { p, st, key: Buffer.from(st.isDirectory() ? `${p}/` : p) };
  });
  items.sort((a, b) => Buffer.compare(a.key, b.key));
  const stats: KeptLayerStats = { entries: 0, files: 0, bytes: 0, missing: [] };
  const firstOfInode = new Map<string, string>();
  for (const { p, st } of items) {
    options.signal?.throwIfAborted();
    if (!st) {
      stats.missing.push(p);
      continue;
    } // removed by the workload itself
    const type = typeOf(st);
    const snap = snapshot.entries.get(p);
    const base = {
      path: p,
      mode: st.mode & 0o7777,
      uid: st.uid,
      gid: st.gid,
      mtime: type === 'dir' || !snap ? options.mtime : snap.mtime,
    };
    if (type === 'dir') await tar.add({ ...base, type });
    else if (type === 'symlink') await tar.add({ ...base, type, linkTarget: readlinkSync(join(root, p)) });
    else if (type === 'file') {
      const inode = `${st.dev}:${st.ino}`;
      const first = st.nlink > 1 ? firstOfInode.get(inode) : undefined;
      if (first !== undefined) {
        await tar.add({ ...base, type: 'hardlink', linkTarget: first.slice(1) });
        stats.entries++;
        continue;
      }
      if (st.nlink > 1) firstOfInode.set(inode, p);
      await tar.add(
        { ...base, type, size: st.size },
        st.size ? createReadStream(join(root, p), { highWaterMark: 256 << 10 }) : Buffer.alloc(0),
      );
      stats.files++;
      stats.bytes += st.size;
    } else if (type === 'fifo') await tar.add({ ...base, type });
    else {
      stats.missing.push(p);
      continue;
    } // device nodes: runtimes provide /dev
    stats.entries++;
  }
  return stats;
}
