// Other scanners' results beside zerocve's (`zerocve scan --merge trivy.json --merge grype.json`): the comparison
// src/peers computes and the reporters render as `report.sections.peers`.
import type { Severity } from './advisory.ts';
import type { ReportWarning } from './report.ts';

export type ScannerName = 'zerocve' | 'trivy' | 'grype';

/** Why a row is not a full agreement, for machines; `PeerRow.disagreement` says it for people. */
export type DisagreementKind = 'only-one' | 'missing' | 'package-version' | 'fixed-version' | 'severity';

/** One vulnerability in one package, and what each scanner said about it. */
export interface PeerRow {
  /** preferred id (a CVE when any scanner gave one) */
  id: string;
  /** every other id any scanner gave for it (GHSA, DSA, …) */
  aliases: string[];
  /** package name as zerocve spells it (else as the first peer does) */
  package: string;
  /** ecosystem: deb, apk, rpm, python, conda, … (a peer's purl type for others) */
  type: string;
  /** installed version as zerocve saw it (else the first peer) */
  version: string;
  /** scanners that reported it, zerocve first */
  reportedBy: ScannerName[];
  severities: Partial<Record<ScannerName, Severity>>;
  /** fixed versions per scanner ([] = no fix known to that scanner) */
  fixed: Partial<Record<ScannerName, string[]>>;
  /** installed version per scanner, only when they differ (different image or database age?) */
  versions?: Partial<Record<ScannerName, string>>;
  /** one line, e.g. `only trivy; severity: zerocve high, trivy medium` */
  disagreement?: string;
  kinds?: DisagreementKind[];
}

export interface PeerSource {
  tool: 'trivy' | 'grype';
  /** the report file as given */
  path: string;
  /** scanner version the report names */
  toolVersion?: string;
  /** what the peer scanned, as it names it */
  target?: string;
  /** config digest of the scanned image, when the report gives one */
  imageId?: string;
  findings: number;
}

export interface PeerComparison {
  /** scanners compared, zerocve first */
  tools: ScannerName[];
  peers: PeerSource[];
  rows: PeerRow[];
  /** per scanner: findings it reported (vulnerability × package × version) and rows it appears in */
  totals: { tool: ScannerName; findings: number; rows: number }[];
  agreement: {
    /** every scanner reported it and they agree on version, fix and severity */
    allAgree: number;
    /** every scanner reported it but they differ (fix, severity or installed version) */
    allReportDiffer: number;
    onlyZerocve: number;
    /** zerocve did not report it */
    onlyPeers: number;
    /** zerocve and some but not all peers */
    partial: number;
  };
  warnings: ReportWarning[];
}
