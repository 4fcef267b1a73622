// `zerocve scan`: analysis + vulnerability matching + policy → one ScanReport. The CLI renders it and sets the exit
// code from `summary.passed`.
import type { Finding } from '../core/finding.ts';
import type { ScanReport, SeverityCounts, DbInfo, ReportWarning } from '../core/report.ts';
import { REPORT_SCHEMA_VERSION } from '../core/report.ts';
import type { Inventory } from '../core/package.ts';
import type { AdvisorySource } from '../core/interfaces.ts';
import { matchInventory, ecosystemsOf } from '../match/index.ts';
import { applyPolicy, type PolicyOptions } from '../policy/index.ts';
import { analyzeImage, analyzeTarget, type AnalyzeOptions, type Analysis } from './analyze.ts';
import { diagnoseDependencies } from './deps.ts';
import { VERSION } from './version.ts';
import { readPeerReport, mergePeerFindings } from '../peers/index.ts';
import { UsageError } from '../core/errors.ts';
import type { Image } from '../core/image.ts';
import { openImage } from '../image/index.ts';
import { attributeToBase, baseSplitSummary, filterByBase, resolveBase, type BaseOptions } from './base.ts';

/** scans warn when the database is older than this */
export const DB_MAX_AGE_HOURS = 72;

/** The vulnerability data a scan matches against, opened by the caller (the CLI, the service). */
export interface AdvisoryData {
  /** absent: vulnerabilities are not matched, and `warnings` say why */
  source?: AdvisorySource;
  /** the database's description, carried into the report */
  db?: DbInfo;
  warnings?: ReportWarning[];
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
  /** base image or application: which base, whether to read it from annotations, which findings to keep */
  base?: BaseOptions;
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

type VulnResult = { findings: Finding[]; db?: DbInfo; warnings: ReportWarning[]; problems: Inventory['problems'] };

/** Vulnerability findings of an inventory against the given data, with the database's description and warnings. */
export async function matchVulnerabilities(
  inventory: Inventory,
  data: AdvisoryData,
  options: { signal?: AbortSignal } = {},
): Promise<VulnResult> {
  const warnings = [...(data.warnings ?? [])];
  if (!data.source) {
    if (!warnings.length)
      warnings.push({
        code: 'no-vulnerability-db',
        message: 'no vulnerability database given: vulnerabilities were not matched',
      });
    return { findings: [], warnings, problems: [] };
  }
  const db = data.db;
  if (db && (db.ageHours === undefined || db.ageHours > DB_MAX_AGE_HOURS))
    warnings.push({
      code: 'stale-vulnerability-db',
      message:
        `vulnerability database is ` +
        `${db.ageHours === undefined ? 'of unknown age' : `${Math.round(db.ageHours / 24)} days old`} ` +
        `(built ${db.builtAt ?? '?'}): run \`zerocve db update\``,
      path: db.path,
    });
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
  // --base is opened first too (manifest and config only), so a bad base fails before a long scan
  const baseImage = options.base?.image
    ? await openImage(options.base.image, { ...options.open, signal: options.signal })
    : undefined;
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
  const split = await splitByBase(analysis, vuln, extra, options, baseImage);
  const report = assembleReport(split.analysis, split.vuln, {
    policy: { ...options.policy, driverVersion: options.driverVersion ?? options.policy.driverVersion },
    files: options.files,
    now: options.now,
    extraFindings: split.extra,
  });
  if (split.base) {
    report.image = { ...report.image, base: split.base };
    report.summary.base = baseSplitSummary(report, countBySeverity, options.base?.filter);
  }
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

// ---- base image or application (issue 12) ----------------------------------------------------------------------

/**
 * With a known base image (--base, or the OCI base annotations): inventory the base (its layers come from the layer
 * cache the scan just filled), mark packages and findings `fromBase`, and apply --only-base / --exclude-base before
 * the policy sees the findings. Without one, everything passes through unchanged.
 */
async function splitByBase(
  analysis: Analysis,
  vuln: VulnResult,
  extra: Finding[],
  options: ScanOptions,
  opened: Image | undefined,
): Promise<{
  analysis: Analysis;
  vuln: VulnResult;
  extra: Finding[];
  base?: NonNullable<ScanReport['image']['base']>;
}> {
  const wanted = options.base;
  if (!wanted?.image && !wanted?.fromAnnotations) {
    if (wanted?.filter) throw new UsageError(`--${wanted.filter}: the base image is not known: pass --base IMAGE`);
    return { analysis, vuln, extra };
  }
  const resolved = await resolveBase(analysis.image, {
    ...wanted,
    open: options.open,
    signal: options.signal,
    opened,
  });
  const warnings: ReportWarning[] = [
    ...analysis.warnings,
    ...resolved.warnings.map((message) => ({ code: 'base-image-unknown' as const, message })),
  ];
  if (!resolved.base) {
    if (wanted.filter)
      throw new UsageError(
        `--${wanted.filter}: the base image is not known: pass --base IMAGE (` +
          `${resolved.warnings.join('; ') || 'the image has no org.opencontainers.image.base.name annotation'}` +
          `)`,
      );
    return { analysis: { ...analysis, warnings }, vuln, extra };
  }
  options.onProgress?.({ phase: 'inventory', message: `inventorying base image ${resolved.base.summary.name}` });
  const baseAnalysis = await analyzeImage(resolved.base.image, { ...options, onProgress: undefined });
  const layers = resolved.base.summary.layers;
  const own = attributeToBase(analysis.inventory, analysis.findings, { inventory: baseAnalysis.inventory, layers });
  const mark = (fs: Finding[]) =>
    attributeToBase(own.inventory, fs, { inventory: baseAnalysis.inventory, layers }).findings;
  return {
    analysis: { ...analysis, inventory: own.inventory, findings: filterByBase(own.findings, wanted.filter), warnings },
    vuln: { ...vuln, findings: filterByBase(mark(vuln.findings), wanted.filter) },
    extra: filterByBase(mark(extra), wanted.filter),
    base: resolved.base.summary,
  };
}
