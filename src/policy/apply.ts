// Policy: which findings are shown, which are hidden (and why), and whether the build fails. Nothing is dropped
// silently: every hidden finding becomes a Suppression with who hid it and why.
import type { Finding, Suppression } from '../core/finding.ts';
import type { Severity } from '../core/advisory.ts';
import type { ReportWarning } from '../core/report.ts';
import { severityRank } from '../core/advisory.ts';
import type { IgnoreRule } from './ignore-file.ts';
import type { VexStatement } from './openvex.ts';
import { purlMatches } from './purl-match.ts';
import { globMatch, isGlob } from './glob.ts';
import { driverSatisfies } from './driver.ts';

export interface PolicyOptions {
  ignoreRules?: IgnoreRule[];
  vex?: VexStatement[];
  ignoreUnfixed?: boolean;
  /** severities to show; others are suppressed by `severity-filter` */
  severities?: Severity[];
  /** fail when a shown finding is at or above this */
  failOn?: Severity;
  /** host NVIDIA driver version, for `driver:` conditions */
  driverVersion?: string;
  /** identities of the image itself (purl, reference, manifest digest) for VEX statements about the image */
  imageIds?: string[];
  now?: Date;
}

export interface PolicyResult {
  findings: Finding[];
  suppressed: Suppression[];
  /** rules past their expiry date (no longer applied) */
  expiredRules: IgnoreRule[];
  /** rules that matched nothing (stale) */
  unusedRules: IgnoreRule[];
  warnings: ReportWarning[];
  passed: boolean;
}

const idsOf = (f: Finding): string[] => [f.id, ...f.aliases];

function ruleMatches(rule: IgnoreRule, f: Finding): boolean {
  if (
    rule.ids.length &&
    !rule.ids.some((pat) =>
      idsOf(f).some((id) => (isGlob(pat) ? globMatch(pat, id) : pat.toUpperCase() === id.toUpperCase())),
    )
  )
    return false;
  if (
    rule.packages.length &&
    !rule.packages.some((pat) =>
      pat.startsWith('pkg:')
        ? purlMatches(pat, f.package.purl) === true
        : isGlob(pat)
          ? globMatch(pat, f.package.name)
          : pat === f.package.name,
    )
  )
    return false;
  if (rule.paths.length && !rule.paths.some((pat) => f.package.locations.some((l) => globMatch(pat, l.path))))
    return false;
  return true;
}

function vexAbout(st: VexStatement, f: Finding, imageIds: string[]): boolean {
  const fids = new Set(idsOf(f).map((x) => x.toUpperCase()));
  if (!st.vulnerabilities.some((v) => fids.has(v.toUpperCase()))) return false;
  const productIsImage = st.products.some((p) =>
    imageIds.some(
      (id) => id === p || (p.startsWith('pkg:oci/') && id.startsWith('sha256:') && decodeURIComponent(p).includes(id)),
    ),
  );
  if (productIsImage)
    return st.subcomponents.length === 0 || st.subcomponents.some((s) => purlMatches(s, f.package.purl) === true);
  return (
    st.products.some((p) => purlMatches(p, f.package.purl) === true) ||
    st.subcomponents.some((s) => purlMatches(s, f.package.purl) === true)
  );
}

export function applyPolicy(all: Finding[], options: PolicyOptions = {}): PolicyResult {
  const now = options.now ?? new Date();
  const today = now.toISOString().slice(0, 10);
  const warnings: ReportWarning[] = [];
  const rules = options.ignoreRules ?? [];
  const expiredRules = rules.filter((r) => r.expires !== undefined && r.expires < today);
  for (const r of expiredRules)
    warnings.push({
      code: 'ignore-rule-expired',
      message: `ignore rule ${r.where} expired on ${r.expires}: no longer applied (${r.reason})`,
      path: r.where,
    });
  const live = rules.filter((r) => !expiredRules.includes(r));
  const used = new Set<IgnoreRule>();
  const driverWarned = new Set<IgnoreRule>();
  // later statements win: sort by timestamp, stable for equal/missing timestamps
  const vex = [...(options.vex ?? [])].sort((a, b) => (a.timestamp ?? '').localeCompare(b.timestamp ?? ''));
  const imageIds = options.imageIds ?? [];

  const findings: Finding[] = [];
  const suppressed: Suppression[] = [];
  for (const f of all) {
    let hidden: Suppression | undefined;
    for (const rule of live) {
      if (!ruleMatches(rule, f)) continue;
      if (rule.driver !== undefined) {
        if (!options.driverVersion) {
          if (!driverWarned.has(rule)) {
            warnings.push({
              code: 'ignore-rule-needs-driver',
              message:
                `ignore rule ${rule.where} applies only with a host driver ${rule.driver}; no driver ` +
                `version known (pass --driver-version): not applied`,
              path: rule.where,
            });
            driverWarned.add(rule);
          }
          continue;
        }
        if (!driverSatisfies(options.driverVersion, rule.driver)) continue;
      }
      used.add(rule);
      const cond = rule.driver !== undefined ? ` (host driver ${options.driverVersion} satisfies ${rule.driver})` : '';
      hidden = { finding: f, by: 'ignore-file', reason: rule.reason + cond, rule: rule.where };
      break;
    }
    if (!hidden) {
      let decisive: VexStatement | undefined;
      for (const st of vex) if (vexAbout(st, f, imageIds)) decisive = st;
      if (decisive && (decisive.status === 'not_affected' || decisive.status === 'fixed')) {
        const why = [decisive.status, decisive.justification, decisive.impactStatement].filter(Boolean).join(': ');
        hidden = { finding: f, by: 'vex', reason: why, rule: decisive.where };
      }
    }
    if (!hidden && options.ignoreUnfixed && f.kind === 'vulnerability' && f.fixedVersions.length === 0) {
      hidden = { finding: f, by: 'ignore-unfixed', reason: `no fixed version (${f.fixState})` };
    }
    if (!hidden && options.severities?.length && !options.severities.includes(f.severity)) {
      hidden = {
        finding: f,
        by: 'severity-filter',
        reason: `severity ${f.severity} not in ${options.severities.join(',')}`,
      };
    }
    if (hidden) suppressed.push(hidden);
    else findings.push(f);
  }
  const unusedRules = live.filter((r) => !used.has(r) && !driverWarned.has(r));
  const failRank = options.failOn ? severityRank(options.failOn) : Infinity;
  const passed = !findings.some((f) => severityRank(f.severity) >= failRank);
  return { findings, suppressed, expiredRules, unusedRules, warnings, passed };
}
