// The ELF header and program header table from the first bytes of a file: enough to map virtual addresses to file
// offsets (PT_LOAD segments) while the rest of the file streams by. Section headers sit at the end of the file and
// are not needed for this.

export interface LoadSegment {
  offset: number;
  vaddr: number;
  filesz: number;
  /** PF_X = 1, PF_W = 2, PF_R = 4 */
  flags: number;
}

export interface ElfHeaders {
  is64: boolean;
  littleEndian: boolean;
  /** bytes needed from the start of the file to hold the header and the program header table */
  headerEnd: number;
  loads: LoadSegment[];
}

const PT_LOAD = 1;

/**
 * Reads the ELF and program headers from `head` (the file's first bytes). Returns `'not-elf'` for other files,
 * `'more'` when `head` is too short (the needed length is then unknown or `needed`), or the headers.
 */
export function readElfHeaders(head: Buffer): ElfHeaders | 'not-elf' | { more: number } {
  if (head.length < 4) return { more: 64 };
  if (head.readUInt32BE(0) !== 0x7f454c46) return 'not-elf';
  if (head.length < 64) return { more: 64 };
  const cls = head[4];
  const data = head[5];
  if ((cls !== 1 && cls !== 2) || (data !== 1 && data !== 2)) return 'not-elf';
  const is64 = cls === 2;
  const le = data === 1;
  const u16 = (o: number) => (le ? head.readUInt16LE(o) : head.readUInt16BE(o));
  const u32 = (o: number) => (le ? head.readUInt32LE(o) : head.readUInt32BE(o));
  const u64 = (o: number) =>
    le
      ? head.readUInt32LE(o) + head.readUInt32LE(o + 4) * 2 ** 32
      : head.readUInt32BE(o + 4) + head.readUInt32BE(o) * 2 ** 32;
  const phoff = is64 ? u64(32) : u32(28);
  const phentsize = u16(is64 ? 54 : 42);
  const phnum = u16(is64 ? 56 : 44);
  const headerEnd = phoff + phentsize * phnum;
  if (phnum === 0) return { is64, littleEndian: le, headerEnd: 64, loads: [] };
  if (headerEnd > 1 << 20 || phentsize < (is64 ? 56 : 32)) return 'not-elf';
  if (head.length < headerEnd) return { more: headerEnd };
  const loads: LoadSegment[] = [];
  for (let i = 0; i < phnum; i++) {
    const o = phoff + i * phentsize;
    if (u32(o) !== PT_LOAD) continue;
    loads.push(
      is64
        ? { flags: u32(o + 4), offset: u64(o + 8), vaddr: u64(o + 16), filesz: u64(o + 32) }
        : { offset: u32(o + 4), vaddr: u32(o + 8), filesz: u32(o + 16), flags: u32(o + 24) },
    );
  }
  return { is64, littleEndian: le, headerEnd, loads };
}

/** The file offset of a virtual address, or undefined when no PT_LOAD maps it from the file. */
export function offsetOfVaddr(loads: readonly LoadSegment[], vaddr: number): number | undefined {
  for (const l of loads) if (vaddr >= l.vaddr && vaddr < l.vaddr + l.filesz) return l.offset + (vaddr - l.vaddr);
  return undefined;
}

/** The virtual address of a file offset, or undefined when no PT_LOAD maps it. */
export function vaddrOfOffset(loads: readonly LoadSegment[], offset: number): number | undefined {
  for (const l of loads) if (offset >= l.offset && offset < l.offset + l.filesz) return l.vaddr + (offset - l.offset);
  return undefined;
}
