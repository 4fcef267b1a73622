// Facts: what analyzers learn from one layer's entries. Plain JSON, cached per layer (keyed by the layer digest and
// the versions of the analyzers that ran), then merged in layer order: a fact whose `path` is deleted or replaced
// by a later layer is dropped by the merge.
import type { OsInfo, Package, ModelFile, ProblemCode } from './package.ts';
import type { Severity } from './advisory.ts';

export type Fact =
  | { kind: 'os'; path: string; os: OsInfo }
  /** packages recorded by a package database or metadata file at `path` (locations filled by the merge) */
  | { kind: 'packages'; path: string; packages: Package[] }
  /**
   * files owned by a package, from a separate list (dpkg info/*.list); `package` is the package name (dpkg: name or
   * name:arch)
   */
  | { kind: 'owned-files'; path: string; package: string; files: string[] }
  | { kind: 'model'; path: string; model: Omit<ModelFile, 'layer'> }
  /** a Python distribution's INSTALLER file (joined to the distribution in the same directory by the catalog) */
  | { kind: 'installer'; path: string; installer: string }
  | { kind: 'content-hash'; path: string; sha256: string; size: number }
  | { kind: 'elf'; path: string; elf: ElfInfo }
  /** an executable script: the interpreter named on its `#!` line (e.g. `/usr/bin/env python3`) */
  | { kind: 'shebang'; path: string; interpreter: string }
  | { kind: 'fatbin'; path: string; entries: FatbinEntry[] }
  /** `severity`: the worst risk among `unsafe` (absent when every import is on the allow-list) */
  | { kind: 'pickle'; path: string; imports: PickleImport[]; unsafe: PickleImport[]; severity?: Severity }
  | { kind: 'secret'; path: string; rule: string; title: string; line: number; redacted: string }
  /**
   * library directories and `include` globs of /etc/ld.so.conf or /etc/ld.so.conf.d/*.conf (the loader's search path)
   */
  | { kind: 'ld-so-conf'; path: string; dirs: string[]; includes: string[] }
  | { kind: 'problem'; code: ProblemCode; path: string; analyzer: string; message: string };

export interface ElfInfo {
  class: 32 | 64;
  machine: string;
  type: 'exec' | 'dyn' | 'rel' | 'core' | 'other';
  interpreter?: string;
  needed: string[];
  rpath: string[];
  runpath: string[];
  soname?: string;
  /** bytes in .debug_* sections (unstripped) */
  debugBytes: number;
  stripped: boolean;
}

export interface FatbinEntry {
  kind: 'cubin' | 'ptx';
  /** `sm_80`, `sm_90a`, … */
  arch: string;
  /** bytes as stored in the fatbin (compressed if compressed) */
  size: number;
  uncompressedSize: number;
  compressed: boolean;
}

export interface PickleImport {
  module: string;
  name: string;
  /** which pickle inside a container (e.g. `archive/data.pkl`) */
  member?: string;
  opcode: 'GLOBAL' | 'STACK_GLOBAL' | 'INST' | 'OBJ' | 'REDUCE';
}
