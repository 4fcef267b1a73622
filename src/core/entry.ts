// One entry of a layer (a tar header) or of a merged file system.

export type EntryType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo';

export interface EntryHeader {
  /** normalized absolute path inside the image, e.g. `/usr/bin/python3` (no trailing slash, never escapes `/`) */
  path: string;
  type: EntryType;
  /** permission bits incl. setuid/setgid/sticky (mode & 0o7777) */
  mode: number;
  uid: number;
  gid: number;
  /** bytes of content (0 for anything but regular files) */
  size: number;
  /** symlink target as stored, or hardlink target as normalized absolute path */
  linkTarget?: string;
  /** seconds since epoch */
  mtime: number;
}

/** An entry of the merged view: its final state and the layer (index into Image.layers) that put it there. */
export interface MergedEntry extends EntryHeader {
  layer: number;
}

export const isExecutable = (e: EntryHeader): boolean => e.type === 'file' && (e.mode & 0o111) !== 0;
export const isSetuid = (e: EntryHeader): boolean => e.type === 'file' && (e.mode & 0o4000) !== 0;
export const isSetgid = (e: EntryHeader): boolean => e.type === 'file' && (e.mode & 0o2000) !== 0;

/** What `lstat` (a Stats) or `readdir(…, { withFileTypes: true })` (a Dirent) says about a file system entry. */
export interface FileKind {
  isFile(): boolean;
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
  isFIFO(): boolean;
}

/** The entry type of an lstat result or Dirent; undefined for sockets, which an image cannot hold. */
export function entryTypeOf(st: FileKind): EntryType | undefined {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isCharacterDevice()) return 'char';
  if (st.isBlockDevice()) return 'block';
  if (st.isFIFO()) return 'fifo';
  return undefined;
}

/** What an lstat result says of one entry of a root on disk, as a merged entry (layer 0; no link target read). */
export function entryOfStats(
  path: string,
  type: EntryType,
  st: { mode: number; uid: number; gid: number; size: number; mtimeMs: number },
): MergedEntry {
  return {
    path,
    type,
    mode: st.mode & 0o7777,
    uid: st.uid,
    gid: st.gid,
    size: type === 'file' ? st.size : 0,
    mtime: Math.floor(st.mtimeMs / 1000),
    layer: 0,
  };
}
