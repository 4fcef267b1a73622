// After a slim: scan the original and the slim image the same way (CVEs, packages, surface before/after) and attach
// the slim image's SBOM to it as an OCI referrer, so the result carries its own inventory.
import type { ScanReport } from '../../core/report.ts';
import { appendToIndex, blobDescriptor, writeReferrer } from '../../image/index.ts';
import { sbomReporterFor } from '../../report/index.ts';
import { renderToString } from '../render.ts';
import { scanTarget, type ScanOptions } from '../scan.ts';
import { slimImage, type SlimOptions, type SlimResult } from './slim.ts';

export interface SlimReport {
  slim: SlimResult;
  before: ScanReport;
  after: ScanReport;
  sbomDigest?: string;
}

export function outputTarget(o: SlimResult['output']): string {
  return o.kind === 'oci-dir' ? `oci-dir:${o.path}:${o.tag ?? 'latest'}` : `${o.kind}:${o.path}`;
}

export async function slimAndReport(
  target: string,
  options: SlimOptions & { scan: Omit<ScanOptions, 'signal'> },
): Promise<SlimReport> {
  const slim = await slimImage(target, options);
  const scan = { ...options.scan, allowNoDb: true, signal: options.signal };
  const before = await scanTarget(target, scan);
  const after = await scanTarget(outputTarget(slim.output), scan);
  let sbomDigest: string | undefined;
  if (slim.output.kind === 'oci-dir') {
    const subject = blobDescriptor(
      slim.output.path,
      slim.output.manifestDigest,
      'application/vnd.oci.image.manifest.v1+json',
    );
    const text = await renderToString((out) => sbomReporterFor('cyclonedx-json').write(after, out, {}));
    const ref = await writeReferrer(slim.output.path, subject, {
      artifactType: 'application/vnd.cyclonedx+json',
      data: text,
      annotations: { 'dev.zerocve.kind': 'sbom' },
    });
    appendToIndex(slim.output.path, [ref]);
    sbomDigest = ref.digest;
  }
  return { slim, before, after, sbomDigest };
}
