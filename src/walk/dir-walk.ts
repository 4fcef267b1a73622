// `dir:` images: a root file system on disk walked as one pseudo-layer 0. lstat only: symlinks are recorded, never
// followed, so nothing outside the root is ever read; files are opened with O_NOFOLLOW. A second path to an inode
// already seen becomes a hardlink entry, as tar would store it.
import { createHash } from 'node:crypto';
import { constants as fsc } from 'node:fs';
import { lstat, open, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Analyzer } from '../core/analyzer.ts';
import { entryTypeOf, type EntryHeader, type MergedEntry } from '../core/entry.ts';
import type { Fact } from '../core/fact.ts';
import { reasonOf } from '../core/errors.ts';
import { CHUNK } from './decompress.ts';
import { dispatchEntry } from './dispatch.ts';
import type { LayerRecord } from './types.ts';

export const DIR_MEDIA_TYPE = 'application/vnd.zerocve.rootfs.dir';

export interface DirWalk {
  record: LayerRecord;
  digest: string;
}

export async function walkDirectory(
  root: string,
  analyzers: readonly Analyzer[],
  signal?: AbortSignal,
): Promise<DirWalk> {
  const entries: MergedEntry[] = [];
  const facts: Fact[] = [];
  const inodes = new Map<string, string>();
  const listing = createHash('sha256');
  let bytes = 0;
  let files = 0;

  async function visit(abs: string, path: string): Promise<void> {
    signal?.throwIfAborted();
    let names: string[];
    try {
      names = await readdir(abs);
    } catch (err) {
      facts.push({ kind: 'problem', path, analyzer: 'walk', message: `cannot list directory: ${reasonOf(err)}` });
      return;
    }
    names.sort();
    for (const name of names) {
      const childAbs = join(abs, name);
      const child = path === '/' ? `/${name}` : `${path}/${name}`;
      let st;
      try {
        st = await lstat(childAbs, { bigint: false });
      } catch (err) {
        facts.push({ kind: 'problem', path: child, analyzer: 'walk', message: `cannot stat: ${reasonOf(err)}` });
        continue;
      }
      const type = entryTypeOf(st);
      if (type === undefined) {
        facts.push({
          kind: 'problem',
          path: child,
          analyzer: 'walk',
          message: 'socket skipped (not representable in an image)',
        });
        continue;
      }
      const h: MergedEntry = {
        path: child,
        type,
        mode: st.mode & 0o7777,
        uid: st.uid,
        gid: st.gid,
        size: type === 'file' ? st.size : 0,
        mtime: Math.floor(st.mtimeMs / 1000),
        layer: 0,
      };
      if (type === 'symlink') {
        try {
          h.linkTarget = await readlink(childAbs);
        } catch (err) {
          h.linkTarget = '';
          facts.push({ kind: 'problem', path: child, analyzer: 'walk', message: `cannot read link: ${reasonOf(err)}` });
        }
      } else if (type === 'file' && st.nlink > 1) {
        const ino = `${st.dev}:${st.ino}`;
        const first = inodes.get(ino);
        if (first !== undefined) {
          h.type = 'hardlink';
          h.linkTarget = first;
          h.size = 0;
        } else inodes.set(ino, child);
      }
      listing.update(`${child}\0${h.type}\0${h.mode}\0${h.size}\0${st.mtimeMs}\0${h.linkTarget ?? ''}\n`);
      entries.push(h);
      if (h.type === 'file') {
        files++;
        bytes += h.size;
      }
      try {
        await dispatchEntry(h, analyzers, facts, true, () => fileChunks(childAbs, h));
      } catch (err) {
        facts.push({ kind: 'problem', path: child, analyzer: 'walk', message: `cannot read: ${reasonOf(err)}` });
      }
      if (type === 'dir') await visit(childAbs, child);
    }
  }

  await visit(root, '/');
  return {
    record: {
      entries,
      whiteouts: [],
      opaque: [],
      facts,
      uncompressedSize: bytes,
      entryCount: entries.length,
      fileCount: files,
    },
    digest: `sha256:${listing.digest('hex')}`,
  };
}

async function* fileChunks(abs: string, h: EntryHeader): AsyncGenerator<Buffer> {
  const fh = await open(abs, fsc.O_RDONLY | fsc.O_NOFOLLOW);
  const stream = fh.createReadStream({ highWaterMark: CHUNK, start: 0, end: h.size - 1, autoClose: true });
  try {
    for await (const chunk of stream) yield chunk as Buffer;
  } finally {
    stream.destroy();
    await fh.close().catch(() => {});
  }
}
