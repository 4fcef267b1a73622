// Syft JSON → Inventory: artifacts with purls, locations (path + layer digest), and the dpkg/apk/rpm metadata
// Syft records (source package, architecture).
import type { ImageSourceInfo } from '../core/image.ts';
import type { Inventory, Location } from '../core/package.ts';
import { packageFromPurl, osFromDistro } from './purl.ts';

interface SyftArtifact {
  name?: string;
  version?: string;
  type?: string;
  purl?: string;
  locations?: { path?: string; layerID?: string }[] | null;
  licenses?: (string | { value?: string; spdxExpression?: string })[] | null;
  metadata?: Record<string, unknown> | null;
}
export interface SyftDocument {
  artifacts: SyftArtifact[];
  distro?: {
    id?: string;
    name?: string;
    versionID?: string;
    version?: string;
    prettyName?: string;
    versionCodename?: string;
  } | null;
  source?: { type?: string; target?: unknown; metadata?: unknown } | null;
  schema?: { version?: string; url?: string };
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);

export function parseSyft(
  doc: SyftDocument,
  sbomPath: string,
): { inventory: Inventory; image: Partial<ImageSourceInfo> } {
  let t = doc.source?.target ?? doc.source?.metadata;
  if (typeof t === 'string') {
    try {
      t = JSON.parse(t);
    } catch {
      /* a plain path */
    }
  }
  const target = t && typeof t === 'object' ? (t as Record<string, unknown>) : undefined;
  const layerDigests = Array.isArray(target?.layers)
    ? (target.layers as { digest?: unknown }[]).map((l) => str(l?.digest))
    : [];
  const layerIndex = (digest: string): number => layerDigests.indexOf(digest);
  const inventory: Inventory = { packages: [], models: [], problems: [] };
  const fallback: Location = { path: sbomPath, layer: -1 };
  const seen = new Set<string>();
  for (const a of doc.artifacts ?? []) {
    if (!a || typeof a !== 'object') continue;
    if (!a.purl) {
      inventory.problems.push({
        code: 'skipped',
        path: sbomPath,
        analyzer: 'sbom',
        message: `artifact "${a.name ?? '?'}" (${a.type ?? 'unknown type'}) has no purl: skipped`,
      });
      continue;
    }
    const m = a.metadata ?? {};
    const r = packageFromPurl(
      a.purl,
      {
        name: a.name,
        version: a.version,
        sourceName: str(m.source) ?? str(m.origin) ?? str(m.sourceRpm)?.replace(/-[^-]+-[^-]+\.src\.rpm$/, ''),
        sourceVersion: str(m.sourceVersion),
        arch: str(m.architecture) ?? str(m.arch),
        licenses: (a.licenses ?? [])
          .map((l) => (typeof l === 'string' ? l : l?.spdxExpression || l?.value))
          .filter((x): x is string => !!x),
        locations: (a.locations ?? [])
          .filter((l) => l?.path)
          .map((l) => ({ path: l.path as string, layer: l.layerID ? layerIndex(l.layerID) : -1 })),
      },
      fallback,
    );
    if ('reason' in r) {
      inventory.problems.push({ code: r.code, path: sbomPath, analyzer: 'sbom', message: r.reason });
      continue;
    }
    if (seen.has(r.pkg.id)) continue;
    seen.add(r.pkg.id);
    inventory.packages.push(r.pkg);
  }
  const d = doc.distro;
  const id = str(d?.id) ?? str(d?.name);
  if (d && id) {
    inventory.os = {
      id: id.toLowerCase(),
      versionId: str(d.versionID) ?? str(d.version) ?? '',
      path: sbomPath,
      ...(str(d.prettyName) ? { prettyName: d.prettyName } : {}),
      ...(str(d.versionCodename) ? { versionCodename: d.versionCodename } : {}),
    };
  } else {
    const fromPurl = inventory.packages.map((p) => /[?&]distro=([^&]+)/.exec(p.purl)?.[1]).find(Boolean);
    const os = fromPurl ? osFromDistro(decodeURIComponent(fromPurl)) : undefined;
    if (os) inventory.os = { ...os, path: sbomPath };
  }
  const image: Partial<ImageSourceInfo> = { kind: 'sbom', target: `sbom:${sbomPath}` };
  if (target) {
    const o = target;
    if (str(o.userInput)) image.reference = o.userInput as string;
    if (str(o.manifestDigest)) image.manifestDigest = o.manifestDigest as string;
    if (Array.isArray(o.tags) && o.tags.every((x) => typeof x === 'string')) image.repoTags = o.tags as string[];
  }
  return { inventory, image };
}
