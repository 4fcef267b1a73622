// A peer scanner's report, reduced to what a comparison needs.
import type { FixState, Severity } from '../core/advisory.ts';

export type PeerTool = 'trivy' | 'grype';

/** One vulnerability the peer reported in one package. */
export interface PeerFinding {
  /** the peer's id for it */
  id: string;
  /** other ids the peer gives (Trivy VendorIDs, Grype relatedVulnerabilities) */
  aliases: string[];
  /** deb, apk, rpm, python, conda, or another purl type (gem, npm, golang, …) */
  ecosystem: string;
  /** package name as the peer spells it */
  name: string;
  version: string;
  purl?: string;
  severity: Severity;
  fixedVersions: string[];
  fixState: FixState;
}

export interface PeerReport {
  tool: PeerTool;
  /** the file read */
  path: string;
  toolVersion?: string;
  /** what the peer scanned (Trivy ArtifactName, Grype source.target.userInput) */
  target?: string;
  /** config digest of the scanned image (Trivy Metadata.ImageID, Grype source.target.imageID) */
  imageId?: string;
  repoDigests: string[];
  findings: PeerFinding[];
}
