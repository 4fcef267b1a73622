// A package URL (plus hints an SBOM carries beside it) back into the Package model. Matching needs the source
// package of OS packages: it comes from hints (zerocve/Trivy/Syft properties) or the purl's `upstream`/`origin`/
// `source` qualifiers, else the binary name.
import { parsePurl, type ParsedPurl } from '../core/purl.ts';
import type { OsInfo, Package, PackageMetadata, Location, ProblemCode } from '../core/package.ts';
import { foldPackageName, packageTypeOfPurlType } from '../core/package-types.ts';

export interface PackageHints {
  name?: string;
  version?: string;
  /** source package name (deb Source, apk origin, rpm source name) */
  sourceName?: string;
  sourceVersion?: string;
  sourceRelease?: string;
  sourceEpoch?: string;
  arch?: string;
  licenses?: string[];
  locations?: Location[];
  ownedBy?: string;
  files?: string[];
  /** full metadata as zerocve wrote it (zerocve:metadata): wins over everything else */
  metadata?: PackageMetadata;
}

/**
 * The ecosystem's own name from a purl, whatever name field an SBOM writer used beside it (Syft writes a Maven
 * package's artifactId alone): npm `@scope/name`, Maven `group:artifact`, Go the module path.
 */
function ecosystemName(purl: ParsedPurl): string | undefined {
  const ns = purl.namespace;
  switch (purl.type) {
    case 'npm':
    case 'golang':
      return ns ? `${ns}/${purl.name}` : purl.name;
    case 'maven':
      return ns ? `${ns}:${purl.name}` : purl.name;
    case 'cargo':
      return purl.name;
    default:
      return undefined;
  }
}

/** Release codenames that purls use as `distro=` (osv-scanner, Syft: `distro=focal`) → version. */
const CODENAMES: Record<string, { id: string; versionId: string }> = {
  buster: { id: 'debian', versionId: '10' },
  bullseye: { id: 'debian', versionId: '11' },
  bookworm: { id: 'debian', versionId: '12' },
  trixie: { id: 'debian', versionId: '13' },
  bionic: { id: 'ubuntu', versionId: '18.04' },
  focal: { id: 'ubuntu', versionId: '20.04' },
  jammy: { id: 'ubuntu', versionId: '22.04' },
  noble: { id: 'ubuntu', versionId: '24.04' },
};

export type DistroInfo = Pick<OsInfo, 'id' | 'versionId' | 'versionCodename'>;

/**
 * `ubuntu-18.04` → {ubuntu, 18.04}; `3.22.0` with namespace alpine → {alpine, 3.22.0}; `focal` → {ubuntu, 20.04,
 * focal}.
 */
export function osFromDistro(distro: string, namespace?: string): DistroInfo | undefined {
  const m = /^([a-z][a-z0-9._]*?)-(\d[\w.+~-]*)$/i.exec(distro);
  if (m) return { id: m[1].toLowerCase(), versionId: m[2] };
  if (/^\d/.test(distro) && namespace) return { id: namespace.toLowerCase(), versionId: distro };
  const code = CODENAMES[distro.toLowerCase()];
  if (code) return { ...code, versionCodename: distro.toLowerCase() };
  if (/^[a-z]+$/i.test(distro))
    return namespace
      ? { id: namespace.toLowerCase(), versionId: '', versionCodename: distro.toLowerCase() }
      : { id: distro.toLowerCase(), versionId: '' };
  return undefined;
}

/**
 * Package from a purl and hints; `undefined` with a reason when the ecosystem is not one zerocve models.
 * `defaultLocation` is where the record was found (the SBOM file, layer -1) when the SBOM names none.
 */
export function packageFromPurl(
  purlText: string,
  hints: PackageHints,
  defaultLocation: Location,
): { pkg: Package } | { code: ProblemCode; reason: string } {
  const purl = parsePurl(purlText);
  if (!purl) return { code: 'malformed', reason: `invalid purl "${purlText}"` };
  const q = purl.qualifiers ?? {};
  const type = packageTypeOfPurlType(purl.type);
  if (!type) return { code: 'unsupported', reason: `package type "${purl.type}" is not supported (${purlText})` };
  // zerocve's own SBOMs carry its metadata and name; other writers' names are not the ecosystem's (Syft: artifactId)
  const name =
    type === 'python'
      ? foldPackageName(type, hints.name ?? purl.name)
      : hints.metadata
        ? (hints.name ?? purl.name)
        : (ecosystemName(purl) ?? hints.name ?? purl.name);
  let version = hints.version ?? purl.version ?? '';
  const epoch = q.epoch;
  if ((type === 'deb' || type === 'rpm') && epoch && epoch !== '0' && !/^\d+:/.test(version))
    version = `${epoch}:${version}`;
  const arch = hints.arch ?? q.arch ?? '';
  let metadata: PackageMetadata;
  if (hints.metadata) metadata = hints.metadata;
  else if (type === 'deb') {
    const up = q.upstream ?? q.source;
    const [upName, upVersion] = up
      ? up.includes('@')
        ? [up.slice(0, up.indexOf('@')), up.slice(up.indexOf('@') + 1)]
        : [up, undefined]
      : [undefined, undefined];
    const source = hints.sourceName ?? upName ?? name;
    let sourceVersion = hints.sourceVersion ?? upVersion ?? version;
    if (hints.sourceVersion && hints.sourceRelease) sourceVersion = `${hints.sourceVersion}-${hints.sourceRelease}`;
    if (hints.sourceVersion && hints.sourceEpoch && hints.sourceEpoch !== '0')
      sourceVersion = `${hints.sourceEpoch}:${sourceVersion}`;
    metadata = { kind: 'dpkg', source, sourceVersion, arch };
  } else if (type === 'apk') {
    metadata = { kind: 'apk', origin: hints.sourceName ?? q.origin ?? q.upstream ?? name, arch };
  } else if (type === 'rpm') {
    const bare = version.replace(/^\d+:/, '');
    const dash = bare.lastIndexOf('-');
    const release = dash > 0 ? bare.slice(dash + 1) : '';
    const ep = /^(\d+):/.exec(version)?.[1];
    const srcRpm =
      q.upstream ??
      (hints.sourceName && hints.sourceVersion
        ? `${hints.sourceName}-${hints.sourceVersion}${hints.sourceRelease ? `-${hints.sourceRelease}` : ''}.src.rpm`
        : undefined);
    metadata = {
      kind: 'rpm',
      release,
      arch,
      ...(ep ? { epoch: Number(ep) } : {}),
      ...(srcRpm ? { sourceRpm: srcRpm } : {}),
    };
  } else if (type === 'python') {
    metadata = { kind: 'python', format: 'dist-info', sitePackages: '' };
  } else if (type === 'conda') {
    metadata = {
      kind: 'conda',
      build: q.build ?? '',
      condaPrefix: '',
      ...(q.channel ? { channel: q.channel } : {}),
      ...(q.subdir ? { subdir: q.subdir } : {}),
    };
  } else if (type === 'npm') {
    metadata = { kind: 'npm', source: 'installed' };
  } else if (type === 'maven') {
    metadata = { kind: 'maven', artifactId: purl.name, identifiedBy: 'sbom', archive: '' };
    if (purl.namespace) metadata.groupId = purl.namespace;
  } else if (type === 'golang') {
    metadata = { kind: 'golang', role: name === 'stdlib' ? 'stdlib' : 'dep', goVersion: '' };
  } else if (type === 'cargo') {
    metadata = { kind: 'cargo' };
  } else {
    return { code: 'unsupported', reason: `package type "${purl.type}" has no zerocve metadata mapping (${purlText})` };
  }
  const locations = hints.locations?.length ? hints.locations : [defaultLocation];
  const pkg: Package = {
    id: `${type}:${name}@${version}:${locations[0].path}`,
    type,
    name,
    version,
    purl: purlText,
    locations,
    metadata,
  };
  if (hints.licenses?.length) pkg.licenses = hints.licenses;
  if (hints.ownedBy) pkg.ownedBy = hints.ownedBy;
  if (hints.files?.length) pkg.files = hints.files;
  return { pkg };
}

/** `LAYER:PATH` as written in zerocve:location. */
export function parseLocation(v: string): Location | undefined {
  const m = /^(-?\d+):(.*)$/.exec(v);
  return m ? { layer: Number(m[1]), path: m[2] } : undefined;
}

export function parseMetadataJson(v: string | undefined): PackageMetadata | undefined {
  if (!v) return undefined;
  try {
    const m = JSON.parse(v) as PackageMetadata;
    return m && typeof m === 'object' && typeof m.kind === 'string' ? m : undefined;
  } catch {
    return undefined;
  }
}
