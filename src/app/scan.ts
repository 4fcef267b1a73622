// `zerocve scan`: analysis + vulnerability matching + policy → one ScanReport. The CLI renders it and sets the exit
// code from `summary.passed`.
import type { Finding } from '../core/finding.ts';
import type { ScanReport, SeverityCounts, DbInfo, ReportWarning } from '../core/report.ts';
import { REPORT_SCHEMA_VERSION } from '../core/report.ts';
import type { Inventory } from '../core/package.ts';
import { openStore, dbStatus } from '../vulndb/index.ts';
import { matchInventory } from '../match/index.ts';
import { applyPolicy, type PolicyOptions } from '../policy/index.ts';
import { analyzeTarget, type AnalyzeOptions, type Analysis } from './analyze.ts';
import { diagnoseDependencies } from './deps.ts';
import { VERSION } from './version.ts';
import { readPeerReport, mergePeerFindings } from '../peers/index.ts';

/** scans warn when the database is older than this */
export const DB_MAX_AGE_HOURS = 72;

export interface ScanOptions extends AnalyzeOptions {
  dbPath: string;
  /** scan without a vulnerability database (inventory, surface and analysis only), with a warning */
  allowNoDb?: boolean;
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

/** Vulnerability findings of an inventory, with the database's description and warnings. */
export function matchVulnerabilities(
  inventory: Inventory,
  options: { dbPath: string; allowNoDb?: boolean; now?: Date; signal?: AbortSignal },
): { findings: Finding[]; db?: DbInfo; warnings: ReportWarning[]; problems: Inventory['problems'] } {
  const warnings: ReportWarning[] = [];
  let status;
  try {
    status = dbStatus(options.dbPath, { now: options.now, maxAgeHours: DB_MAX_AGE_HOURS });
  } catch (err) {
    if (options.allowNoDb) {
      warnings.push({
        code: 'no-vulnerability-db',
        message: `no vulnerability database (${(err as Error).message.split(':')[0]}): vulnerabilities were not matched`,
        path: options.dbPath,
      });
      return { findings: [], warnings, problems: [] };
    }
    throw err;
  }
  if (status.stale)
    warnings.push({
      code: 'stale-vulnerability-db',
      message: `vulnerability database is ${status.ageHours === undefined ? 'of unknown age' : `${Math.round(status.ageHours / 24)} days old`} (built ${status.builtAt ?? '?'}): run \`zerocve db update\``,
      path: status.path,
    });
  const db: DbInfo = {
    path: status.path,
    builtAt: status.builtAt,
    ageHours: status.ageHours,
    sources: status.sources.map((s) => ({ name: s.name, snapshot: s.snapshot, advisories: s.advisories })),
  };
  const store = openStore(options.dbPath, { readonly: true });
  try {
    const { findings, problems } = matchInventory(inventory, store, { signal: options.signal });
    return { findings, db, warnings, problems };
  } finally {
    store.close();
  }
}

export function assembleReport(
  analysis: Analysis,
  vuln: { findings: Finding[]; db?: DbInfo; warnings: ReportWarning[]; problems: Inventory['problems'] },
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
        ? [
            {
              code: 'inventory-problems' as const,
              message: `${inventory.problems.length} problem(s) while reading the image: see inventory.problems`,
              target: analysis.image.source.target,
            },
          ]
        : []),
    ],
  };
}

export async function scanTarget(target: string, options: ScanOptions): Promise<ScanReport> {
  // --merge: peer reports are read first, so a bad file fails before a long scan
  const peers = await Promise.all((options.merge ?? []).map((p) => readPeerReport(p, { signal: options.signal })));
  const analysis = await analyzeTarget(target, options);
  let vuln: ReturnType<typeof matchVulnerabilities> = { findings: [], warnings: [], problems: [] };
  if (options.scanners.has('vuln')) {
    options.onProgress?.({ phase: 'match', message: 'matching vulnerabilities' });
    vuln = matchVulnerabilities(analysis.inventory, {
      dbPath: options.dbPath,
      allowNoDb: options.allowNoDb,
      now: options.now,
      signal: options.signal,
    });
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
