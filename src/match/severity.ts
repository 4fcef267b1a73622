// Severity of a finding: the vendor's rating first (distro per-package rating, then the advisory publisher's), then
// CVSS (advisory's own, then NVD's from enrichment), scored from the vector when no score is given.
import cvssLib from 'ae-cvss-calculator';
import type { Advisory, Affected, Cvss, CveEnrichment, Severity } from '../core/advisory.ts';

/** Base score of a CVSS vector (2.0, 3.0, 3.1, 4.0); undefined when the vector does not parse. */
export function scoreVector(vector: string): { version: Cvss['version']; score: number } | undefined {
  const v = vector.trim();
  try {
    let version: Cvss['version'];
    let calc;
    if (v.startsWith('CVSS:4.0/')) {
      version = '4.0';
      calc = new cvssLib.Cvss4P0(v);
    } else if (v.startsWith('CVSS:3.1/')) {
      version = '3.1';
      calc = new cvssLib.Cvss3P1(v);
    } else if (v.startsWith('CVSS:3.0/')) {
      version = '3.0';
      calc = new cvssLib.Cvss3P0(v);
    } else if (/^\(?AV:[LAN]\/AC:/.test(v)) {
      version = '2.0';
      calc = new cvssLib.Cvss2(v.replace(/^\(|\)$/g, ''));
    } else return undefined;
    const s = calc.calculateScores() as { base?: number; overall?: number };
    const score = Number(version === '4.0' ? (s.overall ?? s.base) : s.base);
    return Number.isFinite(score) ? { version, score } : undefined;
  } catch {
    return undefined;
  }
}

/** CVSS bands: v3/v4 none 0, low <4, medium <7, high <9, critical ≥9; v2 has no critical band. */
export function severityFromScore(score: number, version: Cvss['version']): Severity {
  if (score <= 0) return 'negligible';
  if (score < 4) return 'low';
  if (score < 7) return 'medium';
  if (version === '2.0') return 'high';
  return score < 9 ? 'high' : 'critical';
}

/** The advisory's and NVD's CVSS records, each with a score (computed from the vector when missing). */
export function scoredCvss(list: Cvss[]): Cvss[] {
  const out: Cvss[] = [];
  for (const c of list) {
    if (Number.isFinite(c.score) && c.score > 0) {
      out.push(c);
      continue;
    }
    const s = scoreVector(c.vector);
    if (s) out.push({ ...c, version: s.version, score: s.score });
  }
  return out;
}

const VERSION_RANK: Record<Cvss['version'], number> = { '3.1': 4, '4.0': 3, '3.0': 2, '2.0': 1 };

/**
 * The CVSS record that rates a finding: NVD's first, then the newest version (3.1 preferred over 4.0 for
 * comparability).
 */
export function preferredCvss(list: Cvss[]): Cvss | undefined {
  return [...list].sort(
    (a, b) =>
      Number(b.source === 'nvd') - Number(a.source === 'nvd') || VERSION_RANK[b.version] - VERSION_RANK[a.version],
  )[0];
}

export interface Rated {
  severity: Severity;
  severitySource: string;
  cvss: Cvss[];
}

export function rate(
  advisory: Advisory,
  affected: Affected,
  vendor: string,
  enrichment: CveEnrichment | undefined,
): Rated {
  const cvss = scoredCvss([...advisory.cvss, ...(enrichment?.cvss ?? [])]);
  const unique = cvss.filter((c, i) => cvss.findIndex((d) => d.vector === c.vector && d.source === c.source) === i);
  if (affected.severity && affected.severity !== 'unknown')
    return { severity: affected.severity, severitySource: `vendor:${vendor}`, cvss: unique };
  if (advisory.severity && advisory.severity.rating !== 'unknown')
    return { severity: advisory.severity.rating, severitySource: advisory.severity.source, cvss: unique };
  const best = preferredCvss(unique);
  if (best)
    return {
      severity: severityFromScore(best.score, best.version),
      severitySource: `${best.source}:cvss-${best.version}`,
      cvss: unique,
    };
  return { severity: 'unknown', severitySource: 'none', cvss: unique };
}
