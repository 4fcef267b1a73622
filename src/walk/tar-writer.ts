// A deterministic tar writer: ustar headers, PAX extended headers only when a value does not fit (long or non-ASCII
// names and link targets, sizes of 8 GiB and more, large ids, fractional or out-of-range times). Same input, same
// bytes: no host state (time, user names) leaks in, owners and mtimes can be fixed for a whole archive, and input
// order can be enforced. Used by tests to write real layers (good, bad and malicious) and by image builders.
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { EntryType } from '../core/entry.ts';
import { InputError, UsageError } from '../core/errors.ts';

export interface TarWriteHeader {
  /** `/usr/bin/x` or `usr/bin/x`; written relative (`usr/bin/x`, directories with a trailing `/`) unless raw */
  path: string;
  type: EntryType;
  /** permission bits; default 0o644 for files, 0o755 for directories, 0o777 for symlinks */
  mode?: number;
  uid?: number;
  gid?: number;
  uname?: string;
  gname?: string;
  /** content size for files; taken from the body when it is a Buffer */
  size?: number;
  /** seconds since epoch; default 0 */
  mtime?: number;
  /** symlink target as stored, or hardlink target path */
  linkTarget?: string;
  devmajor?: number;
  devminor?: number;
  /** write `path` exactly as given (tests of malicious names: `../../etc/passwd`, `/etc/shadow`) */
  raw?: boolean;
}

export interface TarWriterOptions {
  /** every entry gets this mtime */
  mtime?: number;
  /** every entry gets these owners */
  owner?: { uid: number; gid: number; uname?: string; gname?: string };
  /** refuse entries that are not in ascending path order (byte order), for reproducible archives */
  sorted?: boolean;
}

export interface TarWriter {
  add(header: TarWriteHeader, body?: Uint8Array | AsyncIterable<Uint8Array>): Promise<void>;
  /** writes the end-of-archive blocks and ends the output; resolves when it has finished */
  finish(): Promise<void>;
  /** bytes written so far */
  readonly bytes: number;
}

const BLOCK = 512;
const BATCH = 256 * 1024;
const TYPE_FLAG: Record<EntryType, string> = {
  file: '0',
  hardlink: '1',
  symlink: '2',
  char: '3',
  block: '4',
  dir: '5',
  fifo: '6',
};
const MAX_OCTAL_11 = 0o77777777777;
const MAX_OCTAL_7 = 0o7777777;

export function createTarWriter(out: Writable, options: TarWriterOptions = {}): TarWriter {
  let bytes = 0;
  let last: string | null = null;

  // Small pieces (headers, padding, small bodies) are batched into one write per ~256 KiB: every write into a
  // zlib stream is a thread-pool round trip, and 200,000 tiny files would otherwise cost minutes.
  let batch = Buffer.allocUnsafe(BATCH);
  let used = 0;
  async function flush(): Promise<void> {
    if (!used) return;
    const buf = batch.subarray(0, used);
    batch = Buffer.allocUnsafe(BATCH); // the written one now belongs to the stream
    used = 0;
    if (!out.write(buf)) await once(out, 'drain');
  }
  async function write(buf: Uint8Array): Promise<void> {
    bytes += buf.length;
    if (buf.length > BATCH / 4) {
      await flush();
      if (!out.write(buf)) await once(out, 'drain');
      return;
    }
    if (used + buf.length > BATCH) await flush();
    batch.set(buf, used); // copied: callers may reuse their buffers once add() resolves
    used += buf.length;
  }

  return {
    get bytes() {
      return bytes;
    },
    async add(h, body) {
      const name = h.raw ? h.path : relativeName(h.path, h.type);
      if (options.sorted) {
        if (last !== null && Buffer.compare(Buffer.from(last), Buffer.from(name)) >= 0) {
          throw new UsageError(
            `tar writer: ${JSON.stringify(name)} is not after ${JSON.stringify(last)} (sorted output requested)`,
          );
        }
        last = name;
      }
      const isBuf = body instanceof Uint8Array;
      const size = h.type === 'file' ? (h.size ?? (isBuf ? body.length : 0)) : 0;
      if (isBuf && body.length !== size)
        throw new UsageError(`tar writer: ${name}: body has ${body.length} bytes, header says ${size}`);
      const uid = options.owner?.uid ?? h.uid ?? 0;
      const gid = options.owner?.gid ?? h.gid ?? 0;
      const uname = options.owner ? (options.owner.uname ?? '') : (h.uname ?? '');
      const gname = options.owner ? (options.owner.gname ?? '') : (h.gname ?? '');
      const mtime = options.mtime ?? h.mtime ?? 0;
      const link = h.linkTarget ?? '';
      const mode = h.mode ?? (h.type === 'dir' ? 0o755 : h.type === 'symlink' ? 0o777 : 0o644);

      const pax: [string, string][] = [];
      if (!fitsField(name, 100)) pax.push(['path', name]);
      if (!fitsField(link, 100)) pax.push(['linkpath', link]);
      if (size > MAX_OCTAL_11) pax.push(['size', String(size)]);
      if (uid > MAX_OCTAL_7) pax.push(['uid', String(uid)]);
      if (gid > MAX_OCTAL_7) pax.push(['gid', String(gid)]);
      if (!Number.isInteger(mtime) || mtime < 0 || mtime > MAX_OCTAL_11) pax.push(['mtime', String(mtime)]);
      if (!fitsField(uname, 32)) pax.push(['uname', uname]);
      if (!fitsField(gname, 32)) pax.push(['gname', gname]);
      if (pax.length) {
        const data = paxRecords(pax);
        const paxName = `PaxHeaders/${Buffer.from(name)
          .subarray(0, 80)
          .toString('latin1')
          .replace(/[^\x20-\x7e]/g, '_')}`;
        await write(
          headerBlock({
            name: paxName,
            mode: 0o644,
            uid: 0,
            gid: 0,
            size: data.length,
            mtime: 0,
            flag: 'x',
            link: '',
            uname: '',
            gname: '',
            devmajor: 0,
            devminor: 0,
          }),
        );
        await write(data);
        await write(Buffer.alloc(padding(data.length)));
      }
      await write(
        headerBlock({
          name: fitsField(name, 100) ? name : truncateBytes(name, 100),
          mode,
          uid: Math.min(uid, MAX_OCTAL_7),
          gid: Math.min(gid, MAX_OCTAL_7),
          size: Math.min(size, MAX_OCTAL_11),
          mtime:
            Number.isInteger(mtime) && mtime >= 0
              ? Math.min(mtime, MAX_OCTAL_11)
              : Math.max(0, Math.min(Math.floor(mtime), MAX_OCTAL_11)),
          flag: TYPE_FLAG[h.type],
          link: fitsField(link, 100) ? link : truncateBytes(link, 100),
          uname: fitsField(uname, 32) ? uname : '',
          gname: fitsField(gname, 32) ? gname : '',
          devmajor: h.devmajor ?? 0,
          devminor: h.devminor ?? 0,
        }),
      );
      if (h.type !== 'file') return;
      let written = 0;
      if (isBuf) {
        await write(body);
        written = body.length;
      } else if (body) {
        for await (const chunk of body) {
          written += chunk.length;
          if (written > size)
            throw new InputError(`tar writer: ${name}: body is longer than the ${size} bytes declared`);
          await write(chunk);
        }
      }
      if (written !== size) throw new InputError(`tar writer: ${name}: body has ${written} bytes, header says ${size}`);
      await write(Buffer.alloc(padding(size)));
    },
    async finish() {
      await write(Buffer.alloc(2 * BLOCK));
      await flush();
      out.end();
      if (!out.writableFinished) await once(out, 'finish');
    },
  };
}

function relativeName(path: string, type: EntryType): string {
  let p = path.replace(/^\/+/, '');
  if (p === '') p = '.';
  return type === 'dir' && !p.endsWith('/') ? `${p}/` : p;
}

const padding = (n: number): number => (BLOCK - (n % BLOCK)) % BLOCK;

/** fits a NUL-padded field and is plain ASCII (non-ASCII goes to PAX, which is UTF-8 by definition) */
function fitsField(s: string, len: number): boolean {
  return s.length <= len && /^[\x00-\x7f]*$/.test(s);
}

function truncateBytes(s: string, len: number): string {
  return Buffer.from(s)
    .subarray(0, len)
    .toString('latin1')
    .replace(/[^\x20-\x7e]/g, '_');
}

function paxRecords(pairs: [string, string][]): Buffer {
  const parts: Buffer[] = [];
  for (const [k, v] of pairs) {
    const body = ` ${k}=${v}\n`;
    const bodyLen = Buffer.byteLength(body);
    let len = bodyLen + String(bodyLen).length;
    if (String(len).length + bodyLen !== len) len = bodyLen + String(len).length;
    parts.push(Buffer.from(`${len}${body}`));
  }
  return Buffer.concat(parts);
}

interface RawHeader {
  name: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  flag: string;
  link: string;
  uname: string;
  gname: string;
  devmajor: number;
  devminor: number;
}

function headerBlock(h: RawHeader): Buffer {
  const b = Buffer.alloc(BLOCK);
  b.write(h.name, 0, 100, 'latin1');
  octal(b, 100, 8, h.mode);
  octal(b, 108, 8, h.uid);
  octal(b, 116, 8, h.gid);
  octal(b, 124, 12, h.size);
  octal(b, 136, 12, h.mtime);
  b.write(h.flag, 156, 1, 'latin1');
  b.write(h.link, 157, 100, 'latin1');
  b.write('ustar\x0000', 257, 8, 'latin1');
  b.write(h.uname, 265, 32, 'latin1');
  b.write(h.gname, 297, 32, 'latin1');
  octal(b, 329, 8, h.devmajor);
  octal(b, 337, 8, h.devminor);
  b.fill(32, 148, 156);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += b[i];
  b.write(sum.toString(8).padStart(6, '0') + '\x00 ', 148, 8, 'latin1');
  return b;
}

function octal(b: Buffer, off: number, len: number, n: number): void {
  b.write(n.toString(8).padStart(len - 1, '0') + '\x00', off, len, 'latin1');
}
