// Streaming ELF reader: learns class, machine, type, interpreter, DT_NEEDED, RPATH/RUNPATH, SONAME, .debug_* bytes
// and whether the file is stripped, from chunks seen once in order, without buffering the file.
//
// What it keeps (all bounded):
// - the ELF header and program header table (start of the file);
// - bytes [0, min(end of the first PT_LOAD, RAW_PREFIX_CAP)) — .dynstr lives in the first load segment for ld.bfd,
//   gold and lld output; beyond the cap, only NUL-terminated strings that look like library names or paths
//   (`.so`, `/`, `$`) are indexed by file offset (at most CANDIDATE_CAP characters), which is all DT_NEEDED,
//   RPATH, RUNPATH and SONAME ever point at;
// - PT_INTERP and PT_DYNAMIC contents (capped);
// - the section header table and the TAIL_WINDOW bytes before it, where linkers and strip put .shstrtab.
import { createReadStream } from 'node:fs';
import type { ElfInfo } from '../core/fact.ts';

export const RAW_PREFIX_CAP = 4 * 1024 * 1024;
export const CANDIDATE_CAP = 1024 * 1024;
export const TAIL_WINDOW = 256 * 1024;
const DYNAMIC_CAP = 1024 * 1024;
const INTERP_CAP = 4096;
const SECTION_TABLE_CAP = 4 * 1024 * 1024;

const PT_LOAD = 1,
  PT_DYNAMIC = 2,
  PT_INTERP = 3;
const DT_NEEDED = 1,
  DT_STRTAB = 5,
  DT_SONAME = 14,
  DT_RPATH = 15,
  DT_RUNPATH = 29;
const SHT_SYMTAB = 2,
  SHT_NOBITS = 8;

const MACHINES: Record<number, string> = {
  2: 'sparc',
  3: 'x86',
  8: 'mips',
  20: 'ppc',
  21: 'ppc64',
  22: 's390',
  40: 'arm',
  43: 'sparcv9',
  50: 'ia64',
  62: 'x86-64',
  183: 'aarch64',
  190: 'cuda',
  243: 'riscv',
  247: 'bpf',
  258: 'loongarch',
};
const TYPES: Record<number, ElfInfo['type']> = { 1: 'rel', 2: 'exec', 3: 'dyn', 4: 'core' };

export interface ElfParseResult {
  /** undefined when the bytes are not ELF (a script, a text file named *.so) or too short to be */
  elf?: ElfInfo;
  /** what could not be read, one line each; the elf result is still given when the header was read */
  problems: string[];
}

export interface ElfSink {
  write(chunk: Buffer): void;
  end(): ElfParseResult;
}

interface Range {
  start: number;
  end: number;
  buf: Buffer;
  filled: number;
  onDone: (buf: Buffer) => void;
  done: boolean;
}

interface Reader {
  u16(b: Buffer, o: number): number;
  u32(b: Buffer, o: number): number;
  word(b: Buffer, o: number): number;
}

function reader(is64: boolean, le: boolean): Reader {
  const u16 = (b: Buffer, o: number) => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
  const u32 = (b: Buffer, o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const u64 = (b: Buffer, o: number) => Number(le ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o));
  return { u16, u32, word: is64 ? u64 : u32 };
}

/** A sink for one file's chunks, in order. */
export function createElfSink(options: { rawPrefixCap?: number } = {}): ElfSink {
  const rawPrefixCap = options.rawPrefixCap ?? RAW_PREFIX_CAP;
  let offset = 0;
  let notElf = false;
  const ranges: Range[] = [];
  const problems: string[] = [];
  let r: Reader | undefined;
  let is64 = false;
  let info: ElfInfo | undefined;
  // header fields
  let phoff = 0,
    phentsize = 0,
    phnum = 0,
    shoff = 0,
    shentsize = 0,
    shnum = 0,
    shstrndx = 0;
  const loads: { offset: number; vaddr: number; filesz: number }[] = [];
  // string sources for .dynstr
  let prefix: Buffer = Buffer.alloc(0);
  let prefixLimit = Math.min(64 * 1024, rawPrefixCap); // refined once the program headers are known
  let prefixLen = 0;
  let candidateEnd = 0; // scan for candidate strings in [prefixLimit, candidateEnd)
  const candidates: { start: number; text: string }[] = [];
  let candidateChars = 0;
  let carry: Buffer = Buffer.alloc(0); // partial string across chunk boundary
  let carryStart = 0;
  let dynamicDone = false;
  let tail: { start: number; buf: Buffer } | undefined;

  const want = (start: number, length: number, onDone: (buf: Buffer) => void): void => {
    if (length <= 0) {
      onDone(Buffer.alloc(0));
      return;
    }
    ranges.push({ start, end: start + length, buf: Buffer.alloc(length), filled: 0, onDone, done: false });
  };

  const onHeader = (h: Buffer): void => {
    if (h.readUInt32BE(0) !== 0x7f454c46) {
      notElf = true;
      return;
    }
    const cls = h[4],
      data = h[5];
    if ((cls !== 1 && cls !== 2) || (data !== 1 && data !== 2)) {
      problems.push(`bad ELF ident class=${cls} data=${data}`);
      notElf = true;
      return;
    }
    is64 = cls === 2;
    r = reader(is64, data === 1);
    const type = r.u16(h, 16),
      machine = r.u16(h, 18);
    info = {
      class: is64 ? 64 : 32,
      machine: MACHINES[machine] ?? `em-${machine}`,
      type: TYPES[type] ?? 'other',
      needed: [],
      rpath: [],
      runpath: [],
      debugBytes: 0,
      stripped: true,
    };
    if (is64) {
      phoff = r.word(h, 32);
      shoff = r.word(h, 40);
      phentsize = r.u16(h, 54);
      phnum = r.u16(h, 56);
      shentsize = r.u16(h, 58);
      shnum = r.u16(h, 60);
      shstrndx = r.u16(h, 62);
    } else {
      phoff = r.u32(h, 28);
      shoff = r.u32(h, 32);
      phentsize = r.u16(h, 42);
      phnum = r.u16(h, 44);
      shentsize = r.u16(h, 46);
      shnum = r.u16(h, 48);
      shstrndx = r.u16(h, 50);
    }
    if (phnum > 0 && phoff > 0) {
      if (phoff < offset) problems.push('program headers overlap the ELF header');
      else want(phoff, phnum * phentsize, onProgramHeaders);
    } else {
      prefixLimit = 0;
      prefix = Buffer.alloc(0);
    }
    if (shoff > 0 && shnum > 0) {
      const tableLen = shnum * shentsize;
      if (tableLen > SECTION_TABLE_CAP) problems.push(`section header table of ${tableLen} bytes exceeds the cap`);
      else {
        const start = Math.max(phoff + phnum * phentsize, shoff - TAIL_WINDOW, 64);
        if (start > shoff) problems.push('section headers overlap the program headers');
        else
          want(start, shoff + tableLen - start, (buf) => {
            tail = { start, buf };
            onSections(buf.subarray(shoff - start), start);
          });
      }
    } else if (shoff > 0 && shnum === 0) {
      problems.push('extended section numbering (e_shnum=0) not supported');
    }
  };

  const onProgramHeaders = (b: Buffer): void => {
    if (!r) return;
    const rd = r;
    let interp: { off: number; size: number } | undefined;
    let dyn: { off: number; size: number } | undefined;
    for (let i = 0; i < phnum; i++) {
      const o = i * phentsize;
      const ptype = rd.u32(b, o);
      const pOffset = is64 ? rd.word(b, o + 8) : rd.u32(b, o + 4);
      const pVaddr = is64 ? rd.word(b, o + 16) : rd.u32(b, o + 8);
      const pFilesz = is64 ? rd.word(b, o + 32) : rd.u32(b, o + 16);
      if (ptype === PT_LOAD) loads.push({ offset: pOffset, vaddr: pVaddr, filesz: pFilesz });
      else if (ptype === PT_INTERP) interp = { off: pOffset, size: pFilesz };
      else if (ptype === PT_DYNAMIC) dyn = { off: pOffset, size: pFilesz };
    }
    loads.sort((a, b2) => a.offset - b2.offset);
    const first = loads[0];
    const firstEnd = first ? first.offset + first.filesz : 0;
    prefixLimit = Math.max(prefixLen, Math.min(firstEnd, rawPrefixCap));
    candidateEnd = firstEnd;
    carryStart = prefixLimit;
    if (interp) {
      if (interp.size > INTERP_CAP) problems.push(`PT_INTERP of ${interp.size} bytes exceeds the cap`);
      else if (interp.off < offset && interp.off + interp.size > prefixLen)
        problems.push('PT_INTERP precedes its program header');
      else if (interp.off + interp.size <= prefixLen) setInterp(prefix.subarray(interp.off, interp.off + interp.size));
      else want(interp.off, interp.size, setInterp);
    }
    if (dyn) {
      if (dyn.size > DYNAMIC_CAP) problems.push(`PT_DYNAMIC of ${dyn.size} bytes exceeds the cap`);
      else if (dyn.off + dyn.size <= prefixLen) onDynamic(prefix.subarray(dyn.off, dyn.off + dyn.size));
      else want(dyn.off, dyn.size, onDynamic);
    } else {
      dynamicDone = true;
      prefix = Buffer.alloc(0);
      prefixLimit = 0;
      candidateEnd = 0;
    }
  };

  const setInterp = (b: Buffer): void => {
    if (!info) return;
    const nul = b.indexOf(0);
    info.interpreter = b.toString('latin1', 0, nul < 0 ? b.length : nul);
  };

  const vaddrToOffset = (v: number): number | undefined => {
    for (const l of loads) if (v >= l.vaddr && v < l.vaddr + l.filesz) return l.offset + (v - l.vaddr);
    return undefined;
  };

  const candidateAt = (fileOff: number): string | undefined => {
    // candidates are sorted by start; a tail-merged string may point inside one
    let lo = 0,
      hi = candidates.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const c = candidates[mid];
      if (fileOff < c.start) hi = mid - 1;
      else if (fileOff >= c.start + c.text.length) lo = mid + 1;
      else return c.text.slice(fileOff - c.start);
    }
    return undefined;
  };

  const stringAt = (fileOff: number): string | undefined => {
    if (fileOff < prefixLen) {
      const nul = prefix.indexOf(0, fileOff);
      if (nul >= 0 && nul < prefixLen) return prefix.toString('utf8', fileOff, nul);
      // the string runs past the raw prefix into the indexed region
      const rest = candidateAt(prefixLen);
      return rest === undefined ? undefined : prefix.toString('latin1', fileOff, prefixLen) + rest;
    }
    return candidateAt(fileOff);
  };

  const onDynamic = (b: Buffer): void => {
    if (!r || !info) return;
    dynamicDone = true;
    const size = is64 ? 16 : 8;
    const entries: { tag: number; val: number }[] = [];
    let strtab: number | undefined;
    for (let o = 0; o + size <= b.length; o += size) {
      const tag = is64 ? r.word(b, o) : r.u32(b, o);
      const val = is64 ? r.word(b, o + 8) : r.u32(b, o + 4);
      if (tag === 0) break;
      if (tag === DT_STRTAB) strtab = val;
      else entries.push({ tag, val });
    }
    candidates.sort((a, b2) => a.start - b2.start);
    const strOff = strtab === undefined ? undefined : vaddrToOffset(strtab);
    const wanted = entries.filter(
      (e) => e.tag === DT_NEEDED || e.tag === DT_SONAME || e.tag === DT_RPATH || e.tag === DT_RUNPATH,
    );
    if (wanted.length > 0 && strOff === undefined) problems.push('DT_STRTAB missing or outside every PT_LOAD');
    else if (strOff !== undefined) {
      for (const e of wanted) {
        const s = stringAt(strOff + e.val);
        if (s === undefined) {
          problems.push(`dynamic string at offset ${strOff + e.val} beyond the retained bytes`);
          continue;
        }
        if (e.tag === DT_NEEDED) info.needed.push(s);
        else if (e.tag === DT_SONAME) info.soname = s;
        else if (e.tag === DT_RPATH) info.rpath.push(...s.split(':').filter(Boolean));
        else info.runpath.push(...s.split(':').filter(Boolean));
      }
    }
    // strings are resolved: drop what was kept for them
    prefix = Buffer.alloc(0);
    prefixLimit = 0;
    prefixLen = 0;
    candidates.length = 0;
    candidateEnd = 0;
    carry = Buffer.alloc(0);
  };

  const onSections = (table: Buffer, tailStart: number): void => {
    if (!r || !info || !tail) return;
    const rd = r;
    const sec = (i: number) => {
      const o = i * shentsize;
      return {
        name: rd.u32(table, o),
        type: rd.u32(table, o + 4),
        offset: is64 ? rd.word(table, o + 24) : rd.u32(table, o + 16),
        size: is64 ? rd.word(table, o + 32) : rd.u32(table, o + 20),
      };
    };
    let names: Buffer | undefined;
    if (shstrndx > 0 && shstrndx < shnum) {
      const s = sec(shstrndx);
      if (s.offset >= tailStart && s.offset + s.size <= tailStart + tail.buf.length)
        names = tail.buf.subarray(s.offset - tailStart, s.offset - tailStart + s.size);
      else
        problems.push(
          `.shstrtab at offset ${s.offset} lies outside the ${TAIL_WINDOW}-byte window before the section headers`,
        );
    }
    let symtab = false,
      debug = 0;
    for (let i = 1; i < shnum; i++) {
      const s = sec(i);
      if (s.type === SHT_SYMTAB) symtab = true;
      if (!names) continue;
      const nul = names.indexOf(0, s.name);
      const name = names.toString('latin1', s.name, nul < 0 ? names.length : nul);
      if ((name.startsWith('.debug_') || name.startsWith('.zdebug_')) && s.type !== SHT_NOBITS) debug += s.size;
    }
    info.stripped = !symtab && debug === 0;
    info.debugBytes = debug;
    tail = undefined;
  };

  want(0, 64, onHeader);

  const scanCandidates = (chunk: Buffer, chunkStart: number): void => {
    // region [max(prefixLimit, chunkStart), min(candidateEnd, chunkEnd))
    const from = Math.max(prefixLimit, chunkStart),
      to = Math.min(candidateEnd, chunkStart + chunk.length);
    if (from >= to || candidateChars >= CANDIDATE_CAP) return;
    let region = chunk.subarray(from - chunkStart, to - chunkStart);
    let regionStart = from;
    if (carry.length > 0 && carryStart + carry.length === from) {
      region = Buffer.concat([carry, region]);
      regionStart = carryStart;
    }
    const lastNul = region.lastIndexOf(0);
    const complete = lastNul < 0 ? Buffer.alloc(0) : region.subarray(0, lastNul);
    const rest = lastNul < 0 ? region : region.subarray(lastNul + 1);
    carry = rest.length <= 4096 ? Buffer.from(rest) : Buffer.alloc(0);
    carryStart = lastNul < 0 ? regionStart : regionStart + lastNul + 1;
    const seen = new Set<number>();
    for (const needle of ['.so', '/', '$']) {
      let at = complete.indexOf(needle);
      while (at >= 0 && candidateChars < CANDIDATE_CAP) {
        const s = complete.lastIndexOf(0, at) + 1;
        let e = complete.indexOf(0, at);
        if (e < 0) e = complete.length;
        if (!seen.has(s) && e - s <= 4096) {
          const bytes = complete.subarray(s, e);
          // printable only: library names and paths, not binary data
          if (bytes.every((c) => c >= 0x20 && c < 0x7f)) {
            seen.add(s);
            candidates.push({ start: regionStart + s, text: bytes.toString('latin1') });
            candidateChars += bytes.length;
          }
        }
        at = complete.indexOf(needle, e);
      }
    }
  };

  const fillPrefix = (chunk: Buffer, chunkStart: number): void => {
    if (dynamicDone || prefixLen >= prefixLimit) return;
    const chunkEnd = chunkStart + chunk.length;
    if (prefixLen < chunkStart || prefixLen >= chunkEnd) return;
    const take = chunk.subarray(prefixLen - chunkStart, Math.min(chunkEnd, prefixLimit) - chunkStart);
    if (prefix.length < prefixLen + take.length) {
      const grown = Buffer.alloc(
        Math.min(
          Math.max(prefix.length * 2, prefixLen + take.length, 64 * 1024),
          Math.max(prefixLimit, prefixLen + take.length),
        ),
      );
      prefix.copy(grown, 0, 0, prefixLen);
      prefix = grown;
    }
    take.copy(prefix, prefixLen);
    prefixLen += take.length;
  };

  return {
    write(chunk: Buffer): void {
      if (notElf) {
        offset += chunk.length;
        return;
      }
      const chunkStart = offset;
      const chunkEnd = offset + chunk.length;
      fillPrefix(chunk, chunkStart);
      let completed = true;
      while (completed && !notElf) {
        completed = false;
        for (const rg of ranges) {
          if (rg.done) continue;
          const need = rg.start + rg.filled;
          if (need < chunkStart) {
            rg.done = true;
            problems.push(`bytes ${rg.start}-${rg.end} were needed before they were known`);
            continue;
          }
          const hi = Math.min(rg.end, chunkEnd);
          if (need < hi) {
            chunk.copy(rg.buf, need - rg.start, need - chunkStart, hi - chunkStart);
            rg.filled += hi - need;
          }
          if (rg.filled === rg.end - rg.start) {
            rg.done = true;
            completed = true;
            rg.onDone(rg.buf);
            if (notElf) break;
            // callbacks may widen the prefix or register ranges that start inside this chunk
            fillPrefix(chunk, chunkStart);
          }
        }
        for (let i = ranges.length - 1; i >= 0; i--) if (ranges[i].done) ranges.splice(i, 1);
      }
      if (!notElf && !dynamicDone && candidateEnd > prefixLimit) scanCandidates(chunk, chunkStart);
      offset = chunkEnd;
    },
    end(): ElfParseResult {
      if (notElf) return { problems };
      if (!info) {
        const header = ranges.find((rg) => rg.start === 0 && !rg.done);
        const looksElf = header !== undefined && header.filled >= 4 && header.buf.readUInt32BE(0) === 0x7f454c46;
        return { problems: looksElf ? [...problems, 'truncated ELF header'] : problems };
      }
      for (const rg of ranges) if (!rg.done) problems.push(`file ends at ${offset} before bytes ${rg.start}–${rg.end}`);
      return { elf: info, problems };
    },
  };
}

/** Read a file from disk through the streaming sink (for `dir:` roots and tests). */
export async function parseElfFile(file: string, options: { signal?: AbortSignal } = {}): Promise<ElfParseResult> {
  const sink = createElfSink();
  for await (const chunk of createReadStream(file, { highWaterMark: 256 * 1024, signal: options.signal }))
    sink.write(chunk as Buffer);
  return sink.end();
}
