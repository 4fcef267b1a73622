// Metadata of the language-ecosystem packages found in images: npm, Maven (Java archives), Go modules, Rust crates.
// Plain data written by the catalogers, read by the matchers and reporters. Imports nothing.

/** An npm package: a `package.json` under `node_modules`, or an entry of a lock file. */
export interface NpmMetadata {
  kind: 'npm';
  /** the package.json or lock file that says so (absolute path in the image) */
  path: string;
  /** true when only a lock file (`package-lock.json`, `yarn.lock`, `pnpm-lock.yaml`) declares it: not seen installed */
  declaredOnly?: boolean;
  /** OS package id that owns it (Debian's `node-*` in /usr/share/nodejs); mirrors Package.ownedBy */
  ownedBy?: string;
}

/** A Java archive (jar, war, ear, jpi, hpi), possibly nested in another. */
export interface MavenMetadata {
  kind: 'maven';
  groupId: string;
  artifactId: string;
  /** hex SHA-1 of the archive's bytes (the key Maven Central and NVD tooling use) */
  sha1?: string;
  /** the outermost archive's path in the image */
  archivePath: string;
  /** path inside it, for nested archives (`BOOT-INF/lib/x.jar`; `a.jar!/b.jar` for deeper nesting) */
  nestedPath?: string;
  /** where the identity came from */
  identity?: 'pom.properties' | 'manifest' | 'filename';
}

/** A Go module compiled into a binary (read from the binary's build information). */
export interface GolangMetadata {
  kind: 'golang';
  /** the module path (`golang.org/x/net`; `stdlib` for the Go standard library) */
  module: string;
  /** main module of the binary, a dependency, or the Go toolchain itself (module `stdlib`) */
  role: 'main' | 'dependency' | 'stdlib';
  /** `=> path version` replacement, when the module was replaced */
  replacement?: { path: string; version?: string };
  /** toolchain that built the binary, verbatim (`go1.19.8`) */
  goVersion?: string;
  /** `-buildmode`, `GOOS`, `CGO_ENABLED`, `vcs.revision`, … */
  buildSettings?: Record<string, string>;
  /** the binary's path in the image */
  binaryPath: string;
}

/** A Rust crate compiled into a binary (from `cargo auditable`'s `.dep-v0` section). */
export interface CargoMetadata {
  kind: 'cargo';
  crate: string;
  version: string;
  binaryPath: string;
}

export type EcosystemMetadata = NpmMetadata | MavenMetadata | GolangMetadata | CargoMetadata;
