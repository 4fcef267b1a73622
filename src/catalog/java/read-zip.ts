// Random-access zip reading from a region of a file (a spooled archive, or a stored archive nested in one): the end
// of central directory record (zip64 too), the central directory, and one entry's bytes at a time. Memory stays
// bounded: only the central directory and the small entries asked for are held.
import type { FileHandle } from 'node:fs/promises';
import type { RandomAccessFile } from '../../core/analyzer.ts';
import { inflateRawSync } from 'node:zlib';
import {
  ZIP_TAIL_BYTES,
  centralRecordLength,
  findEndRecord,
  localDataStart,
  parseCentralRecord,
  parseZip64End,
  zip64EndOffset,
} from '../../core/zip-format.ts';

export interface ZipEntry {
  name: string;
  method: number;
  flags: number;
  compressedSize: number;
  size: number;
  /** offset of the local file header, from the start of the region */
  localOffset: number;
}

/**
 * A zip archive occupying [base, base + length) of an open file (a spooled archive), of a buffer (small archives),
 * or of a file the walk reads at random (an unpacked root).
 */
export interface ZipRegion {
  fh?: FileHandle;
  buf?: Buffer;
  file?: RandomAccessFile;
  base: number;
  length: number;
}

/** a central directory larger than this is refused (a million entries is ~80 MB) */
const MAX_CENTRAL = 256 * 1024 * 1024;

export async function readAt(r: ZipRegion, at: number, length: number): Promise<Buffer> {
  if (r.buf) return r.buf.subarray(r.base + at, r.base + Math.min(r.length, at + Math.max(0, length)));
  if (r.file) {
    const want = Math.max(0, Math.min(length, r.length - at));
    return want === 0 ? Buffer.alloc(0) : r.file.read(r.base + at, want);
  }
  if (!r.fh) throw new Error('zip region without a file or buffer');
  const buf = Buffer.alloc(Math.max(0, Math.min(length, r.length - at)));
  let got = 0;
  while (got < buf.length) {
    const { bytesRead } = await r.fh.read(buf, got, buf.length - got, r.base + at + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return got === buf.length ? buf : buf.subarray(0, got);
}

const CLASS = Buffer.from('.class', 'latin1');
const endsWithClass = (b: Buffer, end: number, len: number): boolean => {
  if (len < CLASS.length) return false;
  for (let i = 1; i <= CLASS.length; i++) if (b[end - i] !== CLASS[CLASS.length - i]) return false;
  return true;
};

/**
 * Every entry of the central directory (without `.class` files when `classes` is false: most of a jar, and never
 * what names it); throws (with a one-line reason) when the archive is not a readable zip.
 */
export async function readCentralDirectory(r: ZipRegion, options: { classes?: boolean } = {}): Promise<ZipEntry[]> {
  const classes = options.classes ?? true;
  if (r.length < 22) throw new Error('too short to be a zip archive');
  const tailLen = Math.min(r.length, ZIP_TAIL_BYTES);
  const tail = await readAt(r, r.length - tailLen, tailLen);
  const end = findEndRecord(tail);
  if (!end) throw new Error('no end of central directory record (not a zip archive, or truncated)');
  let { count, cdSize, cdOffset } = end;
  const eocdAt = r.length - tailLen + end.at;
  let zip64 = false;
  if (end.saturated) {
    const at = zip64EndOffset(end.at >= 20 ? tail.subarray(end.at - 20, end.at) : await readAt(r, eocdAt - 20, 20));
    if (at !== undefined) {
      const z = parseZip64End(await readAt(r, at, 56));
      if (!z) throw new Error('bad zip64 end of central directory');
      zip64 = true;
      ({ count, cdSize, cdOffset } = z);
    }
  }
  // archives with a prefix (self-extracting, or offsets relative to a prepended stub): the central directory ends
  // where the end record starts
  const shift = zip64 ? 0 : Math.max(0, eocdAt - cdSize - cdOffset);
  if (cdSize > MAX_CENTRAL) throw new Error(`central directory of ${cdSize} bytes exceeds the limit`);
  const cd = await readAt(r, cdOffset + shift, cdSize);
  if (cd.length < cdSize) throw new Error('central directory beyond the end of the archive');
  const out: ZipEntry[] = [];
  let o = 0;
  for (let i = 0; i < count && o + 46 <= cd.length; i++) {
    const length = centralRecordLength(cd, o);
    if (length === undefined || o + length > cd.length) throw new Error(`bad central directory entry ${i}`);
    const nameLen = cd.readUInt16LE(o + 28);
    if (classes || !endsWithClass(cd, o + 46 + nameLen, nameLen)) {
      const c = parseCentralRecord(cd, o);
      const name = cd.toString('utf8', c.nameStart, c.nameEnd);
      out.push({
        name,
        method: c.method,
        flags: c.flags,
        compressedSize: c.compressedSize,
        size: c.size,
        localOffset: c.localOffset + shift,
      });
    }
    o += length;
  }
  return out;
}

/** Where an entry's data starts, from the start of the region (reads its local header). */
export async function dataOffset(r: ZipRegion, e: ZipEntry): Promise<number> {
  const at = localDataStart(await readAt(r, e.localOffset, 30), e.localOffset);
  if (at === undefined) throw new Error(`${e.name}: bad local file header`);
  return at;
}

/** A small entry's content (stored or deflated), at most `max` bytes uncompressed. */
export async function readEntry(r: ZipRegion, e: ZipEntry, max: number): Promise<Buffer> {
  if (e.size > max) throw new Error(`${e.name}: ${e.size} bytes exceeds the ${max}-byte limit`);
  if (e.flags & 1) throw new Error(`${e.name}: encrypted`);
  const at = await dataOffset(r, e);
  const raw = await readAt(r, at, e.compressedSize);
  if (e.method === 0) return raw;
  if (e.method === 8) return inflateRawSync(raw, { maxOutputLength: max });
  throw new Error(`${e.name}: compression method ${e.method} not supported`);
}
