// Model-file safety: pickle imports (never executed) and safetensors header validation.
export { createModelSafetyAnalyzer, createModelSafetySink, MODEL_SAFETY_ANALYZER_NAME } from './analyzer.ts';
export { classifyImport, assessImports } from './classify-imports.ts';
export type { ImportRisk } from './classify-imports.ts';
export { checkSafetensorsHeader, MAX_SAFETENSORS_HEADER } from './check-safetensors.ts';
export { pickleParser } from './parse-pickle.ts';
export type { PickleScan } from './parse-pickle.ts';
export { modelFindings, UNSAFE_PICKLE_ID } from './findings.ts';
export type { PickleFact } from './findings.ts';
export { zipWalker } from './parse-zip.ts';
export type { ZipMember, ZipWalkOptions, MemberConsumer } from './parse-zip.ts';
export { createPushParser } from './pull-parser.ts';
export type { Pull, Pulled, PushParser } from './pull-parser.ts';
