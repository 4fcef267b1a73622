// Extract an image's merged file system to a directory, safely: layers applied in order (whiteouts and opaque
// directories honoured), nothing ever written outside `dest`.
//
// Safety model (the one containerd and runc use for layers and mounts): every name is already normalized and clamped
// inside the image root by the tar reader; the directories above an entry are then resolved on disk one component at
// a time with lstat. A symlink met on the way is resolved by us, as the image would resolve it (`/etc -> /host/etc`
// means `<dest>/host/etc`), clamped at `<dest>` — the OS is never asked to follow a link inside `dest`. The last
// component is created with O_NOFOLLOW|O_EXCL after removing whatever was there, so a planted symlink cannot redirect
// a write. Hard links may only point at paths that resolve inside `dest`.
//
// Kept: modes (incl. setuid/setgid/sticky), owners (when running as root), mtimes, symlinks, hard links. Device
// nodes and FIFOs are skipped and counted: the tar reader does not deliver device numbers, and runtimes bind their
// own /dev. Directory modes and mtimes are applied at the end, so a read-only directory or a later child does not
// disturb them.
import { constants as fsc } from 'node:fs';
import {
  chmod,
  chown,
  lchown,
  link,
  lstat,
  lutimes,
  mkdir,
  open,
  readdir,
  readlink,
  rm,
  symlink,
  unlink,
  utimes,
} from 'node:fs/promises';
import { join } from 'node:path';
import type { EntryHeader } from '../core/entry.ts';
import type { Image } from '../core/image.ts';
import { InputError, reasonOf } from '../core/errors.ts';
import { decompressedChunks, type DecompressStats, type Limits } from './decompress.ts';
import { baseOf, normalizePath, parentOf, resolveLinkTarget } from './paths.ts';
import { readTar } from './tar-reader.ts';

export interface ExtractOptions {
  signal?: AbortSignal;
  /** entries for which this returns false are not written (whiteouts still apply); gets the in-image path */
  filter?: (path: string) => boolean;
  limits?: Limits;
}

export interface ExtractResult {
  /** regular files written (hard links not counted) */
  files: number;
  /** content bytes written */
  bytes: number;
  dirs: number;
  symlinks: number;
  hardlinks: number;
  /** device nodes and FIFOs not created */
  skipped: number;
  /** one line each: entry path and reason (escaping names clamped, hard links to missing targets, skipped devices) */
  problems: string[];
}

const MAX_HOPS = 40;
const WHITEOUT = '.wh.';
const OPAQUE = '.wh..wh..opq';

interface State {
  dest: string;
  isRoot: boolean;
  result: ExtractResult;
  /** in-image real path → final mode/owner/mtime, applied once everything is written */
  dirs: Map<string, EntryHeader>;
  /** real paths written by the layer being applied (an opaque marker spares them) */
  thisLayer: Set<string>;
}

/** Writes the merged file system of `image` below `dest` (created if missing). */
export async function extractImage(image: Image, dest: string, options: ExtractOptions = {}): Promise<ExtractResult> {
  const { signal } = options;
  await mkdir(dest, { recursive: true });
  const st: State = {
    dest,
    isRoot: process.getuid?.() === 0,
    dirs: new Map(),
    thisLayer: new Set(),
    result: { files: 0, bytes: 0, dirs: 0, symlinks: 0, hardlinks: 0, skipped: 0, problems: [] },
  };
  if (image.rootDir !== undefined) {
    await copyTree(image.rootDir, st, options);
  } else {
    for (let index = 0; index < image.layers.length; index++) {
      signal?.throwIfAborted();
      const layer = image.layers[index];
      st.thisLayer = new Set();
      const stats: DecompressStats = { compression: 'none', compressedBytes: 0, uncompressedBytes: 0 };
      const blob = await layer.open(signal);
      const abort = (): void => {
        blob.destroy(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
      };
      signal?.addEventListener('abort', abort, { once: true });
      try {
        const tar = readTar(decompressedChunks(blob, { mediaType: layer.mediaType, limits: options.limits, stats }), {
          maxEntries: options.limits?.maxEntries,
        });
        for await (const te of tar) {
          signal?.throwIfAborted();
          for (const p of te.problems) st.result.problems.push(`${te.header.path}: ${p}`);
          const name = baseOf(te.header.path);
          if (name.startsWith(WHITEOUT)) {
            await applyWhiteout(st, te.header.path, name === OPAQUE);
            continue;
          }
          if (options.filter && !options.filter(te.header.path)) continue;
          if (te.header.path === '/') {
            if (te.header.type === 'dir') st.dirs.set('', te.header);
            continue;
          }
          await applyEntry(st, te.header, te.readable ? te.body() : undefined);
        }
      } catch (err) {
        if (signal?.aborted) throw signal.reason;
        throw new InputError(
          `${image.source.target} layer ${index} ${layer.digest.slice(0, 19)}…: extract to ${dest}: ${reasonOf(err)}`,
          { cause: err },
        );
      } finally {
        signal?.removeEventListener('abort', abort);
        blob.destroy();
      }
    }
  }
  await finishDirs(st);
  return st.result;
}

/**
 * Resolves the directory `dir` (in-image, normalized) below dest: each component lstat'ed, symlinks resolved inside
 * the root, missing directories created (or undefined returned when `create` is false). Returns the real in-image
 * path ('' for the root).
 */
async function resolveDir(st: State, dir: string, create: boolean): Promise<string | undefined> {
  let pending = dir.split('/').filter(Boolean);
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
    const abs = join(st.dest, next);
    const info = await lstat(abs).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return undefined;
      throw e;
    });
    if (info === undefined) {
      if (!create) return undefined;
      await mkdir(abs, { mode: 0o755 });
      cur = next;
      continue;
    }
    if (info.isDirectory()) {
      cur = next;
      continue;
    }
    if (info.isSymbolicLink()) {
      if (++hops > MAX_HOPS) throw new InputError(`${dir}: more than ${MAX_HOPS} symlinks on the way (loop?)`);
      const target = resolveLinkTarget(cur || '/', await readlink(abs));
      pending = [...target.split('/').filter(Boolean), ...pending];
      cur = '';
      continue;
    }
    // a non-directory where a directory is needed: the later layer wins, as when the runtime applies it
    if (!create) return undefined;
    st.result.problems.push(`${next}: not a directory but needed as one by ${dir}: replaced by a directory`);
    await unlink(abs);
    await mkdir(abs, { mode: 0o755 });
    cur = next;
  }
  return cur;
}

async function removeExisting(abs: string, keepDir: boolean): Promise<'dir' | 'none' | 'other'> {
  const info = await lstat(abs).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    throw e;
  });
  if (info === undefined) return 'none';
  if (info.isDirectory()) {
    if (keepDir) return 'dir';
    await rm(abs, { recursive: true, force: true });
    return 'none';
  }
  await unlink(abs);
  return 'none';
}

async function applyWhiteout(st: State, markerPath: string, opaque: boolean): Promise<void> {
  const dir = parentOf(markerPath);
  if (opaque) {
    const real = await resolveDir(st, dir, true);
    if (real === undefined) return;
    for (const child of await readdir(join(st.dest, real))) {
      const p = `${real}/${child}`;
      if (!st.thisLayer.has(p)) await rm(join(st.dest, p), { recursive: true, force: true });
    }
    return;
  }
  const real = await resolveDir(st, dir, false);
  if (real === undefined) return;
  const name = baseOf(markerPath).slice(WHITEOUT.length);
  if (name === '' || name === '.' || name === '..') return;
  await rm(join(st.dest, `${real}/${name}`), { recursive: true, force: true });
}

async function setOwner(st: State, abs: string, h: EntryHeader, isLink: boolean): Promise<void> {
  if (!st.isRoot) return;
  await (isLink ? lchown : chown)(abs, h.uid, h.gid);
}

/** Creates one entry; `body` is the content of a regular file. */
async function applyEntry(st: State, h: EntryHeader, body: AsyncIterable<Uint8Array> | undefined): Promise<void> {
  const parent = await resolveDir(st, parentOf(h.path), true);
  const real = `${parent}/${baseOf(h.path)}`;
  const abs = join(st.dest, real);
  st.thisLayer.add(real);
  switch (h.type) {
    case 'dir': {
      if ((await removeExisting(abs, true)) === 'none') await mkdir(abs, { mode: 0o700 });
      await setOwner(st, abs, h, false);
      st.dirs.set(real, h);
      st.result.dirs++;
      return;
    }
    case 'file': {
      await removeExisting(abs, false);
      const fh = await open(abs, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW, 0o600);
      try {
        if (body)
          for await (const chunk of body) {
            await fh.write(chunk);
            st.result.bytes += chunk.length;
          }
        if (st.isRoot) await fh.chown(h.uid, h.gid);
        await fh.chmod(h.mode); // after chown, which clears setuid/setgid
        await fh.utimes(h.mtime, h.mtime);
      } finally {
        await fh.close();
      }
      st.result.files++;
      return;
    }
    case 'symlink': {
      await removeExisting(abs, false);
      await symlink(h.linkTarget ?? '', abs);
      await setOwner(st, abs, h, true);
      await lutimes(abs, h.mtime, h.mtime);
      st.result.symlinks++;
      return;
    }
    case 'hardlink': {
      const target = normalizePath(h.linkTarget ?? '').path;
      const targetParent = await resolveDir(st, parentOf(target), false);
      const targetAbs = targetParent === undefined ? undefined : join(st.dest, `${targetParent}/${baseOf(target)}`);
      const info = targetAbs === undefined ? undefined : await lstat(targetAbs).catch(() => undefined);
      if (targetAbs === undefined || info === undefined || info.isDirectory()) {
        st.result.problems.push(
          `${h.path}: hard link to ${target}, which is ${info?.isDirectory() ? 'a directory' : 'missing'}: not created`,
        );
        return;
      }
      if (targetAbs === abs) return;
      await removeExisting(abs, false);
      await link(targetAbs, abs);
      st.result.hardlinks++;
      return;
    }
    default:
      st.result.skipped++;
      st.result.problems.push(
        `${h.path}: ${h.type} node not created (device numbers are not read; runtimes provide /dev)`,
      );
  }
}

async function finishDirs(st: State): Promise<void> {
  // deepest first, so setting a parent's mtime comes after its children changed it
  const dirs = [...st.dirs.entries()].sort((a, b) => b[0].length - a[0].length);
  for (const [real, h] of dirs) {
    const abs = join(st.dest, real);
    const info = await lstat(abs).catch(() => undefined);
    if (!info?.isDirectory()) continue; // removed by a later whiteout or replaced
    await chmod(abs, h.mode);
    await utimes(abs, h.mtime, h.mtime);
  }
}

/** `dir:` images: the tree is copied, lstat only (links stored, never followed), hard links kept. */
async function copyTree(src: string, st: State, options: ExtractOptions): Promise<void> {
  const inodes = new Map<string, string>();
  const visit = async (path: string): Promise<void> => {
    options.signal?.throwIfAborted();
    const names = (await readdir(join(src, path))).sort();
    for (const name of names) {
      const child = `${path}/${name}`;
      if (options.filter && !options.filter(child)) continue;
      const abs = join(src, child);
      const info = await lstat(abs);
      const base = {
        path: child,
        mode: info.mode & 0o7777,
        uid: info.uid,
        gid: info.gid,
        size: 0,
        mtime: Math.floor(info.mtimeMs / 1000),
      };
      if (info.isDirectory()) {
        await applyEntry(st, { ...base, type: 'dir' }, undefined);
        await visit(child);
      } else if (info.isSymbolicLink()) {
        await applyEntry(st, { ...base, type: 'symlink', linkTarget: await readlink(abs) }, undefined);
      } else if (info.isFile()) {
        const key = `${info.dev}:${info.ino}`;
        const first = info.nlink > 1 ? inodes.get(key) : undefined;
        if (first !== undefined) {
          await applyEntry(st, { ...base, type: 'hardlink', linkTarget: first }, undefined);
          continue;
        }
        if (info.nlink > 1) inodes.set(key, child);
        const fh = info.size > 0 ? await open(abs, fsc.O_RDONLY | fsc.O_NOFOLLOW) : undefined;
        try {
          await applyEntry(
            st,
            { ...base, type: 'file', size: info.size },
            fh?.createReadStream({ highWaterMark: 256 << 10, autoClose: false }),
          );
        } finally {
          await fh?.close();
        }
      } else {
        await applyEntry(
          st,
          { ...base, type: info.isFIFO() ? 'fifo' : info.isBlockDevice() ? 'block' : 'char' },
          undefined,
        );
      }
    }
  };
  await visit('');
  const rootInfo = await lstat(src);
  st.dirs.set('', {
    path: '/',
    type: 'dir',
    mode: rootInfo.mode & 0o7777,
    uid: rootInfo.uid,
    gid: rootInfo.gid,
    size: 0,
    mtime: Math.floor(rootInfo.mtimeMs / 1000),
  });
}
