// Matchers for the language ecosystems found beside OS packages: npm, Maven (Java archives), Go modules and the Go
// standard library compiled into binaries, Rust crates. Each searches its OSV ecosystem by the ecosystem's own
// package name, with the ecosystem's own version rule.
import type { Finding } from '../core/finding.ts';
import type { MatchContext, Matcher, VersionScheme } from '../core/interfaces.ts';
import type { Package, PackageType } from '../core/package.ts';
import { PACKAGE_TYPES } from '../core/package-types.ts';
import { goSemver, schemeById } from '../version/index.ts';
import { packageLocation, search } from './search.ts';

/** The OSV ecosystem and version rule of a language type, from the one package-type table. */
const osvOf = (type: PackageType): string => PACKAGE_TYPES[type].osvEcosystem as string;
const schemeOf = (type: PackageType): VersionScheme => schemeById(PACKAGE_TYPES[type].versionScheme as string)!;
const NPM = osvOf('npm');
const MAVEN = osvOf('maven');
const GO = osvOf('golang');
const CRATES = osvOf('cargo');

/** Whether an OS package owns this package (Debian's node-* under /usr/share/nodejs): its OS advisories cover it. */
function ownedByOs(pkg: Package): boolean {
  return !!pkg.ownedBy;
}

/**
 * npm packages against the `npm` ecosystem (semver). Packages installed by an OS package are never matched as
 * npm; packages only a lock file declares are matched, with a note saying so.
 */
export function createNpmMatcher(): Matcher {
  return {
    name: 'npm',
    handles: (pkg) => pkg.type === 'npm' && !ownedByOs(pkg),
    lookups: (pkg) => [{ ecosystem: NPM, name: pkg.name }],
    match(pkg, ctx) {
      const declared = pkg.metadata.kind === 'npm' && pkg.metadata.source === 'declared';
      return search(pkg, ctx, {
        matcher: 'npm',
        ecosystems: [NPM],
        name: pkg.name,
        version: pkg.version,
        scheme: schemeOf('npm'),
        vendor: 'npm',
        note: declared ? 'declared in lock file' : undefined,
      });
    },
  };
}

/** groupId and artifactId; without metadata (e.g. from an SBOM) the name may be `groupId:artifactId`. */
function mavenCoordinates(pkg: Package): { group?: string; artifact: string } {
  const meta = pkg.metadata.kind === 'maven' ? pkg.metadata : undefined;
  const colon = pkg.name.indexOf(':');
  return {
    group: meta?.groupId || (colon > 0 ? pkg.name.slice(0, colon) : undefined),
    artifact: meta?.artifactId || (colon > 0 ? pkg.name.slice(colon + 1) : pkg.name),
  };
}

/** Java archives against the `Maven` ecosystem by `groupId:artifactId`, with Maven's version order. */
export function createMavenMatcher(): Matcher {
  return {
    name: 'maven',
    handles: (pkg) => pkg.type === 'maven',
    lookups: (pkg) => {
      const { group, artifact } = mavenCoordinates(pkg);
      return group ? [{ ecosystem: MAVEN, name: `${group}:${artifact}` }] : [];
    },
    match(pkg, ctx) {
      const meta = pkg.metadata.kind === 'maven' ? pkg.metadata : undefined;
      const { group, artifact } = mavenCoordinates(pkg);
      if (!group) {
        ctx.problem(
          packageLocation(pkg),
          'unmatched',
          `maven: cannot match Java archive ${pkg.name} ${pkg.version}: no groupId (identity from ` +
            `${meta?.identifiedBy ?? 'unknown'})`,
        );
        return [];
      }
      return search(pkg, ctx, {
        matcher: 'maven',
        ecosystems: [MAVEN],
        name: `${group}:${artifact}`,
        version: pkg.version,
        scheme: schemeOf('maven'),
        vendor: 'maven',
      });
    },
  };
}

/** The Go module names under which a Go package's advisories are filed. */
function goModule(pkg: Package): { name: string; version: string; note?: string } | undefined {
  const meta = pkg.metadata.kind === 'golang' ? pkg.metadata : undefined;
  if (meta?.role === 'stdlib' || pkg.name === 'stdlib') return { name: 'stdlib', version: pkg.version };
  if (meta?.replacedBy) {
    const r = meta.replacedBy;
    // a local directory replacement (`=> ../x`) has no version: nothing to look up
    if (!r.version) return undefined;
    return { name: r.path, version: r.version, note: `${pkg.name} replaced by ${r.path} ${r.version}` };
  }
  return { name: pkg.name, version: pkg.version };
}

/** Module names searched for a Go package: the go command itself is also searched as `toolchain`. */
function goNames(pkg: Package, mod: { name: string }): string[] {
  if (pkg.name === 'toolchain') return ['toolchain'];
  const names = [mod.name];
  if (mod.name === 'stdlib' && /(^|\/)go$/.test(pkg.locations[0]?.path ?? '')) names.push('toolchain');
  return names;
}

/**
 * Go modules compiled into binaries against the `Go` ecosystem (semver with a `v` prefix; pseudo-versions), and the
 * toolchain that built them as the module `stdlib` (`go1.19.8` searched as `1.19.8`). The go command itself
 * (`…/bin/go`) is also searched as the module `toolchain`.
 */
export function createGoMatcher(): Matcher {
  return {
    name: 'go',
    handles: (pkg) => pkg.type === 'golang',
    lookups: (pkg) => {
      const mod = goModule(pkg);
      return mod && mod.version !== '(devel)' ? goNames(pkg, mod).map((name) => ({ ecosystem: GO, name })) : [];
    },
    match(pkg, ctx) {
      const meta = pkg.metadata.kind === 'golang' ? pkg.metadata : undefined;
      const mod = goModule(pkg);
      if (!mod) {
        ctx.problem(
          packageLocation(pkg),
          'unmatched',
          `go: cannot match module ${pkg.name}: replaced by a local directory (${meta?.replacedBy?.path})`,
        );
        return [];
      }
      if (mod.version === '(devel)') {
        ctx.problem(
          packageLocation(pkg),
          'unmatched',
          `go: module ${pkg.name} not matched: built from source, version (devel)`,
        );
        return [];
      }
      const out: Finding[] = [];
      for (const name of goNames(pkg, mod)) {
        out.push(
          ...search(pkg, ctx, {
            matcher: 'go',
            ecosystems: [GO],
            name,
            version: goSemver(mod.version) ?? mod.version,
            scheme: schemeOf('golang'),
            vendor: 'go',
            note: mod.note,
          }),
        );
      }
      return out;
    },
  };
}

/** Rust crates compiled into binaries (cargo auditable) against the `crates.io` ecosystem (semver). */
export function createCargoMatcher(): Matcher {
  return {
    name: 'cargo',
    handles: (pkg) => pkg.type === 'cargo',
    lookups: (pkg) => [{ ecosystem: CRATES, name: pkg.name }],
    match(pkg, ctx: MatchContext) {
      return search(pkg, ctx, {
        matcher: 'cargo',
        ecosystems: [CRATES],
        name: pkg.name,
        version: pkg.version,
        scheme: schemeOf('cargo'),
        vendor: 'crates.io',
      });
    },
  };
}
