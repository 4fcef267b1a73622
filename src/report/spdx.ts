// `spdx-json`: SPDX 2.3 JSON. The image is the package the document DESCRIBES; it CONTAINS the OS and every
// package; dpkg dependencies become DEPENDS_ON. zerocve details SPDX has no field for (location, layer, metadata)
// go into package annotations (`zerocve:<key>=<value>`), which our SBOM reader reads back.
import type { Writable } from 'node:stream';
import { createHash } from 'node:crypto';
import SPDX from '@cyclonedx/cyclonedx-library/SPDX';
import type { ScanReport } from '../core/report.ts';
import type { Package } from '../core/package.ts';
import type { Reporter, ReporterOptions } from './common.ts';
import { writeChunks, stableUuid, imageIdentity, imageName } from './common.ts';
import { jsonChunks } from './json.ts';
import { resolveDpkgDepends } from './dependencies.ts';
import { isOsPackageType } from '../core/package-types.ts';

interface SpdxAnnotation {
  annotationDate: string;
  annotationType: 'OTHER' | 'REVIEW';
  annotator: string;
  comment: string;
}
interface SpdxPackage {
  SPDXID: string;
  name: string;
  versionInfo?: string;
  downloadLocation: string;
  filesAnalyzed: boolean;
  supplier?: string;
  originator?: string;
  primaryPackagePurpose?: string;
  sourceInfo?: string;
  licenseConcluded: string;
  licenseDeclared: string;
  copyrightText: string;
  checksums?: { algorithm: string; checksumValue: string }[];
  externalRefs?: { referenceCategory: string; referenceType: string; referenceLocator: string }[];
  annotations?: SpdxAnnotation[];
  hasFiles?: string[];
}
export interface SpdxDocument {
  spdxVersion: 'SPDX-2.3';
  dataLicense: 'CC0-1.0';
  SPDXID: 'SPDXRef-DOCUMENT';
  name: string;
  documentNamespace: string;
  creationInfo: { created: string; creators: string[]; licenseListVersion?: string };
  documentDescribes?: string[];
  packages: SpdxPackage[];
  files?: {
    SPDXID: string;
    fileName: string;
    checksums: { algorithm: string; checksumValue: string }[];
    comment?: string;
  }[];
  hasExtractedLicensingInfos?: { licenseId: string; extractedText: string; name: string }[];
  relationships: { spdxElementId: string; relationshipType: string; relatedSpdxElement: string }[];
}

const short = (s: string): string => createHash('sha256').update(s).digest('hex').slice(0, 12);
const idPart = (s: string): string =>
  s
    .replace(/[^A-Za-z0-9.-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 80) || 'x';

export const spdxPackageId = (p: Package): string => `SPDXRef-Package-${p.type}-${idPart(p.name)}-${short(p.id)}`;

/** SPDX timestamps: `YYYY-MM-DDThh:mm:ssZ` (no fractional seconds). */
const spdxTime = (iso: string): string => new Date(iso).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** `Name <mail>` → `Person: Name (mail)` (SPDX agent syntax); undefined when empty. */
function supplierOf(maintainer: string | undefined): string | undefined {
  if (!maintainer) return undefined;
  const m = /^\s*([^<]+?)\s*(?:<([^>]*)>)?\s*$/.exec(maintainer);
  if (!m) return undefined;
  return `Person: ${m[1]}${m[2] ? ` (${m[2]})` : ''}`;
}

export function buildSpdx(report: ScanReport, options: ReporterOptions = {}): SpdxDocument {
  const created = spdxTime(report.createdAt);
  const tool = `Tool: ${report.tool.name}-${report.tool.version}`;
  const note = (key: string, value: string): SpdxAnnotation => ({
    annotationDate: created,
    annotationType: 'OTHER',
    annotator: tool,
    comment: `zerocve:${key}=${value}`,
  });
  const extracted = new Map<string, { licenseId: string; extractedText: string; name: string }>();
  const licenseOf = (p: Package): string => {
    const ls = p.licenses ?? [];
    if (!ls.length) return 'NOASSERTION';
    return ls
      .map((l) => {
        if (SPDX.isSupportedSpdxId(l)) return l;
        const id = `LicenseRef-${idPart(l)}`;
        extracted.set(id, { licenseId: id, extractedText: l, name: l });
        return id;
      })
      .join(' AND ');
  };

  const name = imageName(report);
  const src = report.image.source;
  const imageId = 'SPDXRef-Image';
  const digest = src.manifestDigest ?? report.image.configDigest;
  const ociName = name.split('/').at(-1)?.split(':')[0] ?? name;
  const repositoryUrl = src.reference
    ? `?repository_url=${encodeURIComponent(src.reference.replace(/[:@][^/]*$/, ''))}`
    : '';
  const imagePkg: SpdxPackage = {
    SPDXID: imageId,
    name,
    versionInfo: digest,
    downloadLocation: 'NOASSERTION',
    filesAnalyzed: false,
    supplier: 'NOASSERTION',
    primaryPackagePurpose: 'CONTAINER',
    licenseConcluded: 'NOASSERTION',
    licenseDeclared: 'NOASSERTION',
    copyrightText: 'NOASSERTION',
    checksums: digest?.startsWith('sha256:') ? [{ algorithm: 'SHA256', checksumValue: digest.slice(7) }] : undefined,
    externalRefs: digest?.startsWith('sha256:')
      ? [
          {
            referenceCategory: 'PACKAGE-MANAGER',
            referenceType: 'purl',
            referenceLocator: `pkg:oci/${encodeURIComponent(ociName)}@${encodeURIComponent(digest)}${repositoryUrl}`,
          },
        ]
      : undefined,
    annotations: [note('target', src.target), note('source-kind', src.kind)],
  };
  const packages: SpdxPackage[] = [imagePkg];
  const relationships: SpdxDocument['relationships'] = [
    { spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: imageId },
  ];
  const files: NonNullable<SpdxDocument['files']> = [];

  const os = report.inventory.os;
  let osId: string | undefined;
  if (os) {
    osId = `SPDXRef-OperatingSystem-${idPart(os.id)}`;
    packages.push({
      SPDXID: osId,
      name: os.id,
      versionInfo: os.versionId,
      downloadLocation: 'NOASSERTION',
      filesAnalyzed: false,
      supplier: 'NOASSERTION',
      primaryPackagePurpose: 'OPERATING_SYSTEM',
      licenseConcluded: 'NOASSERTION',
      licenseDeclared: 'NOASSERTION',
      copyrightText: 'NOASSERTION',
      annotations: [
        note('path', os.path),
        ...(os.prettyName ? [note('pretty-name', os.prettyName)] : []),
        ...(os.versionCodename ? [note('codename', os.versionCodename)] : []),
      ],
    });
    relationships.push({ spdxElementId: imageId, relationshipType: 'CONTAINS', relatedSpdxElement: osId });
  }
  const ids = new Map<string, string>();
  for (const p of report.inventory.packages) {
    const id = spdxPackageId(p);
    ids.set(p.id, id);
    const m = p.metadata;
    const annotations = [
      ...p.locations.map((l) => note('location', `${l.layer}:${l.path}`)),
      note('metadata', JSON.stringify(m)),
      ...(p.ownedBy ? [note('ownedBy', p.ownedBy)] : []),
    ];
    const pkg: SpdxPackage = {
      SPDXID: id,
      name: p.name,
      versionInfo: p.version,
      downloadLocation: 'NOASSERTION',
      filesAnalyzed: false,
      supplier: supplierOf(m.kind === 'dpkg' ? m.maintainer : m.kind === 'rpm' ? m.vendor : undefined) ?? 'NOASSERTION',
      primaryPackagePurpose: isOsPackageType(p.type) ? 'INSTALL' : 'LIBRARY',
      sourceInfo:
        m.kind === 'dpkg'
          ? `built package from: ${m.source} ${m.sourceVersion}`
          : m.kind === 'apk'
            ? `built package from: ${m.origin}`
            : m.kind === 'rpm' && m.sourceRpm
              ? `built package from: ${m.sourceRpm}`
              : undefined,
      licenseConcluded: 'NOASSERTION',
      licenseDeclared: licenseOf(p),
      copyrightText: 'NOASSERTION',
      externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: p.purl }],
      annotations,
    };
    if (options.files && p.files?.length) {
      // zerocve records ownership, not file contents: no checksum is known, so the list is empty (stated in comment)
      pkg.hasFiles = p.files.map((f) => `SPDXRef-File-${short(`${p.id}\0${f}`)}`);
      for (const [i, f] of p.files.entries())
        files.push({
          SPDXID: pkg.hasFiles[i],
          fileName: f,
          checksums: [],
          comment: `owned by ${p.name}; content not hashed`,
        });
    }
    packages.push(pkg);
    relationships.push({
      spdxElementId: osId && isOsPackageType(p.type) ? osId : imageId,
      relationshipType: 'CONTAINS',
      relatedSpdxElement: id,
    });
  }
  for (const [from, tos] of resolveDpkgDepends(report.inventory.packages)) {
    for (const to of tos)
      relationships.push({
        spdxElementId: ids.get(from) as string,
        relationshipType: 'DEPENDS_ON',
        relatedSpdxElement: ids.get(to) as string,
      });
  }
  for (const mdl of report.inventory.models) {
    const fid = `SPDXRef-File-model-${short(mdl.path)}`;
    files.push({
      SPDXID: fid,
      fileName: mdl.path,
      checksums: [{ algorithm: 'SHA256', checksumValue: mdl.sha256 }],
      comment: `machine-learning model (${mdl.format}), ${mdl.size} bytes, layer ${mdl.layer}`,
    });
    relationships.push({ spdxElementId: imageId, relationshipType: 'CONTAINS', relatedSpdxElement: fid });
  }
  return {
    spdxVersion: 'SPDX-2.3',
    dataLicense: 'CC0-1.0',
    SPDXID: 'SPDXRef-DOCUMENT',
    name,
    documentNamespace:
      `https://zerocve.dev/spdxdocs/${encodeURIComponent(idPart(name))}-` + `${stableUuid(imageIdentity(report))}`,
    creationInfo: { created, creators: [tool] },
    documentDescribes: undefined,
    packages,
    files: files.length ? files : undefined,
    hasExtractedLicensingInfos: extracted.size ? [...extracted.values()] : undefined,
    relationships,
  };
}

export function createSpdxReporter(): Reporter {
  return {
    format: 'spdx-json',
    async write(report: ScanReport, out: Writable, options: ReporterOptions = {}): Promise<void> {
      await writeChunks(out, jsonChunks(buildSpdx(report, options)), options.signal);
      await writeChunks(out, ['\n'], options.signal);
    },
  };
}
