// Compare two scan reports (A = before, B = after: e.g. stock image vs slimmed image). A pure function of two
// ScanReports, plus writers for table, json, markdown and html.
import type { Writable } from 'node:stream';
import type { ScanReport, SeverityCounts } from '../core/report.ts';
import type { PackageType } from '../core/package.ts';
import { UsageError } from '../core/errors.ts';
import type { ReporterOptions } from './common.ts';
import {
  writeChunks,
  formatBytes,
  imageName,
  osName,
  imageSizes,
  escapeHtml as h,
  escapeMarkdown as md,
  markdownCode as code,
  SEVERITIES,
} from './common.ts';
import { jsonChunks } from './json.ts';
import { truncate } from './table.ts';
import { HTML_CSS } from './html.ts';

export interface CompareMetric {
  /** stable key, e.g. `packages`, `compressedBytes`, `findings.critical` */
  key: string;
  label: string;
  a: number | null;
  b: number | null;
  /** b − a, null when either side is unknown */
  delta: number | null;
  /** relative change of B against A, e.g. `−92%`, `+5%`, `0%`, `n/a` */
  change: string;
  unit: 'count' | 'bytes';
}

export interface ComparedPackage {
  type: PackageType;
  name: string;
  versions: string[];
}
export interface VersionChange {
  type: PackageType;
  name: string;
  a: string[];
  b: string[];
}

export interface CompareSide {
  image: string;
  target: string;
  os: string;
  createdAt: string;
  findings: SeverityCounts;
  shells: string[];
  packageManagers: string[];
}

export interface CompareReport {
  schemaVersion: 1;
  a: CompareSide;
  b: CompareSide;
  metrics: CompareMetric[];
  onlyInA: ComparedPackage[];
  onlyInB: ComparedPackage[];
  versionChanges: VersionChange[];
  /** finding ids (with package name) fixed by B: present in A, absent in B */
  resolvedFindings: string[];
  /** finding ids present in B but not in A */
  newFindings: string[];
}

/** Relative change of b against a, with a true minus sign: 100 → 8 gives `−92%`. */
export function relativeChange(a: number | null, b: number | null): string {
  if (a === null || b === null) return 'n/a';
  if (a === b) return '0%';
  if (a === 0) return 'new';
  const pct = ((b - a) / a) * 100;
  const rounded = Math.abs(pct) < 1 ? Math.abs(pct).toFixed(1) : Math.round(Math.abs(pct)).toString();
  return `${pct < 0 ? '−' : '+'}${rounded}%`;
}

function packageIndex(r: ScanReport): Map<string, ComparedPackage> {
  const m = new Map<string, ComparedPackage>();
  for (const p of r.inventory.packages) {
    const key = `${p.type}:${p.name}`;
    const e = m.get(key) ?? { type: p.type, name: p.name, versions: [] };
    if (!e.versions.includes(p.version)) e.versions.push(p.version);
    m.set(key, e);
  }
  for (const e of m.values()) e.versions.sort();
  return m;
}

const side = (r: ScanReport): CompareSide => ({
  image: imageName(r),
  target: r.image.source.target,
  os: osName(r),
  createdAt: r.createdAt,
  findings: { ...r.summary.findings },
  shells: r.surface?.shells ?? [],
  packageManagers: r.surface?.packageManagers ?? [],
});

export function compareReports(a: ScanReport, b: ScanReport): CompareReport {
  const metrics: CompareMetric[] = [];
  const add = (
    key: string,
    label: string,
    va: number | null | undefined,
    vb: number | null | undefined,
    unit: 'count' | 'bytes' = 'count',
  ): void => {
    const x = va ?? null;
    const y = vb ?? null;
    metrics.push({
      key,
      label,
      a: x,
      b: y,
      delta: x === null || y === null ? null : y - x,
      change: relativeChange(x, y),
      unit,
    });
  };
  const sa = imageSizes(a);
  const sb = imageSizes(b);
  const count = (r: ScanReport): number => SEVERITIES.reduce((n, k) => n + r.summary.findings[k], 0);
  add('packages', 'Packages', a.inventory.packages.length, b.inventory.packages.length);
  add('executables', 'Executables', a.surface?.executables, b.surface?.executables);
  add('files', 'Files', a.surface?.files, b.surface?.files);
  add('compressedBytes', 'Size (compressed)', sa.compressed, sb.compressed, 'bytes');
  add('uncompressedBytes', 'Size (uncompressed)', sa.uncompressed, sb.uncompressed, 'bytes');
  add('layers', 'Layers', a.image.layers.length, b.image.layers.length);
  add('shells', 'Shells', a.surface ? a.surface.shells.length : null, b.surface ? b.surface.shells.length : null);
  add(
    'packageManagers',
    'Package managers',
    a.surface ? a.surface.packageManagers.length : null,
    b.surface ? b.surface.packageManagers.length : null,
  );
  add('findings', 'Findings', count(a), count(b));
  for (const k of SEVERITIES) add(`findings.${k}`, `  ${k}`, a.summary.findings[k], b.summary.findings[k]);
  add('fixable', 'Fixable', a.summary.fixable, b.summary.fixable);
  add('unfixed', 'Without fix', count(a) - a.summary.fixable, count(b) - b.summary.fixable);
  add('kev', 'Known exploited (KEV)', a.summary.kev, b.summary.kev);

  const pa = packageIndex(a);
  const pb = packageIndex(b);
  const onlyInA = [...pa].filter(([k]) => !pb.has(k)).map(([, v]) => v);
  const onlyInB = [...pb].filter(([k]) => !pa.has(k)).map(([, v]) => v);
  const versionChanges: VersionChange[] = [];
  for (const [k, va] of pa) {
    const vb = pb.get(k);
    if (vb && va.versions.join('\n') !== vb.versions.join('\n'))
      versionChanges.push({ type: va.type, name: va.name, a: va.versions, b: vb.versions });
  }
  const byName = (x: { type: string; name: string }, y: { type: string; name: string }): number =>
    x.type.localeCompare(y.type) || x.name.localeCompare(y.name);
  const fkey = (r: ScanReport): Set<string> => new Set(r.findings.map((f) => `${f.id} ${f.package.name}`));
  const fa = fkey(a);
  const fb = fkey(b);
  return {
    schemaVersion: 1,
    a: side(a),
    b: side(b),
    metrics,
    onlyInA: onlyInA.sort(byName),
    onlyInB: onlyInB.sort(byName),
    versionChanges: versionChanges.sort(byName),
    resolvedFindings: [...fa].filter((x) => !fb.has(x)).sort(),
    newFindings: [...fb].filter((x) => !fa.has(x)).sort(),
  };
}

const fmt = (m: CompareMetric, v: number | null): string =>
  v === null ? '—' : m.unit === 'bytes' ? formatBytes(v) : String(v);

export function renderCompareTable(c: CompareReport, options: ReporterOptions = {}): string[] {
  const width = Math.max(40, options.width ?? 120);
  const lines: string[] = [];
  const line = (s = ''): void => {
    lines.push(truncate(s, width));
  };
  line(`A  ${c.a.image}  (${c.a.os})`);
  line(`B  ${c.b.image}  (${c.b.os})`);
  line();
  const lw = Math.max(...c.metrics.map((m) => m.label.length));
  const aw = Math.max(1, ...c.metrics.map((m) => fmt(m, m.a).length));
  const bw = Math.max(1, ...c.metrics.map((m) => fmt(m, m.b).length));
  line(`${''.padEnd(lw)}  ${'A'.padStart(aw)}  ${'B'.padStart(bw)}  change`);
  for (const m of c.metrics)
    line(`${m.label.padEnd(lw)}  ${fmt(m, m.a).padStart(aw)}  ${fmt(m, m.b).padStart(bw)}  ${m.change}`);
  const list = (title: string, items: string[]): void => {
    if (!items.length) return;
    line();
    line(`${title} (${items.length})`);
    // a terminal table stays readable: the first lines, then how many more (json/markdown/html list them all)
    const max = options.maxListed ?? 20;
    for (const i of items.slice(0, max)) line(`  ${i}`);
    if (items.length > max) line(`  … ${items.length - max} more (-f json lists all)`);
  };
  for (const [title, items] of changeLists(c)) list(title, items);
  return lines;
}

/** the lists every rendering shows after the metrics, as (title, one line per item) */
function changeLists(c: CompareReport): [string, string[]][] {
  return [
    ['Only in A', c.onlyInA.map((p) => `${p.type} ${p.name} ${p.versions.join(', ')}`)],
    ['Only in B', c.onlyInB.map((p) => `${p.type} ${p.name} ${p.versions.join(', ')}`)],
    ['Version changes', c.versionChanges.map((v) => `${v.type} ${v.name} ${v.a.join(', ')} → ${v.b.join(', ')}`)],
    ['Findings resolved in B', c.resolvedFindings],
    ['Findings new in B', c.newFindings],
  ];
}

export function renderCompareMarkdown(c: CompareReport): string[] {
  const out = [
    `## zerocve compare`,
    '',
    `- **A**: ${code(c.a.image)} (${md(c.a.os)})`,
    `- **B**: ${code(c.b.image)} (${md(c.b.os)})`,
    '',
    '| | A | B | change |',
    '| --- | ---: | ---: | ---: |',
  ];
  for (const m of c.metrics) out.push(`| ${md(m.label.trim())} | ${fmt(m, m.a)} | ${fmt(m, m.b)} | ${m.change} |`);
  const details = (title: string, items: string[]): void => {
    if (!items.length) return;
    out.push(
      '',
      `<details><summary>${h(title)} (${items.length})</summary>`,
      '',
      ...items.map((i) => `- ${md(i)}`),
      '',
      '</details>',
    );
  };
  for (const [title, items] of changeLists(c)) details(title, items);
  return out;
}

export function renderCompareHtml(c: CompareReport): string[] {
  const out = [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
    `<title>zerocve compare: ${h(c.a.image)} vs ${h(c.b.image)}</title><style>${HTML_CSS}</style></head><body>`,
    `<header><h1>${h(c.a.image)} → ${h(c.b.image)}</h1><p>A: ${h(c.a.os)} · B: ${h(c.b.os)}</p></header><main>`,
    '<section><h2>Metrics</h2><table ' +
      'id="metrics"><thead><tr><th></th><th>A</th><th>B</th><th>change</th></tr></thead><tbody>',
  ];
  for (const m of c.metrics)
    out.push(
      `<tr data-key="${h(m.key)}"><th>${h(m.label.trim())}</th><td>${h(fmt(m, m.a))}</td><td>` +
        `${h(fmt(m, m.b))}</td><td>${h(m.change)}</td></tr>`,
    );
  out.push('</tbody></table></section>');
  const list = (title: string, items: string[]): void => {
    if (!items.length) return;
    out.push(
      `<section><h2>${h(title)} (${items.length})</h2><ul>`,
      ...items.map((i) => `<li>${h(i)}</li>`),
      '</ul></section>',
    );
  };
  for (const [title, items] of changeLists(c)) list(title, items);
  out.push('</main></body></html>');
  return out;
}

export const COMPARE_FORMATS = ['table', 'json', 'markdown', 'html'] as const;

export interface CompareReporter {
  readonly format: string;
  write(c: CompareReport, out: Writable, options?: ReporterOptions): Promise<void>;
}

export function compareReporterFor(format: string): CompareReporter {
  const lines = (render: (c: CompareReport, o: ReporterOptions) => string[]): CompareReporter => ({
    format,
    write: (c, out, o = {}) =>
      writeChunks(
        out,
        render(c, o).map((l) => `${l}\n`),
        o.signal,
      ),
  });
  switch (format) {
    case 'table':
      return lines(renderCompareTable);
    case 'markdown':
      return lines((c) => renderCompareMarkdown(c));
    case 'html':
      return lines((c) => renderCompareHtml(c));
    case 'json':
      return {
        format,
        write: async (c, out, o = {}) => {
          await writeChunks(out, jsonChunks(c), o.signal);
          await writeChunks(out, ['\n'], o.signal);
        },
      };
    default:
      throw new UsageError(`unknown compare format "${format}" (expected one of: ${COMPARE_FORMATS.join(', ')})`);
  }
}
