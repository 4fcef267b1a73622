// `zerocve scan`: analysis + vulnerability matching + policy → one ScanReport. The CLI renders it and sets the exit
// code from `summary.passed`.
import type { Finding } from '../core/finding.ts';
import type { ScanReport, SeverityCounts, DbInfo } from '../core/report.ts';
import { REPORT_SCHEMA_VERSION } from '../core/report.ts';
import type { Inventory } from '../core/package.ts';
import type { AdvisorySource } from '../core/interfaces.ts';
import { matchInventory, ecosystemsOf } from '../match/index.ts';
import { applyPolicy, type PolicyOptions } from '../policy/index.ts';
import { analyzeTarget, type AnalyzeOptions, type Analysis } from './analyze.ts';
import { diagnoseDependencies } from './deps.ts';
import { VERSION } from './version.ts';
import { readPeerReport, mergePeerFindings } from '../peers/index.ts';

/** scans warn when the database is older than this */
export const DB_MAX_AGE_HOURS = 72;

/** The vulnerability data a scan matches against, opened by the caller (the CLI, the service). */
export interface AdvisoryData {
  /** absent: vulnerabilities are not matched, and `warnings` say why */
  source?: AdvisorySource;
  /** the database's description, carried into the report */
  db?: DbInfo;
  warnings?: string[];
}

/** What an inventory needs from the vulnerability data, so a caller can fetch those feeds before any other. */
export interface AdvisoryNeed {
  /** advisory ecosystems without release (`Debian`, `PyPI`, `NVIDIA`), sorted */
  ecosystems: string[];
}

/** Asked once per scan, after the inventory is known and before matching. */
export type AdvisoryProvider = (need: AdvisoryNeed, signal?: AbortSignal) => Promise<AdvisoryData>;

export interface ScanOptions extends AnalyzeOptions {
  /**
   * The advisory data, or a provider asked for it once the inventory is known (which can update a database for the
   * image's ecosystems first). Absent: no matching, with a warning.
   */
  advisories?: AdvisoryData | AdvisoryProvider;
  policy: PolicyOptions;
  /** host NVIDIA driver version for the CUDA dependency check and `driver:` rule conditions */
  driverVersion?: string;
  /** keep owned file lists in the report's inventory */
  files?: boolean;
  /** peer scanners' JSON reports (Trivy, Grype) of the same image, compared in `report.sections.peers` */
  merge?: string[];
  now?: Date;
}

export const emptyCounts = (): SeverityCounts => ({
  critical: 0,
  high: 0,
  medium: 0,
  low: 0,
  negligible: 0,
  unknown: 0,
});

export function countBySeverity(findings: Finding[]): SeverityCounts {
  const c = emptyCounts();
  for (const f of findings) c[f.severity]++;
  return c;
}

function withoutFiles(inv: Inventory): Inventory {
  return { ...inv, packages: inv.packages.map(({ files: _f, ...p }) => p) };
}

type VulnResult = { findings: Finding[]; db?: DbInfo; warnings: string[]; problems: Inventory['problems'] };

/** Vulnerability findings of an inventory against the given data, with the database's description and warnings. */
export async function matchVulnerabilities(
  inventory: Inventory,
  data: AdvisoryData,
  options: { signal?: AbortSignal } = {},
): Promise<VulnResult> {
  const warnings = [...(data.warnings ?? [])];
  if (!data.source) {
    if (!warnings.length) warnings.push('no vulnerability database given: vulnerabilities were not matched');
    return { findings: [], warnings, problems: [] };
  }
  const db = data.db;
  if (db && (db.ageHours === undefined || db.ageHours > DB_MAX_AGE_HOURS))
    warnings.push(
      `vulnerability database is ${db.ageHours === undefined ? 'of unknown age' : `${Math.round(db.ageHours / 24)} days old`} (built ${db.builtAt ?? '?'}): run \`zerocve db update\``,
    );
  const { findings, problems } = await matchInventory(inventory, data.source, { signal: options.signal });
  return { findings, ...(db ? { db } : {}), warnings, problems };
}

export function assembleReport(
  analysis: Analysis,
  vuln: VulnResult,
  options: { policy: PolicyOptions; files?: boolean; now?: Date; extraFindings?: Finding[] },
): ScanReport {
  const all = [...vuln.findings, ...analysis.findings, ...(options.extraFindings ?? [])];
  const imageIds = [
    analysis.image.source.manifestDigest,
    analysis.image.source.reference,
    analysis.image.source.target,
  ].filter((x): x is string => !!x);
  const policy = applyPolicy(all, {
    ...options.policy,
    imageIds: [...imageIds, ...(options.policy.imageIds ?? [])],
    now: options.now ?? options.policy.now,
  });
  const inventory = { ...analysis.inventory, problems: [...analysis.inventory.problems, ...vuln.problems] };
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: { name: 'zerocve', version: VERSION },
    createdAt: (options.now ?? new Date()).toISOString(),
    image: analysis.image,
    inventory: options.files ? inventory : withoutFiles(inventory),
    findings: policy.findings,
    suppressed: policy.suppressed,
    surface: analysis.surface,
    bloat: analysis.bloat,
    sections: analysis.sections,
    db: vuln.db,
    summary: {
      findings: countBySeverity(policy.findings),
      suppressed: policy.suppressed.length,
      fixable: policy.findings.filter((f) => f.fixedVersions.length > 0).length,
      kev: policy.findings.filter((f) => f.kev).length,
      threshold: options.policy.failOn,
      passed: policy.passed,
    },
    warnings: [
      ...analysis.warnings,
      ...vuln.warnings,
      ...policy.warnings,
      ...(inventory.problems.length
        ? [`${inventory.problems.length} problem(s) while reading the image: see inventory.problems`]
        : []),
    ],
  };
}

export async function scanTarget(target: string, options: ScanOptions): Promise<ScanReport> {
  // --merge: peer reports are read first, so a bad file fails before a long scan
  const peers = await Promise.all((options.merge ?? []).map((p) => readPeerReport(p, { signal: options.signal })));
  const analysis = await analyzeTarget(target, options);
  let vuln: VulnResult = { findings: [], warnings: [], problems: [] };
  if (options.scanners.has('vuln')) {
    const given = options.advisories;
    const data =
      typeof given === 'function'
        ? await given({ ecosystems: ecosystemsOf(analysis.inventory) }, options.signal)
        : (given ?? {});
    options.onProgress?.({ phase: 'match', message: 'matching vulnerabilities' });
    vuln = await matchVulnerabilities(analysis.inventory, data, { signal: options.signal });
  }
  const extra = options.scanners.has('deps')
    ? diagnoseDependencies(analysis, { driverVersion: options.driverVersion })
    : [];
  const report = assembleReport(analysis, vuln, {
    policy: { ...options.policy, driverVersion: options.driverVersion ?? options.policy.driverVersion },
    files: options.files,
    now: options.now,
    extraFindings: extra,
  });
  if (peers.length) {
    report.sections = {
      ...report.sections,
      peers: mergePeerFindings(report.findings, peers, {
        image: { configDigest: report.image.configDigest },
        suppressed: report.suppressed,
      }),
    };
  }
  return report;
}
