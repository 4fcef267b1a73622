// `html`: one self-contained file (inline CSS, SVG and vanilla JS; no network). Every datum goes through
// escapeHtml; the script reads only the DOM (no report data is embedded in <script>), so nothing can break out.
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
  escapeHtml as h,
  SEVERITIES,
  peersOf,
  peerRowsInOrder,
  peerTotalsText,
  peerAgreementText,
} from './common.ts';

export const SEVERITY_COLOURS: Record<string, string> = {
  critical: '#b91c1c',
  high: '#ea580c',
  medium: '#ca8a04',
  low: '#2563eb',
  negligible: '#6b7280',
  unknown: '#7c3aed',
};

export const HTML_CSS =
  `
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#111;background:#f7f7f8}
header{background:#111827;color:#fff;padding:16px 24px}header h1{margin:0;font-size:20px}header ` +
  `p{margin:4px 0 0;color:#cbd5e1}
main{padding:16px 24px;max-width:1400px}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin-bottom:16px}.card{background:#fff;border:1px solid ` +
  `#e5e7eb;border-radius:8px;padding:10px 14px;min-width:130px}
.card b{display:block;font-size:22px}.card span{color:#6b7280;font-size:12px}
.pass{color:#15803d}.fail{color:#b91c1c}
section{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:12px 16px;margin-bottom:16px}
h2{font-size:16px;margin:0 0 8px}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid ` +
  `#eee;vertical-align:top}
th{background:#f3f4f6;position:sticky;top:0}
.sev{font-weight:600;text-transform:uppercase;font-size:12px}
.filters{display:flex;flex-wrap:wrap;gap:12px;align-items:center;margin-bottom:8px}
.filters input[type=search]{padding:4px 8px;min-width:240px}
code{font-size:12px}
svg text{font:12px system-ui,sans-serif}
`;

export const HTML_SCRIPT = `
(function(){
  var boxes=document.querySelectorAll('input[data-sev]');
  var text=document.getElementById('filter-text');
  var rows=document.querySelectorAll('#findings tbody tr');
  var count=document.getElementById('shown');
  function apply(){
    var on={};boxes.forEach(function(b){on[b.getAttribute('data-sev')]=b.checked;});
    var q=(text.value||'').toLowerCase();var n=0;
    rows.forEach(function(r){
      var ok=on[r.getAttribute('data-severity')]&&(!q||r.textContent.toLowerCase().indexOf(q)>=0);
      r.hidden=!ok;if(ok)n++;
    });
    count.textContent=String(n);
  }
  boxes.forEach(function(b){b.addEventListener('change',apply);});
  text.addEventListener('input',apply);
  apply();
})();
`;

/** Horizontal bar chart as inline SVG. */
function barChart(
  id: string,
  title: string,
  bars: { label: string; value: number; text: string; colour: string }[],
): string {
  const rowH = 22;
  const labelW = 260;
  const barW = 420;
  const max = Math.max(1, ...bars.map((b) => b.value));
  const height = rowH * bars.length + 8;
  const rows = bars.map((b, i) => {
    const w = Math.max(b.value > 0 ? 2 : 0, Math.round((barW * b.value) / max));
    const y = 4 + i * rowH;
    const label = b.label.length > 40 ? `${b.label.slice(0, 39)}…` : b.label;
    return (
      `<g class="bar" data-label="${h(b.label)}"><title>${h(b.label)}: ${h(b.text)}</title>` +
      `<text x="${labelW - 6}" y="${y + 15}" text-anchor="end">${h(label)}</text>` +
      `<rect x="${labelW}" y="${y + 3}" width="${w}" height="${rowH - 6}" fill="${b.colour}" rx="2"></rect>` +
      `<text x="${labelW + w + 6}" y="${y + 15}">${h(b.text)}</text></g>`
    );
  });
  return (
    `<svg id="${id}" role="img" aria-label="${h(title)}" xmlns="http://www.w3.org/2000/svg" width="` +
    `${labelW + barW + 120}" height="${height}" viewBox="0 0 ${labelW + barW + 120} ${height}">` +
    `${rows.join('')}</svg>`
  );
}

export function renderHtml(report: ScanReport): string[] {
  const s = report.summary;
  const size = imageSizes(report);
  const total = SEVERITIES.reduce((n, k) => n + s.findings[k], 0);
  const name = imageName(report);
  const out: string[] = [];
  out.push(
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta name="viewport" content="width=device-width,initial-scale=1">`,
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; ` +
      `script-src 'unsafe-inline'; img-src data:">`,
    `<title>zerocve: ${h(name)}</title><style>${HTML_CSS}</style></head><body>`,
  );
  out.push(
    `<header><h1>${h(name)}</h1><p>${h(osName(report))} · ${h(report.image.source.target)} · scanned ` +
      `${h(report.createdAt)} by ${h(report.tool.name)} ${h(report.tool.version)}</p></header><main>`,
  );
  const card = (value: string, label: string, cls = ''): string =>
    `<div class="card"><b class="${cls}">${h(value)}</b><span>${h(label)}</span></div>`;
  out.push(
    '<div class="cards" id="summary">',
    card(String(report.inventory.packages.length), 'packages'),
    ...(report.surface ? [card(String(report.surface.executables), 'executables')] : []),
    card(formatBytes(size.compressed), 'compressed'),
    card(formatBytes(size.uncompressed), 'uncompressed'),
    card(String(report.image.layers.length), 'layers'),
    card(String(total), 'findings'),
    card(String(s.suppressed), 'suppressed'),
    card(String(s.fixable), 'fixable'),
    card(String(s.kev), 'KEV'),
    ...(s.threshold ? [card(s.passed ? 'PASS' : 'FAIL', `gate: ${s.threshold}+`, s.passed ? 'pass' : 'fail')] : []),
    '</div>',
  );
  out.push(
    '<section><h2>Findings by severity</h2>',
    barChart(
      'severity-chart',
      'Findings by severity',
      SEVERITIES.map((k) => ({
        label: k,
        value: s.findings[k],
        text: String(s.findings[k]),
        colour: SEVERITY_COLOURS[k],
      })),
    ),
    '</section>',
  );
  out.push(
    '<section><h2>Size by layer</h2>',
    barChart(
      'layer-chart',
      'Uncompressed size by layer',
      report.image.layers.map((l) => ({
        label: `#${l.index} ${l.createdBy ?? l.digest.slice(0, 19)}`,
        value: Math.max(0, l.uncompressedSize),
        text: `${formatBytes(l.uncompressedSize)} (${formatBytes(l.compressedSize)} compressed)`,
        colour: '#0f766e',
      })),
    ),
    '</section>',
  );
  const sized = report.inventory.packages
    .map((p) => ({
      p,
      bytes: 'installedSizeBytes' in p.metadata ? (p.metadata.installedSizeBytes ?? 0) : 0,
    }))
    .filter((x) => x.bytes > 0)
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, 20);
  if (sized.length) {
    out.push(
      '<section><h2>Largest packages (installed size)</h2>',
      barChart(
        'package-chart',
        'Installed size by package',
        sized.map((x) => ({
          label: `${x.p.name} ${x.p.version}`,
          value: x.bytes,
          text: formatBytes(x.bytes),
          colour: '#4f46e5',
        })),
      ),
      '</section>',
    );
  }
  out.push('<section><h2>Findings (<span id="shown">0</span> shown)</h2><div class="filters">');
  for (const k of SEVERITIES)
    out.push(`<label><input type="checkbox" data-sev="${k}" checked> ${k} (${s.findings[k]})</label>`);
  out.push('<input type="search" id="filter-text" placeholder="filter by id, package, text"></div>');
  out.push(
    '<table id="findings"><thead><tr><th>Severity</th><th>ID</th><th>Package</th><th>Installed</th>' +
      '<th>Fixed</th><th>Title</th></tr></thead><tbody>',
  );
  for (const f of [...report.findings].sort(bySeverityDesc)) {
    const id =
      f.references[0] && /^https?:\/\//.test(f.references[0])
        ? `<a href="${h(f.references[0])}" rel="noreferrer noopener">${h(f.id)}</a>`
        : h(f.id);
    out.push(
      `<tr data-severity="${h(f.severity)}"><td class="sev" style="color:${SEVERITY_COLOURS[f.severity]}">` +
        `${h(f.severity)}</td><td>${id}${f.kev ? ' <b>KEV</b>' : ''}</td><td>${h(f.package.name)}` +
        `<br><code>${h(f.package.locations[0]?.path ?? '')}</code></td><td>${h(f.installedVersion)}` +
        `</td><td>${h(fixedText(f))}</td><td>${h(f.title ?? '')}</td></tr>`,
    );
  }
  out.push('</tbody></table></section>');
  if (report.suppressed.length) {
    out.push(
      '<section><h2>Suppressed</h2><table><thead><tr><th>ID</th><th>Package</th><th>By</th><th>Reason</th></' +
        'tr></thead><tbody>',
    );
    for (const x of report.suppressed)
      out.push(
        `<tr><td>${h(x.finding.id)}</td><td>${h(x.finding.package.name)} ${h(x.finding.installedVersion)}` +
          `</td><td>${h(x.by)}</td><td>${h(x.reason)}</td></tr>`,
      );
    out.push('</tbody></table></section>');
  }
  const peers = peersOf(report);
  if (peers) {
    out.push(
      `<section id="peers"><h2>Other scanners: ${h(peers.tools.join(', '))}</h2>`,
      `<p>Findings: ${h(peerTotalsText(peers))}. Rows: ${h(peerAgreementText(peers))}.</p><ul>`,
    );
    for (const p of peers.peers)
      out.push(
        `<li>${h(p.tool)}${p.toolVersion ? ` ${h(p.toolVersion)}` : ''}: <code>${h(p.path)}</code>` +
          `${p.target ? ` (${h(p.target)})` : ''}</li>`,
      );
    for (const w of peers.warnings) out.push(`<li>warning: ${h(w.message)}</li>`);
    out.push('</ul><table id="peer-rows"><thead><tr><th>ID</th><th>Package</th><th>Installed</th><th>Reported by</th>');
    for (const t of peers.tools) out.push(`<th>${h(t)}</th>`);
    out.push('<th>Disagreement</th></tr></thead><tbody>');
    for (const r of peerRowsInOrder(peers)) {
      const cells = peers.tools
        .map((t) => {
          const sev = r.severities[t];
          if (!sev) return '<td>—</td>';
          const fixed = r.fixed[t] ?? [];
          return (
            `<td><span class="sev" style="color:${SEVERITY_COLOURS[sev] ?? '#111'}">${h(sev)}` +
            `</span><br>${h(r.versions?.[t] ?? '')}${r.versions?.[t] ? ' → ' : ''}` +
            `${h(fixed.length ? fixed.join(', ') : 'no fix')}</td>`
          );
        })
        .join('');
      out.push(
        `<tr data-agree="${r.disagreement ? 'no' : 'yes'}"><td>${h(r.id)}` +
          `${r.aliases.length ? `<br><code>${h(r.aliases.join(', '))}</code>` : ''}</td><td>` +
          `${h(r.package)}</td><td>${h(r.version)}</td><td>${h(r.reportedBy.join(', '))}</td>${cells}<td>` +
          `${h(r.disagreement ?? 'agree')}</td></tr>`,
      );
    }
    out.push('</tbody></table></section>');
  }
  if (report.surface) {
    const sf = report.surface;
    out.push(
      '<section><h2>Attack surface</h2><table><tbody>',
      `<tr><th>Shells</th><td>${h(sf.shells.join(', ') || 'none')}</td></tr>`,
      `<tr><th>Package managers</th><td>${h(sf.packageManagers.join(', ') || 'none')}</td></tr>`,
      `<tr><th>setuid</th><td>${h(sf.setuid.map((f) => f.path).join(', ') || 'none')}</td></tr>`,
      `<tr><th>setgid</th><td>${h(sf.setgid.map((f) => f.path).join(', ') || 'none')}</td></tr>`,
      `<tr><th>World-writable</th><td>${h(sf.worldWritable.map((f) => f.path).join(', ') || 'none')}</td></tr>`,
      `<tr><th>User</th><td>${h(sf.user.configured || '(unset)')}${sf.user.root ? ' (root)' : ''}</td></tr>`,
      '</tbody></table></section>',
    );
  }
  if (report.bloat) {
    const b = report.bloat;
    out.push(
      `<section><h2>Bloat: ${h(formatBytes(b.removableBytes))} removable of ${h(formatBytes(b.totalBytes))}</h2>`,
      barChart(
        'bloat-chart',
        'Bloat by category',
        [...b.categories]
          .sort((x, y) => y.bytes - x.bytes)
          .map((c) => ({
            label: c.category,
            value: c.bytes,
            text: `${formatBytes(c.bytes)}, ${c.files} files`,
            colour: '#9333ea',
          })),
      ),
      '</section>',
    );
  }
  if (report.inventory.problems.length || report.warnings.length) {
    out.push('<section><h2>Problems and warnings</h2><ul>');
    for (const p of report.inventory.problems)
      out.push(`<li><code>${h(p.path)}</code>: ${h(p.analyzer)}: ${h(p.message)}</li>`);
    for (const w of report.warnings) out.push(`<li>${h(w.message)}</li>`);
    out.push('</ul></section>');
  }
  out.push(`</main><script>${HTML_SCRIPT}</script></body></html>`);
  return out;
}

export function createHtmlReporter(): Reporter {
  return {
    format: 'html',
    async write(report: ScanReport, out: Writable, options: ReporterOptions = {}): Promise<void> {
      await writeChunks(
        out,
        renderHtml(report).map((l) => `${l}\n`),
        options.signal,
      );
    },
  };
}
