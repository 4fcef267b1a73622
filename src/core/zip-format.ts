// The zip format's records, parsed from bytes already read (APPNOTE.TXT 4.3): the end of central directory record,
// its Zip64 locator and record, central directory file headers with their Zip64 extended information, and local file
// headers. No I/O: the two readers (vulndb's feed archives, read with positioned reads in windows; the Java
// cataloguer's archives, read in place or from a spooled region) fetch the bytes their own way and share these rules.
// Hand-written: no well-kept npm zip library reads the central directory in windows or from a caller's reads.

export const ZIP_EOCD = 0x06054b50;
export const ZIP64_LOCATOR = 0x07064b50;
export const ZIP64_EOCD = 0x06064b50;
export const ZIP_CENTRAL = 0x02014b50;
export const ZIP_LOCAL = 0x04034b50;
/** fixed part of a central directory file header */
export const CENTRAL_HEADER_BYTES = 46;
/** fixed part of a local file header */
export const LOCAL_HEADER_BYTES = 30;
/** bytes to read from the end of an archive to be sure to hold its end record (and a Zip64 locator before it) */
export const ZIP_TAIL_BYTES = 22 + 65535 + 20;

const u64 = (b: Buffer, o: number): number => b.readUInt32LE(o) + b.readUInt32LE(o + 4) * 2 ** 32;

export interface EndRecord {
  /** index of the record in the buffer searched */
  at: number;
  count: number;
  cdSize: number;
  cdOffset: number;
  /** the values are saturated: a Zip64 record holds the real ones */
  saturated: boolean;
}

/** The last end of central directory record in `tail` (the archive's last bytes), or undefined. */
export function findEndRecord(tail: Buffer): EndRecord | undefined {
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) !== ZIP_EOCD) continue;
    const count = tail.readUInt16LE(i + 10);
    const cdSize = tail.readUInt32LE(i + 12);
    const cdOffset = tail.readUInt32LE(i + 16);
    return {
      at: i,
      count,
      cdSize,
      cdOffset,
      saturated: count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff,
    };
  }
  return undefined;
}

/** The offset of the Zip64 end record named by a 20-byte Zip64 locator, or undefined when it is not one. */
export function zip64EndOffset(locator: Buffer): number | undefined {
  return locator.length >= 20 && locator.readUInt32LE(0) === ZIP64_LOCATOR ? u64(locator, 8) : undefined;
}

/** count, size and offset of the central directory from a 56-byte Zip64 end record, or undefined when it is not one */
export function parseZip64End(rec: Buffer): { count: number; cdSize: number; cdOffset: number } | undefined {
  if (rec.length < 56 || rec.readUInt32LE(0) !== ZIP64_EOCD) return undefined;
  return { count: u64(rec, 32), cdSize: u64(rec, 40), cdOffset: u64(rec, 48) };
}

/** Length of the central directory file header at `o` (needs its fixed 46 bytes), or undefined when it is not one. */
export function centralRecordLength(cd: Buffer, o: number): number | undefined {
  if (o + CENTRAL_HEADER_BYTES > cd.length || cd.readUInt32LE(o) !== ZIP_CENTRAL) return undefined;
  return CENTRAL_HEADER_BYTES + cd.readUInt16LE(o + 28) + cd.readUInt16LE(o + 30) + cd.readUInt16LE(o + 32);
}

export interface CentralRecord {
  flags: number;
  /** 0 stored, 8 deflated */
  method: number;
  crc32: number;
  compressedSize: number;
  size: number;
  /** offset of the local file header */
  localOffset: number;
  /** the name is cd.toString('utf8', nameStart, nameEnd), decoded only when wanted */
  nameStart: number;
  nameEnd: number;
}

/**
 * The fields of the central directory file header at `o`, whole in `cd` (see centralRecordLength), with the Zip64
 * extended information applied: the 64-bit values of the fields whose 32-bit value is saturated, in that order.
 */
export function parseCentralRecord(cd: Buffer, o: number): CentralRecord {
  let compressedSize = cd.readUInt32LE(o + 20);
  let size = cd.readUInt32LE(o + 24);
  let localOffset = cd.readUInt32LE(o + 42);
  const nameStart = o + CENTRAL_HEADER_BYTES;
  const nameEnd = nameStart + cd.readUInt16LE(o + 28);
  const extraEnd = nameEnd + cd.readUInt16LE(o + 30);
  for (let x = nameEnd; x + 4 <= extraEnd;) {
    const len = cd.readUInt16LE(x + 2);
    if (cd.readUInt16LE(x) === 0x0001) {
      const end = Math.min(x + 4 + len, extraEnd);
      let p = x + 4;
      if (size === 0xffffffff && p + 8 <= end) ((size = u64(cd, p)), (p += 8));
      if (compressedSize === 0xffffffff && p + 8 <= end) ((compressedSize = u64(cd, p)), (p += 8));
      if (localOffset === 0xffffffff && p + 8 <= end) localOffset = u64(cd, p);
    }
    x += 4 + len;
  }
  return {
    flags: cd.readUInt16LE(o + 8),
    method: cd.readUInt16LE(o + 10),
    crc32: cd.readUInt32LE(o + 16),
    compressedSize,
    size,
    localOffset,
    nameStart,
    nameEnd,
  };
}

/** Where an entry's data starts: its local file header is read at `localOffset` (undefined when not one). */
export function localDataStart(local: Buffer, localOffset: number): number | undefined {
  if (local.length < LOCAL_HEADER_BYTES || local.readUInt32LE(0) !== ZIP_LOCAL) return undefined;
  return localOffset + LOCAL_HEADER_BYTES + local.readUInt16LE(26) + local.readUInt16LE(28);
}
