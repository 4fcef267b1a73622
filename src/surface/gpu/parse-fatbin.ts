// Streaming reader of CUDA fat binaries (the `.nv_fatbin` section of ELF objects, or a bare `.fatbin` file).
//
// Layout (little-endian), as written by nvcc/fatbinary:
//   container header, 16 bytes: u32 magic 0xBA55ED50, u16 version (1), u16 header size (16), u64 size of what follows
//   entries, back to back until `size` is used up; each entry:
//     u16 kind (1 = PTX, 2 = ELF/cubin, others: LTO-IR and friends), u16 (0x0101), u32 entry header size
//     (64/80/96/112), u64 payload size (padded), u32 compressed payload size, u32, u16 minor, u16 major,
//     u32 SM arch (80 = sm_80), u32 name offset, u32 name length, u64 flags, u64, u64 uncompressed size;
//     then the payload.
//   flags: 0x1 64-bit, 0x2 debug, 0x10 linux, 0x2000 compressed (LZ4), 0x8000 compressed (zstd, CUDA 12.8+),
//          0x100000 arch-specific (`sm_90a`), 0x200000 family-specific (`sm_100f`).
// A section usually holds several containers (one per translation unit plus the device-link stub).
//
// The scanner keeps only entry headers: payloads are skipped as bytes stream by, so memory stays bounded whatever the
// size of the library. Containers are found by their magic and accepted only when the header and each entry header
// are consistent; a container cut short or an entry running past its container is reported, never thrown.
import type { FatbinEntry } from '../../core/fact.ts';

export const FATBIN_MAGIC = 0xba55ed50;
const MAGIC_BYTES = Buffer.from([0x50, 0xed, 0x55, 0xba]);
const CONTAINER_HEADER = 16;
const ENTRY_BASE = 64;
const MAX_ENTRY_HEADER = 4096;

const FLAG_COMPRESSED_LZ4 = 0x2000n;
const FLAG_COMPRESSED_ZSTD = 0x8000n;
const FLAG_ARCH_SPECIFIC = 0x100000n;
const FLAG_FAMILY_SPECIFIC = 0x200000n;

export interface FatbinScanResult {
  entries: FatbinEntry[];
  /** file offset of each entry's payload (parallel to `entries`), for tools that extract device code */
  payloadOffsets: number[];
  /** containers accepted */
  containers: number;
  /** one-line reasons for malformed or truncated containers, each naming the byte offset */
  problems: string[];
}

export interface FatbinScanner {
  write(chunk: Buffer): void;
  end(): FatbinScanResult;
}

/** Decode one entry header (at least 64 bytes). Returns null for kinds other than PTX and cubin. */
export function decodeEntryHeader(h: Buffer): { entry: FatbinEntry | null; headerSize: number; payloadSize: number } {
  const kind = h.readUInt16LE(0);
  const headerSize = h.readUInt32LE(4);
  const payloadSize = Number(h.readBigUInt64LE(8));
  const compressedSize = h.readUInt32LE(16);
  const sm = h.readUInt32LE(28);
  const flags = h.readBigUInt64LE(40);
  const uncompressed = Number(h.readBigUInt64LE(56));
  const compressed = (flags & (FLAG_COMPRESSED_LZ4 | FLAG_COMPRESSED_ZSTD)) !== 0n;
  const suffix = (flags & FLAG_ARCH_SPECIFIC) !== 0n ? 'a' : (flags & FLAG_FAMILY_SPECIFIC) !== 0n ? 'f' : '';
  if (kind !== 1 && kind !== 2) return { entry: null, headerSize, payloadSize };
  const size = compressed && compressedSize > 0 ? compressedSize : payloadSize;
  return {
    entry: {
      kind: kind === 1 ? 'ptx' : 'cubin',
      arch: `sm_${sm}${suffix}`,
      size,
      uncompressedSize: compressed ? uncompressed : payloadSize,
      compressed,
    },
    headerSize,
    payloadSize,
  };
}

type State =
  | { mode: 'scan' }
  /** collecting `need` bytes into `acc`, then `then` decides */
  | { mode: 'read'; need: number; acc: Buffer[]; got: number; at: number; then: 'container' | 'entry' }
  | { mode: 'skip'; left: number };

/**
 * A push scanner: feed every chunk of a file in order, then `end()`.
 * `fileSize` (when known) lets it report containers that claim more bytes than the file has.
 */
export function createFatbinScanner(options: { fileSize?: number } = {}): FatbinScanner {
  const entries: FatbinEntry[] = [];
  const payloadOffsets: number[] = [];
  const problems: string[] = [];
  let containers = 0;
  let offset = 0; // absolute offset of the start of the chunk being processed
  let carry = Buffer.alloc(0); // last bytes of the previous chunk while scanning (magic split across chunks)
  let state: State = { mode: 'scan' };
  let containerStart = 0;
  let containerLeft = 0; // bytes of the current container still to walk (entries)
  let entryPending: { entry: FatbinEntry | null; after: number } | null = null;
  let containerEntries: FatbinEntry[] = [];
  let containerOffsets: number[] = [];

  const read = (need: number, at: number, then: 'container' | 'entry', first: Buffer[] = [], got = 0): State => ({
    mode: 'read',
    need,
    acc: first,
    got,
    at,
    then,
  });

  const abandon = (reason: string): void => {
    problems.push(`fatbin container at offset ${containerStart}: ${reason}`);
    containerEntries = [];
    containerOffsets = [];
    state = { mode: 'scan' };
  };

  const finishContainer = (): void => {
    containers++;
    entries.push(...containerEntries);
    payloadOffsets.push(...containerOffsets);
    containerEntries = [];
    containerOffsets = [];
    state = { mode: 'scan' };
  };

  /** after an entry (or the container header) the next thing is another entry or the end of the container */
  const nextInContainer = (at: number): void => {
    if (containerLeft === 0) {
      finishContainer();
      return;
    }
    if (containerLeft < ENTRY_BASE) {
      abandon(`${containerLeft} stray bytes after the last entry`);
      return;
    }
    state = read(ENTRY_BASE, at, 'entry');
  };

  const onBytes = (buf: Buffer, at: number, then: 'container' | 'entry'): void => {
    if (then === 'container') {
      containerStart = at;
      const version = buf.readUInt16LE(4);
      const headerSize = buf.readUInt16LE(6);
      const size = buf.readBigUInt64LE(8);
      if (version !== 1 || headerSize !== CONTAINER_HEADER) {
        state = { mode: 'scan' };
        return;
      } // not a container
      const body = Number(size);
      if (options.fileSize !== undefined && at + CONTAINER_HEADER + body > options.fileSize) {
        abandon(`claims ${body} bytes but the file ends ${options.fileSize - at - CONTAINER_HEADER} bytes later`);
        return;
      }
      containerLeft = body;
      containerEntries = [];
      containerOffsets = [];
      nextInContainer(at + CONTAINER_HEADER);
      return;
    }
    // entry header (the base 64 bytes)
    const { entry, headerSize, payloadSize } = decodeEntryHeader(buf);
    if (headerSize < ENTRY_BASE || headerSize > MAX_ENTRY_HEADER) {
      abandon(`entry at offset ${at} has header size ${headerSize}`);
      return;
    }
    const total = headerSize + payloadSize;
    if (!Number.isSafeInteger(total) || total > containerLeft) {
      abandon(`entry at offset ${at} needs ${total} bytes but only ${containerLeft} remain in the container`);
      return;
    }
    containerLeft -= total;
    if (entry) {
      containerEntries.push(entry);
      containerOffsets.push(at + headerSize);
    }
    entryPending = { entry, after: at + total };
    state = { mode: 'skip', left: total - ENTRY_BASE };
    if (state.left === 0) {
      entryPending = null;
      nextInContainer(at + total);
    }
  };

  const write = (chunk: Buffer): void => {
    let pos = 0;
    while (pos < chunk.length) {
      if (state.mode === 'skip') {
        const n = Math.min(state.left, chunk.length - pos);
        state.left -= n;
        pos += n;
        if (state.left === 0) {
          const after = entryPending ? entryPending.after : offset + pos;
          entryPending = null;
          nextInContainer(after);
        }
        continue;
      }
      if (state.mode === 'read') {
        const n = Math.min(state.need - state.got, chunk.length - pos);
        state.acc.push(chunk.subarray(pos, pos + n));
        state.got += n;
        pos += n;
        if (state.got === state.need) {
          const buf = Buffer.concat(state.acc);
          const { at, then } = state;
          onBytes(buf, at, then);
        }
        continue;
      }
      // scan: first the window spanning the previous chunk's tail and this chunk's head
      const carried = carry;
      carry = Buffer.alloc(0);
      if (carried.length > 0) {
        const i = Buffer.concat([carried, chunk.subarray(pos, pos + 3)]).indexOf(MAGIC_BYTES);
        if (i >= 0 && i < carried.length) {
          const fromCarry = Buffer.from(carried.subarray(i));
          state = read(
            CONTAINER_HEADER,
            offset + pos - (carried.length - i),
            'container',
            [fromCarry],
            fromCarry.length,
          );
          continue;
        }
      }
      const i = chunk.indexOf(MAGIC_BYTES, pos);
      if (i < 0) {
        // keep the last three bytes of the stream: a magic may start there and end in the next chunk
        const rest = chunk.subarray(pos);
        carry =
          rest.length >= 3 ? Buffer.from(rest.subarray(rest.length - 3)) : Buffer.concat([carried, rest]).subarray(-3);
        pos = chunk.length;
        continue;
      }
      state = read(CONTAINER_HEADER, offset + i, 'container');
      pos = i;
    }
    offset += chunk.length;
  };

  const end = (): FatbinScanResult => {
    if (state.mode !== 'scan') {
      // a container header that never completed is just the magic near the end: ignore; a started container is
      // cut short
      if (!(state.mode === 'read' && state.then === 'container'))
        abandon(`truncated: the file ends inside the container`);
    }
    return { entries, payloadOffsets, containers, problems };
  };

  return { write, end };
}
