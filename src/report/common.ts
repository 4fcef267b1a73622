// Small helpers shared by the reporters: output with backpressure, sizes, severities, grouping, escaping.
import { once } from 'node:events';
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import type { ScanReport } from '../core/report.ts';
import type { Severity } from '../core/advisory.ts';
import { SEVERITIES, severityRank } from '../core/advisory.ts';
import type { Finding } from '../core/finding.ts';
import type { PeerComparison, PeerRow } from '../core/peer.ts';
import { formatBytes } from '../core/units.ts';

export { formatBytes };

export interface ReporterOptions {
  /** ANSI colour (table only); the CLI decides from the TTY. Default false. */
  color?: boolean;
  /** terminal width for truncation (table only). Default 120. */
  width?: number;
  /** include owned file lists (SBOM formats). Default false. */
  files?: boolean;
  /** at most this many items per list in terminal tables (default 20) */
  maxListed?: number;
  /** stop writing when aborted */
  signal?: AbortSignal;
}

export interface Reporter {
  readonly format: string;
  write(report: ScanReport, out: Writable, options?: ReporterOptions): Promise<void>;
}

/** Run a writer into memory and return what it wrote (images carry their SBOM as a blob). */
export async function renderToString(write: (out: Writable) => Promise<void>): Promise<string> {
  const chunks: Buffer[] = [];
  await write(
    new Writable({
      write(c, _e, cb) {
        chunks.push(Buffer.from(c));
        cb();
      },
    }),
  );
  return Buffer.concat(chunks).toString('utf8');
}

/** Write text chunks honouring backpressure; resolves when all chunks are accepted. */
export async function writeChunks(out: Writable, chunks: Iterable<string>, signal?: AbortSignal): Promise<void> {
  for (const chunk of chunks) {
    signal?.throwIfAborted();
    if (!out.write(chunk)) await once(out, 'drain', { signal });
  }
}

export const bySeverityDesc = (a: Finding, b: Finding): number =>
  severityRank(b.severity) - severityRank(a.severity) ||
  a.package.name.localeCompare(b.package.name) ||
  a.id.localeCompare(b.id);

/** Findings grouped by package id, groups ordered by worst severity then name. */
export function groupByPackage(findings: Finding[]): { pkg: Finding['package']; findings: Finding[] }[] {
  const groups = new Map<string, { pkg: Finding['package']; findings: Finding[] }>();
  for (const f of findings) {
    let g = groups.get(f.package.id);
    if (!g) {
      g = { pkg: f.package, findings: [] };
      groups.set(f.package.id, g);
    }
    g.findings.push(f);
  }
  const list = [...groups.values()];
  for (const g of list) g.findings.sort(bySeverityDesc);
  const worst = (g: { findings: Finding[] }): number => Math.max(...g.findings.map((f) => severityRank(f.severity)));
  return list.sort((a, b) => worst(b) - worst(a) || a.pkg.name.localeCompare(b.pkg.name));
}

export function fixedText(f: Finding): string {
  if (f.fixedVersions.length) return f.fixedVersions.join(', ');
  return f.fixState === 'wont-fix' ? "won't fix" : f.fixState === 'end-of-life' ? 'end of life' : 'no fix';
}

export const severityLabel = (s: Severity): string => s.toUpperCase();
export { SEVERITIES };

export function imageName(report: ScanReport): string {
  const s = report.image.source;
  // an oci-dir's tag alone (`latest`) names nothing: only a full repo:tag does
  return s.reference ?? s.repoTags?.find((t) => t.includes(':')) ?? s.target;
}

export function osName(report: ScanReport): string {
  const os = report.inventory.os;
  if (!os) return 'unknown';
  return os.prettyName ?? `${os.id} ${os.versionId}`.trim();
}

export function imageSizes(report: ScanReport): { compressed: number; uncompressed: number } {
  return {
    compressed: report.image.layers.reduce((n, l) => n + Math.max(0, l.compressedSize), 0),
    uncompressed: report.image.layers.reduce((n, l) => n + Math.max(0, l.uncompressedSize), 0),
  };
}

/** Escape text for HTML element content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(
    /[&<>"'`]/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' })[c] as string,
  );
}

/** Escape text for a Markdown table cell (also neutralizes HTML). */
export function escapeMarkdown(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/([\\`*_[\]()#!~|])/g, '\\$1')
    .replace(/\r?\n/g, ' ');
}

/** A Markdown code span (GFM: no HTML inside code spans; pipes still need escaping in tables). */
export function markdownCode(s: string): string {
  return `\`${s.replace(/`/g, "'").replace(/\|/g, '\\|').replace(/\r?\n/g, ' ')}\``;
}

/** Deterministic RFC 4122-shaped UUID (version 5 layout) from a name: same report → same serial. */
export function stableUuid(name: string): string {
  const h = createHash('sha256').update(name).digest();
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

/** The image's identity for document names and serials. */
export function imageIdentity(report: ScanReport): string {
  return (
    `${imageName(report)}@${report.image.source.manifestDigest ?? report.image.configDigest ?? ''}@` +
    `${report.createdAt}`
  );
}

/** The `--merge` comparison (`report.sections.peers`, written by src/peers), when the report has one. */
export const peersOf = (report: ScanReport): PeerComparison | undefined => report.sections?.peers;

/** Rows with a disagreement first (stable otherwise: worst severity first, as merged). */
export const peerRowsInOrder = (c: PeerComparison): PeerRow[] =>
  [...c.rows].sort((a, b) => Number(!!b.disagreement) - Number(!!a.disagreement));

/** `zerocve 12, trivy 14, grype 13` — findings per scanner. */
export const peerTotalsText = (c: PeerComparison): string => c.totals.map((t) => `${t.tool} ${t.findings}`).join(', ');

/** `all agree 9, all report but differ 2, only zerocve 1, only peers 3, partial 0` */
export function peerAgreementText(c: PeerComparison): string {
  const a = c.agreement;
  return (
    `all agree ${a.allAgree}, all report but differ ${a.allReportDiffer}, only zerocve ${a.onlyZerocve}` +
    `, only peers ${a.onlyPeers}${c.tools.length > 2 ? `, partial ${a.partial}` : ''}`
  );
}
