// `markdown`: for pull-request comments. Summary table, findings table, details folded in <details>.
import type { Writable } from 'node:stream';
import type { ScanReport } from '../core/report.ts';
import type { Reporter, ReporterOptions } from './common.ts';
import {
  writeChunks,
  formatBytes,
  bySeverityDesc,
  fixedText,
  imageName,
  osName,
  imageSizes,
  escapeMarkdown as md,
  markdownCode as code,
  SEVERITIES,
  peersOf,
  peerRowsInOrder,
  peerTotalsText,
  peerAgreementText,
} from './common.ts';

const ICON: Record<string, string> = {
  critical: '🟥',
  high: '🟧',
  medium: '🟨',
  low: '🟦',
  negligible: '⬜',
  unknown: '❔',
};

export function renderMarkdown(report: ScanReport): string[] {
  const out: string[] = [];
  const s = report.summary;
  const size = imageSizes(report);
  const total = SEVERITIES.reduce((n, k) => n + s.findings[k], 0);
  out.push(`## zerocve scan: ${code(imageName(report))}`, '');
  if (s.threshold) out.push(`**Gate: ${s.passed ? '✅ passed' : '❌ failed'}** (fail on ${s.threshold} or worse)`, '');
  out.push('| | |', '| --- | --- |');
  out.push(`| OS | ${md(osName(report))} |`);
  out.push(`| Packages | ${report.inventory.packages.length} |`);
  if (report.surface) out.push(`| Executables | ${report.surface.executables} |`);
  out.push(`| Size | ${formatBytes(size.compressed)} compressed, ${formatBytes(size.uncompressed)} uncompressed |`);
  out.push(
    `| Findings | ${total} (${
      SEVERITIES.filter((k) => s.findings[k] > 0)
        .map((k) => `${ICON[k]} ${k} ${s.findings[k]}`)
        .join(', ') || 'none'
    }) |`,
  );
  out.push(`| Suppressed / fixable / KEV | ${s.suppressed} / ${s.fixable} / ${s.kev} |`, '');
  if (report.findings.length) {
    out.push('| Severity | ID | Package | Installed | Fixed |', '| --- | --- | --- | --- | --- |');
    for (const f of [...report.findings].sort(bySeverityDesc)) {
      const link = f.references[0] ? `[${md(f.id)}](${encodeURI(f.references[0])})` : md(f.id);
      out.push(
        `| ${ICON[f.severity]} ${f.severity} | ${link}${f.kev ? ' **KEV**' : ''} | ${md(f.package.name)} | ` +
          `${md(f.installedVersion)} | ${md(fixedText(f))} |`,
      );
    }
    out.push('');
    out.push('<details><summary>Finding details</summary>', '');
    for (const f of [...report.findings].sort(bySeverityDesc)) {
      out.push(
        `- **${md(f.id)}** (${f.severity}, ${md(f.severitySource)}) in ${code(f.package.purl)} at ` +
          `${code(f.package.locations[0]?.path ?? '')}: ${md(f.title ?? '')}`,
      );
    }
    out.push('', '</details>', '');
  } else {
    out.push('No vulnerabilities found. 🎉', '');
  }
  if (report.suppressed.length) {
    out.push(
      `<details><summary>Suppressed (${report.suppressed.length})</summary>`,
      '',
      '| ID | Package | By | Reason |',
      '| --- | --- | --- | --- |',
    );
    for (const x of report.suppressed)
      out.push(
        `| ${md(x.finding.id)} | ${md(x.finding.package.name)} ${md(x.finding.installedVersion)} | ` +
          `${md(x.by)} | ${md(x.reason)} |`,
      );
    out.push('', '</details>', '');
  }
  const peers = peersOf(report);
  if (peers) {
    out.push(`### Other scanners: ${peers.tools.map(md).join(', ')}`, '');
    out.push(`Findings: ${md(peerTotalsText(peers))}. Rows: ${md(peerAgreementText(peers))}.`, '');
    for (const p of peers.peers)
      out.push(
        `- ${md(p.tool)}${p.toolVersion ? ` ${md(p.toolVersion)}` : ''}: ${code(p.path)}` +
          `${p.target ? ` (${md(p.target)})` : ''}`,
      );
    for (const w of peers.warnings) out.push(`- ⚠️ ${md(w.message)}`);
    out.push('');
    const rows = peerRowsInOrder(peers);
    const differing = rows.filter((r) => r.disagreement).length;
    if (rows.length) {
      out.push(
        `<details${differing ? ' open' : ''}><summary>${rows.length} vulnerabilities, ${differing} with a ` +
          `disagreement</summary>`,
        '',
      );
      out.push('| ID | Package | Installed | Reported by | Disagreement |', '| --- | --- | --- | --- | --- |');
      for (const r of rows)
        out.push(
          `| ${md(r.id)} | ${md(r.package)} | ${md(r.version)} | ${r.reportedBy.map(md).join(', ')} | ` +
            `${r.disagreement ? md(r.disagreement) : '✅ agree'} |`,
        );
      out.push('', '</details>', '');
    }
  }
  const sf = report.surface;
  if (sf) {
    out.push('<details><summary>Attack surface</summary>', '');
    out.push(`- shells: ${sf.shells.map(code).join(', ') || 'none'}`);
    out.push(`- package managers: ${sf.packageManagers.map(code).join(', ') || 'none'}`);
    out.push(`- setuid: ${sf.setuid.length}, setgid: ${sf.setgid.length}, world-writable: ${sf.worldWritable.length}`);
    out.push(`- user: ${md(sf.user.configured || '(unset)')}${sf.user.root ? ' (root)' : ''}`, '', '</details>', '');
  }
  const b = report.bloat;
  if (b) {
    out.push(
      '<details><summary>Bloat</summary>',
      '',
      `Removable: ${formatBytes(b.removableBytes)} of ${formatBytes(b.totalBytes)}`,
      '',
      '| Category | Size | Files |',
      '| --- | --- | --- |',
    );
    for (const c of [...b.categories].sort((x, y) => y.bytes - x.bytes))
      out.push(`| ${md(c.category)} | ${formatBytes(c.bytes)} | ${c.files} |`);
    out.push('', '</details>', '');
  }
  out.push(`<sub>${md(report.tool.name)} ${md(report.tool.version)} · ${md(report.createdAt)}</sub>`);
  return out;
}

export function createMarkdownReporter(): Reporter {
  return {
    format: 'markdown',
    async write(report: ScanReport, out: Writable, options: ReporterOptions = {}): Promise<void> {
      await writeChunks(
        out,
        renderMarkdown(report).map((l) => `${l}\n`),
        options.signal,
      );
    },
  };
}
