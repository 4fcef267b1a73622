// Analyzers claim entries cheaply by header, then read only the bytes they need while the layer streams by.
// Every layer is read exactly once per scan, whatever the number of analyzers.
import type { EntryHeader } from './entry.ts';
import type { Fact } from './fact.ts';

/**
 * What an analyzer needs of an entry:
 * - `header`: the header alone (no bytes)
 * - `{ maxBytes }`: the whole content in one Buffer, if the file is at most maxBytes (larger: a problem fact)
 * - `stream`: every chunk, in order, through a sink (for hashing or scanning huge files in bounded memory)
 */
export type Want = 'header' | { maxBytes: number } | 'stream';

/**
 * Random access to one file's bytes, offered by sources that can seek (an unpacked root on disk; never a layer
 * streamed from a tar). `read` returns fewer bytes than asked only at the end of the file.
 */
export interface RandomAccessFile {
  readonly size: number;
  read(position: number, length: number): Promise<Buffer>;
}

export interface Sink {
  write(chunk: Buffer): void;
  end(): Fact[] | Promise<Fact[]>;
}

export interface Analyzer {
  readonly name: string;
  /** bump when output changes: part of the per-layer cache key */
  readonly version: number;
  /** cheap: decide from the header alone; null = not interested */
  wants(entry: EntryHeader): Want | null;
  /** for `header` and `{ maxBytes }` wants */
  analyze?(entry: EntryHeader, content: Buffer | null): Fact[] | Promise<Fact[]>;
  /** for `stream` wants */
  sink?(entry: EntryHeader): Sink;
  /**
   * for `stream` wants, used instead of sink() when the source can seek: reads only the bytes it needs (an ELF
   * file's section headers and one section, a zip's central directory) and gives the same facts as sink() would.
   */
  readAt?(entry: EntryHeader, file: RandomAccessFile): Promise<Fact[]>;
}
