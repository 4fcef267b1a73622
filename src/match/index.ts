// Public door of src/match: an inventory and an advisory store in, findings and problems out.
import type { Finding } from '../core/finding.ts';
import type { AdvisoryKey, AdvisorySnapshot, AdvisorySource, MatchContext, Matcher } from '../core/interfaces.ts';
import type { Inventory, Package, Problem } from '../core/package.ts';
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
export { createNpmMatcher, createMavenMatcher, createGoMatcher, createCargoMatcher } from './ecosystems.ts';
import { isOsPackageType } from '../core/package-types.ts';
export { osEcosystems, osFamily } from './os-ecosystem.ts';
export { mergeFindings, sortFindings } from './merge.ts';
export { scoreVector, severityFromScore } from './severity.ts';
export { createMemoryStore } from './memory-store.ts';

export interface MatchOptions {
  signal?: AbortSignal;
}

const ANALYZER = 'match';

type Os = MatchContext['os'];

interface Plan {
  os: Os;
  /** packages to match, each with the matchers that handle it */
  work: { pkg: Package; matchers: Matcher[] }[];
  /** OS packages that cannot be matched (no release to look in, or a family foreign to the image OS) */
  unmatchedOs: Map<string, { count: number; first: string }>;
}

function plan(inventory: Inventory): Plan {
  const os = inventory.os
    ? { id: inventory.os.id, versionId: inventory.os.versionId, versionCodename: inventory.os.versionCodename }
    : undefined;
  const matchers = createMatchers();
  const osReleaseKnown = osEcosystems(os).length > 0;
  const unmatchedOs = new Map<string, { count: number; first: string }>();
  const work: Plan['work'] = [];
  // an npm package both installed and declared in a lock file is matched once, as installed; a copy an OS package
  // installed (never matched as npm) does not stand in for the one the lock file declares
  const installedNpm = new Set(
    inventory.packages
      .filter((p) => p.metadata.kind === 'npm' && p.metadata.source === 'installed' && !p.ownedBy)
      .map((p) => `${p.name}@${p.version}`),
  );
  for (const pkg of inventory.packages) {
    if (
      pkg.metadata.kind === 'npm' &&
      pkg.metadata.source === 'declared' &&
      installedNpm.has(`${pkg.name}@${pkg.version}`)
    )
      continue;
    const isOsPkg = isOsPackageType(pkg.type);
    if (isOsPkg && (!osReleaseKnown || !familyFits(pkg, os?.id))) {
      const u = unmatchedOs.get(pkg.type) ?? { count: 0, first: packageLocation(pkg) };
      u.count++;
      unmatchedOs.set(pkg.type, u);
      continue;
    }
    const handling = matchers.filter((m) => m.handles(pkg));
    if (handling.length) work.push({ pkg, matchers: handling });
  }
  return { os, work, unmatchedOs };
}

function keysOf(p: Plan): AdvisoryKey[] {
  const seen = new Set<string>();
  const keys: AdvisoryKey[] = [];
  for (const { pkg, matchers } of p.work)
    for (const m of matchers)
      for (const k of m.lookups(pkg, p.os)) {
        const id = `${k.ecosystem}\u0000${k.name}`;
        if (seen.has(id)) continue;
        seen.add(id);
        keys.push(k);
      }
  return keys;
}

/** Every (ecosystem, name) matching the inventory will look up, each once: what a store is asked to prefetch. */
export function lookupsOf(inventory: Inventory): AdvisoryKey[] {
  return keysOf(plan(inventory));
}

/**
 * The advisory ecosystems the inventory needs, without release suffix (`Debian`, `Ubuntu`, `Alpine`, `PyPI`,
 * `NVIDIA`): which feeds a first database update should fetch before any other.
 */
export function ecosystemsOf(inventory: Inventory): string[] {
  return [...new Set(lookupsOf(inventory).map((k) => k.ecosystem.split(':')[0]))].sort();
}

/**
 * Match every package of the inventory against the source: one `prefetch` of every key the matchers will look up,
 * then synchronous matching in memory. Unparsable versions and packages that cannot be matched (OS package without a
 * known distro release) become problems; nothing is skipped silently except Python packages owned by an OS package
 * (the OS advisories cover them).
 */
export async function matchInventory(
  inventory: Inventory,
  source: AdvisorySource,
  options: MatchOptions = {},
): Promise<{ findings: Finding[]; problems: Problem[] }> {
  const p = plan(inventory);
  const snapshot = await source.prefetch(keysOf(p), options.signal);
  return run(p, snapshot, options);
}

/** matchInventory against a store already in memory (a snapshot, a memory store): synchronous. */
export function matchSnapshot(
  inventory: Inventory,
  snapshot: AdvisorySnapshot,
  options: MatchOptions = {},
): { findings: Finding[]; problems: Problem[] } {
  return run(plan(inventory), snapshot, options);
}

function run(p: Plan, snapshot: AdvisorySnapshot, options: MatchOptions): { findings: Finding[]; problems: Problem[] } {
  const problems: Problem[] = [];
  const ctx: MatchContext = {
    store: snapshot,
    os: p.os,
    problem: (path, code, message) => {
      problems.push({ code, path, analyzer: ANALYZER, message });
    },
  };
  const findings: Finding[] = [];
  for (const { pkg, matchers } of p.work) {
    options.signal?.throwIfAborted();
    if (matchers.length === 1) {
      findings.push(...mergeFindings(matchers[0].match(pkg, ctx)));
      continue;
    }
    const own: Finding[] = [];
    for (const m of matchers) own.push(...m.match(pkg, ctx));
    findings.push(...mergeFindings(own));
  }
  for (const [type, u] of p.unmatchedOs) {
    const osText = p.os ? `${p.os.id} ${p.os.versionId || '(no version)'}` : 'unknown';
    problems.push({
      code: 'unmatched',
      path: u.first,
      analyzer: ANALYZER,
      message: `${u.count} ${type} package(s) not matched: no advisory ecosystem for image OS ${osText}`,
    });
  }
  return { findings: sortFindings(findings), problems };
}
