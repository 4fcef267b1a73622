// Test support: a RandomAccessFile over bytes in memory that counts what was read, to check that analyzers reading
// at random give the streaming answer while reading a small part of the file.
import type { RandomAccessFile } from '../../src/core/analyzer.ts';

export function bufferFile(bytes: Buffer): RandomAccessFile & { bytesRead: number } {
  const f = {
    size: bytes.length,
    bytesRead: 0,
    read(position: number, length: number): Promise<Buffer> {
      const out = Buffer.from(bytes.subarray(position, Math.min(bytes.length, position + Math.max(0, length))));
      f.bytesRead += out.length;
      return Promise.resolve(out);
    },
  };
  return f;
}

/** A copy of an ELF file without its section header table (e_shoff, e_shnum, e_shstrndx zeroed), as sstrip leaves. */
export function withoutSectionHeaders(elf: Buffer): Buffer {
  const b = Buffer.from(elf);
  if (b[4] === 2) {
    b.writeBigUInt64LE(0n, 40);
    b.writeUInt16LE(0, 60);
    b.writeUInt16LE(0, 62);
  } else {
    b.writeUInt32LE(0, 32);
    b.writeUInt16LE(0, 48);
    b.writeUInt16LE(0, 50);
  }
  return b;
}
