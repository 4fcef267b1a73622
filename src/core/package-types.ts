// The package types zerocve models, one entry each: how a type is named in purls, which version scheme orders its
// versions, whether it comes from the OS or a language ecosystem, and under which OSV ecosystem its advisories are
// stored. Every list of types elsewhere (reporters, purl code, peer merging, the JSON schema's enum) is derived from
// this table; a type added to it without all of these facts does not compile.

export interface PackageTypeInfo {
  /** purl-spec type (`pkg:<purlType>/…`); `generic` for types without one of their own */
  readonly purlType: string;
  /** purl namespace when the type always has the same one (`pkg:generic/nvidia/…`) */
  readonly purlNamespace?: string;
  /**
   * id of the VersionScheme (src/version) that orders this type's versions; undefined when versions are not compared
   */
  readonly versionScheme: 'dpkg' | 'apk' | 'rpm' | 'pep440' | 'conda' | 'cpe' | 'semver' | 'maven' | 'go' | undefined;
  /** `os`: installed by the distribution's package manager; `language`: a language ecosystem's package; `other` */
  readonly origin: 'os' | 'language' | 'other';
  /**
   * OSV ecosystem of the advisories: a fixed name for language types; for OS types `from-os-release`, because the
   * ecosystem names the release (`Debian:12`, `Alpine:v3.19`; see src/match os-ecosystem.ts); undefined when no
   * OSV ecosystem covers the type (CUDA components are matched against NVD CPE ranges)
   */
  readonly osvEcosystem: string | 'from-os-release' | undefined;
  /** how package names compare: `pep503` folding (PyPI), `exact` (case matters), `lower` (case-insensitive) */
  readonly nameFolding: 'pep503' | 'exact' | 'lower';
  /** human name, for tables and headings */
  readonly displayName: string;
}

export const PACKAGE_TYPES = {
  deb: {
    purlType: 'deb',
    versionScheme: 'dpkg',
    origin: 'os',
    osvEcosystem: 'from-os-release',
    nameFolding: 'exact',
    displayName: 'Debian package',
  },
  apk: {
    purlType: 'apk',
    versionScheme: 'apk',
    origin: 'os',
    osvEcosystem: 'from-os-release',
    nameFolding: 'exact',
    displayName: 'Alpine package',
  },
  rpm: {
    purlType: 'rpm',
    versionScheme: 'rpm',
    origin: 'os',
    osvEcosystem: 'from-os-release',
    nameFolding: 'exact',
    displayName: 'RPM package',
  },
  python: {
    purlType: 'pypi',
    versionScheme: 'pep440',
    origin: 'language',
    osvEcosystem: 'PyPI',
    nameFolding: 'pep503',
    displayName: 'Python package',
  },
  conda: {
    purlType: 'conda',
    versionScheme: 'conda',
    origin: 'language',
    // conda packages are matched as the PyPI projects they package (src/match CONDA_TO_PYPI)
    osvEcosystem: 'PyPI',
    nameFolding: 'lower',
    displayName: 'conda package',
  },
  cuda: {
    purlType: 'generic',
    purlNamespace: 'nvidia',
    versionScheme: 'cpe',
    origin: 'other',
    osvEcosystem: undefined,
    nameFolding: 'lower',
    displayName: 'NVIDIA CUDA component',
  },
  npm: {
    purlType: 'npm',
    versionScheme: 'semver',
    origin: 'language',
    osvEcosystem: 'npm',
    nameFolding: 'lower',
    displayName: 'npm package',
  },
  maven: {
    purlType: 'maven',
    versionScheme: 'maven',
    origin: 'language',
    osvEcosystem: 'Maven',
    nameFolding: 'lower',
    displayName: 'Java archive',
  },
  golang: {
    purlType: 'golang',
    versionScheme: 'go',
    origin: 'language',
    osvEcosystem: 'Go',
    nameFolding: 'lower',
    displayName: 'Go module',
  },
  cargo: {
    purlType: 'cargo',
    versionScheme: 'semver',
    origin: 'language',
    osvEcosystem: 'crates.io',
    nameFolding: 'lower',
    displayName: 'Rust crate',
  },
  binary: {
    purlType: 'generic',
    versionScheme: undefined,
    origin: 'other',
    osvEcosystem: undefined,
    nameFolding: 'exact',
    displayName: 'file',
  },
} as const satisfies Record<string, PackageTypeInfo>;

export type PackageType = keyof typeof PACKAGE_TYPES;

/** every package type, in table order */
export const PACKAGE_TYPE_NAMES = Object.keys(PACKAGE_TYPES) as PackageType[];

export const isPackageType = (s: string): s is PackageType => Object.hasOwn(PACKAGE_TYPES, s);

export const packageTypeInfo = (type: PackageType): PackageTypeInfo => PACKAGE_TYPES[type];

/** true for packages the distribution installed (deb, apk, rpm) */
export const isOsPackageType = (type: string): boolean => isPackageType(type) && PACKAGE_TYPES[type].origin === 'os';

/**
 * The package type a purl type stands for; undefined for `generic` (shared by several types) and for purl types
 * zerocve does not model.
 */
export function packageTypeOfPurlType(purlType: string): PackageType | undefined {
  const t = purlType.toLowerCase();
  if (t === 'generic') return undefined;
  return PACKAGE_TYPE_NAMES.find((name) => PACKAGE_TYPES[name].purlType === t);
}

/** A package name folded for comparison the way its type compares names (PEP 503 for PyPI). */
export function foldPackageName(type: PackageType, name: string): string {
  switch (PACKAGE_TYPES[type].nameFolding) {
    case 'pep503':
      return name.toLowerCase().replace(/[-_.]+/g, '-');
    case 'lower':
      return name.toLowerCase();
    case 'exact':
      return name;
  }
}
