// Walk a zip archive front to back by its local file headers while it streams (PyTorch's torch.save writes
// `archive/data.pkl` early, stored, with sizes in the local header). Each member is offered to a callback that may
// take its bytes (stored: streamed in pieces; deflated: inflated when at most `maxInflate` compressed bytes) or let
// them stream past. Stops at the central directory.
import { crc32, inflateRawSync } from 'node:zlib';
import type { Pull, Pulled } from './pull-parser.ts';

export interface ZipMember {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  /** offset of the member's data in the archive */
  offset: number;
}

/** Returned by `onMember`: a consumer of the member's (uncompressed) bytes, or null to skip it. */
export interface MemberConsumer {
  write(chunk: Buffer): void;
  end(): void;
}

export interface ZipWalkOptions {
  onMember(member: ZipMember, head: Buffer): MemberConsumer | null;
  problem(message: string): void;
  /** bytes of a member's start shown to onMember (default 8) */
  peek?: number;
  /** largest deflated member inflated in memory (default 32 MiB compressed, 256 MiB inflated) */
  maxInflate?: number;
}

const LOCAL = 0x04034b50;
const CENTRAL = 0x02014b50;
const END = 0x06054b50;
const END64 = 0x06064b50;
const PIECE = 64 * 1024;

const DESCRIPTOR = Buffer.from([0x50, 0x4b, 0x07, 0x08]);

export function* zipWalker(options: ZipWalkOptions): Generator<Pull, void, Pulled> {
  const peek = options.peek ?? 8;
  const maxInflate = options.maxInflate ?? 32 * 1024 * 1024;
  let offset = 0;
  // bytes read past the end of a member whose size only its trailing data descriptor gave
  let pending = Buffer.alloc(0);
  function* take(n: number): Generator<Pull, Buffer | null, Pulled> {
    if (pending.length === 0) return yield { read: n };
    if (pending.length >= n) {
      const b = pending.subarray(0, n);
      pending = pending.subarray(n);
      return b;
    }
    const first = pending;
    pending = Buffer.alloc(0);
    const rest = yield { read: n - first.length };
    return rest ? Buffer.concat([first, rest]) : first;
  }
  function* drop(n: number): Generator<Pull, boolean, Pulled> {
    const fromPending = Math.min(n, pending.length);
    pending = pending.subarray(fromPending);
    if (n === fromPending) return true;
    return (yield { skip: n - fromPending }) !== null;
  }
  /**
   * A stored member written with a data descriptor (sizes unknown up front, as streaming zip writers do): its end is
   * the descriptor signature followed by a size equal to the bytes since the member's start. Returns the bytes from
   * the member's start to the end of its descriptor.
   */
  function* storedUntilDescriptor(consumer: MemberConsumer | null): Generator<Pull, number | null, Pulled> {
    let sent = 0; // bytes handed to the consumer
    let crc = 0; // CRC-32 of those bytes: a descriptor must carry the CRC of what precedes it
    let tail = Buffer.alloc(0); // last bytes not yet handed on (a descriptor may start there)
    for (;;) {
      const piece = yield* take(PIECE);
      if (!piece || piece.length === 0) return null;
      const buf = tail.length > 0 ? Buffer.concat([tail, piece]) : piece;
      for (let i = buf.indexOf(DESCRIPTOR); i >= 0; i = buf.indexOf(DESCRIPTOR, i + 1)) {
        const size = sent + i;
        const d32 = i + 16 <= buf.length && buf.readUInt32LE(i + 8) === size && buf.readUInt32LE(i + 12) === size;
        const d64 =
          !d32 &&
          i + 24 <= buf.length &&
          Number(buf.readBigUInt64LE(i + 8)) === size &&
          Number(buf.readBigUInt64LE(i + 16)) === size;
        if ((d32 || d64) && crc32(buf.subarray(0, i), crc) === buf.readUInt32LE(i + 4)) {
          consumer?.write(buf.subarray(0, i));
          pending = Buffer.from(buf.subarray(i + (d32 ? 16 : 24)));
          return size + (d32 ? 16 : 24);
        }
      }
      const keep = Math.min(buf.length, 23);
      consumer?.write(buf.subarray(0, buf.length - keep));
      crc = crc32(buf.subarray(0, buf.length - keep), crc);
      sent += buf.length - keep;
      tail = Buffer.from(buf.subarray(buf.length - keep));
    }
  }
  for (;;) {
    const h = yield* take(30);
    if (!h || h.length < 4) {
      if (offset === 0) options.problem('empty zip');
      return;
    }
    const sig = h.readUInt32LE(0);
    if (sig === CENTRAL || sig === END || sig === END64) return;
    if (sig !== LOCAL) {
      options.problem(`zip offset ${offset}: expected a local file header, found 0x${sig.toString(16)}`);
      return;
    }
    if (h.length < 30) {
      options.problem(`zip offset ${offset}: truncated local file header`);
      return;
    }
    const flags = h.readUInt16LE(6);
    const method = h.readUInt16LE(8);
    let compressedSize = h.readUInt32LE(18);
    let size = h.readUInt32LE(22);
    const nameLen = h.readUInt16LE(26);
    const extraLen = h.readUInt16LE(28);
    const nx = yield* take(nameLen + extraLen);
    if (!nx || nx.length < nameLen + extraLen) {
      options.problem(`zip offset ${offset}: truncated file name`);
      return;
    }
    const name = nx.subarray(0, nameLen).toString('utf8');
    if (compressedSize === 0xffffffff || size === 0xffffffff) {
      // zip64 extended information: the 8-byte sizes present are those whose 4-byte fields are all ones
      const extra = nx.subarray(nameLen);
      for (let p = 0; p + 4 <= extra.length;) {
        const id = extra.readUInt16LE(p);
        const len = extra.readUInt16LE(p + 2);
        if (id === 0x0001) {
          let q = p + 4;
          if (size === 0xffffffff && q + 8 <= p + 4 + len) {
            size = Number(extra.readBigUInt64LE(q));
            q += 8;
          }
          if (compressedSize === 0xffffffff && q + 8 <= p + 4 + len) {
            compressedSize = Number(extra.readBigUInt64LE(q));
          }
          break;
        }
        p += 4 + len;
      }
    }
    const dataAt = offset + 30 + nameLen + extraLen;
    if ((flags & 0x8) !== 0 && compressedSize === 0) {
      if (method !== 0 || (flags & 0x1) !== 0) {
        options.problem(
          `zip member ${name}: compressed member with sizes only in a trailing data descriptor; it and the ` +
            `members after it were not checked`,
        );
        return;
      }
      // peek at the member's first bytes, then put them back
      const first = (yield* take(peek)) ?? Buffer.alloc(0);
      pending = pending.length > 0 ? Buffer.concat([first, pending]) : Buffer.from(first);
      const consumer = options.onMember({ name, method, compressedSize: -1, size: -1, offset: dataAt }, first);
      const end = yield* storedUntilDescriptor(consumer);
      consumer?.end();
      if (end === null) {
        options.problem(`zip member ${name}: no data descriptor found before the end of the file`);
        return;
      }
      offset = dataAt + end;
      continue;
    }
    if ((flags & 0x1) !== 0) options.problem(`zip member ${name}: encrypted, not checked`);
    const member: ZipMember = { name, method, compressedSize, size, offset: dataAt };
    let left = compressedSize;
    if ((flags & 0x1) === 0 && (method === 0 || method === 8)) {
      const headLen = method === 0 ? Math.min(peek, left) : 0;
      const head = headLen > 0 ? yield* take(headLen) : Buffer.alloc(0);
      if (!head || head.length < headLen) {
        options.problem(`zip member ${name}: truncated`);
        return;
      }
      left -= headLen;
      const consumer = options.onMember(member, head);
      if (consumer) {
        if (method === 0) {
          consumer.write(head);
          while (left > 0) {
            const piece = yield* take(Math.min(PIECE, left));
            if (!piece || piece.length === 0) {
              consumer.end();
              options.problem(`zip member ${name}: truncated`);
              return;
            }
            left -= piece.length;
            consumer.write(piece);
          }
          consumer.end();
        } else if (compressedSize > maxInflate) {
          options.problem(
            `zip member ${name}: deflated member of ${compressedSize} bytes is larger than ${maxInflate}, not checked`,
          );
          consumer.end();
        } else {
          const packed = yield* take(left);
          if (!packed || packed.length < left) {
            options.problem(`zip member ${name}: truncated`);
            return;
          }
          left = 0;
          try {
            consumer.write(inflateRawSync(packed, { maxOutputLength: 256 * 1024 * 1024 }));
          } catch (err) {
            options.problem(`zip member ${name}: cannot inflate: ${err instanceof Error ? err.message : String(err)}`);
          }
          consumer.end();
        }
      }
    } else if ((flags & 0x1) === 0) {
      options.onMember(member, Buffer.alloc(0));
    }
    if (left > 0 && !(yield* drop(left))) {
      options.problem(`zip member ${name}: truncated`);
      return;
    }
    offset = dataAt + compressedSize;
  }
}
