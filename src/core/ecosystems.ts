// Metadata of the language ecosystems found inside images beside OS packages: npm packages, Java archives, Go
// binaries and Rust binaries built with `cargo auditable`. One shape per PackageType; `kind` discriminates.
//
// Names and versions (Package.name / Package.version) follow each ecosystem's advisory naming (OSV):
// - npm: the package name, scoped names with their scope (`@babel/core`); version as in package.json or the lock file
// - maven: `groupId:artifactId` when the group is known (OSV's Maven names), else the artifactId alone
// - golang: the module path (`github.com/x/y`); the Go toolchain is the module `stdlib`, its version converted to
//   semver with the `v` prefix (`go1.19.8` → `v1.19.8`, `go1.21rc2` → `v1.21.0-rc.2`); the main module's version is
//   often `(devel)`
// - cargo: the crate name and version

/** Which lock file declared a dependency. */
export type NpmLockFormat = 'package-lock' | 'yarn' | 'yarn-berry' | 'pnpm';

export interface NpmMetadata {
  kind: 'npm';
  /**
   * `installed`: a package.json in a node_modules tree (or under /usr/share/nodejs, /usr/lib/nodejs: installed by an
   * OS package, see Package.ownedBy); `declared`: an entry of a lock file (the packages may or may not be installed)
   */
  source: 'installed' | 'declared';
  /** for `declared`: the lock file format (and its lockfileVersion for package-lock) */
  lockFormat?: NpmLockFormat;
  lockVersion?: number;
  /** for `declared` entries that say so (package-lock `dev`, pnpm `dev`) */
  dev?: boolean;
  /** package.json `private: true` (an application, not a published package) */
  private?: boolean;
  /** for `installed`: the node_modules directory the package sits in (`/app/node_modules`) */
  nodeModules?: string;
}

export interface MavenMetadata {
  kind: 'maven';
  groupId?: string;
  artifactId: string;
  /** what named it: Maven's pom.properties, the manifest's Implementation-/Bundle- fields, the file name, an SBOM */
  identifiedBy: 'pom.properties' | 'manifest' | 'filename' | 'sbom';
  /** SHA-1 of the archive, hex (the key Maven Central and NVD tooling use); for nested archives, of the inner bytes */
  sha1?: string;
  /** the archive, with `!/` between nesting levels: `/app.jar!/BOOT-INF/lib/x.jar` */
  archive: string;
  /** several pom.properties in one (shaded) archive: every identity but the first has `shaded: true` */
  shaded?: boolean;
}

export interface GolangMetadata {
  kind: 'golang';
  /** the main module, a dependency, or the toolchain (`stdlib`) */
  role: 'main' | 'dep' | 'stdlib';
  /** the toolchain that built the binary, verbatim (`go1.19.8`, `go1.26.0 X:boringcrypto`); '' when unknown */
  goVersion: string;
  /** the go.sum hash (`h1:…`) when recorded */
  sum?: string;
  /** a `=>` replacement: the module actually built */
  replacedBy?: { path: string; version?: string; sum?: string };
  /** `build` settings of the main module (`-trimpath`, `GOOS`, `vcs.revision`…), on the main module and stdlib */
  settings?: Record<string, string>;
  /**
   * where the information was found: the 1.18+ blob with inline strings, the pre-1.18 blob with pointers, or (no
   * blob, as in binaries whose blob was removed) the sentinel-framed module block and the version string alone;
   * absent when read from an SBOM
   */
  format?: 'pointer' | 'inline' | 'framed';
}

export interface CargoMetadata {
  kind: 'cargo';
  /** `crates.io`, `git+…`, `local`, as cargo auditable records it */
  source?: string;
  /** `build` for build-time-only crates (omitted for runtime crates) */
  dependencyKind?: 'build' | 'runtime';
  /** the crate the binary was built from */
  root?: boolean;
}

export type EcosystemMetadata = NpmMetadata | MavenMetadata | GolangMetadata | CargoMetadata;
