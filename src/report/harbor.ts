// Harbor's vulnerability report (`application/vnd.security.vulnerability.report; version=1.1`, the same shape as
// `application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0`): one item per finding, with Harbor's
// capitalised severity scale and the preferred CVSS v3 score. Pure function of a ScanReport.
import type { ScanReport } from '../core/report.ts';
import type { Finding } from '../core/finding.ts';
import type { Severity } from '../core/advisory.ts';
import { severityRank } from '../core/advisory.ts';

export type HarborSeverity = 'Unknown' | 'Negligible' | 'Low' | 'Medium' | 'High' | 'Critical';

const HARBOR_SEVERITY: Record<Severity, HarborSeverity> = {
  critical: 'Critical',
  high: 'High',
  medium: 'Medium',
  low: 'Low',
  negligible: 'Negligible',
  unknown: 'Unknown',
};

export interface HarborArtifact {
  repository: string;
  digest: string;
  tag?: string;
  mime_type?: string;
}

export interface HarborScanner {
  name: string;
  vendor: string;
  version: string;
}

function preferredCvss(f: Finding): { score_v3?: number; vector_v3?: string; score_v2?: number; vector_v2?: string } {
  const by = (prefix: string) =>
    f.cvss
      .filter((c) => c.version.startsWith(prefix))
      .sort((a, b) => (a.source === 'nvd' ? -1 : b.source === 'nvd' ? 1 : 0))[0];
  const v3 = by('3');
  const v2 = by('2');
  return {
    ...(v3 ? { score_v3: v3.score, vector_v3: v3.vector } : {}),
    ...(v2 ? { score_v2: v2.score, vector_v2: v2.vector } : {}),
  };
}

/** Harbor's report: overall severity is the worst finding's (`Unknown` when none). */
export function buildHarborVulnerabilityReport(
  report: Pick<ScanReport, 'findings' | 'createdAt'>,
  artifact: HarborArtifact,
  scanner: HarborScanner,
  generatedAt: Date = new Date(report.createdAt),
) {
  const vulns = report.findings.filter((f) => f.kind === 'vulnerability');
  let worst: Severity = 'unknown';
  for (const f of vulns) if (severityRank(f.severity) > severityRank(worst)) worst = f.severity;
  return {
    generated_at: generatedAt.toISOString(),
    artifact,
    scanner,
    severity: vulns.length ? HARBOR_SEVERITY[worst] : ('Unknown' as HarborSeverity),
    vulnerabilities: vulns.map((f) => {
      const layer = f.package.locations[0]?.layer;
      return {
        id: f.id,
        package: f.package.name,
        version: f.installedVersion,
        ...(f.fixedVersions.length ? { fix_version: f.fixedVersions.join(', ') } : {}),
        severity: HARBOR_SEVERITY[f.severity],
        description: f.title ?? f.id,
        links: f.references.filter((u) => /^https?:\/\//.test(u)).slice(0, 10),
        preferred_cvss: preferredCvss(f),
        cwe_ids: [] as string[],
        vendor_attributes: {
          aliases: f.aliases,
          purl: f.package.purl,
          fix_state: f.fixState,
          severity_source: f.severitySource,
          kev: f.kev,
          ...(f.epss ? { epss: f.epss.score } : {}),
          ...(layer !== undefined && layer >= 0 ? { layer } : {}),
          data_source: f.evidence[0]?.source,
        },
      };
    }),
  };
}
