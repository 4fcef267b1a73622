// CVSS vectors to scored Cvss records (scores computed from the vector; the vector is kept verbatim).
import cvssLib from 'ae-cvss-calculator';
import type { Cvss, Severity } from '../core/advisory.ts';

/** A Cvss record for a vector, or undefined when the vector does not parse. */
export function cvssFromVector(vector: string, source: string, score?: number): Cvss | undefined {
  const v = vector.trim();
  let version: Cvss['version'];
  if (v.startsWith('CVSS:4.0/')) version = '4.0';
  else if (v.startsWith('CVSS:3.1/')) version = '3.1';
  else if (v.startsWith('CVSS:3.0/')) version = '3.0';
  else if (/^(\(?AV:)/.test(v)) version = '2.0';
  else return undefined;
  if (score === undefined || !Number.isFinite(score)) {
    try {
      const calc =
        version === '4.0'
          ? new cvssLib.Cvss4P0(v)
          : version === '3.1'
            ? new cvssLib.Cvss3P1(v)
            : version === '3.0'
              ? new cvssLib.Cvss3P0(v)
              : new cvssLib.Cvss2(v.replace(/^\(|\)$/g, ''));
      const scores = calc.calculateScores() as { base?: number; overall?: number };
      score = Number(scores.base ?? scores.overall);
    } catch {
      return undefined;
    }
    if (!Number.isFinite(score)) return undefined;
  }
  return { version, vector: v, score, source };
}

/** Free-text vendor ratings (GHSA, Debian urgency words, NVD baseSeverity) to the model's Severity. */
export function severityFromWord(word: string | undefined): Severity | undefined {
  if (!word) return undefined;
  switch (word.trim().toLowerCase().replace(/\*+$/, '')) {
    case 'critical':
      return 'critical';
    case 'high':
    case 'important':
      return 'high';
    case 'moderate':
    case 'medium':
      return 'medium';
    case 'low':
      return 'low';
    case 'negligible':
    case 'unimportant':
    case 'none':
      return 'negligible';
    case 'unknown':
    case 'not yet assigned':
    case 'unassigned':
      return 'unknown';
    default:
      return undefined;
  }
}
