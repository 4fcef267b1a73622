// Public door of src/version: one version rule per ecosystem, OSV range evaluation, specifiers and PEP 508.
import type { VersionScheme } from '../core/interfaces.ts';
import { isPackageType, PACKAGE_TYPES } from '../core/package-types.ts';
import { createDpkgScheme } from './dpkg.ts';
import { createRpmScheme } from './rpm.ts';
import { createApkScheme } from './apk.ts';
import { createPep440Scheme } from './pep440.ts';
import { createSemverScheme } from './semver.ts';
import { createCondaScheme } from './conda.ts';
import { createCpeScheme } from './cpe.ts';
import { createMavenScheme } from './maven.ts';
import { createGoScheme } from './golang.ts';

export { createDpkgScheme, compareDpkg, parseDpkg } from './dpkg.ts';
export { createRpmScheme, compareRpm, parseRpm, rpmvercmp } from './rpm.ts';
export { createApkScheme, compareApk } from './apk.ts';
export {
  createPep440Scheme,
  comparePep440,
  parsePep440,
  tryParsePep440,
  normalizePep440,
  formatPep440,
} from './pep440.ts';
export type { Pep440Version } from './pep440.ts';
export { createSemverScheme, compareSemver, parseSemver, tryParseSemver } from './semver.ts';
export { createCondaScheme, compareConda, parseConda } from './conda.ts';
export { createCpeScheme, compareCpeVersion, cpeRangeMatch, describeCpeRange } from './cpe.ts';
export type { CpeRange } from './cpe.ts';
export { createMavenScheme, compareMaven, canonicalMaven } from './maven.ts';
export { createGoScheme, compareGo, goSemver, goToolchainToSemver } from './golang.ts';
export { affectedBy, rangeIntervals } from './range.ts';
export type { AffectedResult } from './range.ts';
export { parseSpecifiers, pep440Satisfies, satisfies } from './specifier.ts';
export type { Specifier, SpecifierOp } from './specifier.ts';
export { parseRequirement, parseMarker, evaluateMarker, normalizeName } from './pep508.ts';
export type { Requirement, Marker, MarkerEnvironment } from './pep508.ts';

// Schemes are stateless: one instance each, frozen.
const SCHEMES = Object.freeze({
  dpkg: createDpkgScheme(),
  rpm: createRpmScheme(),
  apk: createApkScheme(),
  pep440: createPep440Scheme(),
  semver: createSemverScheme(),
  conda: createCondaScheme(),
  cpe: createCpeScheme(),
  maven: createMavenScheme(),
  go: createGoScheme(),
});
export type SchemeId = keyof typeof SCHEMES;

/** A scheme by its id (`dpkg`, `rpm`, `apk`, `pep440`, `semver`, `conda`, `cpe`, `maven`, `go`). */
export function schemeById(id: string): VersionScheme | undefined {
  return Object.hasOwn(SCHEMES, id) ? SCHEMES[id as SchemeId] : undefined;
}

const RPM_DISTROS = [
  'red hat',
  'rhel',
  'rocky linux',
  'almalinux',
  'alma',
  'opensuse',
  'suse',
  'suse linux enterprise',
  'sles',
  'oracle linux',
  'oracle',
  'fedora',
  'centos',
  'amazon linux',
  'amazon',
  'amzn',
  'mageia',
  'openeuler',
  'azure linux',
  'cbl-mariner',
  'mariner',
  'photon os',
  'rocky',
  'ol',
];

/**
 * The version rule for an OSV ecosystem (`Debian:12`, `Alpine:v3.19`, `PyPI`, `Red Hat:…`) or a package type
 * (deb, apk, rpm, python, conda, cuda, npm, maven, golang, cargo). Undefined when zerocve has no rule for it.
 */
export function schemeFor(ecosystemOrType: string): VersionScheme | undefined {
  const base = ecosystemOrType.split(':')[0].trim().toLowerCase();
  if (isPackageType(base)) {
    const id = PACKAGE_TYPES[base].versionScheme;
    return id ? SCHEMES[id] : undefined;
  }
  switch (base) {
    case 'dpkg':
    case 'debian':
    case 'ubuntu':
    case 'distroless':
      return SCHEMES.dpkg;
    case 'alpine':
    case 'wolfi':
    case 'chainguard':
    case 'alpaquita':
    case 'bellsoft hardened containers':
    case 'minimos':
      return SCHEMES.apk;
    case 'pypi':
    case 'pep440':
      return SCHEMES.pep440;
    case 'maven':
      return SCHEMES.maven;
    case 'go':
    case 'golang':
      return SCHEMES.go;
    case 'npm':
    case 'crates.io':
    case 'cargo':
    case 'semver':
    case 'hex':
    case 'pub':
      return SCHEMES.semver;
    case 'nvidia':
    case 'cpe':
      return SCHEMES.cpe;
  }
  if (RPM_DISTROS.some((d) => base === d || base.startsWith(`${d} `))) return SCHEMES.rpm;
  return undefined;
}
