// `dir:` images: a root file system on disk walked as one pseudo-layer 0. lstat only: symlinks are recorded, never
// followed, so nothing outside the root is ever read; files are opened with O_NOFOLLOW. A second path to an inode
// already seen becomes a hardlink entry, as tar would store it.
//
// Speed: the walk is synchronous system calls (readdirSync, lstatSync, readlinkSync, and reads of the files an
// analyzer claims), not promises. Sent through libuv's thread pool one at a time, each of the ~40,000 lstat calls
// of a 1.7 GB ML root cost a round trip between threads (futex wake-ups) and, on a busy machine, a wait for the
// scheduler: the walk spent more time waiting than working. Only entries an analyzer claims enter the asynchronous
// dispatch; analyzers that can read at random (readAt: ELF section headers and one section) get the open file
// instead of its every byte; files larger than ASYNC_READ_FROM are read through the thread pool so one huge model
// file does not hold the event loop, and the walk yields to the event loop every YIELD_EVERY entries (abort
// signals, progress, timers).
import { createHash } from 'node:crypto';
import { closeSync, constants as fsc, lstatSync, openSync, readdirSync, readlinkSync, readSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { Stats } from 'node:fs';
import type { Analyzer, RandomAccessFile } from '../core/analyzer.ts';
import { entryOfStats, entryTypeOf, type MergedEntry } from '../core/entry.ts';
import type { Fact } from '../core/fact.ts';
import type { ProblemCode } from '../core/package.ts';
import { reasonOf } from '../core/errors.ts';
import { CHUNK } from './decompress.ts';
import { claimEntry, claimReadsBody, runClaim } from './dispatch.ts';
import type { LayerRecord } from './types.ts';

export const DIR_MEDIA_TYPE = 'application/vnd.zerocve.rootfs.dir';
/** files from this size on are read through the thread pool, CHUNK bytes at a time */
const ASYNC_READ_FROM = 8 * 1024 * 1024;
const YIELD_EVERY = 1024;
const OPEN_FLAGS = fsc.O_RDONLY | fsc.O_NOFOLLOW | fsc.O_NONBLOCK;

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
  let sinceYield = 0;
  const problem = (path: string, code: ProblemCode, message: string): void => {
    facts.push({ kind: 'problem', code, path, analyzer: 'walk', message });
  };

  async function visit(abs: string, path: string): Promise<void> {
    let names: string[];
    try {
      names = readdirSync(abs);
    } catch (err) {
      problem(path, 'unreadable', `cannot list directory: ${reasonOf(err)}`);
      return;
    }
    names.sort();
    const prefix = path === '/' ? '/' : `${path}/`;
    const absPrefix = abs.endsWith('/') ? abs : `${abs}/`;
    for (const name of names) {
      if (++sinceYield >= YIELD_EVERY) {
        sinceYield = 0;
        await yieldToLoop();
      }
      signal?.throwIfAborted();
      const childAbs = absPrefix + name;
      const child = prefix + name;
      let st: Stats;
      try {
        st = lstatSync(childAbs);
      } catch (err) {
        problem(child, 'unreadable', `cannot stat: ${reasonOf(err)}`);
        continue;
      }
      const type = entryTypeOf(st);
      if (type === undefined) {
        problem(child, 'skipped', 'socket skipped (not representable in an image)');
        continue;
      }
      const h = entryOfStats(child, type, st);
      if (type === 'symlink') {
        try {
          h.linkTarget = readlinkSync(childAbs);
        } catch (err) {
          h.linkTarget = '';
          problem(child, 'unreadable', `cannot read link: ${reasonOf(err)}`);
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
      if (analyzers.length) {
        const claim = claimEntry(h, analyzers, facts, true, true);
        if (claim) {
          let file: OpenFile | undefined;
          try {
            if (claim.random) file = openAtRandom(childAbs, h.type === 'file' ? h.size : 0);
            await runClaim(
              h,
              claim,
              facts,
              !claimReadsBody(h, claim)
                ? () => []
                : h.size < ASYNC_READ_FROM
                  ? () => readSmallFile(childAbs, h.size)
                  : () => readLargeFile(childAbs, h.size),
              file,
            );
          } catch (err) {
            problem(child, 'unreadable', `cannot read: ${reasonOf(err)}`);
          } finally {
            file?.close();
          }
        }
      }
      if (type === 'dir') await visit(childAbs, child);
    }
  }

  signal?.throwIfAborted();
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

type OpenFile = RandomAccessFile & { close(): void };

/**
 * A file for analyzers that read at random (section headers, one section): synchronous reads, like the walk's, of
 * at most its listed `size` bytes (a file that grew since it was listed is analyzed at its listed size).
 */
function openAtRandom(abs: string, size: number): OpenFile {
  if (size === 0) return { size, read: () => Promise.resolve(Buffer.alloc(0)), close() {} };
  const fd = openSync(abs, OPEN_FLAGS);
  let open = true;
  return {
    size,
    read(position, length) {
      const want = Math.max(0, Math.min(length, size - position));
      const buf = Buffer.allocUnsafe(want);
      let n = 0;
      while (n < want) {
        const got = readSync(fd, buf, n, want - n, position + n);
        if (got === 0) break;
        n += got;
      }
      return Promise.resolve(n === want ? buf : buf.subarray(0, n));
    },
    close() {
      if (open) closeSync(fd);
      open = false;
    },
  };
}

/** At most `size` bytes of a file, read synchronously, as one chunk (fewer bytes if it shrank since listed). */
function readSmallFile(abs: string, size: number): Buffer[] {
  const fd = openSync(abs, OPEN_FLAGS);
  try {
    const buf = Buffer.allocUnsafe(size);
    let n = 0;
    while (n < size) {
      const got = readSync(fd, buf, n, size - n, n);
      if (got === 0) break;
      n += got;
    }
    return [n === size ? buf : buf.subarray(0, n)];
  } finally {
    closeSync(fd);
  }
}

/** At most `size` bytes of a large file, CHUNK bytes at a time through the thread pool. */
async function* readLargeFile(abs: string, size: number): AsyncGenerator<Buffer> {
  const fh = await open(abs, OPEN_FLAGS);
  try {
    for (let pos = 0; pos < size;) {
      const want = Math.min(CHUNK, size - pos);
      const buf = Buffer.allocUnsafe(want);
      const { bytesRead } = await fh.read(buf, 0, want, pos);
      if (bytesRead === 0) break;
      pos += bytesRead;
      yield bytesRead === want ? buf : buf.subarray(0, bytesRead);
    }
  } finally {
    await fh.close().catch(() => {});
  }
}
