// Public door of `zerocve slim`: cut an image down to what a workload uses, verified by running it again.
export { slimImage } from './slim.ts';
export type { SlimOptions, SlimOutput, SlimProgress, SlimCommand, SlimResult } from './slim.ts';
export { computeKeepSet, RUNTIME_BASELINE } from './keep-set.ts';
export type { KeepSet, KeepSetInput } from './keep-set.ts';
export { dpkgKeep, rewriteDpkgStatus } from './dpkg.ts';
export type { PackageKeep } from './dpkg.ts';
export { firstMissingPath } from './missing-path.ts';
export { slimAndReport, outputTarget } from './report.ts';
export type { SlimReport } from './report.ts';
