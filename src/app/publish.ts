// The last steps slim and build share: attach an image's SBOM to it as an OCI referrer, and move a staged OCI
// layout to where the user asked for it (renamed into place as a directory, or written as an archive).
import { mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ScanReport } from '../core/report.ts';
import {
  appendToIndex,
  writeDockerArchive,
  writeOciArchive,
  writeReferrer,
  type BlobDescriptor,
} from '../image/index.ts';
import { sbomReporterFor, renderToString } from '../report/index.ts';

export type PublishKind = 'oci-dir' | 'oci-archive' | 'docker-archive';

/**
 * Renders the report's CycloneDX SBOM and attaches it to `subject` (a manifest in the layout) as an OCI referrer
 * listed in the layout's index. Returns the referrer's descriptor.
 */
export async function attachSbom(layout: string, subject: BlobDescriptor, report: ScanReport): Promise<BlobDescriptor> {
  const text = await renderToString((out) => sbomReporterFor('cyclonedx-json').write(report, out, {}));
  const ref = await writeReferrer(layout, subject, {
    artifactType: 'application/vnd.cyclonedx+json',
    data: text,
    annotations: { 'dev.zerocve.kind': 'sbom' },
  });
  appendToIndex(layout, [ref]);
  return ref;
}

/**
 * Puts the staged layout at `output.path` (absolute): an `oci-dir` replaces whatever was there (the staging
 * directory is renamed, so it must sit on the same file system); archives are written from it.
 */
export async function publishLayout(
  staging: string,
  output: { kind: PublishKind; path: string },
  image: { manifest: BlobDescriptor; repoTag?: string },
): Promise<void> {
  switch (output.kind) {
    case 'oci-dir':
      rmSync(output.path, { recursive: true, force: true });
      mkdirSync(dirname(output.path), { recursive: true });
      renameSync(staging, output.path);
      return;
    case 'oci-archive':
      await writeOciArchive(staging, output.path);
      return;
    case 'docker-archive':
      await writeDockerArchive(staging, output.path, image);
      return;
  }
}
