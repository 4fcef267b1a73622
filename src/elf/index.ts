// ELF reading, below the stages that need it: `surface` (executables, GPU device code, loader) and `catalog` (Go and
// Rust binaries carry their dependency lists in ELF sections).
export { createElfSink, parseElfFile } from './parse-elf.ts';
export type { ElfParseResult } from './parse-elf.ts';
export { readElfHeaders, offsetOfVaddr, vaddrOfOffset } from './elf-headers.ts';
export type { ElfHeaders, LoadSegment } from './elf-headers.ts';
export { readElfLayout, streamFile, SHT_NOBITS, SHF_EXECINSTR } from './elf-sections.ts';
export type { ElfLayout, ElfSection } from './elf-sections.ts';
