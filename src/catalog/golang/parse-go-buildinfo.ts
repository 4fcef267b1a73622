// Go build information, read from an ELF binary's bytes as they stream by once (never the whole file in memory).
//
// Go's linker leaves a 32-byte blob starting with `\xff Go buildinf:` at a 16-byte-aligned address near the start
// of the writable data (its own `.go.buildinfo` section since Go 1.13 on ELF): byte 14 is the pointer size, byte 15
// flags (bit 0 big-endian, bit 1 inline strings).
// - Go ≥ 1.18 (flag bit 1): the version and the module information follow the header as varint-length-prefixed
//   strings.
// - Go 1.13–1.17: two pointers (virtual addresses) to Go string headers {data pointer, length} for
//   runtime.buildVersion and runtime.modinfo; the string bytes live in .rodata, earlier in the file than the blob.
//   While streaming, every `go1.` string and every sentinel-framed module block is remembered with its file offset
//   (bounded), and the string headers, which follow the blob in the data segment, are read when they stream by.
// - Without the blob (binaries whose build-info blob was removed, such as esbuild's npm binaries from Go 1.26,
//   where `go version -m` says "not a Go executable"): the module information still sits in .rodata between its
//   16-byte sentinels, and the data segment still holds runtime.buildVersion's string header pointing at the
//   `go1.x.y` bytes; both are found the same way.
// The module information (`path`, `mod`, `dep`, `=>`, `build` lines) is framed by 16-byte sentinels, stripped here.
//
// Read at random (an unpacked root), an ELF file with section headers and no Go section is not a Go binary, and a
// 1.18+ binary's information is all in its `.go.buildinfo` section: a few small reads. Every other case (no section
// headers, a pre-1.18 blob, a Go binary without `.go.buildinfo` such as esbuild's, a blob that does not decode)
// streams the whole file through the sink above, so both paths give the same answer.
import type { RandomAccessFile } from '../../core/analyzer.ts';
import {
  offsetOfVaddr,
  readElfHeaders,
  readElfLayout,
  vaddrOfOffset,
  SHF_EXECINSTR,
  SHT_NOBITS,
  type ElfHeaders,
  type ElfLayout,
  type ElfSection,
} from '../../elf/index.ts';

export interface GoModule {
  path: string;
  version: string;
  sum?: string;
  replace?: GoModule;
}

export interface GoBuildInfo {
  /** `go1.19.8`; '' when the version could not be found */
  goVersion: string;
  /** the main package's import path */
  path?: string;
  main?: GoModule;
  deps: GoModule[];
  settings: { key: string; value: string }[];
  /** how it was found: the 1.18+ inline blob, the pre-1.18 pointer blob, or the framed module block alone */
  format: 'inline' | 'pointer' | 'framed';
}

export interface GoBuildInfoResult {
  /** undefined when the file is not a Go binary with build information (or not ELF) */
  info?: GoBuildInfo;
  problems: string[];
}

const MAGIC = Buffer.from('\xff Go buildinf:', 'latin1');
const INFO_START = Buffer.from('3077af0c9274080241e1c107e6d618e6', 'hex');
const INFO_END = Buffer.from('f932433186182072008242104116d8f2', 'hex');
const GO1 = Buffer.from('go1.', 'latin1');
const HEAD_CAP = 1 << 20;
const BLOB_CAP = 16 << 20;
const FRAMED_CAP = 16 << 20;
const MAX_FRAMED = 4;
const MAX_VERSION_CANDIDATES = 4096;
const VERSION_BYTES = 48;
const CARRY = 64;
const VERSION_RE = /^go1(?:\.\d+){0,2}(?:(?:rc|beta)\d+)?(?: [\x20-\x7e]+)?$/;

interface Capture {
  start: number;
  parts: Buffer[];
  length: number;
  cap: number;
  /** called with the bytes so far; returns true when it has enough */
  done: (buf: Buffer) => boolean;
  finished: boolean;
}

const decodeVarint = (b: Buffer, at: number): { value: number; next: number } | undefined => {
  let value = 0;
  let mul = 1;
  for (let i = at; i < b.length && i < at + 10; i++) {
    value += (b[i] & 0x7f) * mul;
    if ((b[i] & 0x80) === 0) return { value, next: i + 1 };
    mul *= 128;
  }
  return undefined;
};

/** A sink that reads Go build information from a file's chunks, in order. */
export interface GoBuildInfoSink {
  write(chunk: Buffer): void;
  end(): GoBuildInfoResult;
  /**
   * True when the ELF headers are read and nothing is being captured: the bytes up to a later offset may then be
   * left out with skipTo() (machine code, where Go keeps none of what is searched for).
   */
  idle(): boolean;
  skipTo(offset: number): void;
}

export function createGoBuildInfoSink(): GoBuildInfoSink {
  const problems: string[] = [];
  let head: Buffer[] = [];
  let headLen = 0;
  let elf: ElfHeaders | undefined;
  let notElf = false;
  let offset = 0;
  let carry = Buffer.alloc(0);
  const captures: Capture[] = [];
  let blob: Buffer | undefined;
  let blobStart = -1;
  const framed = new Map<number, Buffer>();
  let framedCount = 0;
  const versions = new Map<number, Buffer>(); // file offset → bytes from `go1.`
  let versionVaddrs: Map<number, number> | undefined; // vaddr → file offset, built lazily
  const versionRefs: string[] = []; // versions referenced by a string header in writable data
  let current = 0; // file offset of the chunk being processed
  const resolved: { vers?: { off: number; len: number }; mod?: { off: number; len: number } } = {};

  const capture = (start: number, cap: number, done: Capture['done']): Capture => {
    const c: Capture = { start, parts: [], length: 0, cap, done, finished: false };
    captures.push(c);
    return c;
  };

  const onBlob = (buf: Buffer): boolean => {
    if (buf.length < 32) return false;
    const flags = buf[15];
    if ((flags & 2) !== 0) {
      const v = decodeVarint(buf, 32);
      if (!v) return buf.length >= 42;
      const m = decodeVarint(buf, v.next + v.value);
      if (!m) return buf.length >= v.next + v.value + 10;
      return buf.length >= m.next + m.value;
    }
    return true;
  };

  const wordAt = (b: Buffer, o: number, ptrSize: number, le: boolean): number =>
    ptrSize === 4
      ? le
        ? b.readUInt32LE(o)
        : b.readUInt32BE(o)
      : le
        ? b.readUInt32LE(o) + b.readUInt32LE(o + 4) * 2 ** 32
        : b.readUInt32BE(o + 4) + b.readUInt32BE(o) * 2 ** 32;

  /** pre-1.18: follow the header's pointers to the two string headers (later in the file) */
  const onPointerBlob = (buf: Buffer): void => {
    if (!elf) return;
    const ptrSize = buf[14];
    const le = (buf[15] & 1) === 0;
    if (ptrSize !== 4 && ptrSize !== 8) {
      problems.push(`Go build info: pointer size ${ptrSize}`);
      return;
    }
    for (const [kind, at] of [
      ['vers', 16],
      ['mod', 16 + ptrSize],
    ] as const) {
      const off = offsetOfVaddr(elf.loads, wordAt(buf, at, ptrSize, le));
      if (off === undefined) continue;
      const take = (hdr: Buffer): void => {
        const dataOff = offsetOfVaddr(elf!.loads, wordAt(hdr, 0, ptrSize, le));
        const len = wordAt(hdr, ptrSize, ptrSize, le);
        if (dataOff !== undefined) resolved[kind] = { off: dataOff, len };
      };
      if (off >= blobStart && off + 2 * ptrSize <= blobStart + buf.length) take(buf.subarray(off - blobStart));
      else if (off >= current)
        capture(off, 2 * ptrSize, (b) => {
          if (b.length < 2 * ptrSize) return false;
          take(b);
          return true;
        });
      else problems.push(`Go build info (pre-1.18 layout): the ${kind} string header precedes the blob`);
    }
  };

  const feedCaptures = (chunk: Buffer, chunkStart: number): void => {
    for (const c of captures) {
      if (c.finished) continue;
      const need = c.start + c.length;
      const end = chunkStart + chunk.length;
      if (need < chunkStart || need >= end) continue;
      const piece = chunk.subarray(need - chunkStart, Math.min(end, c.start + c.cap) - chunkStart);
      c.parts.push(Buffer.from(piece));
      c.length += piece.length;
      const buf = c.parts.length === 1 ? c.parts[0] : Buffer.concat(c.parts);
      c.parts = [buf];
      if (c.done(buf) || c.length >= c.cap) c.finished = true;
    }
    for (let i = captures.length - 1; i >= 0; i--) if (captures[i].finished) captures.splice(i, 1);
  };

  const scan = (win: Buffer, winStart: number, chunkStart: number): void => {
    // matches must start in this chunk (matches starting in the carry were seen last time)
    const from = chunkStart - winStart;
    if (blobStart < 0) {
      let i = win.indexOf(MAGIC, Math.max(0, from - 15));
      while (i >= 0) {
        const abs = winStart + i;
        if (abs % 16 === 0 && abs >= chunkStart - 15) {
          blobStart = abs;
          const c = capture(abs, BLOB_CAP, (b) => {
            if (!onBlob(b)) return false;
            blob = b;
            if ((b[15] & 2) === 0) onPointerBlob(b);
            return true;
          });
          // the bytes already in this window
          const have = win.subarray(i);
          c.parts.push(Buffer.from(have.subarray(0, Math.min(have.length, BLOB_CAP))));
          c.length = c.parts[0].length;
          if (c.done(c.parts[0])) c.finished = true;
          break;
        }
        i = win.indexOf(MAGIC, i + 1);
      }
    }
    if (framedCount < MAX_FRAMED) {
      let i = win.indexOf(INFO_START, Math.max(0, from - INFO_START.length + 1));
      while (i >= 0 && framedCount < MAX_FRAMED) {
        const abs = winStart + i;
        if (!framed.has(abs) && abs >= chunkStart - INFO_START.length + 1) {
          framedCount++;
          const c = capture(abs, FRAMED_CAP, (b) => {
            const e = b.indexOf(INFO_END, 16);
            if (e < 0) return false;
            framed.set(abs, b.subarray(0, e + 16));
            return true;
          });
          const have = win.subarray(i);
          c.parts.push(Buffer.from(have.subarray(0, Math.min(have.length, FRAMED_CAP))));
          c.length = c.parts[0].length;
          if (c.done(c.parts[0])) c.finished = true;
        }
        i = win.indexOf(INFO_START, i + 1);
      }
    }
    if (versions.size < MAX_VERSION_CANDIDATES) {
      let i = win.indexOf(GO1, Math.max(0, from - GO1.length + 1));
      while (i >= 0 && versions.size < MAX_VERSION_CANDIDATES) {
        const abs = winStart + i;
        if (abs >= chunkStart - GO1.length + 1 && !versions.has(abs)) {
          // a candidate may run into the next chunk: keep what is here (versions are short; the carry covers most)
          versions.set(abs, Buffer.from(win.subarray(i, i + VERSION_BYTES)));
          versionVaddrs = undefined;
        }
        i = win.indexOf(GO1, i + 1);
      }
    }
  };

  /** string headers in writable data that point at a `go1.` candidate */
  const scanPointers = (win: Buffer, winStart: number, chunkStart: number): void => {
    if (!elf || versions.size === 0) return;
    if (!versionVaddrs) {
      versionVaddrs = new Map();
      for (const off of versions.keys()) {
        const v = vaddrOfOffset(elf.loads, off);
        if (v !== undefined) versionVaddrs.set(v, off);
      }
    }
    const ptrSize = elf.is64 ? 8 : 4;
    for (const seg of elf.loads) {
      if ((seg.flags & 3) !== 2) continue; // writable, not executable
      const lo = Math.max(seg.offset, chunkStart - 2 * ptrSize + 1, winStart);
      const hi = Math.min(seg.offset + seg.filesz, winStart + win.length) - 2 * ptrSize;
      let o = lo + ((ptrSize - ((lo - seg.offset) % ptrSize)) % ptrSize);
      for (; o <= hi; o += ptrSize) {
        const target = versionVaddrs.get(wordAt(win, o - winStart, ptrSize, elf.littleEndian));
        if (target === undefined) continue;
        const len = wordAt(win, o - winStart + ptrSize, ptrSize, elf.littleEndian);
        const bytes = versions.get(target)!;
        if (len < 4 || len > bytes.length) continue;
        const s = bytes.toString('latin1', 0, len);
        if (VERSION_RE.test(s)) versionRefs.push(s);
      }
    }
  };

  return {
    write(chunk: Buffer): void {
      if (notElf) return;
      const chunkStart = offset;
      current = chunkStart;
      offset += chunk.length;
      if (!elf) {
        head.push(chunk);
        headLen += chunk.length;
        const h = readElfHeaders(head.length === 1 ? head[0] : Buffer.concat(head));
        if (h === 'not-elf') {
          notElf = true;
          head = [];
          return;
        }
        if (!('loads' in h)) {
          if (headLen > HEAD_CAP) {
            problems.push('ELF program headers beyond the first megabyte');
            notElf = true;
          }
          return;
        }
        elf = h;
        const all = head.length === 1 ? head[0] : Buffer.concat(head);
        head = [];
        // process everything seen so far as one chunk starting at 0
        current = 0;
        scan(all, 0, 0);
        feedCaptures(all, 0);
        scanPointers(all, 0, 0);
        carry = Buffer.from(all.subarray(Math.max(0, all.length - CARRY)));
        return;
      }
      const win = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
      const winStart = chunkStart - carry.length;
      scan(win, winStart, chunkStart);
      feedCaptures(chunk, chunkStart);
      scanPointers(win, winStart, chunkStart);
      carry = Buffer.from(win.subarray(Math.max(0, win.length - CARRY)));
    },
    idle: () => !notElf && elf !== undefined && captures.length === 0,
    skipTo(to: number): void {
      if (to <= offset) return;
      offset = to;
      carry = Buffer.alloc(0);
    },
    end(): GoBuildInfoResult {
      if (notElf || !elf) return { problems };
      let vers = '';
      let mod: Buffer | undefined;
      let format: GoBuildInfo['format'] = 'framed';
      if (blob && (blob[15] & 2) !== 0) {
        format = 'inline';
        const v = decodeVarint(blob, 32);
        if (v && v.next + v.value <= blob.length) {
          vers = blob.toString('utf8', v.next, v.next + v.value);
          const m = decodeVarint(blob, v.next + v.value);
          if (m && m.next + m.value <= blob.length) mod = blob.subarray(m.next, m.next + m.value);
        }
        if (!vers) problems.push('Go build info blob truncated');
      } else if (blob) {
        format = 'pointer';
        if (resolved.vers) {
          const b = versions.get(resolved.vers.off);
          if (b && resolved.vers.len <= b.length) vers = b.toString('latin1', 0, resolved.vers.len);
        }
        if (resolved.mod) {
          const f = framed.get(resolved.mod.off);
          if (f && f.length === resolved.mod.len) mod = f;
        }
        if (!vers) problems.push('Go build info (pre-1.18 layout): the version string was not found');
      }
      if (!blob || (format === 'pointer' && !mod)) {
        // no blob (or its module pointer unresolved): the framed module block and the referenced version string
        mod ??= [...framed.entries()].sort((a, b) => a[0] - b[0]).map(([, b]) => b)[0];
        if (!vers) {
          const distinct = [...new Set(versionRefs)];
          if (distinct.length === 1) vers = distinct[0];
          else if (distinct.length > 1) problems.push(`several Go versions referenced: ${distinct.join(', ')}`);
        }
        if (!mod && !blob) return { problems };
      }
      const info = parseModInfo(mod ? stripFraming(mod) : '');
      return { info: { ...info, goVersion: vers, format }, problems };
    },
  };
}

/** Go build information of a file read at random: see the header. */
export async function readGoBuildInfo(file: RandomAccessFile): Promise<GoBuildInfoResult> {
  const layout = await readElfLayout(file);
  if (layout === 'not-elf' || layout === 'unusable') return streamed(file, layout);
  const direct = layout.sections ? await fromSections(file, layout.sections) : undefined;
  return direct === 'not-go' ? { problems: [] } : (direct ?? streamed(file, layout));
}

/**
 * The whole file through the sink, except its machine code when the section headers say where it is (the `.text`
 * of a Go binary is half of it; Go keeps strings, the module block and build information in data sections).
 */
async function streamed(
  file: RandomAccessFile,
  layout: ElfLayout | 'not-elf' | 'unusable',
): Promise<GoBuildInfoResult> {
  if (layout === 'not-elf') return { problems: [] };
  const sink = createGoBuildInfoSink();
  const code =
    typeof layout === 'object' && layout.sections
      ? layout.sections
          .filter((s) => (s.flags & SHF_EXECINSTR) !== 0 && s.type !== SHT_NOBITS && s.offset >= layout.headerEnd)
          .sort((a, b) => a.offset - b.offset)
      : [];
  let pos = 0;
  const feed = async (to: number): Promise<void> => {
    for (to = Math.min(to, file.size); pos < to;) {
      const chunk = await file.read(pos, Math.min(STREAM_CHUNK, to - pos));
      if (chunk.length === 0) {
        pos = file.size;
        return;
      }
      sink.write(chunk);
      pos += chunk.length;
    }
  };
  for (const s of code) {
    if (s.offset + s.size <= pos) continue;
    await feed(s.offset);
    if (pos === s.offset && sink.idle()) {
      pos = Math.min(file.size, s.offset + s.size);
      sink.skipTo(pos);
    }
  }
  await feed(file.size);
  return sink.end();
}

const STREAM_CHUNK = 4 * 1024 * 1024;

/** sections only Go's linker writes (`.go.buildinfo`, `.go.module`, `.gopclntab`…; not `.got`) */
const isGoSection = (name: string): boolean =>
  name.startsWith('.go.') || name === '.gopclntab' || name === '.gosymtab' || name === '.note.go.buildid';

/** undefined: cannot tell from the sections alone (stream the file); 'not-go': no Go section at all. */
async function fromSections(
  file: RandomAccessFile,
  sections: readonly ElfSection[],
): Promise<GoBuildInfoResult | 'not-go' | undefined> {
  const sec = sections.find((s) => s.name === '.go.buildinfo' && s.type !== SHT_NOBITS);
  if (!sec) return sections.some((s) => isGoSection(s.name)) ? undefined : 'not-go';
  if (sec.offset % 16 !== 0 || sec.size < 32) return undefined;
  const blob = await file.read(sec.offset, Math.min(sec.size, BLOB_CAP));
  if (blob.length < 32 || !blob.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
  const problems: string[] = [];
  if ((blob[15] & 2) !== 0) {
    // anything short of a whole version and module string: let the sink decide, as it would have
    const v = decodeVarint(blob, 32);
    if (!v || v.value === 0 || v.next + v.value > blob.length) return undefined;
    const m = decodeVarint(blob, v.next + v.value);
    if (!m || m.next + m.value > blob.length) return undefined;
    const vers = blob.toString('utf8', v.next, v.next + v.value);
    const mod = blob.subarray(m.next, m.next + m.value);
    return { info: { ...parseModInfo(stripFraming(mod)), goVersion: vers, format: 'inline' }, problems };
  }
  // pre-1.18 (pointers to string headers, resolved against segments the stream has seen): streamed whole
  return undefined;
}

/** Removes the 16-byte sentinels around the module information (`mod` as the binary holds it). */
function stripFraming(mod: Buffer): string {
  if (mod.length >= 33 && mod[mod.length - 17] === 0x0a) return mod.toString('utf8', 16, mod.length - 16);
  return '';
}

/** The module lines of Go build information (runtime/debug.BuildInfo's text form, without the `go` line). */
export function parseModInfo(text: string): Omit<GoBuildInfo, 'goVersion' | 'format'> {
  const out: Omit<GoBuildInfo, 'goVersion' | 'format'> = { deps: [], settings: [] };
  let last: GoModule | undefined;
  for (const line of text.split('\n')) {
    const f = line.split('\t');
    const mod = (): GoModule => {
      const m: GoModule = { path: f[1] ?? '', version: f[2] ?? '' };
      if (f[3]) m.sum = f[3];
      return m;
    };
    switch (f[0]) {
      case 'path':
        out.path = f[1];
        break;
      case 'mod':
        out.main = last = mod();
        break;
      case 'dep':
        last = mod();
        out.deps.push(last);
        break;
      case '=>':
        if (last) last.replace = mod();
        break;
      case 'build': {
        const kv = f.slice(1).join('\t');
        const eq = kv.indexOf('=');
        if (eq > 0) out.settings.push({ key: kv.slice(0, eq), value: kv.slice(eq + 1) });
        break;
      }
      default:
        break;
    }
  }
  return out;
}

/** Go toolchain version → semver with `v`, as Go's vulnerability database writes it: go1.21rc2 → v1.21.0-rc.2. */
export function goVersionToSemver(goVersion: string): string | undefined {
  const m = /^go(\d+)\.(\d+)(?:\.(\d+))?(?:(rc|beta)(\d+))?(?:$|[ +-])/.exec(goVersion);
  if (!m) return undefined;
  const pre = m[4] ? `-${m[4]}.${m[5]}` : '';
  return `v${m[1]}.${m[2]}.${m[3] ?? '0'}${pre}`;
}
