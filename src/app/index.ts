// Public door of the app stage: the use cases (scan, sbom, inspect, slim, build) that wire the stages together.
// The CLI, and later the service, call only what is named here.
export { VERSION } from './version.ts';
export { SCANNERS, DEFAULT_SCANNERS, parseScanners, analyzeTarget, analyzeImage } from './analyze.ts';
export type { Scanner, AnalyzeOptions, AnalyzeProgress, Analysis } from './analyze.ts';
export { scanTarget, assembleReport, DB_MAX_AGE_HOURS } from './scan.ts';
export type { ScanOptions } from './scan.ts';
export { inspectTarget } from './inspect.ts';
export type { InspectResult } from './inspect.ts';
export { slimAndReport, slimImage, outputTarget } from './slim/index.ts';
export type { SlimOptions, SlimOutput, SlimProgress, SlimCommand, SlimResult, SlimReport } from './slim/index.ts';
export { buildImage, checkFreshness, readBuildSpec, parseBuildSpec, parseOutputTarget } from './build/index.ts';
export type { BuildSpec, BuildOutput, BuildOptions, BuildResult, FreshnessReport } from './build/index.ts';
export { pushLayoutImage } from './push-image.ts';
export type { PushImageOptions, PushImageResult } from './push-image.ts';
export { chooseGpuArchs } from './gpu-archs.ts';
export type { GpuArchChoice } from './gpu-archs.ts';
export { bloatTarget } from './bloat.ts';
export type { BloatOptions } from './bloat.ts';
export { openLocalDb, describeDb } from './local-db.ts';
export type { LocalDb, LocalDbOptions } from './local-db.ts';
export type { AdvisoryData, AdvisoryNeed, AdvisoryProvider } from './scan.ts';
export { pushDb, pullDb, ensureDbFromRepository, DB_ARTIFACT_TYPE, DB_LAYER_MEDIA_TYPE } from './db-artifact.ts';
export type {
  DbArtifactOptions,
  PushResult,
  PullResult,
  PullOptions,
  RepositoryUpdateOptions,
  RepositoryUpdateResult,
} from './db-artifact.ts';
export { matchVulnerabilities } from './scan.ts';
export { dbStatusOf } from './db-status.ts';
export { refreshDb } from './db-refresh.ts';
export type { RefreshDbOptions } from './db-refresh.ts';
