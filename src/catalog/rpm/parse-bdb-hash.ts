// Berkeley DB hash database, as rpm < 4.16 stores /var/lib/rpm/Packages: read-only, just enough to list every
// value. Page 0 is the metadata page (magic 0x061561, page size, last page number); hash pages (type 2 or 13)
// hold key/data item pairs; a data item of type H_OFFPAGE (3) points at a chain of overflow pages (type 7).
// Byte order is the writer's: the magic tells which.

const HASH_MAGIC = 0x061561;
const PAGE_HEADER = 26;
const P_HASH_UNSORTED = 2;
const P_HASH = 13;
const P_OVERFLOW = 7;
const H_KEYDATA = 1;
const H_OFFPAGE = 3;

export interface BdbValues {
  values: Buffer[];
  problems: string[];
}

/** Every data value of a BDB hash file; throws an Error with a one-line reason when it is not one. */
export function readBdbHashValues(db: Buffer): BdbValues {
  if (db.length < 512) throw new Error(`${db.length} bytes is too short for a Berkeley DB file`);
  let le: boolean;
  if (db.readUInt32LE(12) === HASH_MAGIC) le = true;
  else if (db.readUInt32BE(12) === HASH_MAGIC) le = false;
  else throw new Error('not a Berkeley DB hash file (bad magic)');
  const u32 = (o: number): number => (le ? db.readUInt32LE(o) : db.readUInt32BE(o));
  const u16 = (o: number): number => (le ? db.readUInt16LE(o) : db.readUInt16BE(o));
  const pageSize = u32(20);
  if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0)
    throw new Error(`bad page size ${pageSize}`);
  if (db[24] !== 0) throw new Error('encrypted Berkeley DB files are not supported');
  const lastPage = u32(32);
  const pages = Math.min(lastPage + 1, Math.floor(db.length / pageSize));
  const problems: string[] = [];
  if (lastPage + 1 > pages)
    problems.push(`database truncated: metadata says ${lastPage + 1} pages, file holds ${pages}`);

  const overflow = (first: number, total: number): Buffer | string => {
    const parts: Buffer[] = [];
    let got = 0;
    let pg = first;
    const seen = new Set<number>();
    while (pg !== 0 && got < total) {
      if (pg >= pages || seen.has(pg)) return `overflow chain from page ${first} breaks at page ${pg}`;
      seen.add(pg);
      const o = pg * pageSize;
      if (db[o + 25] !== P_OVERFLOW) return `page ${pg} in an overflow chain is not an overflow page`;
      const used = u16(o + 22); // hf_offset: bytes used on an overflow page
      const n = Math.min(used, pageSize - PAGE_HEADER, total - got);
      parts.push(db.subarray(o + PAGE_HEADER, o + PAGE_HEADER + n));
      got += n;
      pg = u32(o + 16);
    }
    if (got < total) return `overflow chain from page ${first} ends after ${got} of ${total} bytes`;
    return Buffer.concat(parts, total);
  };

  const values: Buffer[] = [];
  for (let pg = 1; pg < pages; pg++) {
    const o = pg * pageSize;
    const type = db[o + 25];
    if (type !== P_HASH && type !== P_HASH_UNSORTED) continue;
    const entries = u16(o + 20);
    if (PAGE_HEADER + entries * 2 > pageSize) {
      problems.push(`hash page ${pg} claims ${entries} entries`);
      continue;
    }
    // items are key, data, key, data…; data are the odd ones
    for (let i = 1; i < entries; i += 2) {
      const off = u16(o + PAGE_HEADER + i * 2);
      if (off >= pageSize) {
        problems.push(`hash page ${pg} item ${i} is outside the page`);
        continue;
      }
      const item = o + off;
      const itemType = db[item];
      if (itemType === H_OFFPAGE) {
        const v = overflow(u32(item + 4), u32(item + 8));
        if (typeof v === 'string') problems.push(v);
        else values.push(v);
      } else if (itemType === H_KEYDATA) {
        const prev = i === 0 ? pageSize : u16(o + PAGE_HEADER + (i - 1) * 2);
        const end = prev > off && prev <= pageSize ? prev : pageSize;
        values.push(db.subarray(item + 1, o + end));
      }
    }
  }
  return { values, problems };
}
