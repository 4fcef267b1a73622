// The GPU device-code analyzer: streams ELF shared objects and executables (and bare `.fatbin` files) and reports the
// CUDA fat-binary entries they carry as a `fatbin` fact. Only entry headers are kept; payloads stream past.
import type { Analyzer, Sink } from '../../core/analyzer.ts';
import type { EntryHeader } from '../../core/entry.ts';
import type { Fact } from '../../core/fact.ts';
import { readerProblemCode } from '../../core/package.ts';
import { createFatbinScanner, FATBIN_MAGIC } from './parse-fatbin.ts';

export const GPU_ANALYZER_NAME = 'gpu-fatbin';

const SHARED_OBJECT = /\.so(\.\d+)*$/;
const BARE_FATBIN = /\.fatbin$/;
/** the smallest ELF file that could hold a container: ELF header + fatbin header + one entry header */
const MIN_SIZE = 64 + 16 + 64;

export interface GpuAnalyzerOptions {
  /** also stream executables without a `.so` name (default true) */
  executables?: boolean;
}

export function createGpuAnalyzer(options: GpuAnalyzerOptions = {}): Analyzer {
  const executables = options.executables ?? true;
  return {
    name: GPU_ANALYZER_NAME,
    version: 1,
    wants(entry: EntryHeader) {
      if (entry.type !== 'file' || entry.size < MIN_SIZE) return null;
      const base = entry.path.slice(entry.path.lastIndexOf('/') + 1);
      if (SHARED_OBJECT.test(base) || BARE_FATBIN.test(base)) return 'stream';
      if (executables && (entry.mode & 0o111) !== 0) return 'stream';
      return null;
    },
    sink(entry: EntryHeader): Sink {
      return createFatbinSink(entry.path, entry.size);
    },
  };
}

/** A sink that decides from the first four bytes whether the file can hold device code, then scans it. */
export function createFatbinSink(path: string, fileSize?: number): Sink {
  const scanner = createFatbinScanner({ fileSize });
  let head = Buffer.alloc(0);
  let verdict: 'unknown' | 'scan' | 'ignore' = 'unknown';
  return {
    write(chunk: Buffer) {
      if (verdict === 'ignore') return;
      if (verdict === 'unknown') {
        head = Buffer.concat([head, chunk.subarray(0, 4 - head.length)]);
        if (head.length < 4) {
          scanner.write(chunk);
          return;
        }
        const elf = head[0] === 0x7f && head[1] === 0x45 && head[2] === 0x4c && head[3] === 0x46;
        verdict = elf || head.readUInt32LE(0) === FATBIN_MAGIC ? 'scan' : 'ignore';
        if (verdict === 'ignore') return;
      }
      scanner.write(chunk);
    },
    end(): Fact[] {
      if (verdict !== 'scan') return [];
      const { entries, problems } = scanner.end();
      const facts: Fact[] = [];
      if (entries.length > 0) facts.push({ kind: 'fatbin', path, entries });
      for (const message of problems)
        facts.push({
          kind: 'problem',
          code: readerProblemCode(message),
          path,
          analyzer: GPU_ANALYZER_NAME,
          message: `${path}: ${message}`,
        });
      return facts;
    },
  };
}
