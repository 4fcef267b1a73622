// GPU device code: find CUDA fat binaries in ELF files and say which architectures they carry and what is prunable.
export { createGpuAnalyzer, createFatbinSink, GPU_ANALYZER_NAME } from './analyzer.ts';
export type { GpuAnalyzerOptions } from './analyzer.ts';
export { createFatbinScanner, decodeEntryHeader, FATBIN_MAGIC } from './parse-fatbin.ts';
export type { FatbinScanner, FatbinScanResult } from './parse-fatbin.ts';
export { summarizeDeviceCode, normalizeGpuArch, cubinRunsOn, ptxJitsOn } from './summarize.ts';
export type { DeviceCodeSummary, DeviceCodeFile, DeviceCodeEntry, SummarizeOptions } from './summarize.ts';
export { parseComputeCaps } from './summarize.ts';
