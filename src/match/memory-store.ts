// An in-memory advisory store: the same contract as the SQLite store, for small advisory sets and tests. It is both
// the synchronous AdvisoryStore and an AdvisorySource whose snapshots answer only the keys they were asked for.
import type { Advisory, CveEnrichment } from '../core/advisory.ts';
import type { AdvisoryKey, AdvisorySnapshot, AdvisorySource, AdvisoryStore } from '../core/interfaces.ts';
import { InternalError } from '../core/errors.ts';
import { normalizeName } from '../version/index.ts';

const key = (ecosystem: string, name: string): string =>
  `${ecosystem}\u0000${ecosystem === 'PyPI' ? normalizeName(name) : name}`;

/** Index advisories by (ecosystem, name); `advisoriesFor` narrows each advisory's `affected` to the asked package. */
export function createMemoryStore(
  advisories: Iterable<Advisory>,
  enrichments: Iterable<CveEnrichment> = [],
): AdvisoryStore & AdvisorySource {
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
  const advisoriesFor = (ecosystem: string, name: string): Advisory[] => byPackage.get(key(ecosystem, name)) ?? [];
  return {
    advisoriesFor,
    enrichment: (cve) => byCve.get(cve),
    async prefetch(keys: readonly AdvisoryKey[], signal?: AbortSignal): Promise<AdvisorySnapshot> {
      signal?.throwIfAborted();
      const asked = new Set(keys.map((k) => key(k.ecosystem, k.name)));
      const cves = new Set<string>();
      for (const k of keys)
        for (const a of advisoriesFor(k.ecosystem, k.name))
          for (const id of [a.id, ...a.aliases]) if (id.startsWith('CVE-')) cves.add(id);
      return {
        advisoriesFor(ecosystem, name) {
          if (!asked.has(key(ecosystem, name)))
            throw new InternalError(`advisory lookup ${ecosystem}/${name} was not prefetched`);
          return advisoriesFor(ecosystem, name);
        },
        enrichment(cve) {
          if (!cves.has(cve)) throw new InternalError(`enrichment of ${cve} was not prefetched`);
          return byCve.get(cve);
        },
      };
    },
  };
}
