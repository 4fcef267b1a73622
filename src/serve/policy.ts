// A catalog entry's policy plus the platform team's triage decisions, as the `scan` gate's policy options: the
// stored findings (before policy) go through it when a result is stored and again whenever they are read, so a
// decision applies at once and on every re-scan.
import type { Finding } from '../core/finding.ts';
import type { Severity } from '../core/advisory.ts';
import { SEVERITIES } from '../core/advisory.ts';
import { UsageError } from '../core/errors.ts';
import { applyPolicy, parseIgnoreFile, readOpenVex, type PolicyOptions, type PolicyResult } from '../policy/index.ts';
import type { VexStatement } from '../policy/index.ts';
import type { CatalogEntry, TriageDecision, Verdict } from '../store/index.ts';

/** Live decisions (not past their `until`) as VEX statements about this digest. */
export function triageStatements(decisions: TriageDecision[], digest: string, now = new Date()): VexStatement[] {
  return decisions
    .filter((d) => !d.until || Date.parse(d.until) > now.getTime())
    .map((d) => ({
      vulnerabilities: [d.findingId],
      products: [digest],
      subcomponents: d.package ? [d.package] : [],
      status: d.status,
      justification: d.justification,
      impactStatement: d.action,
      timestamp: d.createdAt,
      where: `triage #${d.id} by ${d.author}`,
    }));
}

export function policyOptions(
  entry: CatalogEntry | undefined,
  decisions: TriageDecision[],
  digest: string,
  now = new Date(),
): PolicyOptions {
  const p = entry?.policy ?? {};
  return {
    failOn: p.failOn,
    ignoreRules: p.ignore?.length
      ? parseIgnoreFile(JSON.stringify({ rules: p.ignore }), `catalog ${entry!.repository}`)
      : [],
    vex: [...(p.vex ?? []).flatMap((f) => readOpenVex(f)), ...triageStatements(decisions, digest, now)],
    imageIds: [digest],
    now,
  };
}

export function judge(findings: Finding[], options: PolicyOptions): PolicyResult & { verdict: Verdict } {
  const r = applyPolicy(findings, options);
  const counts = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  for (const f of r.findings) counts[f.severity]++;
  return { ...r, verdict: { passed: r.passed, threshold: options.failOn, counts, suppressed: r.suppressed.length } };
}

export function severityOf(v: unknown, what: string): Severity {
  if (typeof v !== 'string' || !SEVERITIES.includes(v as Severity))
    throw new UsageError(`${what} must be one of ${SEVERITIES.join(', ')}`);
  return v as Severity;
}
