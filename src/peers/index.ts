// Public door of peers: other scanners' reports (Trivy, Grype JSON) read and compared with zerocve's findings.
export { readPeerReport, parsePeerReport, MAX_PEER_REPORT_BYTES } from './read-peer-report.ts';
export type { ReadPeerReportOptions } from './read-peer-report.ts';
export { mergePeerFindings } from './merge.ts';
export type { MergePeerOptions } from './merge.ts';
export type { PeerReport, PeerFinding, PeerTool } from './types.ts';
export type { PeerComparison, PeerRow, PeerSource, ScannerName, DisagreementKind } from '../core/peer.ts';
