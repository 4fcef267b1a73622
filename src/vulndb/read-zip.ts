// A small zip reader: the central directory (incl. Zip64) and one entry at a time, read with positioned reads and
// inflated with zlib, its CRC-32 and size checked. Nothing is extracted to disk; only one entry is in memory, and the
// central directory is read in windows as it is iterated (osv.dev's largest all.zip lists hundreds of thousands of
// members: holding them all made an import's memory grow with the feed).
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { crc32, inflateRawSync } from 'node:zlib';
import { InputError, reasonOf } from '../core/errors.ts';

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

const EOCD = 0x06054b50;
const EOCD64_LOCATOR = 0x07064b50;
const EOCD64 = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

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
    const tailLen = Math.min(fileSize, 22 + 65535 + 20);
    const tail = readAt(fd, fileSize - tailLen, tailLen);
    let eocd = -1;
    for (let i = tail.length - 22; i >= 0; i--) {
      if (tail.readUInt32LE(i) === EOCD) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) throw new InputError(`zip ${path}: no end of central directory record (not a zip, or truncated)`);
    let count = tail.readUInt16LE(eocd + 10);
    let cdSize = tail.readUInt32LE(eocd + 12);
    let cdOffset = tail.readUInt32LE(eocd + 16);
    if (eocd >= 20 && tail.readUInt32LE(eocd - 20) === EOCD64_LOCATOR) {
      const rec64At = Number(tail.readBigUInt64LE(eocd - 20 + 8));
      const rec = readAt(fd, rec64At, 56);
      if (rec.length < 56 || rec.readUInt32LE(0) !== EOCD64)
        throw new InputError(`zip ${path}: bad Zip64 end of central directory record`);
      count = Number(rec.readBigUInt64LE(32));
      cdSize = Number(rec.readBigUInt64LE(40));
      cdOffset = Number(rec.readBigUInt64LE(48));
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
        if (!need(46) || cd.readUInt32LE(p) !== CENTRAL)
          throw new InputError(`zip ${path}: central directory entry ${i} is malformed`);
        const whole = 46 + cd.readUInt16LE(p + 28) + cd.readUInt16LE(p + 30) + cd.readUInt16LE(p + 32);
        if (!need(whole)) throw new InputError(`zip ${path}: central directory entry ${i} is malformed`);
        const method = cd.readUInt16LE(p + 10);
        const crc = cd.readUInt32LE(p + 16);
        let compressedSize = cd.readUInt32LE(p + 20);
        let size = cd.readUInt32LE(p + 24);
        const nameLen = cd.readUInt16LE(p + 28);
        const extraLen = cd.readUInt16LE(p + 30);
        let offset = cd.readUInt32LE(p + 42);
        const name = cd.toString('utf8', p + 46, p + 46 + nameLen);
        // Zip64 extended information: only the fields whose 32-bit value is saturated, in this order.
        let e = p + 46 + nameLen;
        const extraEnd = e + extraLen;
        while (e + 4 <= extraEnd) {
          const tag = cd.readUInt16LE(e);
          const len = cd.readUInt16LE(e + 2);
          if (tag === 0x0001) {
            let q = e + 4;
            if (size === 0xffffffff) {
              size = Number(cd.readBigUInt64LE(q));
              q += 8;
            }
            if (compressedSize === 0xffffffff) {
              compressedSize = Number(cd.readBigUInt64LE(q));
              q += 8;
            }
            if (offset === 0xffffffff) {
              offset = Number(cd.readBigUInt64LE(q));
              q += 8;
            }
          }
          e += 4 + len;
        }
        p += whole;
        yield { name, method, crc32: crc, compressedSize, size, offset };
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
        const local = readAt(fd, entry.offset, 30);
        if (local.length < 30 || local.readUInt32LE(0) !== LOCAL) throw new InputError(`${where}: bad local header`);
        const dataAt = entry.offset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
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
