// The one advisory model every importer produces and every matcher reads (shaped after OSV).

export type Severity = 'critical' | 'high' | 'medium' | 'low' | 'negligible' | 'unknown';
export const SEVERITIES: readonly Severity[] = ['critical', 'high', 'medium', 'low', 'negligible', 'unknown'];
/** higher = worse; for sorting and thresholds */
export const severityRank = (s: Severity): number =>
  ({ critical: 5, high: 4, medium: 3, low: 2, negligible: 1, unknown: 0 })[s];

export interface Cvss {
  version: '2.0' | '3.0' | '3.1' | '4.0';
  vector: string;
  score: number;
  /** who published it: `nvd`, `ghsa`, `debian`, … */
  source: string;
}

/** Distro fix state as the distro says it */
export type FixState = 'fixed' | 'not-fixed' | 'wont-fix' | 'end-of-life' | 'unknown';

export type RangeEvent = { introduced: string } | { fixed: string } | { last_affected: string } | { limit: string };

export interface AffectedRange {
  /**
   * ECOSYSTEM: the ecosystem's own version rule; SEMVER; CPE (NVD start/end including/excluding), encoded as:
   * versionStartIncluding X → `{introduced: X}`; versionStartExcluding X → `{introduced: ">X"}` (leading `>`);
   * neither → `{introduced: "0"}`; versionEndExcluding Y → `{fixed: Y}`; versionEndIncluding Y → `{last_affected: Y}`.
   * A CPE naming one exact version has no range: it is listed in Affected.versions (`ver` or `ver:update`).
   */
  type: 'ECOSYSTEM' | 'SEMVER' | 'GIT' | 'CPE';
  events: RangeEvent[];
}

export interface Affected {
  /**
   * OSV ecosystem string: `Debian:12`, `Ubuntu:22.04:LTS`, `Alpine:v3.19`, `Wolfi`, `Chainguard`, `Red Hat:…`,
   * `PyPI`, `npm`, … and `NVIDIA` for CPE-matched NVIDIA components.
   */
  ecosystem: string;
  /** package name as the ecosystem spells it (source package for Debian/Ubuntu; origin for apk) */
  name: string;
  purl?: string;
  ranges: AffectedRange[];
  /** explicit affected versions */
  versions: string[];
  /** distro status when the source states one (Debian tracker: no-dsa, postponed, …) */
  fixState?: FixState;
  /** free-form distro status text (e.g. Debian's `no-dsa`, `unimportant`) */
  statusNote?: string;
  /** ecosystem-specific severity (Debian urgency, Ubuntu priority) */
  severity?: Severity;
}

export interface Advisory {
  id: string;
  aliases: string[];
  /** importer that produced it: `osv`, `debian-tracker`, `nvd`, … plus the upstream file */
  source: string;
  summary?: string;
  details?: string;
  published?: string;
  modified?: string;
  withdrawn?: string;
  /** vendor severity (e.g. GHSA database_specific.severity), rated by its publisher */
  severity?: { rating: Severity; source: string };
  cvss: Cvss[];
  references: string[];
  affected: Affected[];
}

/** Enrichment by CVE id from NVD, KEV and EPSS */
export interface CveEnrichment {
  id: string;
  cvss: Cvss[];
  kev?: { dateAdded: string; dueDate?: string; knownRansomware?: boolean };
  epss?: { score: number; percentile: number; date?: string };
}
