// Plug-in shapes shared across stages.
import type { Advisory, CveEnrichment } from './advisory.ts';
import type { Finding } from './finding.ts';
import type { Package, ProblemCode } from './package.ts';

/** A version rule (dpkg, rpm, apk, pep440, semver, conda). compare throws InputError for an unparsable version. */
export interface VersionScheme {
  readonly id: string;
  compare(a: string, b: string): -1 | 0 | 1;
  /** true when the version parses under this rule */
  valid(v: string): boolean;
}

/**
 * Read side of the vulnerability database, as matchers see it: synchronous and in memory. During a scan this is an
 * AdvisorySnapshot that an AdvisorySource prefetched for the inventory; `createMemoryStore` is one for tests.
 */
export interface AdvisoryStore {
  /** advisories with an `affected` entry for (ecosystem, name); ecosystem compared exactly (`Debian:12`) */
  advisoriesFor(ecosystem: string, name: string): Advisory[];
  /** NVD/KEV/EPSS data by CVE id */
  enrichment(cveId: string): CveEnrichment | undefined;
}

/** One package lookup a matcher will make: `advisoriesFor(ecosystem, name)`. */
export interface AdvisoryKey {
  ecosystem: string;
  name: string;
}

/**
 * Advisories limited to the keys asked in one `prefetch`, plus the enrichment of every CVE those advisories name.
 * Asking it for a key that was not prefetched throws InternalError (a matcher whose `lookups` and `match` disagree):
 * an unasked key must never silently read as "no advisories".
 */
export type AdvisorySnapshot = AdvisoryStore;

/**
 * Where advisories live: a local SQLite file today, a database server or an HTTP service later. Matching asks it once
 * per inventory, in one batch, for every key the matchers will look up, then matches synchronously in memory against
 * the returned snapshot — so matchers stay pure and a remote store costs one round trip per scan, not one per package.
 * An implementation may serve several prefetches at once (several scans in one process).
 */
export interface AdvisorySource {
  prefetch(keys: readonly AdvisoryKey[], signal?: AbortSignal): Promise<AdvisorySnapshot>;
}

export interface Matcher {
  readonly name: string;
  /** whether this matcher handles the package */
  handles(pkg: Package): boolean;
  /** the lookups `match` will make for this package (pure: no store), so they can be prefetched in one batch */
  lookups(pkg: Package, os: MatchContext['os']): AdvisoryKey[];
  match(pkg: Package, ctx: MatchContext): Finding[];
}

export interface MatchContext {
  store: AdvisoryStore;
  /** the image OS (for distro releases) */
  os?: { id: string; versionId: string; versionCodename?: string };
  /** problems found while matching (unparsable versions) */
  problem(path: string, code: ProblemCode, message: string): void;
}
