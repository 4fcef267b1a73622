// Pulls exact byte counts out of a stream of chunks without copying when a request fits inside one chunk
// (the common case: 512-byte tar headers inside 256 KiB chunks). The tar reader is built on it.
import { InputError } from '../core/errors.ts';

const EMPTY = Buffer.alloc(0);

export interface ByteReader {
  /** exactly n bytes; null when the input ended before the first byte; InputError when it ends part way */
  read(n: number, what: string): Promise<Buffer | null>;
  /** n bytes as slices of the input chunks (valid until the consumer drops them; never reused by us) */
  slices(n: number, what: string): AsyncGenerator<Buffer>;
  /** discards n bytes */
  skip(n: number, what: string): Promise<void>;
  /** reads and discards everything left; returns the byte count */
  drain(): Promise<number>;
  /** bytes consumed so far */
  readonly position: number;
}

export function createByteReader(source: AsyncIterable<Buffer>): ByteReader {
  const it = source[Symbol.asyncIterator]();
  let cur: Buffer = EMPTY;
  let off = 0;
  let pos = 0;
  let done = false;

  /** makes sure `cur` has unread bytes; false at end of input */
  async function fill(): Promise<boolean> {
    while (off >= cur.length) {
      if (done) return false;
      const r = await it.next();
      if (r.done) {
        done = true;
        cur = EMPTY;
        off = 0;
        return false;
      }
      cur = r.value;
      off = 0;
    }
    return true;
  }

  const truncated = (what: string, missing: number): InputError =>
    new InputError(`truncated tar: ${what} is missing ${missing} bytes at offset ${pos}`);

  return {
    get position() {
      return pos;
    },
    async read(n, what) {
      if (!(await fill())) return null;
      if (cur.length - off >= n) {
        const b = cur.subarray(off, off + n);
        off += n;
        pos += n;
        return b;
      }
      const out = Buffer.allocUnsafe(n);
      let got = 0;
      while (got < n) {
        if (!(await fill())) throw truncated(what, n - got);
        const take = Math.min(n - got, cur.length - off);
        cur.copy(out, got, off, off + take);
        off += take;
        got += take;
        pos += take;
      }
      return out;
    },
    async *slices(n, what) {
      let left = n;
      while (left > 0) {
        if (!(await fill())) throw truncated(what, left);
        const take = Math.min(left, cur.length - off);
        const s = cur.subarray(off, off + take);
        off += take;
        pos += take;
        left -= take;
        yield s;
      }
    },
    async skip(n, what) {
      let left = n;
      while (left > 0) {
        if (!(await fill())) throw truncated(what, left);
        const take = Math.min(left, cur.length - off);
        off += take;
        pos += take;
        left -= take;
      }
    },
    async drain() {
      let total = 0;
      while (await fill()) {
        total += cur.length - off;
        pos += cur.length - off;
        off = cur.length;
      }
      return total;
    },
  };
}

/**
 * A ByteReader over positional reads of an open file: headers are read, skipped bodies are never read (the position
 * just moves). For indexing tar archives (member offsets) without reading their contents.
 */
export function createFileByteReader(
  file: { read(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }> },
  size: number,
): ByteReader {
  let pos = 0;
  const truncated = (what: string, missing: number): InputError =>
    new InputError(`truncated tar: ${what} is missing ${missing} bytes at offset ${pos}`);
  async function readAt(n: number): Promise<Buffer> {
    const out = Buffer.allocUnsafe(n);
    let got = 0;
    while (got < n) {
      const { bytesRead } = await file.read(out, got, n - got, pos + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return got === n ? out : out.subarray(0, got);
  }
  return {
    get position() {
      return pos;
    },
    async read(n, what) {
      if (pos >= size) return null;
      const b = await readAt(n);
      if (b.length < n) {
        pos += b.length;
        throw truncated(what, n - b.length);
      }
      pos += n;
      return b;
    },
    async *slices(n, what) {
      let left = n;
      while (left > 0) {
        const take = Math.min(left, 256 * 1024);
        const b = await readAt(take);
        if (b.length === 0) throw truncated(what, left);
        pos += b.length;
        left -= b.length;
        yield b;
      }
    },
    async skip(n, what) {
      if (pos + n > size) {
        const missing = pos + n - size;
        pos = size;
        throw truncated(what, missing);
      }
      pos += n;
    },
    async drain() {
      const left = Math.max(0, size - pos);
      pos = size;
      return left;
    },
  };
}
