// The surface stage's analyzers: ELF headers, content hashes and secrets, each claiming entries by header alone.
import { createHash } from 'node:crypto';
import type { Analyzer, Sink } from '../core/analyzer.ts';
import type { EntryHeader } from '../core/entry.ts';
import type { Fact } from '../core/fact.ts';
import { readerProblemCode } from '../core/package.ts';
import { createElfSink } from '../elf/index.ts';
import { scanSecrets, secretPathExcluded } from './secrets/scan-secrets.ts';
import { createLdSoConfAnalyzer } from './loader/parse-ld-so-conf.ts';

export interface SurfaceAnalyzerOptions {
  /** ELF facts for executables and shared objects, `#!` interpreters, and ld.so.conf directories (default true) */
  elf?: boolean;
  /**
   * sha256 of regular files for duplicate detection (default false: turn on with the bloat scanner).
   * Measured here (2 cores, SHA-NI): Node sha256 runs at ~1,060 MB/s on 256 KiB chunks, ~775 MB/s on 4 KiB files,
   * ~150 MB/s on 200-byte files (~1.3 µs per file). Gzip layer decompression runs at ~290 MB/s, so hashing every
   * byte adds ~25–30% CPU to a layer walk. On a `dir:` root (the walk reads only the files analyzers want) the
   * 472 MB / 14,485-entry Debian python3 + build-essential root took 0.5–0.7 s CPU to walk with no analyzer,
   * 1.8–2.3 s with `elf`, 3.7–4.7 s with `content-hash` (every byte read and hashed, ~110–130 MB/s).
   * Too much for a plain vulnerability scan, cheap enough when the bloat scanner is on: hashing is opt-in.
   * Files of any size ≥ 1 byte are hashed (the per-file cost of small files is negligible); raise
   * `hashMinSize` to skip them.
   */
  hashes?: boolean;
  /** smallest file hashed, bytes (default 1) */
  hashMinSize?: number;
  /** secret detection in text files ≤ 1 MiB (default false) */
  secrets?: boolean;
}

export const SECRET_MAX_BYTES = 1024 * 1024;
const SHEBANG_MAX = 256;
const SHARED_OBJECT = /\.so(\.[0-9A-Za-z_]+)*$/;

/** Executables (ELF or `#!` script) and `*.so*` regular files of at least an ELF header's size. */
export const isElfCandidate = (e: EntryHeader): boolean =>
  e.type === 'file' && (((e.mode & 0o111) !== 0 && e.size >= 2) || (e.size >= 52 && SHARED_OBJECT.test(e.path)));

export function createElfAnalyzer(): Analyzer {
  return {
    name: 'elf',
    version: 1,
    wants: (e) => (isElfCandidate(e) ? 'stream' : null),
    sink(entry: EntryHeader): Sink {
      const sink = createElfSink();
      // the first line, for `#!` scripts (bounded)
      let head = Buffer.alloc(0);
      return {
        write(chunk) {
          if (head.length < SHEBANG_MAX && !head.includes(0x0a))
            head = Buffer.concat([head, chunk.subarray(0, SHEBANG_MAX - head.length)]);
          sink.write(chunk);
        },
        end(): Fact[] {
          const { elf, problems } = sink.end();
          const facts: Fact[] = problems.map((message) => ({
            kind: 'problem',
            code: readerProblemCode(message),
            path: entry.path,
            analyzer: 'elf',
            message,
          }));
          if (elf) facts.unshift({ kind: 'elf', path: entry.path, elf });
          else if (head[0] === 0x23 && head[1] === 0x21) {
            const nl = head.indexOf(0x0a);
            const interpreter = head.toString('utf8', 2, nl < 0 ? head.length : nl).trim();
            facts.unshift({ kind: 'shebang', path: entry.path, interpreter });
          }
          return facts;
        },
      };
    },
  };
}

export function createContentHashAnalyzer(options: { minSize?: number } = {}): Analyzer {
  const minSize = Math.max(1, options.minSize ?? 1);
  return {
    name: 'content-hash',
    version: 1,
    wants: (e) => (e.type === 'file' && e.size >= minSize ? 'stream' : null),
    sink(entry: EntryHeader): Sink {
      const hash = createHash('sha256');
      let size = 0;
      return {
        write(chunk) {
          hash.update(chunk);
          size += chunk.length;
        },
        end: (): Fact[] => [{ kind: 'content-hash', path: entry.path, sha256: hash.digest('hex'), size }],
      };
    },
  };
}

export function createSecretAnalyzer(): Analyzer {
  return {
    name: 'secret',
    version: 1,
    wants: (e) =>
      e.type === 'file' && e.size > 0 && e.size <= SECRET_MAX_BYTES && !secretPathExcluded(e.path)
        ? { maxBytes: SECRET_MAX_BYTES }
        : null,
    analyze: (entry, content) => (content ? scanSecrets(entry.path, content) : []),
  };
}

/** The surface analyzers, in a fixed order. */
export function createSurfaceAnalyzers(options: SurfaceAnalyzerOptions = {}): Analyzer[] {
  const list: Analyzer[] = [];
  // the loader configuration goes with ELF facts: both are needed to resolve which library copy is loaded
  if (options.elf ?? true) list.push(createElfAnalyzer(), createLdSoConfAnalyzer());
  if (options.hashes) list.push(createContentHashAnalyzer({ minSize: options.hashMinSize }));
  if (options.secrets) list.push(createSecretAnalyzer());
  return list;
}
