// Public door of src/match: an inventory and an advisory store in, findings and problems out.
import type { Advisory, CveEnrichment } from '../core/advisory.ts';
import type { Finding } from '../core/finding.ts';
import type { AdvisoryStore, MatchContext } from '../core/interfaces.ts';
import type { Inventory, Problem } from '../core/package.ts';
import { createMatchers, familyFits } from './matchers.ts';
import { mergeFindings, sortFindings } from './merge.ts';
import { osEcosystems } from './os-ecosystem.ts';
import { packageLocation } from './search.ts';

export {
  createMatchers,
  createDpkgMatcher,
  createApkMatcher,
  createRpmMatcher,
  createPythonMatcher,
  createCondaMatcher,
  createCudaMatcher,
  CONDA_TO_PYPI,
  CUDA_TO_CPE,
  sourceRpmName,
} from './matchers.ts';
import { isOsPackageType } from '../core/package-types.ts';
export { osEcosystems, osFamily } from './os-ecosystem.ts';
export { mergeFindings, sortFindings } from './merge.ts';
export { scoreVector, severityFromScore } from './severity.ts';
export { createMemoryStore } from './memory-store.ts';

export interface MatchOptions {
  signal?: AbortSignal;
}

const ANALYZER = 'match';

/**
 * Memoizes lookups for one matchInventory call: binary packages of one source package, and one CVE met in several
 * packages, are looked up once.
 */
function cachedStore(store: AdvisoryStore): AdvisoryStore {
  const advisories = new Map<string, Advisory[]>();
  const enrichments = new Map<string, CveEnrichment | undefined>();
  return {
    advisoriesFor(ecosystem, name) {
      const k = `${ecosystem}\u0000${name}`;
      let v = advisories.get(k);
      if (!v) {
        v = store.advisoriesFor(ecosystem, name);
        advisories.set(k, v);
      }
      return v;
    },
    enrichment(cve) {
      if (enrichments.has(cve)) return enrichments.get(cve);
      const v = store.enrichment(cve);
      enrichments.set(cve, v);
      return v;
    },
  };
}

/**
 * Match every package of the inventory against the store. Unparsable versions and packages that cannot be
 * matched (OS package without a known distro release) become problems; nothing is skipped silently except
 * Python packages owned by an OS package (the OS advisories cover them).
 */
export function matchInventory(
  inventory: Inventory,
  store: AdvisoryStore,
  options: MatchOptions = {},
): { findings: Finding[]; problems: Problem[] } {
  const problems: Problem[] = [];
  const cached = cachedStore(store);
  const os = inventory.os
    ? { id: inventory.os.id, versionId: inventory.os.versionId, versionCodename: inventory.os.versionCodename }
    : undefined;
  const ctx: MatchContext = {
    store: cached,
    os,
    problem: (path, message) => {
      problems.push({ path, analyzer: ANALYZER, message });
    },
  };
  const matchers = createMatchers();
  const findings: Finding[] = [];
  const osReleaseKnown = osEcosystems(os).length > 0;
  const unmatchedOs = new Map<string, { count: number; first: string }>();
  for (const pkg of inventory.packages) {
    options.signal?.throwIfAborted();
    const isOsPkg = isOsPackageType(pkg.type);
    if (isOsPkg && (!osReleaseKnown || !familyFits(pkg, os?.id))) {
      const u = unmatchedOs.get(pkg.type) ?? { count: 0, first: packageLocation(pkg) };
      u.count++;
      unmatchedOs.set(pkg.type, u);
      continue;
    }
    const own: Finding[] = [];
    for (const m of matchers) if (m.handles(pkg)) own.push(...m.match(pkg, ctx));
    findings.push(...mergeFindings(own));
  }
  for (const [type, u] of unmatchedOs) {
    const osText = os ? `${os.id} ${os.versionId || '(no version)'}` : 'unknown';
    problems.push({
      path: u.first,
      analyzer: ANALYZER,
      message: `${u.count} ${type} package(s) not matched: no advisory ecosystem for image OS ${osText}`,
    });
  }
  return { findings: sortFindings(findings), problems };
}
