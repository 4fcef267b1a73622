// Package URLs (purl-spec) for every package type, built with packageurl-js once the image OS is known.
import { PackageURL } from 'packageurl-js';
import type { OsInfo, Package } from '../core/package.ts';
import { PACKAGE_TYPES } from '../core/package-types.ts';

/** `debian-12`, `alpine-3.19.1`; undefined without an OS. */
const distroOf = (os?: OsInfo): string | undefined =>
  os ? (os.versionId ? `${os.id}-${os.versionId}` : os.id) : undefined;

function qualifiers(entries: [string, string | undefined][]): Record<string, string> | undefined {
  const q: Record<string, string> = {};
  for (const [k, v] of entries) if (v !== undefined && v !== '') q[k] = v;
  return Object.keys(q).length > 0 ? q : undefined;
}

/** A purl whose name is split at `slash` into namespace and name (no namespace when `slash` is not > 0). */
function namespacedPurl(type: string, name: string, slash: number, version: string): PackageURL {
  return slash > 0
    ? new PackageURL(type, name.slice(0, slash), name.slice(slash + 1), version, undefined, undefined)
    : new PackageURL(type, undefined, name, version, undefined, undefined);
}

/**
 * - deb: `pkg:deb/<debian|ubuntu|os id>/<name>@<version verbatim, epoch included>?arch=&distro=<id>-<versionId>`
 *   plus `upstream=<source>` (and `@<sourceVersion>` when it differs), as Syft writes it
 * - apk: `pkg:apk/<alpine|wolfi|chainguard|os id>/<name>@<version>?arch=&distro=`
 * - rpm: `pkg:rpm/<os id>/<name>@<version>-<release>?arch=&epoch=&distro=&upstream=<source rpm>` (purl-spec: epoch
 *   is a qualifier for rpm)
 * - python: `pkg:pypi/<name>@<version>`; conda: `pkg:conda/<name>@<version>?build=&channel=&subdir=`
 * - cuda: `pkg:generic/nvidia/<component>@<version>?cuda=<CUDA version or major>`
 * - npm: `pkg:npm/%40scope/name@<version>` (the scope is the namespace, its `@` percent-encoded)
 * - maven: `pkg:maven/<groupId>/<artifactId>@<version>` (the artifactId as namespace when the group is unknown)
 * - golang: `pkg:golang/<module path>@<version>` (the path's last element is the name), `pkg:golang/stdlib@v1.x.y`
 * - cargo: `pkg:cargo/<name>@<version>`
 */
export function purlOf(pkg: Package, os?: OsInfo): string {
  const m = pkg.metadata;
  const type = PACKAGE_TYPES[pkg.type].purlType;
  let purl: PackageURL;
  switch (m.kind) {
    case 'dpkg': {
      const upstream =
        m.source !== pkg.name || m.sourceVersion !== pkg.version
          ? m.sourceVersion !== pkg.version
            ? `${m.source}@${m.sourceVersion}`
            : m.source
          : undefined;
      purl = new PackageURL(
        type,
        os?.id ?? 'debian',
        pkg.name,
        pkg.version,
        qualifiers([
          ['arch', m.arch],
          ['distro', distroOf(os)],
          ['upstream', upstream],
        ]),
        undefined,
      );
      break;
    }
    case 'apk':
      purl = new PackageURL(
        type,
        os?.id ?? 'alpine',
        pkg.name,
        pkg.version,
        qualifiers([
          ['arch', m.arch],
          ['distro', distroOf(os)],
          ['upstream', m.origin !== pkg.name ? m.origin : undefined],
        ]),
        undefined,
      );
      break;
    case 'rpm': {
      const version = m.epoch !== undefined ? pkg.version.slice(pkg.version.indexOf(':') + 1) : pkg.version;
      purl = new PackageURL(
        type,
        os?.id ?? 'redhat',
        pkg.name,
        version,
        qualifiers([
          ['arch', m.arch],
          ['epoch', m.epoch !== undefined ? String(m.epoch) : undefined],
          ['distro', distroOf(os)],
          ['upstream', m.sourceRpm],
        ]),
        undefined,
      );
      break;
    }
    case 'python':
      purl = new PackageURL(type, undefined, pkg.name, pkg.version, undefined, undefined);
      break;
    case 'conda':
      purl = new PackageURL(
        type,
        undefined,
        pkg.name,
        pkg.version,
        qualifiers([
          ['build', m.build],
          ['channel', m.channel],
          ['subdir', m.subdir],
        ]),
        undefined,
      );
      break;
    case 'cuda':
      purl = new PackageURL(
        type,
        PACKAGE_TYPES.cuda.purlNamespace,
        pkg.name,
        pkg.version,
        qualifiers([['cuda', m.cudaVersion ?? (m.cudaMajor !== undefined ? String(m.cudaMajor) : undefined)]]),
        undefined,
      );
      break;
    case 'npm':
      // `@scope/name` → namespace `@scope`, name `name`
      purl = namespacedPurl('npm', pkg.name, pkg.name.startsWith('@') ? pkg.name.indexOf('/') : -1, pkg.version);
      break;
    case 'maven':
      // purl-spec requires a namespace for maven: without a known group, the artifactId stands in (as Syft does)
      purl = new PackageURL('maven', m.groupId ?? m.artifactId, m.artifactId, pkg.version, undefined, undefined);
      break;
    case 'golang':
      // `github.com/x/y` → namespace `github.com/x`, name `y`
      purl = namespacedPurl('golang', pkg.name, pkg.name.lastIndexOf('/'), pkg.version);
      break;
    case 'cargo':
      purl = new PackageURL('cargo', undefined, pkg.name, pkg.version, undefined, undefined);
      break;
  }
  return purl.toString();
}
