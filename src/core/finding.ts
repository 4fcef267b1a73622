// A finding: one vulnerability affecting one installed package, with the evidence that explains it.
import type { Cvss, FixState, Severity } from './advisory.ts';
import type { PackageType, Location } from './package.ts';

export interface PackageRef {
  id: string;
  type: PackageType;
  name: string;
  version: string;
  purl: string;
  locations: Location[];
}

export interface Evidence {
  /** which matcher: `dpkg`, `apk`, `rpm`, `python`, `conda`, `cuda-cpe` */
  matcher: string;
  /** what was looked up: ecosystem and name as searched (source package for OS packages) */
  searched: { ecosystem: string; name: string; version: string };
  /** the version rule applied: `dpkg`, `rpm`, `apk`, `pep440`, `semver`, `conda`, `cpe` */
  versionScheme: string;
  /** the range or list that matched, readably: `>=0 <1.2.3-1` or `versions: [1.0, 1.1]` */
  matchedRange: string;
  /** advisory source (`osv:PyPI`, `debian-tracker`, `nvd`) */
  source: string;
  /** extra, e.g. conda→PyPI name mapping and its confidence */
  note?: string;
}

export interface Finding {
  /** preferred id (CVE when known, else the advisory id) */
  id: string;
  /** every other id of the same vulnerability (deduplicated across sources) */
  aliases: string[];
  package: PackageRef;
  installedVersion: string;
  fixedVersions: string[];
  fixState: FixState;
  severity: Severity;
  /** who rated the severity: `vendor:debian`, `ghsa`, `nvd:cvss-3.1`, … */
  severitySource: string;
  cvss: Cvss[];
  kev: boolean;
  epss?: { score: number; percentile: number };
  title?: string;
  references: string[];
  evidence: Evidence[];
  /** findings of kind dependency/model/gpu come from analysis, not advisories */
  kind: 'vulnerability' | 'dependency' | 'model' | 'secret';
  /** set when the base image is known: whether the base image brought it (fixed by rebuilding or switching base) */
  fromBase?: boolean;
}

export interface Suppression {
  finding: Finding;
  /** `ignore-file`, `vex`, `ignore-unfixed`, `severity` */
  by: string;
  reason: string;
  /** the rule or statement, readably (file:line, vex doc id) */
  rule?: string;
}
