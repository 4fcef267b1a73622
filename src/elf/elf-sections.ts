// The layout of an ELF file read at random (an unpacked root on disk): the ELF and program headers from its first
// bytes, then the section header table and the section names from wherever they are — a few small reads, however
// large the file. Analyzers then read just the section they want instead of the whole file.
import type { RandomAccessFile } from '../core/analyzer.ts';
import { readElfHeaders, type ElfHeaders } from './elf-headers.ts';

export interface ElfSection {
  name: string;
  type: number;
  /** SHF_* bits: SHF_EXECINSTR (4) marks machine code */
  flags: number;
  /** file offset of the contents */
  offset: number;
  size: number;
  addr: number;
}

export interface ElfLayout extends ElfHeaders {
  /** undefined when the file has no usable section header table (absent, extended numbering, out of bounds) */
  sections?: ElfSection[];
}

export const SHT_NOBITS = 8;
export const SHF_EXECINSTR = 4;
const HEAD = 4096;
const MAX_HEADERS = 1 << 20;
const MAX_NAMES = 1 << 20;

/**
 * The headers and sections of an ELF file: `'not-elf'` when it does not start with the ELF magic, `'unusable'` when
 * it does but its ELF or program headers cannot be read (bad class, truncated, beyond the first megabyte).
 */
export function readElfLayout(file: RandomAccessFile): Promise<ElfLayout | 'not-elf' | 'unusable'> {
  // several analyzers (Go, Rust) look at the same file: its layout is read once
  let layout = layouts.get(file);
  if (!layout) layouts.set(file, (layout = readLayout(file)));
  return layout;
}

const layouts = new WeakMap<RandomAccessFile, Promise<ElfLayout | 'not-elf' | 'unusable'>>();

async function readLayout(file: RandomAccessFile): Promise<ElfLayout | 'not-elf' | 'unusable'> {
  let head = await file.read(0, Math.min(HEAD, file.size));
  if (head.length < 4 || head.readUInt32BE(0) !== 0x7f454c46) return 'not-elf';
  let h = readElfHeaders(head);
  if (typeof h === 'object' && 'more' in h && h.more <= Math.min(MAX_HEADERS, file.size) && h.more > head.length) {
    head = await file.read(0, h.more);
    h = readElfHeaders(head);
  }
  if (h === 'not-elf' || !('loads' in h)) return 'unusable';
  return { ...h, sections: await readSections(file, head, h) };
}

async function readSections(file: RandomAccessFile, head: Buffer, h: ElfHeaders): Promise<ElfSection[] | undefined> {
  const le = h.littleEndian;
  const u16 = (b: Buffer, o: number): number => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
  const u32 = (b: Buffer, o: number): number => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const word = (b: Buffer, o: number): number =>
    !h.is64
      ? u32(b, o)
      : le
        ? b.readUInt32LE(o) + b.readUInt32LE(o + 4) * 2 ** 32
        : b.readUInt32BE(o + 4) + b.readUInt32BE(o) * 2 ** 32;
  const shoff = word(head, h.is64 ? 40 : 32);
  const shentsize = u16(head, h.is64 ? 58 : 46);
  const shnum = u16(head, h.is64 ? 60 : 48);
  const shstrndx = u16(head, h.is64 ? 62 : 50);
  // no table, extended numbering (shnum 0 or shstrndx SHN_XINDEX), or a table beyond the file
  if (shoff === 0 || shnum === 0 || shstrndx >= shnum || shentsize < (h.is64 ? 64 : 40)) return undefined;
  if (shoff + shnum * shentsize > file.size || shnum * shentsize > MAX_HEADERS) return undefined;
  const table = await file.read(shoff, shnum * shentsize);
  if (table.length < shnum * shentsize) return undefined;
  const raw: (ElfSection & { nameAt: number })[] = [];
  for (let i = 0; i < shnum; i++) {
    const o = i * shentsize;
    raw.push(
      h.is64
        ? {
            nameAt: u32(table, o),
            name: '',
            type: u32(table, o + 4),
            flags: word(table, o + 8),
            addr: word(table, o + 16),
            offset: word(table, o + 24),
            size: word(table, o + 32),
          }
        : {
            nameAt: u32(table, o),
            name: '',
            type: u32(table, o + 4),
            flags: word(table, o + 8),
            addr: word(table, o + 12),
            offset: word(table, o + 16),
            size: word(table, o + 20),
          },
    );
  }
  const strtab = raw[shstrndx];
  if (strtab.size > MAX_NAMES || strtab.offset + strtab.size > file.size) return undefined;
  const names = (await file.read(strtab.offset, strtab.size)).toString('latin1');
  return raw.map(({ nameAt, ...s }) => {
    if (nameAt < names.length) {
      const end = names.indexOf('\0', nameAt);
      s.name = names.slice(nameAt, end < 0 ? names.length : end);
    }
    return s;
  });
}

/** Reads of at most this many bytes at a time when a whole file must be fed to a streaming parser. */
const STREAM_CHUNK = 4 * 1024 * 1024;

/** Feeds a whole file, in order and in bounded chunks, to a streaming parser's `write` (the fallback path). */
export async function streamFile(file: RandomAccessFile, write: (chunk: Buffer) => void): Promise<void> {
  for (let pos = 0; pos < file.size;) {
    const chunk = await file.read(pos, Math.min(STREAM_CHUNK, file.size - pos));
    if (chunk.length === 0) break;
    write(chunk);
    pos += chunk.length;
  }
}
