// The rpm header blob as an rpmdb stores it (no lead, no 8-byte magic): il and dl (big-endian int32), then il
// index entries of 16 bytes (tag, type, offset, count), then dl bytes of data store.
import type { Package } from '../../core/package.ts';
import { newPackage } from '../common.ts';

const TAG = {
  NAME: 1000,
  VERSION: 1001,
  RELEASE: 1002,
  EPOCH: 1003,
  SIZE: 1009,
  VENDOR: 1011,
  LICENSE: 1014,
  ARCH: 1022,
  OLDFILENAMES: 1027,
  SOURCERPM: 1044,
  DIRINDEXES: 1116,
  BASENAMES: 1117,
  DIRNAMES: 1118,
  LONGSIZE: 5009,
} as const;
const TYPE = { INT8: 2, INT16: 3, INT32: 4, INT64: 5, STRING: 6, BIN: 7, STRING_ARRAY: 8, I18NSTRING: 9 } as const;

interface IndexEntry {
  tag: number;
  type: number;
  offset: number;
  count: number;
}

/** Thrown-free reader: returns a reason string when the blob is not a well-formed header. */
export function parseRpmHeader(blob: Buffer): { pkg?: Package; skip?: boolean; error?: string } {
  if (blob.length < 8) return { error: `header blob of ${blob.length} bytes is too short` };
  const il = blob.readUInt32BE(0);
  const dl = blob.readUInt32BE(4);
  const storeStart = 8 + il * 16;
  if (il === 0 || il > 0xffff || storeStart + dl > blob.length) {
    return { error: `header index (${il} entries, ${dl} data bytes) does not fit the ${blob.length}-byte blob` };
  }
  const entries = new Map<number, IndexEntry>();
  for (let i = 0; i < il; i++) {
    const o = 8 + i * 16;
    const e = {
      tag: blob.readInt32BE(o),
      type: blob.readUInt32BE(o + 4),
      offset: blob.readInt32BE(o + 8),
      count: blob.readUInt32BE(o + 12),
    };
    if (e.offset < 0 || e.offset > dl) return { error: `header tag ${e.tag} points outside the data store` };
    entries.set(e.tag, e);
  }
  const store = blob.subarray(storeStart, storeStart + dl);

  const strings = (tag: number): string[] | undefined => {
    const e = entries.get(tag);
    if (!e || (e.type !== TYPE.STRING && e.type !== TYPE.STRING_ARRAY && e.type !== TYPE.I18NSTRING)) return undefined;
    const n = e.type === TYPE.STRING ? 1 : e.count;
    const out: string[] = [];
    let pos = e.offset;
    for (let i = 0; i < n; i++) {
      const end = store.indexOf(0, pos);
      if (end < 0) return undefined;
      out.push(store.toString('utf8', pos, end));
      pos = end + 1;
    }
    return out;
  };
  const str = (tag: number): string | undefined => strings(tag)?.[0];
  const ints = (tag: number): number[] | undefined => {
    const e = entries.get(tag);
    if (!e) return undefined;
    const width =
      e.type === TYPE.INT8 ? 1 : e.type === TYPE.INT16 ? 2 : e.type === TYPE.INT32 ? 4 : e.type === TYPE.INT64 ? 8 : 0;
    if (width === 0 || e.offset + width * e.count > store.length) return undefined;
    const out: number[] = [];
    for (let i = 0; i < e.count; i++) {
      const o = e.offset + i * width;
      out.push(
        width === 1
          ? store.readUInt8(o)
          : width === 2
            ? store.readUInt16BE(o)
            : width === 4
              ? store.readUInt32BE(o)
              : Number(store.readBigUInt64BE(o)),
      );
    }
    return out;
  };

  const name = str(TAG.NAME);
  const version = str(TAG.VERSION);
  const release = str(TAG.RELEASE);
  if (!name) return { error: 'header has no NAME tag' };
  // public keys imported with `rpm --import` are recorded as pseudo-packages; they are not installed software
  if (name === 'gpg-pubkey') return { skip: true };
  if (!version || release === undefined) return { error: `package ${name} has no VERSION or RELEASE tag` };
  const epoch = ints(TAG.EPOCH)?.[0];
  const arch = str(TAG.ARCH) ?? '';
  const meta: Package['metadata'] & { kind: 'rpm' } = { kind: 'rpm', release, arch };
  if (epoch !== undefined) meta.epoch = epoch;
  const sourceRpm = str(TAG.SOURCERPM);
  if (sourceRpm) meta.sourceRpm = sourceRpm;
  const vendor = str(TAG.VENDOR);
  if (vendor) meta.vendor = vendor;
  const size = ints(TAG.LONGSIZE)?.[0] ?? ints(TAG.SIZE)?.[0];
  if (size !== undefined) meta.installedSizeBytes = size; // RPMTAG_SIZE/LONGSIZE are bytes
  const license = str(TAG.LICENSE);

  let files: string[] = [];
  const base = strings(TAG.BASENAMES);
  const dirs = strings(TAG.DIRNAMES);
  const idx = ints(TAG.DIRINDEXES);
  if (base && dirs && idx && idx.length === base.length) files = base.map((b, i) => `${dirs[idx[i]] ?? ''}${b}`);
  else files = strings(TAG.OLDFILENAMES) ?? [];

  const full = `${epoch !== undefined ? `${epoch}:` : ''}${version}-${release}`;
  return { pkg: newPackage('rpm', name, full, meta, { licenses: license ? [license] : undefined, files }) };
}
