// One finding per vulnerability per package: findings whose ids meet (id or alias in common) are merged, keeping
// every source's evidence.
import type { Finding } from '../core/finding.ts';
import { severityRank } from '../core/advisory.ts';
import { preferredId } from './search.ts';

const idsOf = (f: Finding): string[] => [f.id, ...f.aliases];

function mergeTwo(a: Finding, b: Finding): Finding {
  const ids = [...new Set([...idsOf(a), ...idsOf(b)])];
  const id = preferredId([a.id, b.id, ...ids]);
  // the first finding's rating stands unless it has none; vendor ratings come first by matcher order
  const rated = a.severity === 'unknown' && b.severity !== 'unknown' ? b : a;
  const cvss = [...a.cvss, ...b.cvss].filter(
    (c, i, all) => all.findIndex((d) => d.vector === c.vector && d.source === c.source) === i,
  );
  return {
    ...a,
    id,
    aliases: ids.filter((i) => i !== id),
    fixedVersions: [...new Set([...a.fixedVersions, ...b.fixedVersions])],
    fixState: a.fixState === 'unknown' ? b.fixState : a.fixState,
    severity: rated.severity,
    severitySource: rated.severitySource,
    cvss,
    kev: a.kev || b.kev,
    epss: a.epss ?? b.epss,
    title: a.title ?? b.title,
    references: [...new Set([...a.references, ...b.references])],
    evidence: [...a.evidence, ...b.evidence].filter(
      (e, i, all) => all.findIndex((x) => JSON.stringify(x) === JSON.stringify(e)) === i,
    ),
  };
}

/** Merge the findings of ONE package by shared ids, preserving first-seen order. */
export function mergeFindings(findings: Finding[]): Finding[] {
  const out: Finding[] = [];
  const owner = new Map<string, number>();
  for (const f of findings) {
    const hits = [
      ...new Set(
        idsOf(f)
          .map((i) => owner.get(i))
          .filter((i): i is number => i !== undefined),
      ),
    ].sort((x, y) => x - y);
    if (hits.length === 0) {
      out.push(f);
      for (const i of idsOf(f)) owner.set(i, out.length - 1);
      continue;
    }
    let merged = mergeTwo(out[hits[0]], f);
    // f may join findings that were separate until now
    for (const h of hits.slice(1)) merged = mergeTwo(merged, out[h]);
    out[hits[0]] = merged;
    for (const h of hits.slice(1).reverse()) out.splice(h, 1);
    owner.clear();
    out.forEach((g, idx) => idsOf(g).forEach((i) => owner.set(i, idx)));
  }
  return out;
}

/** Stable report order: worst severity first, then id, then package name. */
export function sortFindings(findings: Finding[]): Finding[] {
  const cmp = (x: string, y: string): number => (x < y ? -1 : x > y ? 1 : 0);
  return [...findings].sort(
    (a, b) =>
      severityRank(b.severity) - severityRank(a.severity) ||
      cmp(a.id, b.id) ||
      cmp(a.package.name, b.package.name) ||
      cmp(a.package.id, b.package.id),
  );
}
