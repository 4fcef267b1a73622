// After a slim: scan the original and the slim image the same way (CVEs, packages, surface before/after) and attach
// the slim image's SBOM to it as an OCI referrer, so the result carries its own inventory.
import type { SlimReport } from '../../core/results.ts';
export type { SlimReport };
import { blobDescriptor } from '../../image/index.ts';
import { attachSbom } from '../publish.ts';
import { scanTarget, type ScanOptions } from '../scan.ts';
import { slimImage, type SlimOptions, type SlimResult } from './slim.ts';

export function outputTarget(o: SlimResult['output']): string {
  return o.kind === 'oci-dir' ? `oci-dir:${o.path}:${o.tag ?? 'latest'}` : `${o.kind}:${o.path}`;
}

export async function slimAndReport(
  target: string,
  options: SlimOptions & { scan: Omit<ScanOptions, 'signal'> },
): Promise<SlimReport> {
  const slim = await slimImage(target, options);
  const scan = { ...options.scan, signal: options.signal };
  const before = await scanTarget(target, scan);
  const after = await scanTarget(outputTarget(slim.output), scan);
  let sbomDigest: string | undefined;
  if (slim.output.kind === 'oci-dir') {
    const subject = blobDescriptor(
      slim.output.path,
      slim.output.manifestDigest,
      'application/vnd.oci.image.manifest.v1+json',
    );
    sbomDigest = (await attachSbom(slim.output.path, subject, after)).digest;
  }
  return { slim, before, after, sbomDigest };
}
