// An in-memory AdvisoryStore: the same contract as the SQLite store, for small advisory sets and tests.
import type { Advisory, CveEnrichment } from '../core/advisory.ts';
import type { AdvisoryStore } from '../core/interfaces.ts';
import { normalizeName } from '../version/index.ts';

const key = (ecosystem: string, name: string): string =>
  `${ecosystem}\u0000${ecosystem === 'PyPI' ? normalizeName(name) : name}`;

/** Index advisories by (ecosystem, name); `advisoriesFor` narrows each advisory's `affected` to the asked package. */
export function createMemoryStore(
  advisories: Iterable<Advisory>,
  enrichments: Iterable<CveEnrichment> = [],
): AdvisoryStore {
  const byPackage = new Map<string, Advisory[]>();
  for (const adv of advisories) {
    const seen = new Set<string>();
    for (const aff of adv.affected) {
      const k = key(aff.ecosystem, aff.name);
      if (seen.has(k)) continue;
      seen.add(k);
      const narrowed: Advisory = { ...adv, affected: adv.affected.filter((a) => key(a.ecosystem, a.name) === k) };
      const list = byPackage.get(k);
      if (list) list.push(narrowed);
      else byPackage.set(k, [narrowed]);
    }
  }
  const byCve = new Map<string, CveEnrichment>();
  for (const e of enrichments) byCve.set(e.id, e);
  return {
    advisoriesFor: (ecosystem, name) => byPackage.get(key(ecosystem, name)) ?? [],
    enrichment: (cve) => byCve.get(cve),
  };
}
