// A small zip reader: the central directory (incl. Zip64) and one entry at a time, read with positioned reads and
// inflated with zlib, its CRC-32 and size checked. Nothing is extracted to disk; only one entry is in memory, and the
// central directory is read in windows as it is iterated (osv.dev's largest all.zip lists hundreds of thousands of
// members: holding them all made an import's memory grow with the feed).
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { crc32, inflateRawSync } from 'node:zlib';
import { InputError, reasonOf } from '../core/errors.ts';
import {
  ZIP_TAIL_BYTES,
  centralRecordLength,
  findEndRecord,
  localDataStart,
  parseCentralRecord,
  parseZip64End,
  zip64EndOffset,
} from '../core/zip-format.ts';

export interface ZipEntry {
  name: string;
  /** 0 stored, 8 deflated */
  method: number;
  crc32: number;
  compressedSize: number;
  size: number;
  /** offset of the local file header */
  offset: number;
}

export interface ZipReader {
  readonly path: string;
  /** members in the central directory */
  readonly count: number;
  /**
   * The members, in central-directory order, read window by window (each call reads the directory again). Throws
   * InputError on a malformed directory entry.
   */
  entries(): Generator<ZipEntry>;
  /** the entry's bytes, inflated and verified; throws InputError naming the entry on any mismatch */
  read(entry: ZipEntry): Buffer;
  close(): void;
}

export interface OpenZipOptions {
  /** refuse entries larger than this when inflated (default 256 MiB) */
  maxEntrySize?: number;
  /** bytes of the central directory read at a time (default 1 MiB; tests use small windows) */
  windowBytes?: number;
}

function readAt(fd: number, pos: number, len: number): Buffer {
  const buf = Buffer.alloc(len);
  let got = 0;
  while (got < len) {
    const n = readSync(fd, buf, got, len - got, pos + got);
    if (n === 0) break;
    got += n;
  }
  return got === len ? buf : buf.subarray(0, got);
}

/** Opens a zip file and reads its central directory. Throws InputError when it is not a (complete) zip. */
export function openZip(path: string, options: OpenZipOptions = {}): ZipReader {
  const maxEntrySize = options.maxEntrySize ?? 256 * 1024 * 1024;
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw new InputError(`zip ${path}: cannot open: ${reasonOf(err)}`, { cause: err });
  }
  try {
    const fileSize = fstatSync(fd).size;
    const tailLen = Math.min(fileSize, ZIP_TAIL_BYTES);
    const tail = readAt(fd, fileSize - tailLen, tailLen);
    const end = findEndRecord(tail);
    if (!end) throw new InputError(`zip ${path}: no end of central directory record (not a zip, or truncated)`);
    let { count, cdSize, cdOffset } = end;
    const z64At = end.at >= 20 ? zip64EndOffset(tail.subarray(end.at - 20, end.at)) : undefined;
    if (z64At !== undefined) {
      const z = parseZip64End(readAt(fd, z64At, 56));
      if (!z) throw new InputError(`zip ${path}: bad Zip64 end of central directory record`);
      ({ count, cdSize, cdOffset } = z);
    }
    if (cdOffset + cdSize > fileSize)
      throw new InputError(`zip ${path}: central directory lies past the end of the file (truncated)`);
    const windowBytes = Math.max(64, options.windowBytes ?? 1024 * 1024);
    function* entries(): Generator<ZipEntry> {
      let cd: Buffer = Buffer.alloc(0);
      /** file offset of cd[0] */
      let base = cdOffset;
      let p = 0;
      /** cd[p..p+n) in memory, reading the next window from p when it is not */
      const need = (n: number): boolean => {
        if (p + n <= cd.length) return true;
        const at = base + p;
        const len = Math.min(Math.max(windowBytes, n), cdOffset + cdSize - at);
        cd = readAt(fd, at, len);
        base = at;
        p = 0;
        return n <= cd.length;
      };
      for (let i = 0; i < count; i++) {
        const whole = need(46) ? centralRecordLength(cd, p) : undefined;
        if (whole === undefined || !need(whole))
          throw new InputError(`zip ${path}: central directory entry ${i} is malformed`);
        const c = parseCentralRecord(cd, p);
        const name = cd.toString('utf8', c.nameStart, c.nameEnd);
        p += whole;
        const { method, compressedSize, size, localOffset: offset } = c;
        yield { name, method, crc32: c.crc32, compressedSize, size, offset };
      }
    }
    return {
      path,
      count,
      entries,
      read(entry: ZipEntry): Buffer {
        const where = `zip ${path} entry ${entry.name}`;
        if (entry.size > maxEntrySize)
          throw new InputError(`${where}: ${entry.size} bytes inflated exceeds the ${maxEntrySize}-byte limit`);
        const dataAt = localDataStart(readAt(fd, entry.offset, 30), entry.offset);
        if (dataAt === undefined) throw new InputError(`${where}: bad local header`);
        const raw = readAt(fd, dataAt, entry.compressedSize);
        if (raw.length !== entry.compressedSize) throw new InputError(`${where}: data truncated`);
        let data: Buffer;
        if (entry.method === 0) data = raw;
        else if (entry.method === 8) {
          try {
            data = inflateRawSync(raw, { maxOutputLength: Math.max(entry.size, 1) });
          } catch (err) {
            throw new InputError(`${where}: inflate failed: ${reasonOf(err)}`, { cause: err });
          }
        } else throw new InputError(`${where}: compression method ${entry.method} is not supported`);
        if (data.length !== entry.size)
          throw new InputError(`${where}: size ${data.length} differs from the recorded ${entry.size}`);
        if (crc32(data) !== entry.crc32) throw new InputError(`${where}: CRC-32 mismatch`);
        return data;
      },
      close(): void {
        closeSync(fd);
      },
    };
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}
