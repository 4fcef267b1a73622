// Random-access zip reading from a region of a file (a spooled archive, or a stored archive nested in one): the end
// of central directory record (zip64 too), the central directory, and one entry's bytes at a time. Memory stays
// bounded: only the central directory and the small entries asked for are held.
import type { FileHandle } from 'node:fs/promises';
import type { RandomAccessFile } from '../../core/analyzer.ts';
import { inflateRawSync } from 'node:zlib';

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

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
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

const u64 = (b: Buffer, o: number): number => b.readUInt32LE(o) + b.readUInt32LE(o + 4) * 2 ** 32;

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
  const tailLen = Math.min(r.length, 65535 + 22);
  const tail = await readAt(r, r.length - tailLen, tailLen);
  let e = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === EOCD) {
      e = i;
      break;
    }
  }
  if (e < 0) throw new Error('no end of central directory record (not a zip archive, or truncated)');
  let count = tail.readUInt16LE(e + 10);
  let cdSize = tail.readUInt32LE(e + 12);
  let cdOffset = tail.readUInt32LE(e + 16);
  const eocdAt = r.length - tailLen + e;
  let zip64 = false;
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const loc = e >= 20 ? tail.subarray(e - 20, e) : await readAt(r, eocdAt - 20, 20);
    if (loc.length === 20 && loc.readUInt32LE(0) === ZIP64_LOCATOR) {
      const z = await readAt(r, u64(loc, 8), 56);
      if (z.length < 56 || z.readUInt32LE(0) !== ZIP64_EOCD) throw new Error('bad zip64 end of central directory');
      zip64 = true;
      count = u64(z, 32);
      cdSize = u64(z, 40);
      cdOffset = u64(z, 48);
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
    if (cd.readUInt32LE(o) !== CENTRAL) throw new Error(`bad central directory entry ${i}`);
    const flags = cd.readUInt16LE(o + 8);
    const method = cd.readUInt16LE(o + 10);
    let compressedSize = cd.readUInt32LE(o + 20);
    let size = cd.readUInt32LE(o + 24);
    const nameLen = cd.readUInt16LE(o + 28);
    const extraLen = cd.readUInt16LE(o + 30);
    const commentLen = cd.readUInt16LE(o + 32);
    let localOffset = cd.readUInt32LE(o + 42);
    const nameEnd = o + 46 + nameLen;
    if (!classes && endsWithClass(cd, nameEnd, nameLen)) {
      o = nameEnd + extraLen + commentLen;
      continue;
    }
    const name = cd.toString('utf8', o + 46, nameEnd);
    // zip64 extended information: the fields that were 0xffffffff, in order
    let x = o + 46 + nameLen;
    const xEnd = x + extraLen;
    while (x + 4 <= xEnd) {
      const id = cd.readUInt16LE(x);
      const len = cd.readUInt16LE(x + 2);
      if (id === 0x0001) {
        let p = x + 4;
        if (size === 0xffffffff && p + 8 <= x + 4 + len) ((size = u64(cd, p)), (p += 8));
        if (compressedSize === 0xffffffff && p + 8 <= x + 4 + len) ((compressedSize = u64(cd, p)), (p += 8));
        if (localOffset === 0xffffffff && p + 8 <= x + 4 + len) localOffset = u64(cd, p);
      }
      x += 4 + len;
    }
    out.push({ name, method, flags, compressedSize, size, localOffset: localOffset + shift });
    o = xEnd + commentLen;
  }
  return out;
}

/** Where an entry's data starts, from the start of the region (reads its local header). */
export async function dataOffset(r: ZipRegion, e: ZipEntry): Promise<number> {
  const h = await readAt(r, e.localOffset, 30);
  if (h.length < 30 || h.readUInt32LE(0) !== LOCAL) throw new Error(`${e.name}: bad local file header`);
  return e.localOffset + 30 + h.readUInt16LE(26) + h.readUInt16LE(28);
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
