// `sarif`: SARIF 2.1.0 for code-scanning UIs. One rule per vulnerability id, one result per finding, located at
// the file that recorded the package (dpkg status, dist-info METADATA, …).
import type { Writable } from 'node:stream';
import type { ScanReport } from '../core/report.ts';
import type { Finding } from '../core/finding.ts';
import type { Severity } from '../core/advisory.ts';
import type { Reporter, ReporterOptions } from './common.ts';
import { writeChunks, fixedText, imageName } from './common.ts';
import { jsonChunks } from './json.ts';

export const SARIF_SCHEMA =
  'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json';

const LEVEL: Record<Severity, 'error' | 'warning' | 'note' | 'none'> = {
  critical: 'error',
  high: 'error',
  medium: 'warning',
  low: 'note',
  negligible: 'note',
  unknown: 'warning',
};
/** GitHub code scanning reads `security-severity` as a CVSS-like number: >=9 critical, >=7 high, >=4 medium. */
const SECURITY_SEVERITY: Record<Severity, string> = {
  critical: '9.5',
  high: '8.0',
  medium: '5.5',
  low: '2.0',
  negligible: '0.5',
  unknown: '5.0',
};

function bestScore(f: Finding): string {
  const s = f.cvss.map((c) => c.score).sort((a, b) => b - a)[0];
  return s !== undefined ? s.toFixed(1) : SECURITY_SEVERITY[f.severity];
}

/** SARIF artifact URIs are relative references: strip the leading slash of image paths. */
const uriOf = (path: string): string => encodeURI(path.replace(/^\/+/, ''));

export function buildSarif(report: ScanReport): object {
  const rules = new Map<string, { index: number; rule: object }>();
  const results: object[] = [];
  for (const f of report.findings) {
    let r = rules.get(f.id);
    if (!r) {
      const help = [
        f.title ?? f.id,
        `Severity: ${f.severity} (${f.severitySource})`,
        f.fixedVersions.length ? `Fixed in: ${f.fixedVersions.join(', ')}` : `Fix: ${fixedText(f)}`,
        ...(f.aliases.length ? [`Aliases: ${f.aliases.join(', ')}`] : []),
        ...f.references.slice(0, 5).map((u) => `- ${u}`),
      ];
      const md = [
        `**${f.id}** ${f.title ?? ''}`.trim(),
        '',
        `| Package | Installed | Fixed | Severity |`,
        `| --- | --- | --- | --- |`,
        `| ${f.package.name} | ${f.installedVersion} | ${fixedText(f)} | ${f.severity} |`,
        ...(f.references.length ? ['', ...f.references.slice(0, 5).map((u) => `- <${u}>`)] : []),
      ];
      r = {
        index: rules.size,
        rule: {
          id: f.id,
          name: f.id.replace(/[^A-Za-z0-9]/g, ''),
          shortDescription: { text: `${f.id} in ${f.package.name}` },
          fullDescription: { text: f.title ?? f.id },
          ...(f.references[0] ? { helpUri: f.references[0] } : {}),
          help: { text: help.join('\n'), markdown: md.join('\n') },
          defaultConfiguration: { level: LEVEL[f.severity] },
          properties: {
            'security-severity': bestScore(f),
            precision: 'very-high',
            tags: ['vulnerability', 'security', f.severity],
          },
        },
      };
      rules.set(f.id, r);
    }
    const loc = f.package.locations[0]?.path ?? `/${f.package.purl}`;
    results.push({
      ruleId: f.id,
      ruleIndex: r.index,
      level: LEVEL[f.severity],
      message: {
        text:
          `${f.package.name} ${f.installedVersion} → ${fixedText(f)}: ${f.id} (${f.severity})` +
          `${f.kev ? ' [KEV]' : ''}`,
      },
      locations: [
        {
          physicalLocation: {
            artifactLocation: { uri: uriOf(loc) },
            region: { startLine: 1, startColumn: 1, endLine: 1, endColumn: 1 },
          },
          message: { text: `${imageName(report)}: ${loc}` },
        },
      ],
      partialFingerprints: { 'zerocve/v1': `${f.id}|${f.package.purl}` },
      properties: {
        purl: f.package.purl,
        installedVersion: f.installedVersion,
        fixedVersions: f.fixedVersions,
        kev: f.kev,
        ...(f.fromBase !== undefined ? { fromBase: f.fromBase } : {}),
      },
    });
  }
  return {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: report.tool.name,
            version: report.tool.version,
            informationUri: 'https://github.com/zerocve/zerocve',
            rules: [...rules.values()].map((r) => r.rule),
          },
        },
        results,
        properties: {
          image: imageName(report),
          target: report.image.source.target,
          suppressed: report.suppressed.length,
          ...(report.image.base ? { baseImage: report.image.base } : {}),
        },
      },
    ],
  };
}

export function createSarifReporter(): Reporter {
  return {
    format: 'sarif',
    async write(report: ScanReport, out: Writable, options: ReporterOptions = {}): Promise<void> {
      await writeChunks(out, jsonChunks(buildSarif(report)), options.signal);
      await writeChunks(out, ['\n'], options.signal);
    },
  };
}
