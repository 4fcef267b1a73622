// SPDX 2.2/2.3 JSON → Inventory. Packages with a purl external reference become packages; the OS comes from an
// OPERATING_SYSTEM package (or Trivy's SPDXRef-OperatingSystem-*) or the purls' distro qualifier. zerocve's own
// annotations (`zerocve:location=…`, `zerocve:metadata=…`) are read back losslessly.
import type { ImageSourceInfo } from '../core/image.ts';
import type { Inventory, Location } from '../core/package.ts';
import type { DistroInfo } from './purl.ts';
import { packageFromPurl, parseLocation, parseMetadataJson, osFromDistro } from './purl.ts';
import { parsePurl } from '../core/purl.ts';

interface SpdxPackage {
  SPDXID?: string;
  name?: string;
  versionInfo?: string;
  primaryPackagePurpose?: string;
  sourceInfo?: string;
  licenseDeclared?: string;
  licenseConcluded?: string;
  externalRefs?: { referenceCategory?: string; referenceType?: string; referenceLocator?: string }[];
  annotations?: { comment?: string }[];
  checksums?: { algorithm?: string; checksumValue?: string }[];
}
export interface SpdxDocument {
  spdxVersion: string;
  name?: string;
  packages?: SpdxPackage[];
  relationships?: { spdxElementId?: string; relationshipType?: string; relatedSpdxElement?: string }[];
  documentDescribes?: string[];
  hasExtractedLicensingInfos?: { licenseId?: string; name?: string }[];
}

const notes = (p: SpdxPackage): Map<string, string[]> => {
  const m = new Map<string, string[]>();
  for (const a of p.annotations ?? []) {
    const r = /^zerocve:([\w-]+)=([\s\S]*)$/.exec(a?.comment ?? '');
    if (r) m.set(r[1], [...(m.get(r[1]) ?? []), r[2]]);
  }
  return m;
};

/** `MIT AND Apache-2.0` → [MIT, Apache-2.0]; NOASSERTION/NONE → []. OR-expressions stay whole. */
function licensesOf(expr: string | undefined): string[] {
  if (!expr || expr === 'NOASSERTION' || expr === 'NONE') return [];
  if (/\bOR\b|\(/.test(expr)) return [expr];
  return expr
    .split(/\s+AND\s+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

/** `built package from: util-linux 2.31.1-0.4ubuntu3.1` → [util-linux, 2.31.1-0.4ubuntu3.1] */
function sourceInfo(s: string | undefined): { name?: string; version?: string } {
  const m = /built package from:\s*(\S+)(?:\s+(\S+))?/.exec(s ?? '');
  return m ? { name: m[1], version: m[2] } : {};
}

export function parseSpdx(
  doc: SpdxDocument,
  sbomPath: string,
): { inventory: Inventory; image: Partial<ImageSourceInfo> } {
  const inventory: Inventory = { packages: [], models: [], problems: [] };
  const fallback: Location = { path: sbomPath, layer: -1 };
  const distros = new Map<string, DistroInfo>();
  const describedIds = new Set([
    ...(doc.documentDescribes ?? []),
    ...(doc.relationships ?? [])
      .filter((r) => r.spdxElementId === 'SPDXRef-DOCUMENT' && r.relationshipType === 'DESCRIBES')
      .map((r) => r.relatedSpdxElement),
  ]);
  const image: Partial<ImageSourceInfo> = { kind: 'sbom', target: `sbom:${sbomPath}` };
  const seen = new Set<string>();
  const refNames = new Map(
    (doc.hasExtractedLicensingInfos ?? [])
      .filter((x) => x?.licenseId && x.name)
      .map((x) => [x.licenseId as string, x.name as string]),
  );
  for (const p of doc.packages ?? []) {
    if (!p || typeof p !== 'object') continue;
    const n = notes(p);
    if (p.primaryPackagePurpose === 'OPERATING_SYSTEM' || p.SPDXID?.startsWith('SPDXRef-OperatingSystem')) {
      if (!inventory.os && p.name) {
        inventory.os = {
          id: p.name.toLowerCase(),
          versionId: p.versionInfo ?? '',
          path: n.get('path')?.[0] ?? sbomPath,
          ...(n.get('pretty-name') ? { prettyName: n.get('pretty-name')?.[0] } : {}),
          ...(n.get('codename') ? { versionCodename: n.get('codename')?.[0] } : {}),
        };
      }
      continue;
    }
    const purl = p.externalRefs?.find(
      (r) => r?.referenceType === 'purl' && typeof r.referenceLocator === 'string',
    )?.referenceLocator;
    if (describedIds.has(p.SPDXID) || p.primaryPackagePurpose === 'CONTAINER') {
      if (p.name && p.primaryPackagePurpose === 'CONTAINER') image.reference = p.name;
      if (p.versionInfo?.startsWith('sha256:')) image.manifestDigest = p.versionInfo;
      if (!purl || purl.startsWith('pkg:oci/') || purl.startsWith('pkg:docker/')) continue;
    }
    if (!purl) {
      inventory.problems.push({
        code: 'skipped',
        path: sbomPath,
        analyzer: 'sbom',
        message: `package "${p.name ?? p.SPDXID ?? '?'}" has no purl: skipped`,
      });
      continue;
    }
    const metadata = parseMetadataJson(n.get('metadata')?.[0]);
    const src = sourceInfo(p.sourceInfo);
    const r = packageFromPurl(
      purl,
      {
        name: metadata ? p.name : undefined,
        version: metadata ? p.versionInfo : undefined,
        sourceName: src.name,
        sourceVersion: src.version,
        licenses: licensesOf(
          p.licenseDeclared && p.licenseDeclared !== 'NOASSERTION' ? p.licenseDeclared : p.licenseConcluded,
        ).map((l) => refNames.get(l) ?? l),
        locations: (n.get('location') ?? []).map(parseLocation).filter((l): l is Location => !!l),
        ownedBy: n.get('ownedBy')?.[0],
        metadata,
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
    const pu = parsePurl(purl);
    const d = pu?.qualifiers?.distro;
    if (d) {
      const os = osFromDistro(d, pu?.namespace);
      if (os) distros.set(`${os.id}@${os.versionId}`, os);
    }
  }
  if (!inventory.os && distros.size === 1) inventory.os = { ...[...distros.values()][0], path: sbomPath };
  return { inventory, image };
}
