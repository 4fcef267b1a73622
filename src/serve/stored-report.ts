// Reports rebuilt from what the service stored, for the API: an SPDX SBOM of a digest and the compare of two.
//
// SPDX: the project's SPDX 2.3 writer (the one `zerocve sbom -f spdx-json` uses) run on the stored inventory and
// image summary; dated by when the digest was stored, so the same digest gives the same document every time.
//
// Compare of two stored digests: the app's own `compareReports` (the one the CLI's `zerocve compare`
// and the UI's compare page use) run on reports rebuilt from what the service stored — inventory, analysis and the
// latest result judged by each digest's catalog policy and triage — so no image is pulled again. This file only
// reshapes its output for JSON clients: packages added/removed/changed, findings new/resolved, size deltas.
import type { ImageSummary } from '../core/report.ts';
import type { CompareMetric } from '../report/index.ts';
import { compareReports, sbomReporterFor, renderToString } from '../report/index.ts';
import { reportOf, type ImageView } from '../ui/index.ts';

/** SPDX 2.3 JSON of a stored digest (inventory only, as `zerocve sbom -f spdx-json`). */
export async function spdxOfDigest(view: ImageView): Promise<string> {
  const report = reportOf({ d: view.d });
  // the image as scanned (reportOf names it by repository and a short digest for pages)
  const source = (view.d.image as ImageSummary | undefined)?.source;
  if (source) report.image = { ...report.image, source };
  return renderToString((out) => sbomReporterFor('spdx-json').write(report, out, {}));
}

export interface SizeDelta {
  from: number | null;
  to: number | null;
  delta: number | null;
}

export interface DigestComparison {
  from: { digest: string; repository?: string; image: string; os: string; dbVersion?: string };
  to: { digest: string; repository?: string; image: string; os: string; dbVersion?: string };
  packages: {
    added: { type: string; name: string; versions: string[] }[];
    removed: { type: string; name: string; versions: string[] }[];
    changed: { type: string; name: string; from: string[]; to: string[] }[];
  };
  /** shown findings (after policy and triage) of `to` that `from` lacks, and the other way round */
  findings: { new: { id: string; package: string }[]; resolved: { id: string; package: string }[] };
  size: {
    /** sum of the layers' compressed sizes (0 for a root file system target: it has no layers) */
    compressedBytes: SizeDelta;
    uncompressedBytes: SizeDelta;
    /** bytes of the regular files of the merged file system (the attack surface summary's total) */
    fileBytes: SizeDelta;
  };
  /** every metric of `zerocve compare` (packages, executables, files, sizes, findings per severity, …) */
  metrics: CompareMetric[];
}

const sizeOf = (metrics: CompareMetric[], key: string): SizeDelta => {
  const m = metrics.find((x) => x.key === key);
  return { from: m?.a ?? null, to: m?.b ?? null, delta: m?.delta ?? null };
};

// compareReports names a finding `ID PACKAGE` (ids have no spaces)
const findingOf = (s: string): { id: string; package: string } => {
  const i = s.indexOf(' ');
  return i < 0 ? { id: s, package: '' } : { id: s.slice(0, i), package: s.slice(i + 1) };
};

export function compareDigests(from: ImageView, to: ImageView): DigestComparison {
  const c = compareReports(reportOf(from), reportOf(to));
  const bytes = (v: ImageView): number | null => v.d.analysis.surface?.totalBytes ?? null;
  const side = (v: ImageView, s: typeof c.a) => ({
    digest: v.d.digest,
    ...(v.d.repository ? { repository: v.d.repository } : {}),
    image: s.image,
    os: s.os,
    ...(v.result ? { dbVersion: v.result.dbVersion } : {}),
  });
  const fb = bytes(from);
  const tb = bytes(to);
  return {
    from: side(from, c.a),
    to: side(to, c.b),
    packages: {
      added: c.onlyInB,
      removed: c.onlyInA,
      changed: c.versionChanges.map((v) => ({ type: v.type, name: v.name, from: v.a, to: v.b })),
    },
    findings: { new: c.newFindings.map(findingOf), resolved: c.resolvedFindings.map(findingOf) },
    size: {
      compressedBytes: sizeOf(c.metrics, 'compressedBytes'),
      uncompressedBytes: sizeOf(c.metrics, 'uncompressedBytes'),
      fileBytes: { from: fb, to: tb, delta: fb === null || tb === null ? null : tb - fb },
    },
    metrics: c.metrics,
  };
}
