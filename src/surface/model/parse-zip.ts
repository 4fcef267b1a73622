// Walk a zip archive front to back by its local file headers while it streams (PyTorch's torch.save writes
// `archive/data.pkl` early, stored, with sizes in the local header). Each member is offered to a callback that may
// take its bytes (stored: streamed in pieces; deflated: inflated when at most `maxInflate` compressed bytes) or let
// them stream past. Stops at the central directory.
import { inflateRawSync } from 'node:zlib';
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

export function* zipWalker(options: ZipWalkOptions): Generator<Pull, void, Pulled> {
  const peek = options.peek ?? 8;
  const maxInflate = options.maxInflate ?? 32 * 1024 * 1024;
  let offset = 0;
  for (;;) {
    const h = yield { read: 30 };
    if (!h || h.length < 4) { if (offset === 0) options.problem('empty zip'); return; }
    const sig = h.readUInt32LE(0);
    if (sig === CENTRAL || sig === END || sig === END64) return;
    if (sig !== LOCAL) { options.problem(`zip offset ${offset}: expected a local file header, found 0x${sig.toString(16)}`); return; }
    if (h.length < 30) { options.problem(`zip offset ${offset}: truncated local file header`); return; }
    const flags = h.readUInt16LE(6);
    const method = h.readUInt16LE(8);
    let compressedSize = h.readUInt32LE(18);
    let size = h.readUInt32LE(22);
    const nameLen = h.readUInt16LE(26);
    const extraLen = h.readUInt16LE(28);
    const nx = yield { read: nameLen + extraLen };
    if (!nx || nx.length < nameLen + extraLen) { options.problem(`zip offset ${offset}: truncated file name`); return; }
    const name = nx.subarray(0, nameLen).toString('utf8');
    if (compressedSize === 0xffffffff || size === 0xffffffff) {
      // zip64 extended information: the 8-byte sizes present are those whose 4-byte fields are all ones
      const extra = nx.subarray(nameLen);
      for (let p = 0; p + 4 <= extra.length;) {
        const id = extra.readUInt16LE(p); const len = extra.readUInt16LE(p + 2);
        if (id === 0x0001) {
          let q = p + 4;
          if (size === 0xffffffff && q + 8 <= p + 4 + len) { size = Number(extra.readBigUInt64LE(q)); q += 8; }
          if (compressedSize === 0xffffffff && q + 8 <= p + 4 + len) { compressedSize = Number(extra.readBigUInt64LE(q)); }
          break;
        }
        p += 4 + len;
      }
    }
    const dataAt = offset + 30 + nameLen + extraLen;
    if ((flags & 0x8) !== 0 && compressedSize === 0) {
      options.problem(`zip member ${name}: sizes only in a trailing data descriptor; members after it were not checked`);
      return;
    }
    if ((flags & 0x1) !== 0) options.problem(`zip member ${name}: encrypted, not checked`);
    const member: ZipMember = { name, method, compressedSize, size, offset: dataAt };
    let left = compressedSize;
    if ((flags & 0x1) === 0 && (method === 0 || method === 8)) {
      const headLen = method === 0 ? Math.min(peek, left) : 0;
      const head = headLen > 0 ? yield { read: headLen } : Buffer.alloc(0);
      if (!head || head.length < headLen) { options.problem(`zip member ${name}: truncated`); return; }
      left -= headLen;
      const consumer = options.onMember(member, head);
      if (consumer) {
        if (method === 0) {
          consumer.write(head);
          while (left > 0) {
            const piece = yield { read: Math.min(PIECE, left) };
            if (!piece || piece.length === 0) { consumer.end(); options.problem(`zip member ${name}: truncated`); return; }
            left -= piece.length;
            consumer.write(piece);
          }
          consumer.end();
        } else if (compressedSize > maxInflate) {
          options.problem(`zip member ${name}: deflated member of ${compressedSize} bytes is larger than ${maxInflate}, not checked`);
          consumer.end();
        } else {
          const packed = yield { read: left };
          if (!packed || packed.length < left) { options.problem(`zip member ${name}: truncated`); return; }
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
    if (left > 0) {
      const s = yield { skip: left };
      if (!s) { options.problem(`zip member ${name}: truncated`); return; }
    }
    offset = dataAt + compressedSize;
  }
}
