// Running workloads inside image roots, and what they touch.
export { runInRoot, sandboxSkip } from './sandbox.ts';
export type { RunOptions, RunResult } from './sandbox.ts';
export { parseStraceLog } from './trace.ts';
export type { TraceResult, Access } from './trace.ts';
export { detectDriverVersion, queryComputeCaps, validDriverVersion } from './nvidia.ts';
export type { NvidiaProbeOptions } from './nvidia.ts';
