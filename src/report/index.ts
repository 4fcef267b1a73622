// Public door of the reporters: pure functions of a ScanReport (they never see the database or the layers).
import type { Writable } from 'node:stream';
import type { ScanReport } from '../core/report.ts';
import { UsageError } from '../core/errors.ts';
import type { Reporter, ReporterOptions } from './common.ts';
import { writeChunks } from './common.ts';
import { createTableReporter } from './table.ts';
import { createJsonReporter, jsonChunks } from './json.ts';
import { createSarifReporter } from './sarif.ts';
import { createCycloneDxReporter } from './cyclonedx.ts';
import { createSpdxReporter } from './spdx.ts';
import { createMarkdownReporter } from './markdown.ts';
import { createHtmlReporter } from './html.ts';

export type { Reporter, ReporterOptions } from './common.ts';
export { formatBytes, renderToString, escapeHtml } from './common.ts';
export { renderTable, renderBloatTable, truncate } from './table.ts';
export { renderMarkdown } from './markdown.ts';
export { renderHtml } from './html.ts';
export { buildSarif } from './sarif.ts';
export { buildHarborVulnerabilityReport } from './harbor.ts';
export type { HarborArtifact, HarborScanner, HarborSeverity } from './harbor.ts';
export { buildBom, cycloneDxJson } from './cyclonedx.ts';
export { buildSpdx } from './spdx.ts';
export type { SpdxDocument } from './spdx.ts';
export { compareReports, compareReporterFor, renderCompareHtml, COMPARE_FORMATS } from './compare.ts';
export type { CompareReport, CompareReporter, CompareMetric } from './compare.ts';

/** Formats of `zerocve scan --format`, in the order shown in help. */
export const REPORT_FORMATS = ['table', 'json', 'sarif', 'cyclonedx-json', 'spdx-json', 'markdown', 'html'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** Formats of `zerocve sbom --format`. */
export const SBOM_FORMATS = ['cyclonedx-json', 'spdx-json', 'json'] as const;
export type SbomFormat = (typeof SBOM_FORMATS)[number];

export function reporterFor(format: string): Reporter {
  switch (format) {
    case 'table':
      return createTableReporter();
    case 'json':
      return createJsonReporter();
    case 'sarif':
      return createSarifReporter();
    case 'cyclonedx-json':
      return createCycloneDxReporter();
    case 'spdx-json':
      return createSpdxReporter();
    case 'markdown':
      return createMarkdownReporter();
    case 'html':
      return createHtmlReporter();
    default:
      throw new UsageError(`unknown report format "${format}" (expected one of: ${REPORT_FORMATS.join(', ')})`);
  }
}

/** The inventory part of a report (what `zerocve sbom` emits); owned file lists only when `files`. */
export function sbomView(report: ScanReport, files: boolean): ScanReport {
  return {
    ...report,
    inventory: {
      ...report.inventory,
      packages: files ? report.inventory.packages : report.inventory.packages.map(({ files: _f, ...p }) => p),
    },
    findings: [],
    suppressed: [],
    surface: undefined,
    bloat: undefined,
    sections: undefined,
    db: undefined,
    summary: {
      findings: { critical: 0, high: 0, medium: 0, low: 0, negligible: 0, unknown: 0 },
      suppressed: 0,
      fixable: 0,
      kev: 0,
      passed: true,
    },
  };
}

/** Reporters for `zerocve sbom`: inventory only (no vulnerabilities), file ownership with `options.files`. */
export function sbomReporterFor(format: string): Reporter {
  switch (format) {
    case 'cyclonedx-json': {
      const cdx = createCycloneDxReporter({ vulnerabilities: false });
      return { format, write: (r, out, o = {}) => cdx.write(sbomView(r, o.files === true), out, o) };
    }
    case 'spdx-json': {
      const spdx = createSpdxReporter();
      return { format, write: (r, out, o = {}) => spdx.write(sbomView(r, o.files === true), out, o) };
    }
    case 'json':
      return {
        format,
        async write(report: ScanReport, out: Writable, options: ReporterOptions = {}): Promise<void> {
          const v = sbomView(report, options.files === true);
          const doc = {
            schemaVersion: v.schemaVersion,
            kind: 'sbom',
            tool: v.tool,
            createdAt: v.createdAt,
            image: v.image,
            inventory: v.inventory,
            warnings: v.warnings,
          };
          await writeChunks(out, jsonChunks(doc), options.signal);
          await writeChunks(out, ['\n'], options.signal);
        },
      };
    default:
      throw new UsageError(`unknown sbom format "${format}" (expected one of: ${SBOM_FORMATS.join(', ')})`);
  }
}
export {
  jsonText,
  renderInspectText,
  bloatView,
  slimJson,
  renderSlimText,
  renderBuildText,
  renderFreshnessText,
} from './commands.ts';
