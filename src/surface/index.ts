// Public door of the surface stage: analyzers that run during the walk, and pure functions of the merged view,
// the inventory and the facts: attack surface, static bloat, duplicate CUDA stacks.
export {
  createSurfaceAnalyzers,
  createElfAnalyzer,
  createContentHashAnalyzer,
  createSecretAnalyzer,
  isElfCandidate,
} from './analyzers.ts';
export type { SurfaceAnalyzerOptions } from './analyzers.ts';
export { computeSurface, isRootUser, SHELLS, PACKAGE_MANAGERS } from './surface.ts';
export type { SurfaceInput } from './surface.ts';
export { computeBloat, classifyPath, BLOAT_CATEGORIES, REMOVABLE, BUILD_ONLY } from './bloat.ts';
export type { BloatInput, BloatCategoryName } from './bloat.ts';
export { computeCudaStacks, cudaFamilyOf, isTorchLoader } from './cuda-stacks.ts';
export type { CudaStacksInput, CudaStacksReport, CudaStackFamily, CudaStackCopy } from './cuda-stacks.ts';
export { createPathIndex } from './merged.ts';
export type { PathIndex, ShadowedFile } from './merged.ts';
export { createElfSink, parseElfFile } from '../elf/index.ts';
export type { ElfParseResult } from '../elf/index.ts';
export { scanSecrets, secretsOutsidePackages, secretPathExcluded, SECRET_RULES } from './secrets/scan-secrets.ts';
export type { SecretFact, SecretRule } from './secrets/scan-secrets.ts';
export { secretFindings, secretSeverity } from './secrets/findings.ts';
export { ldSearchDirs, parseLdSoConf } from './loader/parse-ld-so-conf.ts';
export { resolveClosure } from './loader/resolve-needed.ts';
export type { NeededEdge, LoaderContext } from './loader/resolve-needed.ts';
export { createGpuAnalyzer, summarizeDeviceCode, normalizeGpuArch, parseComputeCaps } from './gpu/index.ts';
export type { GpuAnalyzerOptions, DeviceCodeSummary, SummarizeOptions } from './gpu/index.ts';
export { createModelSafetyAnalyzer, modelFindings, UNSAFE_PICKLE_ID } from './model/index.ts';
export { diagnoseDependencies } from './deps/index.ts';
export type { DependencyDoctorOptions, DependencyReport } from './deps/index.ts';
