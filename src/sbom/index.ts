// Public door: SBOMs as input (`sbom:PATH` targets).
export { readSbom, parseSbom } from './read-sbom.ts';
export type { SbomInput } from './read-sbom.ts';
export { packageFromPurl, osFromDistro } from './purl.ts';
