// CycloneDX JSON (1.4–1.6) → Inventory. Reads zerocve's own properties losslessly, Trivy's and Syft's where they
// carry the source package, and the purl otherwise.
import type { ImageSourceInfo } from '../core/image.ts';
import type { Inventory, Location } from '../core/package.ts';
import type { DistroInfo } from './purl.ts';
import { packageFromPurl, parseLocation, parseMetadataJson, osFromDistro } from './purl.ts';
import { parsePurl } from '../core/purl.ts';
import type { PackageHints } from './purl.ts';

interface CdxProperty {
  name: string;
  value?: string;
}
interface CdxLicense {
  license?: { id?: string; name?: string };
  expression?: string;
}
interface CdxComponent {
  type?: string;
  name?: string;
  version?: string;
  purl?: string;
  'bom-ref'?: string;
  description?: string;
  licenses?: CdxLicense[];
  properties?: CdxProperty[];
  components?: CdxComponent[];
  hashes?: { alg: string; content: string }[];
}
export interface CdxDocument {
  bomFormat: 'CycloneDX';
  specVersion?: string;
  metadata?: { component?: CdxComponent };
  components?: CdxComponent[];
}

const props = (c: CdxComponent): Map<string, string[]> => {
  const m = new Map<string, string[]>();
  for (const p of c.properties ?? [])
    if (typeof p?.name === 'string' && typeof p.value === 'string') m.set(p.name, [...(m.get(p.name) ?? []), p.value]);
  return m;
};

function* walk(components: CdxComponent[] | undefined): Generator<CdxComponent> {
  for (const c of components ?? []) {
    if (!c || typeof c !== 'object') continue;
    yield c;
    yield* walk(c.components);
  }
}

export function parseCycloneDx(
  doc: CdxDocument,
  sbomPath: string,
): { inventory: Inventory; image: Partial<ImageSourceInfo> } {
  const inventory: Inventory = { packages: [], models: [], problems: [] };
  const fallback: Location = { path: sbomPath, layer: -1 };
  const distros = new Map<string, DistroInfo>();
  const seen = new Set<string>();
  for (const c of walk(doc.components)) {
    const p = props(c);
    const one = (k: string): string | undefined => p.get(k)?.[0];
    if (c.type === 'operating-system') {
      if (!inventory.os && c.name) {
        inventory.os = {
          id: c.name.toLowerCase(),
          versionId: c.version ?? '',
          path: one('zerocve:path') ?? sbomPath,
          ...(c.description ? { prettyName: c.description } : {}),
          ...(one('zerocve:codename') ? { versionCodename: one('zerocve:codename') } : {}),
        };
      }
      continue;
    }
    if (c.type === 'machine-learning-model') {
      const sha = c.hashes?.find((h) => h.alg === 'SHA-256')?.content;
      const path = one('zerocve:path');
      if (sha && path) {
        inventory.models.push({
          path,
          layer: Number(one('zerocve:layer') ?? -1),
          sha256: sha,
          size: Number(one('zerocve:size') ?? 0),
          format: (one('zerocve:model-format') ?? 'unknown') as Inventory['models'][number]['format'],
        });
      }
      continue;
    }
    if (!c.purl) {
      if (c.type === 'library' || c.type === 'application' || c.type === 'framework') {
        inventory.problems.push({
          code: 'skipped',
          path: sbomPath,
          analyzer: 'sbom',
          message: `component "${c.name ?? c['bom-ref'] ?? '?'}" has no purl: skipped`,
        });
      }
      continue;
    }
    const locations = (p.get('zerocve:location') ?? []).map(parseLocation).filter((l): l is Location => !!l);
    const trivyPath = one('aquasecurity:trivy:FilePath');
    if (!locations.length && trivyPath)
      locations.push({ path: trivyPath.startsWith('/') ? trivyPath : `/${trivyPath}`, layer: -1 });
    const hints: PackageHints = {
      name: c.name,
      version: c.version,
      sourceName: one('zerocve:source-package') ?? one('aquasecurity:trivy:SrcName') ?? one('syft:metadata:source'),
      sourceVersion:
        one('zerocve:source-version') ?? one('aquasecurity:trivy:SrcVersion') ?? one('syft:metadata:sourceVersion'),
      sourceRelease: one('aquasecurity:trivy:SrcRelease'),
      sourceEpoch: one('aquasecurity:trivy:SrcEpoch'),
      arch: one('zerocve:arch'),
      licenses: (c.licenses ?? [])
        .map((l) => l.license?.id ?? l.license?.name ?? l.expression)
        .filter((x): x is string => !!x),
      locations,
      ownedBy: one('zerocve:ownedBy'),
      files: p.get('zerocve:file'),
      metadata: parseMetadataJson(one('zerocve:metadata')),
    };
    // a purl's version is authoritative for foreign SBOMs (Trivy writes the rpm/deb version without epoch in `version`)
    if (!hints.metadata) hints.version = undefined;
    const r = packageFromPurl(c.purl, hints, fallback);
    if ('reason' in r) {
      inventory.problems.push({ code: r.code, path: sbomPath, analyzer: 'sbom', message: r.reason });
      continue;
    }
    if (seen.has(r.pkg.id)) continue;
    seen.add(r.pkg.id);
    inventory.packages.push(r.pkg);
    const purl = parsePurl(c.purl);
    const d = purl?.qualifiers?.distro;
    if (d) {
      const os = osFromDistro(d, purl?.namespace);
      if (os) distros.set(`${os.id}@${os.versionId}`, os);
    }
  }
  if (!inventory.os && distros.size === 1) inventory.os = { ...[...distros.values()][0], path: sbomPath };

  const root = doc.metadata?.component;
  const image: Partial<ImageSourceInfo> = { kind: 'sbom', target: `sbom:${sbomPath}` };
  if (root) {
    const rp = props(root);
    const ref =
      rp.get('aquasecurity:trivy:Reference')?.[0] ?? (root.type === 'container' && root.name ? root.name : undefined);
    if (ref) image.reference = ref;
    const digest = root.hashes?.find((h) => h.alg === 'SHA-256')?.content;
    if (digest) image.manifestDigest = `sha256:${digest}`;
    else if (root.version?.startsWith('sha256:')) image.manifestDigest = root.version;
    const tags = [...(rp.get('zerocve:repo-tag') ?? []), ...(rp.get('aquasecurity:trivy:RepoTag') ?? [])];
    if (tags.length) image.repoTags = tags;
  }
  return { inventory, image };
}
