// Plug-in shapes shared across stages.
import type { Advisory, CveEnrichment } from './advisory.ts';
import type { Finding } from './finding.ts';
import type { Package } from './package.ts';

/** A version rule (dpkg, rpm, apk, pep440, semver, conda). compare throws InputError for an unparsable version. */
export interface VersionScheme {
  readonly id: string;
  compare(a: string, b: string): -1 | 0 | 1;
  /** true when the version parses under this rule */
  valid(v: string): boolean;
}

/** Read side of the vulnerability database, as matchers see it. */
export interface AdvisoryStore {
  /** advisories with an `affected` entry for (ecosystem, name); ecosystem compared exactly (`Debian:12`) */
  advisoriesFor(ecosystem: string, name: string): Advisory[];
  /** NVD/KEV/EPSS data by CVE id */
  enrichment(cveId: string): CveEnrichment | undefined;
}

export interface Matcher {
  readonly name: string;
  /** whether this matcher handles the package */
  handles(pkg: Package): boolean;
  match(pkg: Package, ctx: MatchContext): Finding[];
}

export interface MatchContext {
  store: AdvisoryStore;
  /** the image OS (for distro releases) */
  os?: { id: string; versionId: string; versionCodename?: string };
  /** problems found while matching (unparsable versions) */
  problem(path: string, message: string): void;
}
